// test-lane: normal
/**
 * A deploy too big for one txn is written in staged chunks, sent together (chunked-writes.ts); here etcd
 * refuses some of them while another lands. The etcd member runs with --max-txn-ops 100 while Paz assumes
 * etcd's default of 128 (a cluster tuned by its operator): a 300-instance deploy is staged in chunks of 127,
 * 127 and 46 units, and etcd refuses the two big ones and takes the small one. The deploy must fail with an
 * error of the catalogue (503 STORE_UNAVAILABLE naming etcd's flags to raise: the operator's fix, never a 500
 * or a 201), commit nothing (no latest version, no deploy
 * record, no unit any reader sees), and the staged units that did land must go (the leader's pending-writes
 * loop, or the next writer of the service). A later deploy that fits the store then works, as version 1,
 * with its own units only: none of the refused deploy's leftovers among them. And a Paz told the cluster's limit
 * in its store URL (`?max-txn-ops=100`) writes the same deploy in chunks that fit.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { EtcdMember } from '../src/store/etcd/local-etcd.js';
import { EtcdStore } from '../src/store/etcd/etcd-store.js';
import { keys } from '../src/core/keys.js';
import { PazProcess, request } from './helpers/paz-server.js';
import { freePort, tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';
import { skipUnlessEtcd } from './helpers/local-agents.js';

const SERVICE = 'staged';
const N = 300;
/** below etcd's default (128), which Paz assumes: chunks of 127 units are refused, the last one of 46 is not */
const ETCD_MAX_TXN_OPS = 100;

describe('a staged deploy whose chunks etcd partly refuses', { skip: skipUnlessEtcd }, () => {
  const dir = tmpDir('paz-chunk-refused-');
  let etcd: EtcdMember | undefined;
  let store: EtcdStore | undefined;
  let paz: PazProcess | undefined;

  before(async () => {
    etcd = EtcdMember.start({
      name: 'm0', dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort(),
      extraArgs: ['--max-txn-ops', String(ETCD_MAX_TXN_OPS)],
    });
    await etcd.waitUntilHealthy(60_000);
    store = new EtcdStore([etcd.endpoint]);
    paz = new PazProcess({ role: 'server', dataDir: join(dir, 'paz'), extraArgs: ['--store', `etcd://${etcd.endpoint}`] });
    await paz.start();
  });

  after(async () => {
    await paz?.close();
    await store?.close();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = (method: string, path: string, body?: unknown) => request(method, `${paz!.orchestrator}${path}`, body);
  const desiredKeys = async () => (await store!.range(keys.desiredUnitsOf(SERVICE))).kvs.map((kv) => kv.key);

  it('fails cleanly, commits nothing, its staged units go, and a later deploy works', async () => {
    const created = await api('POST', '/services', { name: SERVICE, dockerRepository: 'local/sleep', command: ['sleep', '86400'], numInstances: N });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    // some chunks land (their units are staged), some are refused
    let staged = 0;
    const stagedSeen = store!.watch(keys.desiredUnitsOf(SERVICE), (events) => (staged += events.filter((e) => e.type === 'put').length));
    const watch = await stagedSeen;
    const refused = await api('POST', `/services/${SERVICE}/deploy`, {});
    await watch.cancel();
    console.log(`# deploy of ${N}: ${refused.status} ${JSON.stringify(refused.body)}; ${staged} units staged before the refusal`);
    // the operator's fix, not the caller's: no smaller request would help (it was a 413 saying "make the
    // service's config smaller" and naming Paz flags that do not exist)
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'PAZ_STORE_UNAVAILABLE');
    assert.match(refused.body.message, /too many operations in txn request; run etcd with --max-txn-ops and --max-request-bytes at least that high/);
    assert.ok(staged > 0 && staged < N, `some chunks landed, not all (${staged} of ${N} units staged)`);

    // nothing committed: no latest version, no deploy record, no unit for any reader
    assert.equal(await store!.get(keys.latest(SERVICE)), undefined, 'no latest version');
    assert.equal(await store!.get(keys.deploy(SERVICE, 1)), undefined, 'no deploy record');
    const units = await api('GET', `/services/${SERVICE}/units`);
    assert.equal(units.status, 200);
    assert.deepEqual(units.body, [], 'no unit of the refused deploy is visible');
    const versions = await api('GET', `/services/${SERVICE}/versions`);
    assert.deepEqual(versions.body.doc, [], JSON.stringify(versions.body));

    // what landed is removed by the leader's pending-writes loop, without another write of the service
    await waitFor('the staged units removed', async () => (await desiredKeys()).length === 0 && (await store!.get(keys.pendingWrite(SERVICE))) === undefined, 30_000, 250);

    // a deploy that fits the store works, as version 1, with its own units only
    const patched = await api('PATCH', `/services/${SERVICE}/config/next`, { numInstances: 50 });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const ok = await api('POST', `/services/${SERVICE}/deploy`, {});
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.doc.version, 1);
    const after = await desiredKeys();
    assert.equal(after.length, 50, `${after.length} desired units`);
    assert.deepEqual(after.map((k) => Number(k.slice(k.lastIndexOf('-') + 1))).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
    assert.doesNotMatch(paz!.output, /"statusCode":500|INTERNAL/, 'no 500 in the server log');
  });

  it("told the cluster's limit in the store URL (the message's other fix), Paz writes within it: the same deploy works", async () => {
    await paz!.close();
    paz = new PazProcess({ role: 'server', dataDir: join(dir, 'paz-told'), extraArgs: ['--store', `etcd://${etcd!.endpoint}?max-txn-ops=${ETCD_MAX_TXN_OPS}`] });
    await paz.start();
    const name = 'told';
    const created = await api('POST', '/services', { name, dockerRepository: 'local/sleep', command: ['sleep', '86400'], numInstances: N });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const deployed = await api('POST', `/services/${name}/deploy`, {});
    assert.equal(deployed.status, 201, JSON.stringify(deployed.body));
    assert.equal(deployed.body.doc.version, 1);
    assert.equal((await store!.range(keys.desiredUnitsOf(name))).kvs.length, N, 'every unit written');
    assert.equal((await store!.get(keys.latest(name)))?.value, '1');
    assert.doesNotMatch(paz.output, /"statusCode":500|INTERNAL/, 'no 500 in the server log');
  });
});
