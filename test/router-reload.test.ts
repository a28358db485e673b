// test-lane: normal
/**
 * Hitless reload: a new service (a new backend) needs a new configuration; HAProxy's master starts new
 * workers on the same listening sockets while the old ones finish. A bounded request loop runs across
 * the reload and must lose nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { get, startBackend, startTestRouter, waitFor, type Backend, type TestRouter } from './router-fixtures.js';
import type { RouteTable } from '../src/router/route-table.js';

const TOTAL_REQUESTS = 400;
const CONCURRENCY = 4;
const RELOAD_AFTER = 100;
/** answers wanted after the reload finished; the loop goes on past TOTAL_REQUESTS until it has them
 * (a reload on a busy machine can outlast 300 requests), bounded by MAX_REQUESTS */
const AFTER_WANTED = 50;
const MAX_REQUESTS = 20_000;

let rt: TestRouter;
const backends: Backend[] = [];

before(async () => {
  for (const name of ['web-1-1', 'web-1-2', 'api-1-1', 'api-1-2']) backends.push(await startBackend(name));
  rt = await startTestRouter(tableWith(['web']));
});

after(async () => {
  await rt?.cleanup();
  await Promise.all(backends.map((b) => b.close()));
});

function tableWith(services: string[]): RouteTable {
  return {
    domain: 'paz',
    services: services.map((name) => ({
      name,
      servers: backends.filter((b) => b.name.startsWith(`${name}-`)).map((b) => b.asServer()),
    })),
  };
}

interface LoopResult {
  sent: number;
  ok: number;
  failed: number;
  errors: string[];
  /** requests sent again after a reused keep-alive connection was closed before answering */
  retried: number;
  /** answers received before, while and after `midway` ran: the reload really happened under load */
  phases: { before: number; during: number; after: number };
}

/**
 * Sends at least TOTAL_REQUESTS requests for web.paz, CONCURRENCY at a time, calls `midway` once after
 * RELOAD_AFTER answers (without waiting for it before sending more), and goes on until AFTER_WANTED
 * answers came after `midway` finished.
 */
async function requestLoop(agent: Agent | false, midway: () => Promise<unknown>): Promise<{ loop: LoopResult; midwayDone: Promise<unknown> }> {
  const loop: LoopResult = { sent: 0, ok: 0, failed: 0, errors: [], retried: 0, phases: { before: 0, during: 0, after: 0 } };
  let phase: keyof LoopResult['phases'] = 'before';
  let midwayDone: Promise<unknown> = Promise.resolve();
  let midwayStarted = false;
  const worker = async () => {
    while ((loop.sent < TOTAL_REQUESTS || loop.phases.after < AFTER_WANTED) && loop.sent < MAX_REQUESTS) {
      loop.sent++;
      try {
        const answer = await get(rt.port, 'web.paz', '/', { agent, timeoutMs: 10_000, retryReusedSocket: true });
        if (answer.retried) loop.retried++;
        if (answer.status === 200 && answer.body.startsWith('web-1-')) loop.ok++;
        else {
          loop.failed++;
          loop.errors.push(`${answer.status} ${answer.body.trim()}`);
        }
      } catch (error) {
        loop.failed++;
        loop.errors.push(String(error));
      }
      loop.phases[phase]++;
      if (!midwayStarted && loop.ok + loop.failed >= RELOAD_AFTER) {
        midwayStarted = true;
        phase = 'during';
        midwayDone = midway().finally(() => {
          phase = 'after';
        });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { loop, midwayDone };
}

test('a reload (new service added) under a request loop loses no request', async () => {
  const before = await rt.router.processes();
  let reloaded = false;
  const { loop, midwayDone } = await requestLoop(false, async () => {
    const result = await rt.router.apply(tableWith(['web', 'api']));
    reloaded = result.reloaded;
  });
  await midwayDone;
  console.log(`reload under load, new connection per request: sent ${loop.sent}, ok ${loop.ok}, failed ${loop.failed}`, loop.phases, loop.errors.slice(0, 5));
  assert.equal(reloaded, true);
  assert.equal(loop.ok + loop.failed, loop.sent);
  assert.equal(loop.retried, 0, 'a new connection per request never meets a closing connection');
  assert.ok(loop.phases.during > 0 && loop.phases.after > 0, 'requests were answered during and after the reload');
  assert.equal(loop.failed, 0);

  const afterReload = await rt.router.processes();
  assert.equal(afterReload.masterPid, before.masterPid, 'the master stays, as our child');
  assert.equal(afterReload.reloads, before.reloads + 1);
  assert.notDeepEqual(afterReload.workers, before.workers, 'new workers serve the new configuration');
  assert.equal((await get(rt.port, 'api.paz')).status, 200, 'the new service answers');
  // the host map the new config was checked with is the one left beside it; the old config's is gone
  const maps = (await readdir(rt.runtimeDir)).filter((f) => f.endsWith('.map'));
  assert.equal(maps.length, 1, maps.join(' '));
  assert.ok((await readFile(join(rt.runtimeDir, 'haproxy.cfg'), 'utf8')).includes(`/${maps[0]},`));
  assert.match(await readFile(join(rt.runtimeDir, maps[0]), 'utf8'), /^api\.paz backend-api$/m);
  await waitFor('the old worker to finish and exit', async () => ((await rt.router.processes()).oldWorkers.length === 0 ? true : undefined), 20_000);
});

test('a reload under a keep-alive request loop loses no request (clients retry on a closed idle connection)', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    let reloaded = false;
    const { loop, midwayDone } = await requestLoop(agent, async () => {
      // removing a service is a reload too
      const result = await rt.router.apply(tableWith(['web']));
      reloaded = result.reloaded;
    });
    await midwayDone;
    // HAProxy 2.6 closes idle keep-alive connections of the old workers on a reload (2.7 added
    // idle-close-on-response); a client that reuses one at that instant sees it closed before any answer
    // and sends the request again, as HTTP clients do. Nothing is lost, but a few requests may be retried.
    console.log(`reload under load, keep-alive connections: sent ${loop.sent}, ok ${loop.ok}, failed ${loop.failed}, retried on a closed idle connection ${loop.retried}`, loop.phases, loop.errors.slice(0, 5));
    assert.equal(reloaded, true);
    assert.ok(loop.phases.during > 0 && loop.phases.after > 0, 'requests were answered during and after the reload');
    assert.equal(loop.failed, 0);
    // each pooled connection of the old worker is closed once; a replacement may land there too
    assert.ok(loop.retried <= 2 * CONCURRENCY, `${loop.retried} retries for ${CONCURRENCY} connections`);
    assert.equal((await get(rt.port, 'api.paz')).status, 404, 'the removed service is gone');
  } finally {
    agent.destroy();
  }
});
