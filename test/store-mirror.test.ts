// The API's in-memory mirror of the store (state/store-mirror.ts): a read sees every write that finished
// before it, wherever it was made (another process on the same SQLite file here); answers kept by
// AnswerCache are the same bytes until something they show changes, with the revision header current;
// and a mirror that cannot catch up in time gives way to a store read instead of an old answer.
// test-lane: normal
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { SqliteStore } from '../src/store/index.js';
import type { Store, Watch } from '../src/store/store.js';
import { StoreMirror } from '../src/state/store-mirror.js';
import { createContext, type ApiContext } from '../src/api/context.js';
import { createOrchestratorApp } from '../src/api/orchestrator/app.js';
import { REVISION_HEADER } from '../src/api/read-at.js';
import { keys } from '../src/core/keys.js';
import { tmpDir } from './helpers/env.js';

/** Writes one key from another process (its own store, its own watches) and says the revision it got. */
function writeFromAnotherProcess(url: string, key: string, value: string): Promise<number> {
  const storeModule = fileURLToPath(new URL('../src/store/index.js', import.meta.url));
  const script = `
    const { openStore } = await import(${JSON.stringify(storeModule)});
    const store = await openStore(${JSON.stringify(url)});
    console.log(await store.put(${JSON.stringify(key)}, ${JSON.stringify(value)}));
    await store.close();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`writer exited with ${code}`))));
  });
}

describe('the store mirror behind GET answers', () => {
  const dir = tmpDir('paz-store-mirror-');
  const url = `sqlite:${join(dir, 'paz.db')}`;
  let store: Store;
  let ctx: ApiContext;
  let app: FastifyInstance;

  before(async () => {
    // the poller that notices other processes' writes looks only once a minute: what a read sees of them
    // at once, it owes to the read itself
    store = new SqliteStore(join(dir, 'paz.db'), { pollIntervalMs: 60_000 });
    ctx = createContext(store);
    app = await createOrchestratorApp(ctx, { port: 0 });
  });
  after(async () => {
    await app?.close();
    await ctx?.reads.stop();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads another process's write at once (no wait for the poller), from memory", async () => {
    await ctx.reads.view(); // loaded
    for (let i = 0; i < 5; i++) {
      const revision = await writeFromAnotherProcess(url, keys.host(`h${i}`), JSON.stringify({ id: `h${i}` }));
      const view = await ctx.reads.view();
      assert.ok(view, 'the mirror answered (not the fallback to a store read)');
      assert.ok(view.revision >= revision, `mirror at ${view.revision}, the write was ${revision}`);
      assert.equal(view.get(keys.host(`h${i}`))?.value, JSON.stringify({ id: `h${i}` }));
    }
  });

  it('a kept list answer is the same bytes until a record it shows changes; its revision header follows the store', async () => {
    await ctx.directory.create({ name: 'web', dockerRepository: '127.0.0.1:5000/team/web' }, 'test');
    const first = await app.inject({ method: 'GET', url: '/services' });
    assert.equal(first.statusCode, 200);
    assert.equal(first.headers['content-type'], 'application/json');
    // a change elsewhere (a host record): same answer, newer revision
    await store.put(keys.host('other'), '{}');
    const second = await app.inject({ method: 'GET', url: '/services' });
    assert.equal(second.body, first.body);
    assert.ok(Number(second.headers[REVISION_HEADER]) > Number(first.headers[REVISION_HEADER]), 'the header names the newer revision the answer still is');
    assert.equal(Number(second.headers[REVISION_HEADER]), await store.revision());
    // a change it shows: a new answer at once (read your write)
    await ctx.directory.patchConfig('web', { env: { A: '1' } }, 'test');
    const third = await app.inject({ method: 'GET', url: '/services' });
    assert.notEqual(third.body, first.body);
    assert.equal(third.json().doc[0].config.env.A, '1');
    // another URL of the same route is another answer
    const one = await app.inject({ method: 'GET', url: '/services?dockerRepository=127.0.0.1:5000/team/web' });
    assert.equal(one.json().doc.name, 'web');
    const none = await app.inject({ method: 'GET', url: '/services?dockerRepository=127.0.0.1:5000/team/nope' });
    assert.equal(none.statusCode, 404);
  });

  it('a mirror whose watch lags gives way to a store read after waitMs: never an answer older than a finished write', async () => {
    // the same store, but its watch delivers 2 s late (a stuck or slow watch)
    const held: Array<() => void> = [];
    const slow: Store = Object.create(store, {
      watch: {
        value: (prefix: string, listener: Parameters<Store['watch']>[1], opts: Parameters<Store['watch']>[2]): Promise<Watch> =>
          store.watch(prefix, (events) => held.push(() => listener(events)), opts),
      },
    });
    const mirror = new StoreMirror(slow, { waitMs: 100 });
    try {
      assert.ok(await mirror.view(), 'loads');
      const revision = await store.put(keys.host('late'), '{}');
      assert.equal(await mirror.view(), undefined, 'no view: the caller reads the store');
      for (const deliver of held.splice(0)) deliver();
      const view = await mirror.view();
      assert.ok(view && view.revision >= revision && view.get(keys.host('late')));
    } finally {
      await mirror.stop();
    }
  });
});
