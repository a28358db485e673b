// A crash (kill -9) of the control plane loses no acknowledged service, config version or deploy record.
// test-lane: normal
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { PazProcess, request } from './helpers/paz-server.js';

describe('restart after kill -9', () => {
  const paz = new PazProcess();
  after(() => paz.close());

  it('keeps every acknowledged write across repeated crashes', async () => {
    await paz.start();
    const acknowledged: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) {
        const name = `svc-${round}-${i}`;
        const res = await request('POST', `${paz.orchestrator}/services`, { name, dockerRepository: `team/${name}`, numInstances: 2 });
        assert.equal(res.status, 201);
        assert.equal((await request('PATCH', `${paz.orchestrator}/services/${name}/config/next`, { env: { ROUND: String(round) } })).status, 200);
        assert.equal((await request('POST', `${paz.scheduler}/hooks/deploy`, { serviceName: name })).status, 200);
        assert.equal((await request('POST', `${paz.scheduler}/hooks/deploy`, { serviceName: name })).status, 200);
        acknowledged.push(name);
      }
      await paz.kill();
      await paz.start();
      const list = await request('GET', `${paz.orchestrator}/services`);
      assert.deepEqual(list.body.doc.map((s: { name: string }) => s.name).sort(), [...acknowledged].sort());
      for (const name of acknowledged) {
        const history = await request('GET', `${paz.orchestrator}/services/${name}/config/history`);
        assert.deepEqual(Object.keys(history.body.doc), ['1', '2'], `${name} kept both versions`);
        assert.equal(history.body.doc['2'].env.ROUND, name.split('-')[1]);
      }
      const units = await request('GET', `${paz.orchestrator}/cluster/units`);
      assert.equal(units.body.length, acknowledged.length * 4, 'two versions x two instances each');
      const journal = await request('GET', `${paz.scheduler}/journal`);
      assert.equal(journal.body.doc.filter((e: { event: string }) => e.event === 'deploy').length, acknowledged.length * 2);
    }
    // the next deploy continues the numbering: no version is ever reused after a crash
    assert.equal((await request('POST', `${paz.scheduler}/hooks/deploy`, { serviceName: 'svc-0-0' })).status, 200);
    assert.equal((await request('GET', `${paz.scheduler}/config/svc-0-0/version/3`)).status, 200);
  });

  it('re-announces its components after the crash', async () => {
    const res = await request('GET', `${paz.orchestrator}/cluster/endpoints`);
    assert.equal(res.body['paz-scheduler'], `127.0.0.1:${paz.ports.scheduler}`);
  });
});
