// The dashboard's serving (issue 10): the built app at /ui/ needs no token while the API still does;
// unknown /ui/* paths are the app's own routes (index.html, not cached); hashed assets are cached for a year;
// a browser opening / lands on /ui/ while API clients keep a 404; GET /auth/whoami names the token.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PazProcess, request } from './helpers/paz-server.js';

describe('dashboard serving with auth on', () => {
  const paz = new PazProcess({ role: 'up', auth: true, extraArgs: ['--no-agent'] });
  let readOnly = '';
  before(async () => {
    await paz.start();
    readOnly = (await request('POST', `${paz.orchestrator}/auth/tokens`, { name: 'viewer', role: 'read-only' }, paz.authHeaders())).body.token;
  });
  after(() => paz.close());

  it('serves the app at /ui/ without a token, and its routes fall back to index.html', async () => {
    for (const path of ['/ui/', '/ui/services', '/ui/some/deep/route']) {
      const res = await fetch(`${paz.orchestrator}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.match(await res.text(), /<div id="root"><\/div>/);
    }
    const bare = await fetch(`${paz.orchestrator}/ui`, { redirect: 'manual' });
    assert.equal(bare.status, 302);
    assert.equal(bare.headers.get('location'), '/ui/');
  });

  it('serves hashed assets with a year of cache; a missing one is a 404, not the app', async () => {
    const html = await (await fetch(`${paz.orchestrator}/ui/`)).text();
    const script = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'index.html loads a hashed script');
    const res = await fetch(`${paz.orchestrator}${script}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /javascript/);
    assert.match(res.headers.get('cache-control') ?? '', /max-age=31536000.*immutable/);
    const missing = await request('GET', `${paz.orchestrator}/ui/assets/index-nothere.js`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'PAZ_ROUTE_NOT_FOUND');
    const traversal = await fetch(`${paz.orchestrator}/ui/assets/..%2f..%2fsrc%2fversion.js`);
    assert.equal(traversal.status, 404);
  });

  it('the API still needs a token', async () => {
    assert.equal((await request('GET', `${paz.orchestrator}/services`)).status, 401);
    assert.equal((await request('GET', `${paz.orchestrator}/cluster`)).status, 401);
  });

  it('GET / sends a browser to /ui/; an API client gets a 404 that points to /docs', async () => {
    const browser = await fetch(`${paz.orchestrator}/`, { redirect: 'manual', headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    assert.equal(browser.status, 302);
    assert.equal(browser.headers.get('location'), '/ui/');
    const client = await request('GET', `${paz.orchestrator}/`, undefined, { accept: 'application/json' });
    assert.equal(client.status, 404);
    assert.match(client.body.message, /\/docs/);
  });

  it('GET /auth/whoami names the token and its role; without a valid token it is 401', async () => {
    assert.deepEqual((await request('GET', `${paz.orchestrator}/auth/whoami`, undefined, paz.authHeaders())).body, { name: 'admin', role: 'admin' });
    assert.deepEqual((await request('GET', `${paz.orchestrator}/auth/whoami`, undefined, paz.authHeaders(readOnly))).body, { name: 'viewer', role: 'read-only' });
    assert.equal((await request('GET', `${paz.orchestrator}/auth/whoami`)).status, 401);
    assert.equal((await request('GET', `${paz.orchestrator}/auth/whoami`, undefined, paz.authHeaders('paz_nope'))).status, 401);
  });
});

describe('dashboard serving with --no-auth', () => {
  const paz = new PazProcess({ role: 'up', extraArgs: ['--no-agent'] });
  before(() => paz.start());
  after(() => paz.close());

  it('GET /auth/whoami says auth is off: everyone is anonymous admin', async () => {
    assert.deepEqual((await request('GET', `${paz.orchestrator}/auth/whoami`)).body, { name: 'anonymous', role: 'admin', auth: 'off' });
  });
});
