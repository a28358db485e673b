import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { gunzipSync } from 'node:zlib';
import { AnswerCache, keep, sendKept } from './answer-cache.js';
import { openStore } from '../store/index.js';
import { createContext } from './context.js';

/** a Fastify app answering GET / with one kept answer, as the cached routes do */
function appWith(kept: ReturnType<typeof keep>) {
  const app = Fastify();
  app.get('/', (req, reply) => sendKept(req, reply, kept));
  return app;
}

test('a kept answer is compressed once per coding, on first demand, and a 304 compresses nothing', async () => {
  const body = Buffer.from(JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ name: `svc-1-${i}`, healthy: true }))));
  const kept = keep(7, body);
  const app = appWith(kept);
  try {
    const fresh = await app.inject({ url: '/', headers: { 'accept-encoding': 'gzip', 'if-none-match': kept.etag!.replace(/"$/, '-gzip"') } });
    assert.equal(fresh.statusCode, 304);
    assert.deepEqual(Object.keys(kept.compressed), [], 'a 304 needs no compressed body');

    const first = await app.inject({ url: '/', headers: { 'accept-encoding': 'gzip' } });
    const made = kept.compressed.gzip;
    assert.ok(made);
    for (let i = 0; i < 5; i++) {
      const again = await app.inject({ url: '/', headers: { 'accept-encoding': 'gzip, deflate' } });
      assert.deepEqual(again.rawPayload, first.rawPayload);
    }
    assert.equal(kept.compressed.gzip, made, 'the same compression serves every request');
    assert.equal(kept.compressed.br, undefined);
    assert.deepEqual(gunzipSync(first.rawPayload), body);

    const identity = await app.inject({ url: '/' });
    assert.deepEqual(identity.rawPayload, body);
    assert.equal(identity.headers.vary, 'Accept-Encoding');
    assert.equal(identity.headers.etag, kept.etag);
    assert.equal(identity.headers['cache-control'], 'no-cache');
  } finally {
    await app.close();
  }
});

test('an answer under 1 KiB is sent as it is, tagged, without Vary', async () => {
  const kept = keep(1, Buffer.from('[]'));
  const app = appWith(kept);
  try {
    const r = await app.inject({ url: '/', headers: { 'accept-encoding': 'gzip, br' } });
    assert.equal(r.headers['content-encoding'], undefined);
    assert.equal(r.headers.vary, undefined);
    assert.equal(r.headers.etag, kept.etag);
    assert.equal(r.payload, '[]');
    assert.deepEqual(Object.keys(kept.compressed), []);
    assert.equal((await app.inject({ url: '/', headers: { 'if-none-match': kept.etag! } })).statusCode, 304);
  } finally {
    await app.close();
  }
});

test('requests arriving while an answer is made wait for it: made once per change, not once per request', async () => {
  const store = await openStore('sqlite::memory:');
  const ctx = createContext(store);
  const cache = new AnswerCache(ctx);
  const app = Fastify();
  let made = 0;
  app.get('/list', (req, reply) =>
    cache.answer(req, reply, ['/paz/test/'], async ({ snapshot }) => {
      made++;
      await new Promise((r) => setTimeout(r, 50)); // a slow answer: 1,000 units take a while
      return (await snapshot.range('/paz/test/')).kvs.map((kv) => kv.value);
    }),
  );
  try {
    await store.put('/paz/test/a', 'x'.repeat(2000));
    const ask = () => app.inject({ url: '/list', headers: { 'accept-encoding': 'gzip' } });
    const first = await Promise.all(Array.from({ length: 20 }, ask));
    assert.equal(made, 1, 'one answer for 20 requests');
    assert.equal(new Set(first.map((r) => r.headers.etag)).size, 1);
    assert.ok(first.every((r) => r.statusCode === 200 && r.headers['content-encoding'] === 'gzip'));

    await store.put('/paz/test/b', 'y');
    const second = await Promise.all(Array.from({ length: 20 }, ask));
    assert.equal(made, 2, 'one more after the change');
    assert.notEqual(second[0].headers.etag, first[0].headers.etag);
    assert.deepEqual(JSON.parse(gunzipSync(second[0].rawPayload).toString()), ['x'.repeat(2000), 'y']);
  } finally {
    await app.close();
    await ctx.reads.stop();
    await store.close();
  }
});

test('an answer made of the store and the clock is made for each request, and keeps its tag only while its bytes stay the same', async () => {
  const store = await openStore('sqlite::memory:');
  const ctx = createContext(store);
  const cache = new AnswerCache(ctx, { clock: true });
  const app = Fastify();
  let made = 0;
  // the clock's part of the answer: what a host's `healthy` is to its heartbeat's age
  let late = false;
  app.get('/hosts', (req, reply) =>
    cache.answer(req, reply, ['/paz/test/'], async ({ snapshot }) => {
      made++;
      await new Promise((r) => setTimeout(r, 30));
      return (await snapshot.range('/paz/test/')).kvs.map((kv) => ({ value: kv.value, healthy: !late }));
    }),
  );
  try {
    await store.put('/paz/test/a', 'x'.repeat(2000));
    const ask = (headers: Record<string, string> = {}) => app.inject({ url: '/hosts', headers: { 'accept-encoding': 'gzip', ...headers } });
    const together = await Promise.all(Array.from({ length: 10 }, () => ask()));
    assert.equal(made, 1, 'the requests arriving meanwhile share one answer');
    const tag = together[0].headers.etag as string;

    const again = await ask({ 'if-none-match': tag });
    assert.equal(made, 2, 'made again: the store did not change, but the clock may have');
    assert.equal(again.statusCode, 304, 'the same bytes: the same tag');

    // nothing written, yet the answer is different now: a new tag, never a 304 for the old one
    late = true;
    const changed = await ask({ 'if-none-match': tag });
    assert.equal(changed.statusCode, 200);
    assert.notEqual(changed.headers.etag, tag);
    assert.equal((JSON.parse(gunzipSync(changed.rawPayload).toString()) as Array<{ healthy: boolean }>)[0].healthy, false);
    assert.equal((await ask({ 'if-none-match': changed.headers.etag as string })).statusCode, 304);
  } finally {
    await app.close();
    await ctx.reads.stop();
    await store.close();
  }
});

test('an untagged answer (new at every request) is compressed, with no ETag, and never a 304', async () => {
  const store = await openStore('sqlite::memory:');
  const ctx = createContext(store);
  const cache = new AnswerCache(ctx, { clock: true, tagged: false });
  const app = Fastify();
  let n = 0;
  app.get('/health', (req, reply) => cache.answer(req, reply, ['/paz/test/'], async () => ({ checkedAt: ++n, filler: 'z'.repeat(3000) })));
  try {
    for (const inm of ['*', '"x"']) {
      const r = await app.inject({ url: '/health', headers: { 'accept-encoding': 'gzip', 'if-none-match': inm } });
      assert.equal(r.statusCode, 200);
      assert.equal(r.headers.etag, undefined);
      assert.equal(r.headers['cache-control'], undefined);
      assert.equal(r.headers['content-encoding'], 'gzip');
      assert.equal(r.headers.vary, 'Accept-Encoding');
      assert.equal((JSON.parse(gunzipSync(r.rawPayload).toString()) as { checkedAt: number }).checkedAt, n);
    }
  } finally {
    await app.close();
    await ctx.reads.stop();
    await store.close();
  }
});
