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
    const fresh = await app.inject({ url: '/', headers: { 'accept-encoding': 'gzip', 'if-none-match': kept.etag.replace(/"$/, '-gzip"') } });
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
    assert.equal((await app.inject({ url: '/', headers: { 'if-none-match': kept.etag } })).statusCode, 304);
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
