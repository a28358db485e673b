// Deploy hooks prove the cluster's webhook secret when auth is on (issue 9): a signature over the exact body
// (GitHub style) or the secret as a token. Anything else is a 401 that deploys and writes nothing. With auth
// off (--no-auth) they stay open, as the seed walkthrough needs. The secret never reaches a log line.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { keys } from '../src/core/keys.js';
import { isSealed, newSecretKey } from '../src/core/secret-box.js';
import { startControlPlane } from '../src/roles/control-plane.js';
import { pino } from 'pino';
import { signBody } from '../src/core/webhook-proof.js';
import { pazBin, request } from './helpers/paz-server.js';
import { InProcessPlane } from './helpers/in-process-plane.js';

const REPO = '127.0.0.1:5000/paz/hello';

interface Hook {
  path: string;
  /** a body that deploys service `svc` (of repository REPO) */
  body: (svc: string) => string;
}

// Each hook gets its own repository so pushes to one don't deploy the others' services.
const hooks: Hook[] = [
  { path: '/hooks/deploy', body: (svc) => JSON.stringify({ serviceName: svc }) },
  { path: '/hooks/dockerhub', body: (svc) => JSON.stringify({ push_data: { tag: '2', pusher: 'ci' }, repository: { repo_url: 'https://hub.docker.com/r/x', repo_name: `${REPO}-${svc}`, unknown_key: true } }) },
  {
    path: '/hooks/registry',
    // spacing and key order as a registry writes it: the signature is over these bytes, not a re-serialization
    body: (svc) => `{ "events": [ { "action": "push", "target": { "repository": "paz/hello-${svc}", "tag": "1", "mediaType": "application/vnd.docker.distribution.manifest.v2+json" }, "request": { "host": "127.0.0.1:5000" } } ] }\n`,
  },
];

