// test-lane: light
/**
 * A host whose agent stopped is told apart from one that was lost (health-levels.ts: "its agent stopped at"
 * against "its heartbeat was lost"): a clean stop (SIGTERM to `paz up`) writes `stoppedAt` into the host's
 * known-host record, which outlives the agent's lease; a start writes a record without it again, and a kill -9
 * leaves none (nothing ran to write it). The record is read from the SQLite file the real process wrote.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { keys } from '../src/core/keys.js';
import type { KnownHost } from '../src/core/records.js';
import { PazProcess } from './helpers/paz-server.js';
import { tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';

describe('the known-host record of an agent that stops', () => {
  const dir = tmpDir('paz-stopped-at-');
  const paz = new PazProcess({ role: 'up', dataDir: dir, extraArgs: ['--driver', 'process', '--no-router', '--agent-port', '0'] });

  after(async () => {
    await paz.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** the host's known-host record, read from the store file (a store of its own, closed again at once) */
  async function known(): Promise<KnownHost | undefined> {
    const hostId = readFileSync(join(dir, 'host-id'), 'utf8').trim();
    const store = new SqliteStore(join(dir, 'paz.db'));
    try {
      const kv = await store.get(keys.knownHost(hostId));
      return kv ? (JSON.parse(kv.value) as KnownHost) : undefined;
    } finally {
      await store.close();
    }
  }

  it('a clean stop writes stoppedAt; a start clears it; a kill -9 writes none', async () => {
    await paz.start();
    const running = await waitFor('the host known', known, 30_000);
    assert.equal(running.stoppedAt, undefined, JSON.stringify(running));

    const before = Date.now();
    assert.equal(await paz.stop(), 0, paz.output);
    const stopped = (await known())!;
    assert.ok(stopped.stoppedAt !== undefined, `stoppedAt written on a clean stop: ${JSON.stringify(stopped)}`);
    assert.ok(stopped.stoppedAt >= before && stopped.stoppedAt <= Date.now(), JSON.stringify(stopped));
    assert.ok(stopped.lastSeenAt <= stopped.stoppedAt, JSON.stringify(stopped));
    assert.equal(stopped.id, running.id);

    // the same host starts again: known as running, the stop forgotten
    await paz.start();
    await waitFor('the restarted host known without stoppedAt', async () => {
      const k = await known();
      return k && k.stoppedAt === undefined && k.startedAt > stopped.stoppedAt! ? k : undefined;
    }, 30_000);

    await paz.kill();
    const killed = (await known())!;
    assert.equal(killed.stoppedAt, undefined, `no stoppedAt after a kill -9: ${JSON.stringify(killed)}`);
  });
});
