// Live events: GET /events streams store changes as Paz's events, with the store revision as the event id,
// and a reconnect with Last-Event-ID resumes exactly where the client left off.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PazProcess, request } from './helpers/paz-server.js';
import { collect } from './helpers/sse.js';

describe('live events', () => {
  const paz = new PazProcess();
  before(() => paz.start());
  after(() => paz.close());

  it('a since or Last-Event-ID ahead of the store is a 400 saying so, not a stream that waits for it', async () => {
    for (const headers of [{}, { 'last-event-id': '999999999' }]) {
      const url = `${paz.orchestrator}/events${'last-event-id' in headers ? '' : '?since=999999999'}`;
      const r = await request('GET', url, undefined, headers as Record<string, string>);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.code, 'PAZ_VALIDATION');
      assert.match(r.body.message, /since 999999999 is ahead of the store, which is at revision \d+/);
    }
  });

  it('streams service, deploy and unit events, and resumes from Last-Event-ID without gaps or repeats', async () => {
    const live = collect(`${paz.orchestrator}/events`, {}, (es) => es.some((e) => e.event === 'unit.add'));
    await new Promise((r) => setTimeout(r, 300));
    await request('POST', `${paz.orchestrator}/services`, { name: 'evented', dockerRepository: 'team/evented' });
    await request('PATCH', `${paz.orchestrator}/services/evented/config/next`, { env: { A: '1' } });
    await request('POST', `${paz.scheduler}/hooks/deploy`, { serviceName: 'evented' });
    const events = await live;
    // each change also journals who made it (audit), in the same transaction: same revision, right after it
    const changes = events.filter((e) => e.event !== 'journal');
    assert.deepEqual(changes.slice(0, 2).map((e) => e.event), ['service.create', 'service.modifyConfig']);
    assert.equal(changes[0].data.name, 'evented');
    assert.deepEqual(changes[1].data.config.env, { A: '1' });
    assert.deepEqual(events.filter((e) => e.event === 'journal').map((e) => e.data.event), ['service-created', 'config-changed', 'deploy']);
    assert.equal(events.find((e) => e.event === 'unit.add')?.data.unit, 'evented-1-1');
    for (let i = 1; i < events.length; i++) assert.ok(events[i].id >= events[i - 1].id, 'ids are revisions, in order');

    // resume after the first event: everything after it comes again, the first does not
    const resumed = await collect(`${paz.orchestrator}/events`, { 'last-event-id': String(events[0].id) }, (es) => es.some((e) => e.event === 'unit.add'));
    assert.equal(resumed[0].event, 'service.modifyConfig');
    assert.equal(resumed[0].id, changes[1].id);
    await request('DELETE', `${paz.orchestrator}/services/evented`);
    const after = await collect(`${paz.orchestrator}/events?since=${events.at(-1)!.id}`, {}, (es) => es.some((e) => e.event === 'service.del'));
    assert.ok(after.some((e) => e.event === 'unit.remove' && e.data === 'evented-1-1'));
    assert.equal(after.find((e) => e.event === 'service.del')?.data, 'evented');
  });
});
