// test-lane: light
/**
 * One failed call to etcd must not drop the other streams of its client (src/store/etcd/pool-resets.ts): etcd3's
 * pool closed every gRPC client of a member when a call to it failed with a deadline exceeded, and with them
 * every watch, which then all reopened at once. Against a real etcd member: a watch stream lives through failed
 * calls of both kinds the pool reset on (a unary call's, a stream's), still delivering what is written after;
 * without pool-resets.ts the same failures kill it (so the test sees the reset it guards against); and closing the
 * client still closes its channels. Skips when etcd is not installed, except with CI=true.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { memberClientOptions } from '../src/store/etcd/etcd-store.js';
import { EtcdMember, findEtcdBinary } from '../src/store/etcd/local-etcd.js';
import { keepChannelsOnCallErrors } from '../src/store/etcd/pool-resets.js';
import { freePort, tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';

const skip = findEtcdBinary() === undefined && process.env.CI !== 'true' ? 'etcd is not installed (apt-get install etcd-server); with CI=true this fails instead' : false;

/**
 * A client as etcd-store.ts makes them (its options: keepalive pings, one call per call), before pool-resets.ts,
 * on a connection of its own: grpc-js shares one connection between clients of the same target and options and
 * closes it only when none uses it.
 */
function pazLikeClient(endpoint: string, label: string): Etcd3 {
  const options = memberClientOptions(endpoint);
  return new Etcd3({ ...options, grpcOptions: { ...options.grpcOptions, 'grpc.primary_user_agent': `paz-pool-resets-${label}` } });
}

/** A watch of `prefix` on a raw stream of `client`, as etcd-store.ts opens them: what it delivered, and how it ended. */
async function rawWatch(client: Etcd3, prefix: string): Promise<{ keys: string[]; ended: () => string | undefined; created: Promise<void> }> {
  const stream = await client.watchClient.watch();
  const keys: string[] = [];
  let ended: string | undefined;
  let created!: () => void;
  const createdP = new Promise<void>((resolve) => (created = resolve));
  stream.on('data', (res: { created?: boolean; events?: Array<{ kv: { key: Buffer } }> }) => {
    if (res.created) created();
    for (const e of res.events ?? []) keys.push(e.kv.key.toString());
  });
  stream.on('error', (err: Error) => (ended ??= err.message));
  stream.on('end', () => (ended ??= 'ended'));
  const end = Buffer.from(prefix);
  end[end.length - 1]++;
  stream.write({ create_request: { key: Buffer.from(prefix), range_end: end } });
  return { keys, ended: () => ended, created: createdP };
}

/** Makes both kinds of failed call the pool reset on: a unary call past its deadline, a lease keep-alive stream past its own. */
async function failCalls(client: Etcd3): Promise<void> {
  await assert.rejects(client.kv.range({ key: Buffer.from('/x') }, { deadline: Date.now() - 1 }), /DEADLINE_EXCEEDED|Deadline/i);
  const ka = await client.leaseClient.leaseKeepAlive({ deadline: Date.now() + 50 });
  await new Promise<void>((resolve) => {
    ka.on('error', () => resolve());
    ka.on('end', () => resolve());
  });
}

describe('a failed call to etcd leaves its client\'s other streams open', { skip }, () => {
  let dir: string;
  let member: EtcdMember;
  let writer: Etcd3;
  before(async () => {
    dir = tmpDir('paz-pool-resets-');
    member = EtcdMember.start({ name: 'pool-resets', dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort() });
    await member.waitUntilHealthy();
    writer = pazLikeClient(member.endpoint, 'writer');
  });
  after(async () => {
    writer?.close();
    await member?.stop();
  });

  it('a watch lives through failed calls of its client and still delivers; without pool-resets.ts it is dropped; close() still ends it', async () => {
    // a closed client's connection is closed gracefully when grpc-js's pool next looks for unused ones (every 10 s),
    // and its streams dropped at the keepalive ping after (every 6 s): the three clients run side by side, so one
    // wait covers them all
    const kept = pazLikeClient(member.endpoint, 'kept');
    const unkept = pazLikeClient(member.endpoint, 'unkept');
    const closed = pazLikeClient(member.endpoint, 'closed');
    try {
      assert.equal(keepChannelsOnCallErrors(kept), true, 'etcd3\'s pool is not the one pool-resets.ts knows');
      assert.equal(keepChannelsOnCallErrors(closed), true);
      const [keptWatch, unkeptWatch, closedWatch] = await Promise.all([rawWatch(kept, '/kept/'), rawWatch(unkept, '/unkept/'), rawWatch(closed, '/closed/')]);
      await Promise.all([keptWatch.created, unkeptWatch.created, closedWatch.created]);
      const t0 = Date.now();
      await Promise.all([failCalls(kept), failCalls(unkept)]);
      closed.close();
      // the pool reset: etcd3 closed the unkept client's channels, and its watch went with them
      await waitFor('the unkept client\'s watch to be dropped', async () => unkeptWatch.ended() !== undefined, 25_000, 20);
      assert.match(unkeptWatch.ended()!, /UNAVAILABLE|Connection dropped|cancel/i);
      await waitFor('the closed client\'s watch to end', async () => closedWatch.ended() !== undefined, 25_000, 20);
      // as long again for the kept one, and a little more
      await new Promise((r) => setTimeout(r, Date.now() - t0 + 1_000));
      await writer.put('/kept/a').value('1');
      await waitFor('the kept watch to deliver /kept/a', async () => keptWatch.keys.includes('/kept/a') || keptWatch.ended() !== undefined, 5_000, 20);
      assert.equal(keptWatch.ended(), undefined, 'a failed call dropped the watch stream of its client');
      assert.deepEqual(keptWatch.keys, ['/kept/a']);
      await assert.rejects(closed.get('/closed/a').string(), /closed/);
    } finally {
      kept.close();
      unkept.close();
    }
  });
});
