// Issue 9, Input: hostile strings, keys and query values are refused with a 4xx naming what to fix, on a
// real `paz server`; nothing refused is stored or deployed.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PazProcess, request } from './helpers/paz-server.js';

describe('hostile input', () => {
  const paz = new PazProcess();
  before(async () => {
    await paz.start();
    const made = await request('POST', `${paz.orchestrator}/services`, { name: 'target-svc', dockerRepository: '127.0.0.1:5000/team/app:1' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
  });
  after(() => paz.close());

  const latest = async () => (await request('GET', `${paz.scheduler}/config/target-svc/history`)).body.doc;

  const refused = async (method: string, url: string, body: unknown, message: RegExp, headers: Record<string, string> = {}) => {
    const res = await request(method, url, body, headers);
    assert.equal(res.status, 400, `${method} ${url} ${JSON.stringify(body)} -> ${res.status} ${JSON.stringify(res.body)}`);
    assert.match(res.body.message, message);
    return res;
  };

  it('tags with spaces, newlines or $(…) are refused on every deploy path, and nothing is deployed', async () => {
    for (const tag of ['a b', '1\n2', '$(reboot)', '`id`', '-x', 'x\u0000']) {
      await refused('POST', `${paz.orchestrator}/services/target-svc/deploy`, { tag }, /tag .* may contain only letters, digits/);
      await refused('POST', `${paz.scheduler}/hooks/deploy`, { serviceName: 'target-svc', dockerRepository: `127.0.0.1:5000/team/app:${tag}` }, /dockerRepository [^]*(tag|control)/);
      await refused('POST', `${paz.scheduler}/hooks/dockerhub`, { push_data: { tag }, repository: { repo_url: 'x', repo_name: '127.0.0.1:5000/team/app' } }, /tag .* may contain only/);
      await refused(
        'POST',
        `${paz.scheduler}/hooks/registry`,
        { events: [{ action: 'push', target: { repository: 'team/app', tag: '2' }, request: { host: '127.0.0.1:5000' } }, { action: 'push', target: { repository: 'team/app', tag }, request: { host: '127.0.0.1:5000' } }] },
        /events\[1\]: tag .* may contain only/,
      );
    }
    await refused('POST', `${paz.scheduler}/hooks/dockerhub`, { push_data: { tag: '1' }, repository: { repo_url: 'x', repo_name: 'team/app;rm -rf' } }, /repository "team\/app;rm -rf" (contains|has an invalid)/);
    await refused('POST', `${paz.scheduler}/hooks/registry`, { events: [{ action: 'push', target: { repository: 'team/app', tag: '1' }, request: { host: 'evil\nhost' } }] }, /events\[0\]: repository/);
    assert.deepEqual(await latest(), {}, 'nothing refused was deployed');
    // a good tag still deploys
    const ok = await request('POST', `${paz.orchestrator}/services/target-svc/deploy`, { tag: 'v1.2_3-rc.1' });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.doc.image, '127.0.0.1:5000/team/app:v1.2_3-rc.1');
  });

  it('NUL, CR and LF are refused where they reach a container, a probe, a path or HAProxy', async () => {
    const url = `${paz.orchestrator}/services/target-svc/config/next`;
    const before = (await request('GET', url)).body;
    await refused('PATCH', url, { env: { A: 'x\r\nSet-Cookie: y' } }, /env A has a carriage return/);
    await refused('PATCH', url, { env: { A: 'x\u0000y' } }, /env A has a NUL/);
    await refused('PATCH', url, { command: ['sh', '-c', 'a\u0000b'] }, /command\[2\] has a NUL/);
    await refused('PATCH', url, { command: ['sh', '-c', '\u001b[2J'] }, /command\[2\] has a control character \(U\+001B\)/);
    await refused('PATCH', url, { volume: { '/srv/x\n': '/x' } }, /volume path/);
    await refused('PATCH', url, { volume: { '/srv/../etc': '/x' } }, /"\.\." segment/);
    await refused('PATCH', url, { ports: [{ container: 80 }], healthCheck: { path: '/up\r\nHost: x' } }, /healthCheck\.path/);
    await refused('PATCH', url, { conflictsWith: 'a*\nbackend evil' }, /conflictsWith/);
    await refused('PATCH', url, { mustShareWith: 'a\u0000' }, /mustShareWith/);
    await refused('POST', `${paz.orchestrator}/services`, { name: 'desc-svc', dockerRepository: 'x', description: 'bell\u0007' }, /description has a control character/);
    assert.deepEqual((await request('GET', url)).body, before, 'nothing refused was stored');
  });

  it('the pattern that froze the server answers at once', async () => {
    const glob = `${'a*'.repeat(14)}b`;
    const res = await request('PATCH', `${paz.orchestrator}/services/target-svc/config/next`, { conflictsWith: glob });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const svc = await request('POST', `${paz.orchestrator}/services`, { name: 'a'.repeat(50), dockerRepository: 'x' });
    assert.equal(svc.status, 201, JSON.stringify(svc.body));
    // placement matches the glob against every service on the host: with no host it still answers at once
    const dep = await request('POST', `${paz.orchestrator}/services/target-svc/deploy`, {});
    assert.equal(dep.status, 201, JSON.stringify(dep.body));
    assert.equal((await request('GET', `${paz.orchestrator}/health`)).status, 200);
  });

  it('__proto__ and constructor.prototype keys are refused, as fastify\'s own parser does', async () => {
    for (const text of ['{"name":"proto-svc","dockerRepository":"x","__proto__":{"isAdmin":true}}', '{"name":"proto-svc","dockerRepository":"x","env":{"constructor":{"prototype":{"x":1}}}}']) {
      const res = await refused('POST', `${paz.orchestrator}/services`, text, /__proto__.*constructor\.prototype.*remove or rename/);
      assert.equal(res.body.code, 'PAZ_BAD_JSON');
      await refused('POST', `${paz.scheduler}/hooks/dockerhub`, text, /__proto__/, { 'content-type': 'text/plain' });
    }
    assert.equal((await request('GET', `${paz.directory}/services/proto-svc`)).status, 404);
  });

  it('bad Last-Event-ID and since values are a 400, not a 500', async () => {
    await refused('GET', `${paz.orchestrator}/events`, undefined, /Last-Event-ID "abc" is not an event id/, { 'last-event-id': 'abc' });
    await refused('GET', `${paz.orchestrator}/events`, undefined, /Last-Event-ID/, { 'last-event-id': '-1' });
    await refused('GET', `${paz.orchestrator}/events`, undefined, /Last-Event-ID/, { 'last-event-id': '9'.repeat(40) });
    for (const since of ['abc', '-1', '1.5', '9'.repeat(40), '1e400', 'NaN', String(Number.MAX_SAFE_INTEGER)]) {
      await refused('GET', `${paz.orchestrator}/events?since=${since}`, undefined, /since/);
      await refused('GET', `${paz.orchestrator}/services/target-svc/units/target-svc-1/logs?since=${since}`, undefined, /since/);
    }
    for (const tail of ['abc', '-1', '1e9', '9'.repeat(40)]) await refused('GET', `${paz.orchestrator}/services/target-svc/units/target-svc-1/logs?tail=${tail}`, undefined, /tail/);
    for (const limit of ['abc', '0', '9'.repeat(40)]) await refused('GET', `${paz.scheduler}/journal?limit=${limit}`, undefined, /limit/);
    await refused('GET', `${paz.scheduler}/config/target-svc/version/${'9'.repeat(40)}`, undefined, /not a version number/);
    // a far-future revision waits for events rather than failing
    const ctl = new AbortController();
    const res = await fetch(`${paz.orchestrator}/events?since=${Number.MAX_SAFE_INTEGER - 1}`, { signal: ctl.signal });
    assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), String(res.status));
    ctl.abort();
    assert.equal((await request('GET', `${paz.orchestrator}/health`)).status, 200);
  });
});
