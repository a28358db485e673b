// test-lane: light
// The big list answers (GET /cluster/units, /services, …) as HTTP serves a big, often-polled document, on a
// real `paz server` with tokens on: compressed as the client's Accept-Encoding allows (decoding to exactly
// the identity bytes), a strong ETag that changes when a unit changes and gives a 304 when sent back, and
// nothing of it before the token check. The units are written into the server's SQLite store by this test,
// as agents write them, so the answer is big enough to be compressed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { PazProcess, runPaz } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { keys } from '../src/core/keys.js';
import { PazClient } from '../src/client/paz-client.js';
import type { DesiredUnit, HostRecord, UnitStatus } from '../src/core/records.js';

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  /** the bytes on the wire, not decoded */
  body: Buffer;
}

/** A GET with exactly these headers (node:http adds no Accept-Encoding), the body as sent. */
function get(port: number, path: string, headers: OutgoingHttpHeaders, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(20_000, () => req.destroy(new Error(`GET ${path}: no answer within 20 s`)));
    req.on('error', reject);
    req.end();
  });
}

const UNITS = 40;
const HOST = 'enc-host-1';

function host(at: number): HostRecord {
  // a long lease: its heartbeat stays fresh for the whole test, so its `healthy` (and the hosts' answers) stay put
  return { id: HOST, hostname: HOST, ip: '127.0.0.1', labels: {}, cpus: 2, memoryBytes: 2 ** 30, version: 'test', agentUrl: 'http://127.0.0.1:1', driver: 'process', startedAt: 1, heartbeatAt: at, heartbeatTtlSeconds: 3600 };
}

/** Another host, with labels enough to make 30 of them a list worth compressing. */
function otherHost(id: string, extra: Partial<HostRecord> = {}): HostRecord {
  const labels = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`rack-label-${i}`, `value-${id}-${i}`]));
  return { ...host(Date.now()), id, hostname: `${id}.example`, labels, ...extra };
}

function decoded(r: Raw): Buffer {
  const coding = r.headers['content-encoding'];
  return coding === 'gzip' ? gunzipSync(r.body) : coding === 'br' ? brotliDecompressSync(r.body) : r.body;
}

function desired(instance: number): DesiredUnit {
  return {
    unit: `enc-svc-1-${instance}`,
    service: 'enc-svc',
    version: 1,
    instance,
    host: HOST,
    spec: { image: '127.0.0.1:5000/team/enc-svc:1', ports: [], env: {}, volumes: [], stopGraceSeconds: 1 },
    createdAt: 1,
  };
}

function status(instance: number, restarts: number): UnitStatus {
  return { unit: `enc-svc-1-${instance}`, host: HOST, state: 'healthy', healthy: true, restarts, image: 'img', updatedAt: 1, lastProbe: { at: 1, ok: true } };
}

