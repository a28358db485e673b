// A server's log line for a request carries the id its answer's x-api-uuid header had (field reqId), so an
// operator handed an x-api-uuid finds the request in the log. All three APIs of a real `paz server`.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PazProcess } from './helpers/paz-server.js';
import { waitFor } from './helpers/wait.js';

describe('request log id', () => {
  // the helper starts paz at warn; a later --log-level wins
  const paz = new PazProcess({ extraArgs: ['--log-level', 'info'] });
  before(() => paz.start());
  after(() => paz.close());

  for (const api of ['orchestrator', 'directory', 'scheduler'] as const) {
    it(`the ${api}'s log lines for a request carry its x-api-uuid as reqId`, async () => {
      const res = await fetch(`${paz[api]}/no-such-route-${api}`);
      await res.arrayBuffer();
      const id = res.headers.get('x-api-uuid');
      assert.ok(id, 'the answer has an x-api-uuid');
      const lines = await waitFor(`log lines with reqId ${id}`, async () => {
        const mine = paz.output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.reqId === id);
        return mine.some((l) => l.msg === 'request completed') ? mine : undefined;
      });
      const incoming = lines.find((l) => l.msg === 'incoming request') as { req?: { url?: string } } | undefined;
      assert.equal(incoming?.req?.url, `/no-such-route-${api}`);
    });
  }
});
