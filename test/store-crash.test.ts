// test-lane: normal
/**
 * Crash safety and multi-process use of the SQLite store, with real processes: a child node process
 * writes, is killed with SIGKILL mid-stream, and the file must hold every write it acknowledged; two
 * processes on one file see each other's writes through watches; a dead process's lease expires and
 * is swept by the survivor; a dead leader is replaced.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { campaign } from '../src/store/election.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { WatchEvent } from '../src/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'paz-store-crash-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const storeModule = new URL('../src/store/sqlite/sqlite-store.js', import.meta.url).href;
const electionModule = new URL('../src/store/election.js', import.meta.url).href;

/** A child node process running `body` (ESM) with `store` opened on `file`; its stdout lines are collected. */
function startChild(file: string, body: string): Child {
  const code = `
    import { SqliteStore } from ${JSON.stringify(storeModule)};
    import { campaign } from ${JSON.stringify(electionModule)};
    const store = new SqliteStore(${JSON.stringify(file)});
    const say = (line) => process.stdout.write(line + '\\n');
    ${body}
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  return new Child(child);
}

class Child {
  readonly lines: string[] = [];
  stderr = '';
  private readonly exited: Promise<void>;

  constructor(readonly process: ChildProcess) {
    createInterface({ input: process.stdout! }).on('line', (line) => this.lines.push(line));
    process.stderr!.on('data', (chunk) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => process.once('exit', () => resolve()));
  }

  async waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (this.process.exitCode !== null) throw new Error(`child exited (${this.process.exitCode}) before ${what}: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; child stderr: ${this.stderr}`);
      await sleep(10);
    }
  }

  /** SIGKILL by PID, and wait until it is gone. */
  async kill9(): Promise<void> {
    process.kill(this.process.pid!, 'SIGKILL');
    await this.exited;
  }

  async exit(timeoutMs = 30_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`child did not exit: ${this.stderr}`)), timeoutMs);
    });
    try {
      await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return this.process.exitCode;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('SQLite store across processes and crashes', () => {
  it('keeps every acknowledged write when the writer is killed with SIGKILL mid-stream', async () => {
    const file = join(dir, 'crash.db');
    const writer = startChild(file, `
      for (let i = 0; ; i++) {
        const key = '/crash/' + String(i).padStart(6, '0');
        const revision = i % 5 === 4
          ? (await store.txn({ compare: [{ key, target: 'createRevision', op: '=', value: 0 }],
              success: [{ type: 'put', key, value: 'v' + i }, { type: 'put', key: key + '/twin', value: 't' + i }] })).revision
          : await store.put(key, 'v' + i);
        say(JSON.stringify({ i, key, revision }));
      }
    `);
    await writer.waitFor(() => writer.lines.length >= 400, '400 acknowledged writes');
    await writer.kill9();
    assert.equal(writer.process.signalCode, 'SIGKILL');
    // a line cut by the kill is not an acknowledgement
    const acknowledged = writer.lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as { i: number; key: string; revision: number }];
      } catch {
        return [];
      }
    });
    assert.ok(acknowledged.length >= 400);

    const raw = new Database(file, { readonly: true });
    try {
      assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      raw.close();
    }

    const store = new SqliteStore(file);
    try {
      for (const { i, key, revision } of acknowledged) {
        const kv = await store.get(key);
        assert.ok(kv !== undefined, `acknowledged ${key} is missing`);
        assert.equal(kv.value, `v${i}`);
        assert.equal(kv.modRevision, revision);
        if (i % 5 === 4) assert.equal((await store.get(`${key}/twin`))?.modRevision, revision);
      }
      // revisions are consistent: one per write, no holes, the last one is the store's revision
      const revision = await store.revision();
      assert.ok(revision >= acknowledged.at(-1)!.revision);
      const { kvs } = await store.range('/crash/');
      const writes = kvs.filter((kv) => !kv.key.endsWith('/twin'));
      assert.equal(writes.length, revision);
      assert.deepEqual(writes.map((kv) => kv.modRevision), Array.from({ length: revision }, (_, n) => n + 1));

      // a watch from revision 1 replays them all, in order, once
      const calls: WatchEvent[][] = [];
      const watch = await store.watch('/crash/', (events) => calls.push(events), { fromRevision: 1 });
      await waitUntil(() => calls.length >= revision, `replay of ${revision} revisions`);
      await sleep(200);
      await watch.cancel();
      assert.equal(calls.length, revision);
      assert.deepEqual(calls.map((events) => events[0].revision), Array.from({ length: revision }, (_, n) => n + 1));
      assert.equal(calls.flat().length, kvs.length);
      assert.ok(calls.flat().every((event) => event.type === 'put'));

      // and the store takes new writes after the crash
      assert.equal(await store.put('/crash/after', 'x'), revision + 1);
    } finally {
      await store.close();
    }
  });

  it('two processes on one file see each other\'s writes through their watches', async () => {
    const file = join(dir, 'two.db');
    const store = new SqliteStore(file);
    try {
      const seen: WatchEvent[] = [];
      await store.watch('/x/', (events) => seen.push(...events), { fromRevision: 1 });
      const other = startChild(file, `
        const seen = [];
        await store.watch('/x/', (events) => seen.push(...events), { fromRevision: 1 });
        say('watching');
        for (let i = 0; i < 150; i++) {
          await store.put('/x/child/' + i, String(i));
          if (i % 10 === 0) await new Promise((r) => setTimeout(r, 3));
        }
        const deadline = Date.now() + 20000;
        while (seen.length < 250 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        say(JSON.stringify(seen.map((e) => e.key + '@' + e.revision)));
        await store.close();
      `);
      await other.waitFor(() => other.lines.includes('watching'), 'the child to watch');
      for (let i = 0; i < 100; i++) {
        await store.put(`/x/parent/${i}`, String(i));
        if (i % 10 === 0) await sleep(3);
      }
      assert.equal(await other.exit(), 0, other.stderr);
      await waitUntil(() => seen.length >= 250, 'all 250 events in the parent');
      await sleep(200);

      const mine = seen.map((e) => `${e.key}@${e.revision}`);
      assert.equal(mine.length, 250);
      assert.deepEqual(seen.map((e) => e.revision), Array.from({ length: 250 }, (_, n) => n + 1));
      assert.equal(mine.filter((k) => k.startsWith('/x/child/')).length, 150);
      // the child saw exactly the same history, in the same order
      assert.deepEqual(JSON.parse(other.lines.at(-1)!), mine);
    } finally {
      await store.close();
    }
  });

  it('the lease of a killed process expires and a surviving process deletes its keys', async () => {
    const file = join(dir, 'lease.db');
    const store = new SqliteStore(file);
    try {
      const holder = startChild(file, `
        const lease = await store.grantLease(1);
        await store.put('/hosts/h1', 'alive', { lease: lease.id });
        setInterval(() => { void store.keepAlive(lease.id); }, 250);
        say('ready');
      `);
      await holder.waitFor(() => holder.lines.includes('ready'), 'the child to hold its lease');
      const events: WatchEvent[] = [];
      await store.watch('/hosts/', (batch) => events.push(...batch), { fromRevision: 1, prevValues: true });
      // kept alive from the other process well past its TTL
      await sleep(2_000);
      assert.equal((await store.get('/hosts/h1'))?.value, 'alive');
      await holder.kill9();
      const killedAt = Date.now();
      await waitUntil(async () => (await store.get('/hosts/h1')) === undefined, 'the dead holder\'s key to expire');
      assert.ok(Date.now() - killedAt >= 500, 'not before the TTL could have run out');
      await waitUntil(() => events.length === 2, 'put and delete events');
      assert.deepEqual(events.map((e) => [e.type, e.key, e.prevValue]), [['put', '/hosts/h1', undefined], ['delete', '/hosts/h1', 'alive']]);
    } finally {
      await store.close();
    }
  });

  it('when the leading process is killed, a candidate in another process takes over after the TTL', async () => {
    const file = join(dir, 'election.db');
    const leaderProcess = startChild(file, `
      const election = await campaign(store, 'control', 'child', 1);
      say(election.isLeader() ? 'leader' : 'follower');
      setInterval(() => {}, 1000);
    `);
    await leaderProcess.waitFor(() => leaderProcess.lines.length > 0, 'the child to campaign');
    assert.equal(leaderProcess.lines[0], 'leader');
    const store = new SqliteStore(file);
    try {
      const election = await campaign(store, 'control', 'parent', 1);
      assert.equal(election.isLeader(), false);
      await sleep(1_500);
      assert.equal(election.isLeader(), false, 'the live child keeps the lead');
      await leaderProcess.kill9();
      await waitUntil(() => election.isLeader(), 'the parent to take over');
      assert.equal((await store.get('/paz/elections/control'))?.value, 'parent');
      await election.resign();
    } finally {
      await store.close();
    }
  });
});