describe('compressed answers, ETags and 304s on a real server', () => {
  const paz = new PazProcess({ auth: true });
  let store: SqliteStore;
  let port: number;
  let auth: Record<string, string>;

  before(async () => {
    await paz.start();
    port = paz.ports.orchestrator;
    auth = paz.authHeaders();
    store = new SqliteStore(join(paz.dataDir, 'paz.db'));
    await store.put(keys.host(HOST), JSON.stringify(host(Date.now())));
    await store.put(keys.latest('enc-svc'), '1');
    for (let i = 1; i <= UNITS; i++) {
      await store.put(keys.desiredUnit('enc-svc', `enc-svc-1-${i}`), JSON.stringify(desired(i)));
      await store.put(keys.unitStatus(`enc-svc-1-${i}`), JSON.stringify(status(i, 0)));
    }
    await waitFor(`${UNITS} units at GET /cluster/units`, async () => {
      const r = await get(port, '/cluster/units', auth);
      return r.status === 200 && (JSON.parse(r.body.toString()) as unknown[]).length === UNITS;
    });
  });
  after(async () => {
    await store?.close();
    await paz.close();
  });

  it('gzip and br decode to exactly the identity bytes, with Vary, a correct Content-Length and a tag per coding', async () => {
    const identity = await get(port, '/cluster/units', auth);
    assert.equal(identity.status, 200);
    assert.equal(identity.headers['content-encoding'], undefined);
    assert.equal(identity.headers['vary'], 'Accept-Encoding');
    assert.equal(identity.headers['content-type'], 'application/json');
    assert.equal(Number(identity.headers['content-length']), identity.body.length);
    assert.match(identity.headers.etag!, /^"[A-Za-z0-9_-]{27}"$/);
    assert.ok(identity.body.length > 10_000, `the answer is ${identity.body.length} bytes`);

    const gz = await get(port, '/cluster/units', { ...auth, 'accept-encoding': 'gzip, deflate' });
    assert.equal(gz.status, 200);
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers['vary'], 'Accept-Encoding');
    assert.equal(Number(gz.headers['content-length']), gz.body.length);
    assert.ok(gz.body.length < identity.body.length / 5, `gzip ${gz.body.length} of ${identity.body.length} bytes`);
    assert.deepEqual(gunzipSync(gz.body), identity.body);
    assert.equal(gz.headers.etag, `${identity.headers.etag!.slice(0, -1)}-gzip"`);

    const br = await get(port, '/cluster/units', { ...auth, 'accept-encoding': 'gzip, deflate, br, zstd' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(Number(br.headers['content-length']), br.body.length);
    assert.deepEqual(brotliDecompressSync(br.body), identity.body);
    assert.notEqual(br.headers.etag, gz.headers.etag);

    // the same bytes again: made once, not per request
    const again = await get(port, '/cluster/units', { ...auth, 'accept-encoding': 'gzip' });
    assert.deepEqual(again.body, gz.body);

    // HEAD: the headers of the GET, no body
    const head = await get(port, '/cluster/units', { ...auth, 'accept-encoding': 'gzip' }, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-encoding'], 'gzip');
    assert.equal(head.body.length, 0);
  });

  it('no compression when it is not accepted, refused with q=0, or not offered', async () => {
    for (const ae of ['gzip;q=0', 'gzip;q=0, br;q=0', 'identity', 'deflate', '*;q=0', 'br;q=0, gzip;q=0, *']) {
      const r = await get(port, '/cluster/units', { ...auth, 'accept-encoding': ae });
      assert.equal(r.status, 200, ae);
      assert.equal(r.headers['content-encoding'], undefined, `Accept-Encoding: ${ae}`);
      assert.ok(Array.isArray(JSON.parse(r.body.toString())), ae);
    }
    // a coding named beats the wildcard
    assert.equal((await get(port, '/cluster/units', { ...auth, 'accept-encoding': 'br;q=0, *' })).headers['content-encoding'], 'gzip');
  });

  it('If-None-Match with the current tag gets a 304 without a body; the tag changes when a unit changes', async () => {
    const first = await get(port, '/cluster/units', { ...auth, 'accept-encoding': 'gzip' });
    const tag = first.headers.etag!;
    const notModified = await get(port, '/cluster/units', { ...auth, 'accept-encoding': 'gzip', 'if-none-match': tag });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body.length, 0);
    assert.equal(notModified.headers.etag, tag);
    assert.equal(notModified.headers['vary'], 'Accept-Encoding');
    assert.ok(notModified.headers['x-paz-revision'], 'a 304 still names the revision');
    // as browsers send it: a list, weak or not
    assert.equal((await get(port, '/cluster/units', { ...auth, 'accept-encoding': 'gzip', 'if-none-match': `"stale", W/${tag}` })).status, 304);
    // the gzip tag does not stand for the identity representation
    const otherCoding = await get(port, '/cluster/units', { ...auth, 'if-none-match': tag });
    assert.equal(otherCoding.status, 200);
    assert.equal(otherCoding.headers['content-encoding'], undefined);

    // a unit changes (its agent reports a restart): a new tag, and the old one gets the whole new answer
    await store.put(keys.unitStatus('enc-svc-1-7'), JSON.stringify(status(7, 3)));
    const changed = await waitFor('a new ETag after the unit changed', async () => {
      const r = await get(port, '/cluster/units', { ...auth, 'accept-encoding': 'gzip', 'if-none-match': tag });
      return r.status === 200 ? r : undefined;
    }, 20_000, 50);
    assert.notEqual(changed.headers.etag, tag);
    const units = JSON.parse(gunzipSync(changed.body).toString()) as Array<{ name: string; restarts: number }>;
    assert.equal(units.find((u) => u.name === 'enc-svc-1-7')?.restarts, 3);
    assert.equal((await get(port, '/cluster/units', { ...auth, 'accept-encoding': 'gzip', 'if-none-match': changed.headers.etag })).status, 304);

    // a write that leaves the answer's bytes as they were keeps its tag: pollers still get 304s
    const rewritten = await store.put(keys.unitStatus('enc-svc-1-7'), JSON.stringify(status(7, 3)));
    const same = await waitFor('an answer at the rewrite\'s revision', async () => {
      const r = await get(port, '/cluster/units', { ...auth, 'accept-encoding': 'gzip', 'if-none-match': changed.headers.etag });
      return Number(r.headers['x-paz-revision']) >= rewritten ? r : undefined;
    }, 20_000, 50);
    assert.equal(same.status, 304);
  });

  it('hostile Accept-Encoding and If-None-Match values get a normal answer, never a 500', async () => {
    const identity = await get(port, '/cluster/units', auth);
    const values = ['x'.repeat(8000), 'gzip;q=abc', ',,,;;;q=', 'gzip;q=-1', 'gzip;q=1e999', '\u00ff\u00fe', 'gzip,'.repeat(1500), ';=;=;', 'W/', '*;q=0.'];
    for (const value of values) {
      for (const header of ['accept-encoding', 'if-none-match']) {
        const r = await get(port, '/cluster/units', { ...auth, [header]: value });
        assert.ok(r.status === 200 || (header === 'if-none-match' && r.status === 304 && value.trim() === '*'), `${header}: ${value.slice(0, 30)} -> ${r.status}`);
        const body = r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.headers['content-encoding'] === 'br' ? brotliDecompressSync(r.body) : r.body;
        assert.deepEqual(body, identity.body, `${header}: ${value.slice(0, 30)}`);
      }
    }
    // past Node's header size limit: refused by the HTTP parser with a 4xx, the server goes on
    const tooBig = await get(port, '/cluster/units', { ...auth, 'if-none-match': '"a",'.repeat(10_000) });
    assert.equal(tooBig.status, 431);
    assert.equal((await get(port, '/cluster/units', auth)).status, 200);
  });

  it('a request without a valid token gets a 401 with no ETag and none of the answer', async () => {
    const good = await get(port, '/cluster/units', { ...auth, 'accept-encoding': 'gzip' });
    for (const headers of [{}, { authorization: 'Bearer not-a-token' }]) {
      for (const extra of [{ 'accept-encoding': 'gzip, br' }, { 'if-none-match': good.headers.etag! }, { 'if-none-match': '*' }]) {
        const r = await get(port, '/cluster/units', { ...headers, ...extra });
        assert.equal(r.status, 401, JSON.stringify(extra));
        assert.equal(r.headers.etag, undefined);
        assert.equal(r.headers['content-encoding'], undefined);
        assert.equal(r.headers['x-paz-revision'], undefined);
        const body = JSON.parse(r.body.toString()) as { code: string };
        assert.equal(body.code, 'PAZ_UNAUTHENTICATED');
        assert.doesNotMatch(r.body.toString(), /enc-svc/);
      }
    }
  });

  it('the other kept lists go the same way: /services compressed and tagged; small answers stay identity', async () => {
    for (let i = 0; i < 12; i++) {
      const made = await fetch(`${paz.orchestrator}/services`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `enc-list-${i}`, dockerRepository: `127.0.0.1:5000/team/enc-list-${i}`}),
      });
      assert.equal(made.status, 201, await made.text());
    }
    const identity = await get(port, '/services', auth);
    const gz = await get(port, '/services', { ...auth, 'accept-encoding': 'gzip' });
    assert.ok(identity.body.length >= 1024, `/services is ${identity.body.length} bytes`);
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(gz.body), identity.body);
    assert.equal((await get(port, '/services', { ...auth, 'accept-encoding': 'gzip', 'if-none-match': gz.headers.etag! })).status, 304);
    // one service's units: none, a tiny answer, sent as it is
    const small = await get(port, '/services/enc-list-0/units', { ...auth, 'accept-encoding': 'gzip' });
    assert.equal(small.status, 200);
    assert.equal(small.headers['content-encoding'], undefined);
    assert.equal(small.headers['vary'], undefined);
    assert.ok(small.headers.etag);
  });

  it('fetch asks for gzip by itself and the CLI\'s client for br: both get the same JSON; the CLI lists the units', async () => {
    const identity = JSON.parse((await get(port, '/cluster/units', auth)).body.toString()) as unknown;
    const res = await fetch(`${paz.orchestrator}/cluster/units`, { headers: auth });
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    assert.deepEqual(await res.json(), identity);
    // the CLI's client (node:http, not fetch)
    const client = new PazClient({ url: paz.orchestrator, token: paz.token, profiles: false });
    const raw = await client.raw('GET', `${paz.orchestrator}/cluster/units`);
    assert.equal(raw.headers['content-encoding'], 'br');
    assert.deepEqual(raw.body, identity);
    // small and error answers come as they are
    const missing = await client.raw('GET', `${paz.orchestrator}/cluster/units/nope`);
    assert.equal(missing.status, 404);
    assert.equal((missing.body as { code: string }).code, 'PAZ_UNIT_NOT_FOUND');
    const cli = await runPaz(['units', '--json'], '', paz.cliEnv);
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(JSON.parse(cli.stdout), identity);
  });
  describe('the cluster summary, the hosts and the health answers', () => {
    const HOSTS = 30;
    before(async () => {
      for (let i = 1; i <= HOSTS; i++) await store.put(keys.host(`enc-many-${i}`), JSON.stringify(otherHost(`enc-many-${i}`)));
      await waitFor(`${HOSTS + 1} hosts at GET /cluster/hosts`, async () => {
        const r = await get(port, '/cluster/hosts', auth);
        return r.status === 200 && (JSON.parse(r.body.toString()) as unknown[]).length === HOSTS + 1;
      });
    });

    it('GET /cluster/hosts: gzip and br decode to the identity bytes; a tag per coding and a 304 for it; a new tag when a host changes', async () => {
      const identity = await get(port, '/cluster/hosts', auth);
      assert.equal(identity.status, 200);
      assert.ok(identity.body.length > 10_000, `the answer is ${identity.body.length} bytes`);
      assert.equal(identity.headers['content-encoding'], undefined);
      assert.equal(identity.headers.vary, 'Accept-Encoding');
      assert.equal(identity.headers['cache-control'], 'no-cache');
      assert.match(identity.headers.etag!, /^"[A-Za-z0-9_-]{27}"$/);
      for (const [ae, coding] of [['gzip', 'gzip'], ['br, gzip', 'br']]) {
        const r = await get(port, '/cluster/hosts', { ...auth, 'accept-encoding': ae });
        assert.equal(r.headers['content-encoding'], coding);
        assert.equal(Number(r.headers['content-length']), r.body.length);
        assert.ok(r.body.length < identity.body.length / 4, `${coding}: ${r.body.length} of ${identity.body.length} bytes`);
        assert.deepEqual(decoded(r), identity.body, coding);
        assert.equal(r.headers.etag, `${identity.headers.etag!.slice(0, -1)}-${coding}"`);
        const again = await get(port, '/cluster/hosts', { ...auth, 'accept-encoding': ae, 'if-none-match': r.headers.etag! });
        assert.equal(again.status, 304, coding);
        assert.equal(again.body.length, 0);
        assert.ok(again.headers['x-paz-revision']);
      }
      // one host's record changes (its agent heartbeats with new labels): a new tag, the old one gets the new answer
      const tag = (await get(port, '/cluster/hosts', { ...auth, 'accept-encoding': 'gzip' })).headers.etag!;
      await store.put(keys.host('enc-many-3'), JSON.stringify(otherHost('enc-many-3', { labels: { zone: 'moved' } })));
      const changed = await waitFor('a new ETag after the host changed', async () => {
        const r = await get(port, '/cluster/hosts', { ...auth, 'accept-encoding': 'gzip', 'if-none-match': tag });
        return r.status === 200 ? r : undefined;
      }, 20_000, 50);
      assert.notEqual(changed.headers.etag, tag);
      const hosts = JSON.parse(decoded(changed).toString()) as Array<{ ID: string; Metadata: Record<string, string> }>;
      assert.deepEqual(hosts.find((h) => h.ID === 'enc-many-3')?.Metadata, { zone: 'moved' });
      assert.equal((await get(port, '/cluster/hosts', { ...auth, 'accept-encoding': 'gzip', 'if-none-match': changed.headers.etag! })).status, 304);

      // one host, by id: tagged the same way
      const one = await get(port, `/cluster/hosts/${HOST}`, auth);
      assert.equal(one.status, 200);
      assert.equal((await get(port, `/cluster/hosts/${HOST}`, { ...auth, 'if-none-match': one.headers.etag! })).status, 304);
      assert.equal((await get(port, '/cluster/hosts/enc-nope', { ...auth, 'if-none-match': '*' })).status, 404);
    });

    it('a host whose heartbeat grows old changes the answer with no write: the old tag gets the new answer, never a 304', async () => {
      const fresh = (ttl: number) => otherHost('enc-late', { heartbeatAt: Date.now(), heartbeatTtlSeconds: ttl });
      // seen while its 3 s heartbeat is fresh: on a busy machine that may take more than one beat
      let beatAt = 0;
      const seen = await waitFor('enc-late listed, healthy', async () => {
        if (Date.now() - beatAt > 2000) {
          beatAt = Date.now();
          await store.put(keys.host('enc-late'), JSON.stringify(fresh(3)));
        }
        const r = await get(port, '/cluster/hosts', { ...auth, 'accept-encoding': 'gzip' });
        const late = (JSON.parse(decoded(r).toString()) as Array<{ ID: string; healthy: boolean }>).find((h) => h.ID === 'enc-late');
        return late?.healthy === true ? r : undefined;
      }, 20_000, 20);
      const written = (await store.get(keys.host('enc-late')))!.modRevision;
      const summary = await get(port, '/cluster', auth);
      // its heartbeat passes its 3 s lease (the lease itself is not enforced by SQLite): no write, yet no longer healthy
      const stale = await waitFor('the answer after the heartbeat grew old', async () => {
        const r = await get(port, '/cluster/hosts', { ...auth, 'accept-encoding': 'gzip', 'if-none-match': seen.headers.etag! });
        return r.status === 200 ? r : undefined;
      }, 20_000, 100);
      assert.equal((await store.get(keys.host('enc-late')))!.modRevision, written, 'its record was not written meanwhile');
      assert.notEqual(stale.headers.etag, seen.headers.etag);
      const late = (JSON.parse(decoded(stale).toString()) as Array<{ ID: string; healthy: boolean }>).find((h) => h.ID === 'enc-late');
      assert.equal(late?.healthy, false);
      // the summary counts it too: its old tag no longer holds either
      const summaryNow = await get(port, '/cluster', { ...auth, 'if-none-match': summary.headers.etag! });
      assert.equal(summaryNow.status, 200);
      assert.equal((JSON.parse(summaryNow.body.toString()) as { healthyHostCount: number }).healthyHostCount, (JSON.parse(summary.body.toString()) as { healthyHostCount: number }).healthyHostCount - 1);
      await store.put(keys.host('enc-late'), JSON.stringify(fresh(3600)));
    });

    it('GET /cluster: small, so tagged but not compressed', async () => {
      const r = await get(port, '/cluster', { ...auth, 'accept-encoding': 'gzip, br' });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-encoding'], undefined);
      assert.equal(r.headers.vary, undefined);
      assert.ok(r.headers.etag);
      assert.equal((JSON.parse(r.body.toString()) as { hostCount: number }).hostCount >= HOSTS + 1, true);
      assert.equal((await get(port, '/cluster', { ...auth, 'if-none-match': r.headers.etag! })).status, 304);
    });

    it('health answers are compressed when big, but never tagged: they are new at every request (checkedAt, ages)', async () => {
      const made = await fetch(`${paz.orchestrator}/services`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'enc-health', dockerRepository: '127.0.0.1:5000/team/enc-health' }) });
      assert.equal(made.status, 201, await made.text());
      const big = await get(port, '/cluster/health', { ...auth, 'accept-encoding': 'gzip', 'if-none-match': '*' });
      assert.equal(big.status, 200, 'If-None-Match: * does not make an untagged answer a 304');
      assert.equal(big.headers['content-encoding'], 'gzip');
      assert.equal(big.headers.vary, 'Accept-Encoding');
      assert.equal(big.headers.etag, undefined);
      const health = JSON.parse(decoded(big).toString()) as { hosts: Array<{ id: string }>; checkedAt: number };
      assert.ok(health.hosts.length >= HOSTS + 1);
      const br = await get(port, '/cluster/health', { ...auth, 'accept-encoding': 'br' });
      assert.equal(br.headers['content-encoding'], 'br');
      assert.ok((JSON.parse(decoded(br).toString()) as { checkedAt: number }).checkedAt >= health.checkedAt);
      const identity = await get(port, '/cluster/health', auth);
      assert.equal(identity.headers['content-encoding'], undefined);
      assert.equal(Number(identity.headers['content-length']), identity.body.length);
      for (const path of [`/cluster/hosts/${HOST}/health`, '/services/enc-health/health']) {
        const r = await get(port, path, { ...auth, 'accept-encoding': 'gzip', 'if-none-match': '*' });
        assert.equal(r.status, 200, path);
        assert.equal(r.headers.etag, undefined, path);
        assert.ok(r.headers['x-paz-revision'], path);
        JSON.parse(decoded(r).toString());
      }
      assert.equal((await get(port, '/services/enc-nope/health', { ...auth, 'accept-encoding': 'gzip' })).status, 404);
    });

    const NEW_PATHS = ['/cluster', '/cluster/hosts', `/cluster/hosts/${HOST}`, '/cluster/health', `/cluster/hosts/${HOST}/health`];

    it('hostile Accept-Encoding and If-None-Match values get a normal answer there too, never a 500', async () => {
      const values = ['x'.repeat(8000), 'gzip;q=abc', ',,,;;;q=', 'gzip;q=-1', 'gzip;q=1e999', '\u00ff\u00fe', 'gzip,'.repeat(1500), ';=;=;', 'W/', '*;q=0.', '*', '"', 'W/"'];
      for (const path of NEW_PATHS) {
        for (const value of values) {
          for (const header of ['accept-encoding', 'if-none-match']) {
            const r = await get(port, path, { ...auth, [header]: value });
            const notModified = header === 'if-none-match' && value === '*' && !path.endsWith('/health');
            assert.equal(r.status, notModified ? 304 : 200, `${path} ${header}: ${value.slice(0, 30)}`);
            if (r.status === 200) JSON.parse(decoded(r).toString());
          }
        }
      }
    });

    it('a request without a valid token gets a 401 with no ETag, no coding and none of the answer', async () => {
      for (const path of NEW_PATHS) {
        for (const headers of [{}, { authorization: 'Bearer not-a-token' }]) {
          for (const extra of [{ 'accept-encoding': 'gzip, br' }, { 'if-none-match': '*' }]) {
            const r = await get(port, path, { ...headers, ...extra });
            assert.equal(r.status, 401, `${path} ${JSON.stringify(extra)}`);
            assert.equal(r.headers.etag, undefined);
            assert.equal(r.headers['content-encoding'], undefined);
            assert.equal(r.headers['x-paz-revision'], undefined);
            assert.equal((JSON.parse(r.body.toString()) as { code: string }).code, 'PAZ_UNAUTHENTICATED');
            assert.doesNotMatch(r.body.toString(), /enc-many|enc-host|rack-label/);
          }
        }
      }
    });

    it('the API reference documents revalidation and compression for exactly the GETs that do them, on all three APIs', async () => {
      const made = await fetch(`${paz.orchestrator}/services`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'enc-docs', dockerRepository: '127.0.0.1:5000/team/enc-docs' }) });
      assert.ok(made.status === 201, await made.text());
      interface Op {
        parameters?: Array<{ in: string; name: string }>;
        responses: Record<string, { headers?: Record<string, unknown> }>;
      }
      const tagged: string[] = [];
      const compressed: string[] = [];
      const unreached: string[] = [];
      for (const base of [paz.orchestrator, paz.directory, paz.scheduler]) {
        const doc = (await (await fetch(`${base}/openapi.json`, { headers: auth })).json()) as { paths: Record<string, { get?: Op }> };
        for (const [path, item] of Object.entries(doc.paths)) {
          const op = item.get;
          if (!op) continue;
          // path parameters from this test's fixtures; others stay as they are (and may get a 4xx)
          const url = path
            .replace(/^\/cluster\/hosts\/\{id\}/, `/cluster/hosts/${HOST}`)
            .replace(/^\/cluster\/units\/\{id\}/, '/cluster/units/enc-svc-1-1')
            .replace('{name}', 'enc-docs');
          const ctl = new AbortController();
          const res = await fetch(`${base}${url}`, { headers: { ...auth, 'accept-encoding': 'gzip' }, signal: ctl.signal });
          ctl.abort(); // the headers are what this looks at (and /events never ends)
          const where = `${base === paz.orchestrator ? 'orchestrator' : base === paz.directory ? 'directory' : 'scheduler'} GET ${path}`;
          const headerParams = new Set((op.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()));
          const okHeaders = Object.keys(op.responses['200']?.headers ?? {}).map((h) => h.toLowerCase());
          const documentsTags = op.responses['304'] !== undefined;
          const documentsCoding = okHeaders.includes('content-encoding');
          if (res.status !== 200) {
            if (documentsTags || documentsCoding) unreached.push(`${where} -> ${res.status}`);
            continue;
          }
          const sendsTags = res.headers.get('etag') !== null;
          assert.equal(documentsTags, sendsTags, `${where}: ${sendsTags ? 'sends an ETag but does not document the 304' : 'documents a 304 but sends no ETag'}`);
          if (sendsTags) {
            tagged.push(path);
            assert.ok(okHeaders.includes('etag') && okHeaders.includes('cache-control'), `${where}: its 200 documents ETag and Cache-Control`);
            assert.ok(headerParams.has('if-none-match'), `${where}: documents the If-None-Match request header`);
            assert.ok(Object.keys(op.responses['304'].headers ?? {}).includes('ETag'), `${where}: its 304 documents ETag`);
          }
          if (res.headers.get('content-encoding') !== null || res.headers.get('vary') === 'Accept-Encoding') {
            compressed.push(path);
            assert.ok(documentsCoding && okHeaders.includes('vary'), `${where}: compressed, but its 200 does not document Content-Encoding and Vary`);
            assert.ok(headerParams.has('accept-encoding'), `${where}: documents the Accept-Encoding request header`);
          }
        }
      }
      assert.deepEqual(unreached, [], 'every GET documented as revalidated or compressed was asked here (give the test a fixture for it)');
      console.log(`# tagged: ${tagged.join(' ')}\n# compressed: ${compressed.join(' ')}`);
      for (const path of ['/cluster', '/cluster/hosts', '/cluster/hosts/{id}', '/cluster/units', '/cluster/endpoints', '/services', '/services/{name}/units', '/journal']) assert.ok(tagged.includes(path), `${path} is tagged`);
      for (const path of ['/cluster/hosts', '/cluster/units', '/cluster/health']) assert.ok(compressed.includes(path), `${path} is compressed`);
    });
  });
});