describe('deploy hooks with auth on: only calls that prove the webhook secret deploy', () => {
  const p = new InProcessPlane('tokens');
  let secret: string;
  const oldSecrets: string[] = [];

  before(async () => {
    await p.start();
    for (const [i] of hooks.entries()) {
      await p.plane.ctx.directory.create({ name: `hooked-${i}`, dockerRepository: `${REPO}-hooked-${i}` });
    }
  });
  after(() => p.close());

  it('before anyone made a secret, every hook call is refused, and refusing writes none', async () => {
    const res = await request('POST', `${p.scheduler}/hooks/deploy`, hooks[0]!.body('hooked-0'), { authorization: 'Bearer guess' });
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.match(res.body.message, /no webhook secret yet.*paz webhook secret/);
    assert.equal(await p.store.get(keys.webhookSecret()), undefined);
    assert.equal(await p.plane.ctx.deploys.latestVersion('hooked-0'), 0);
    secret = (await p.secrets().current()).secret;
  });

  it('the secret is stored sealed under /paz/auth/, 32 random bytes', async () => {
    const kv = await p.store.get(keys.webhookSecret());
    assert.ok(kv, 'made when first asked for');
    assert.ok(!kv.value.includes(secret), 'not stored in plain text');
    assert.ok(isSealed(JSON.parse(kv.value).sealed));
    assert.equal(Buffer.from(secret, 'base64url').length, 32);
  });

  for (const [i, hook] of hooks.entries()) {
    const svc = `hooked-${i}`;
    const latest = () => p.plane.ctx.deploys.latestVersion(svc);

    /** Sends the call and checks it was refused with 401 and wrote nothing. */
    async function refused(what: string, url: string, body: string, headers: Record<string, string>): Promise<void> {
      const before = await p.written();
      const res = await request('POST', url, body, headers);
      assert.equal(res.status, 401, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'PAZ_UNAUTHENTICATED', what);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="paz-webhook"', what);
      assert.match(res.body.message, /X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>/, `${what}: the message says how to sign`);
      assert.ok((await p.written()) === before, `${what}: nothing deployed or written`);
    }

    /** Sends the call and checks it deployed a new version. */
    async function accepted(what: string, url: string, body: string, headers: Record<string, string>): Promise<void> {
      const was = await latest();
      const res = await request('POST', url, body, headers);
      assert.equal(res.status, 200, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(await latest(), was + 1, `${what}: a new version of ${svc}`);
    }

    it(`${hook.path}: no proof, a wrong one or one over another body is refused and deploys nothing`, async () => {
      const url = `${p.scheduler}${hook.path}`;
      const body = hook.body(svc);
      await refused('unsigned', url, body, {});
      await refused('unsigned, with an invalid body (401 before validation)', url, '{"nonsense": true}', {});
      await refused('wrong signature', url, body, { 'x-hub-signature-256': signBody('not-the-secret', body) });
      await refused('malformed signature', url, body, { 'x-hub-signature-256': secret });
      await refused('signature of another body (tampered)', url, body, { 'x-hub-signature-256': signBody(secret, body.replace('}', ', "x": 1}')) });
      await refused('signature of the same JSON re-serialized', url, body, { 'x-hub-signature-256': signBody(secret, JSON.stringify(JSON.parse(body), null, 1)) });
      await refused('wrong ?token=', `${url}?token=${secret.slice(0, -1)}`, body, {});
      await refused('wrong Bearer', url, body, { authorization: `Bearer ${secret}x` });
      await refused('the secret as Basic auth', url, body, { authorization: `Basic ${Buffer.from(`x:${secret}`).toString('base64')}` });
      await refused('wrong X-Paz-Webhook-Token', url, body, { 'x-paz-webhook-token': 'guess' });
      assert.equal(await latest(), 0);
    });

    it(`${hook.path}: a right signature, ?token=, Bearer or X-Paz-Webhook-Token deploys`, async () => {
      const url = `${p.scheduler}${hook.path}`;
      const body = hook.body(svc);
      await accepted('X-Hub-Signature-256', url, body, { 'x-hub-signature-256': signBody(secret, body) });
      await accepted('X-Paz-Signature-256', url, body, { 'x-paz-signature-256': signBody(secret, body) });
      await accepted('?token=', `${url}?token=${encodeURIComponent(secret)}`, body, {});
      await accepted('Authorization: Bearer', url, body, { authorization: `Bearer ${secret}` });
      await accepted('X-Paz-Webhook-Token', url, body, { 'x-paz-webhook-token': secret });
      const journal = await p.plane.ctx.deploys.journal({ service: svc });
      assert.equal(journal.length, 5, 'one journal entry per accepted call');
    });
  }

  it('after a rotation the old secret is refused and the new one deploys', async () => {
    oldSecrets.push(secret);
    const rotated = (await p.secrets().rotate()).secret;
    assert.notEqual(rotated, secret);
    const hook = hooks[0]!;
    const body = hook.body('hooked-0');
    const url = `${p.scheduler}${hook.path}`;
    const before = await p.written();
    const oldProofs: Array<Record<string, string>> = [{ 'x-hub-signature-256': signBody(secret, body) }, { authorization: `Bearer ${secret}` }];
    for (const headers of oldProofs) {
      const res = await request('POST', url, body, headers);
      assert.equal(res.status, 401, JSON.stringify(res.body));
    }
    assert.equal((await request('POST', `${url}?token=${secret}`, body)).status, 401);
    assert.ok((await p.written()) === before, 'the old secret deployed nothing');
    secret = rotated;
    const res = await request('POST', url, body, { 'x-hub-signature-256': signBody(secret, body) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  it('a deployer or admin API token deploys through a hook too, journalled by its name; read-only gets 403', async () => {
    const deployer = await p.plane.ctx.tokens.create('ci-deployer', 'deployer', 'test');
    const reader = await p.plane.ctx.tokens.create('ci-reader', 'read-only', 'test');
    const body = hooks[0]!.body('hooked-0');
    const url = `${p.scheduler}${hooks[0]!.path}`;
    const before = await p.written();
    const refused = await request('POST', url, body, { authorization: `Bearer ${reader.token}` });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.match(refused.body.message, /needs a deployer or admin token, or the webhook secret/);
    assert.ok((await p.written()) === before, 'the read-only token deployed nothing');
    const res = await request('POST', url, body, { authorization: `Bearer ${deployer.token}` });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    /** the newest deploy entry of hooked-0 in the journal (newest first) */
    const newestDeploy = async () => {
      const journal = await request('GET', `${p.scheduler}/journal?service=hooked-0`, undefined, { authorization: `Bearer ${deployer.token}` });
      assert.equal(journal.status, 200, JSON.stringify(journal.body));
      return (journal.body.doc as Array<{ event: string; version: number; actor?: string }>).find((e) => e.event === 'deploy');
    };
    assert.equal((await newestDeploy())?.actor, 'ci-deployer');
    // and a call proven by the secret is journalled as "webhook"
    assert.equal((await request('POST', url, body, { 'x-hub-signature-256': signBody(secret, body) })).status, 200);
    assert.equal((await newestDeploy())?.actor, 'webhook');
  });

  it('a server with another secrets key answers 503 SECRETS_KEY_MISMATCH saying why, not a 500', async () => {
    const other = await startControlPlane({ store: p.store, logger: pino({ level: 'silent' }), bind: '127.0.0.1', advertise: '127.0.0.1', ports: { orchestrator: 0, directory: 0, scheduler: 0 }, auth: 'tokens', secretKey: newSecretKey() });
    try {
      const body = hooks[0]!.body('hooked-0');
      const before = await p.written();
      const res = await request('POST', `http://127.0.0.1:${other.ports.scheduler}${hooks[0]!.path}`, body, { 'x-hub-signature-256': signBody(secret, body) });
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.equal(res.body.code, 'PAZ_SECRETS_KEY_MISMATCH');
      assert.match(res.body.message, /sealed with key .* but this host has key .*PAZ_SECRETS_KEY/);
      assert.ok((await p.written()) === before, 'nothing deployed');
    } finally {
      await other.stop();
    }
  });

  it('the secret never appears in a log line, and logged URLs show token=[redacted]', async () => {
    assert.match(p.log, /"url":"\/hooks\/deploy\?token=\[redacted\]"/, 'request URLs are logged, redacted');
    for (const s of [secret, ...oldSecrets]) {
      assert.ok(!p.log.includes(s), 'a secret was logged');
      assert.ok(!p.log.includes(encodeURIComponent(s)), 'a secret was logged (URL-encoded)');
    }
  });
});

describe('deploy hooks with auth off (--no-auth): open, as in Paz', () => {
  const p = new InProcessPlane('off');
  before(async () => {
    await p.start();
    await p.plane.ctx.directory.create({ name: 'open-service', dockerRepository: REPO });
  });
  after(() => p.close());

  it('an unsigned /hooks/deploy deploys, as the seed walkthrough does with curl', async () => {
    const res = await request('POST', `${p.scheduler}/hooks/deploy`, { serviceName: 'open-service', dockerRepository: REPO, pushedAt: 1 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(await p.plane.ctx.deploys.latestVersion('open-service'), 1);
  });

  it('GET /auth/webhook-secret shows the secret with setup for the announced scheduler; rotate replaces it', async () => {
    const shown = await request('GET', `${p.orchestrator}/auth/webhook-secret`);
    assert.equal(shown.status, 200, JSON.stringify(shown.body));
    const doc = shown.body.doc;
    assert.equal(doc.secret, (await p.secrets().current()).secret, 'the stored secret');
    assert.equal(doc.enforced, false);
    assert.match(doc.fingerprint, /^[0-9a-f]{12}$/);
    assert.equal(doc.setup.dockerhub.url, `${p.scheduler}/hooks/dockerhub?token=${doc.secret}`);
    assert.deepEqual(doc.setup.registry.headers, { Authorization: [`Bearer ${doc.secret}`] });
    assert.equal((await request('GET', `${p.orchestrator}/auth/webhook-secret`)).body.doc.secret, doc.secret, 'the same secret on every read');

    const rotated = await request('POST', `${p.orchestrator}/auth/webhook-secret/rotate`);
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    assert.notEqual(rotated.body.doc.secret, doc.secret);
    assert.equal((await p.secrets().current()).secret, rotated.body.doc.secret);
    assert.ok(!p.log.includes(doc.secret) && !p.log.includes(rotated.body.doc.secret), 'no secret in the log');
  });

  it('paz webhook secret [--rotate] prints the secret and the setup', async () => {
    const run = (...args: string[]) => promisify(execFile)(process.execPath, [pazBin, 'webhook', 'secret', '--url', p.orchestrator, ...args], { encoding: 'utf8' });
    const current = (await p.secrets().current()).secret;
    const shown = await run();
    assert.match(shown.stdout, new RegExp(`^webhook secret: ${current} `));
    assert.ok(shown.stdout.includes(`${p.scheduler}/hooks/dockerhub?token=${current}`));
    assert.match(shown.stdout, /auth is off/);
    const rotated = await run('--rotate', '--json');
    const doc = JSON.parse(rotated.stdout);
    assert.notEqual(doc.secret, current);
    assert.equal((await p.secrets().current()).secret, doc.secret);
  });
});
