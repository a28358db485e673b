import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openStream } from '../client/http-stream.js';
import { PazApiError } from '../client/paz-client.js';
import { isPassingTrouble, isRefusal } from './unit-log-stream.js';

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

test('a follower waits out what passes (a server down, busy or cut off) and ends on what does not (a refusal, a unit gone)', async (t) => {
  // the errors as they really come: nothing listening, and a server that takes the request and never answers
  const silent = createServer(() => {});
  const port = await listen(silent);
  t.after(() => {
    silent.closeAllConnections();
    silent.close();
  });
  const busy = await openStream(`http://127.0.0.1:${port}/`, { headersTimeoutMs: 200 }).then(() => undefined, (err: unknown) => err);
  assert.match(String((busy as Error).message), /took the request but sent no answer within 0.2 s/);
  assert.equal(isPassingTrouble(busy), true, 'a server too busy to answer in time');
  const refused = await openStream('http://127.0.0.1:1/').then(() => undefined, (err: unknown) => err);
  assert.equal(isPassingTrouble(refused), true, 'nothing listening (a restart)');
  assert.equal(isPassingTrouble(new Error('cannot reach http://x', { cause: refused })), true, 'said in CLI words, the error in its cause');
  assert.equal(isPassingTrouble(new PazApiError(502, 'PAZ_AGENT_UNREACHABLE', 'agent down', {})), true);

  const gone = new PazApiError(404, 'PAZ_UNIT_NOT_FOUND', 'no unit', {});
  assert.equal(isPassingTrouble(gone), false);
  assert.equal(isPassingTrouble(new Error('a bug')), false);
  for (const status of [400, 401, 403]) assert.equal(isRefusal(new PazApiError(status, 'X', 'm', {})), true, String(status));
  assert.equal(isRefusal(gone), false);
});
