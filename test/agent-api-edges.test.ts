// The agent's API at its edges, with the real process driver and a real unit: a unit that is gone by the time
// its logs are asked for is a 404, not a 500 (the agent's unit list and the driver disagree for a moment when a
// unit is removed); and a followed log does not hold up the agent's stop (a `paz logs -f` left open by an
// operator used to keep `paz agent` from stopping until the follower went away).
// test-lane: normal
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgentApi, type AgentApi } from '../src/agent/agent-api.js';
import { ProcessDriver } from '../src/agent/drivers/process/process-driver.js';
import { HostStatsSampler } from '../src/agent/host/host-stats.js';
import { UnitStatsSampler } from '../src/agent/unit-stats.js';

const TOKEN = 'agent-api-edges-token-0123456789abcdef';
const HOST = 'c'.repeat(32);

describe('the agent API at its edges', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-agent-api-edges-'));
  const driver = new ProcessDriver(join(dir, 'driver'), { useCgroups: false, logger: { info: () => undefined, warn: () => undefined } });
  let units = ['talky-1-1', 'ghost-1-1'];
  let api: AgentApi;
  let port = 0;

  before(async () => {
    await driver.start({
      unit: 'talky-1-1', service: 'talky', version: 1, instance: 1, image: process.execPath, ports: [], env: {}, volumes: [],
      command: [process.execPath, '-e', "let n = 0; setInterval(() => console.log('line ' + n++), 100);"],
    });
    api = createAgentApi({ hostId: HOST, driver, hostStats: new HostStatsSampler(), unitStats: new UnitStatsSampler(driver, () => units), units: () => units, clusterToken: TOKEN });
    port = await api.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await driver.remove('talky-1-1').catch(() => undefined);
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('logs of a unit the agent lists but the driver no longer has: 404 UNIT_NOT_FOUND, not a 500', async () => {
    const r = await get('/units/ghost-1-1/logs?tail=5');
    assert.equal(r.status, 404, r.body);
    assert.equal(JSON.parse(r.body).code, 'PAZ_UNIT_NOT_FOUND', r.body);
    assert.match(JSON.parse(r.body).message, /ghost-1-1" is gone from host/);
  });

  it('stops while a log is followed: the follower gets its lines, then the connection ends and the stop completes', async () => {
    units = ['talky-1-1'];
    let received = '';
    const ended = new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/units/talky-1-1/logs?follow=true', headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
        assert.equal(res.statusCode, 200);
        res.on('data', (d) => (received += d));
        res.on('close', () => resolve());
      });
      req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(err)));
      req.end();
    });
    while (!/line \d+/.test(received)) await new Promise((r) => setTimeout(r, 50));
    // a hung stop is the failure: without the cut, close() waits as long as the follower stays (forever here)
    let stopped = false;
    const closing = api.close().then(() => (stopped = true));
    const bound = new Promise<void>((_, reject) => setTimeout(() => reject(new Error('the agent API did not stop while a log was followed')), 30_000).unref());
    await Promise.race([Promise.all([closing, ended]), bound]);
    assert.equal(stopped, true);
    assert.match(received, /line \d+\n/);
  });
});
