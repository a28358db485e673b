// Audit: every change names who made it (the API token's name) in the journal and its event stream:
// service create, config change, deploy (API and hook), scale, rollback, delete, token create and revoke.
// With --no-auth the actor is "anonymous".
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PazProcess, request } from './helpers/paz-server.js';
import { collect, type Received } from './helpers/sse.js';

/** The journal events of GET /events from revision 0 until `until` holds. */
async function journalEvents(url: string, headers: Record<string, string>, until: (es: Received[]) => boolean): Promise<Received[]> {
  const journal = (es: Received[]) => es.filter((e) => e.event === 'journal');
  return journal(await collect(`${url}/events?since=0`, headers, (es) => until(journal(es))));
}

describe('audit: the actor of every change', () => {
  const paz = new PazProcess({ role: 'up', auth: true, extraArgs: ['--no-agent'] });
  let ci = '';
  before(async () => {
    await paz.start();
    ci = (await request('POST', `${paz.orchestrator}/auth/tokens`, { name: 'ci', role: 'deployer' }, paz.authHeaders())).body.token;
  });
  after(() => paz.close());

  it('journals create, config, deploy, scale, rollback and delete with the token name', async () => {
    const as = { authorization: `Bearer ${ci}` };
    const svc = `${paz.orchestrator}/services/audited`;
    assert.equal((await request('POST', `${paz.orchestrator}/services`, { name: 'audited', dockerRepository: 'team/audited' }, as)).status, 201);
    assert.equal((await request('PATCH', `${svc}/config/next`, { env: { A: '1' } }, as)).status, 200);
    assert.equal((await request('POST', `${svc}/deploy`, {}, as)).status, 201);
    assert.equal((await request('POST', `${paz.scheduler}/hooks/deploy`, { serviceName: 'audited' }, as)).status, 200);
    assert.equal((await request('POST', `${svc}/scale`, { numInstances: 2 }, as)).status, 200);
    assert.equal((await request('POST', `${svc}/rollback`, { version: 1 }, as)).status, 201);
    assert.equal((await request('DELETE', svc, undefined, as)).status, 204);

    const journal = await request('GET', `${paz.scheduler}/journal?all=true&service=audited`, undefined, as);
    const byKind = (kind: string) => journal.body.doc.filter((e: { event: string }) => e.event === kind);
    for (const kind of ['service-created', 'config-changed', 'deploy', 'scale', 'rollback', 'service-deleted']) {
      assert.ok(byKind(kind).length > 0, `journal has ${kind}`);
      for (const e of byKind(kind)) assert.equal(e.actor, 'ci', `${kind} names ci`);
    }
    assert.equal(byKind('deploy').length, 2, 'the API deploy and the hook deploy');
    assert.match(byKind('config-changed')[0].message, /env/);
    assert.doesNotMatch(JSON.stringify(byKind('config-changed')), /"A":"1"/, 'the entry names fields, not values');
    // ?events= picks the audit kinds
    const picked = await request('GET', `${paz.scheduler}/journal?events=service-created,config-changed&service=audited`, undefined, as);
    assert.deepEqual(picked.body.doc.map((e: { event: string }) => e.event), ['config-changed', 'service-created']);
  });

  it('puts the actor on the journal events of the live stream, token changes included', async () => {
    const events = await journalEvents(paz.orchestrator, paz.authHeaders(), (es) => es.some((e) => e.data.event === 'service-deleted'));
    const of = (kind: string) => events.filter((e) => e.data.event === kind);
    for (const kind of ['service-created', 'config-changed', 'deploy', 'scale']) {
      assert.ok(of(kind).length > 0, `stream has ${kind}`);
      assert.ok(of(kind).every((e) => e.data.actor === 'ci'), `${kind} names ci`);
    }
    const madeCi = of('token-created').find((e) => e.data.token === 'ci');
    assert.equal(madeCi?.data.actor, 'admin', 'the admin token made ci');
    assert.equal(of('token-created').find((e) => e.data.token === 'admin')?.data.actor, 'paz', 'the first admin token is made by paz itself');
  });

  it('journals a revocation with who revoked', async () => {
    assert.equal((await request('DELETE', `${paz.orchestrator}/auth/tokens/ci`, undefined, paz.authHeaders())).status, 200);
    const journal = await request('GET', `${paz.scheduler}/journal?events=token-revoked`, undefined, paz.authHeaders());
    assert.deepEqual(journal.body.doc.map((e: { token: string; actor: string }) => [e.token, e.actor]), [['ci', 'admin']]);
  });
  it('journals registry credentials set and removed, and the webhook secret rotated, with who did it and no secret', async () => {
    const admin = paz.authHeaders();
    assert.equal((await request('PUT', `${paz.orchestrator}/registries/registry.example.test`, { username: 'bot', password: 'p4ss-audit-9' }, admin)).status, 200);
    assert.equal((await request('DELETE', `${paz.orchestrator}/registries/registry.example.test`, undefined, admin)).status, 204);
    const rotated = await request('POST', `${paz.orchestrator}/auth/webhook-secret/rotate`, undefined, admin);
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const journal = await request('GET', `${paz.scheduler}/journal?events=registry-login-set,registry-login-removed,webhook-secret-rotated`, undefined, admin);
    assert.deepEqual(
      journal.body.doc.map((e: { event: string; actor: string; registry?: string }) => [e.event, e.actor, e.registry]),
      [
        ['webhook-secret-rotated', 'admin', undefined],
        ['registry-login-removed', 'admin', 'registry.example.test'],
        ['registry-login-set', 'admin', 'registry.example.test'],
      ],
    );
    const text = JSON.stringify(journal.body);
    assert.ok(!text.includes('p4ss-audit-9') && !text.includes(rotated.body.doc.secret), 'no password or secret in the journal');
  });
});

describe('audit with --no-auth', () => {
  const paz = new PazProcess({ role: 'up', extraArgs: ['--no-agent'] });
  before(() => paz.start());
  after(() => paz.close());

  it('names the actor "anonymous"', async () => {
    await request('POST', `${paz.orchestrator}/services`, { name: 'open', dockerRepository: 'team/open' });
    await request('POST', `${paz.orchestrator}/services/open/deploy`, {});
    const journal = await request('GET', `${paz.scheduler}/journal?all=true&service=open`);
    assert.deepEqual(journal.body.doc.map((e: { event: string; actor: string }) => [e.event, e.actor]), [['deploy', 'anonymous'], ['service-created', 'anonymous']]);
  });
});
