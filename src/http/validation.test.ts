import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { createApp } from './http-app.js';

test('a POST whose every field is optional may come with no body (it means {}); one with a required field is told what to send', async () => {
  const app = createApp({ component: 'test' });
  const seen: unknown[] = [];
  app.post('/optional', { schema: { body: Type.Optional(Type.Object({ tag: Type.Optional(Type.String()) }, { additionalProperties: false })) } }, async (req) => (seen.push(req.body), { ok: true }));
  app.post('/required', { schema: { body: Type.Object({ name: Type.String() }, { additionalProperties: false }) } }, async () => ({ ok: true }));
  try {
    assert.equal((await app.inject({ method: 'POST', url: '/optional' })).statusCode, 200, 'no body, no content type');
    assert.equal((await app.inject({ method: 'POST', url: '/optional', headers: { 'content-type': 'application/json' }, payload: '' })).statusCode, 200, 'an empty JSON body');
    assert.equal((await app.inject({ method: 'POST', url: '/optional', payload: { tag: '2' } })).statusCode, 200);
    assert.deepEqual(seen, [{}, {}, { tag: '2' }]);
    assert.notEqual(seen[0], seen[1], 'each request its own body object (a handler may change it)');
    // the body is still checked when there is one
    const unknown = await app.inject({ method: 'POST', url: '/optional', payload: { x: 1 } });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.json().message, /unknown field "x"/);
    const wrongType = await app.inject({ method: 'POST', url: '/optional', payload: { tag: 2 } });
    assert.equal(wrongType.statusCode, 400);
    assert.match(wrongType.json().message, /tag/);
    assert.equal((await app.inject({ method: 'POST', url: '/optional', headers: { 'content-type': 'application/json' }, payload: '[]' })).statusCode, 400, 'an array is no object');
    // a required field: no body is refused, naming what to send
    for (const payload of [undefined, '', 'null']) {
      const missing = await app.inject({ method: 'POST', url: '/required', headers: { 'content-type': 'application/json' }, payload });
      assert.equal(missing.statusCode, 400);
      assert.equal(missing.json().code, 'PAZ_VALIDATION');
      assert.equal(missing.json().message, 'the request body is missing: send a JSON object with at least "name" (see /docs for the fields this endpoint takes)');
    }
    assert.match((await app.inject({ method: 'POST', url: '/required', payload: {} })).json().message, /missing the required field "name"/);
  } finally {
    await app.close();
  }
});
