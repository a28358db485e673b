// Issue 8, "What users see": `paz up` with its HAProxy router, the real dockerd and `--domain example.com`.
// publicFacing and loadBalanced decide where a service answers; `paz logs -f` on a quiet unit stays open;
// every route that takes a unit accepts the seed's short `<service>-<instance>`. No healthCheck.path.
// test-lane: docker heavy slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { type PazProcess, request, pazBin } from './helpers/paz-server.js';
import { skipUnlessDocker, httpGet, type DockerTestEnv } from './helpers/env.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { waitFor } from './helpers/wait.js';
import { Load, viaRouter } from './helpers/load.js';

describe('publicFacing, loadBalanced, logs -f and short unit names', skipUnlessDocker, () => {
  let up: PazUp;
  let env: DockerTestEnv;
  let paz: PazProcess;
  let routerPort: number;
  const endpointOf = async (unit: string) => (await request('GET', `${paz.orchestrator}/cluster/units/${unit}`)).body.endpoint as string;

  before(async () => {
    up = await startPazUp(['--domain', 'example.com']);
    ({ env, paz, routerPort } = up);
    const services = [
      { name: 'pub', publicFacing: true, ports: [{ container: 9000 }] },
      { name: 'inner', ports: [{ container: 9000 }] },
      { name: 'direct', loadBalanced: false, ports: [{ container: 9000 }] },
      // asks for the router's port, but is not load-balanced: it must neither take the port nor become the default
      { name: 'direct-port', loadBalanced: false, ports: [{ container: 9000, host: routerPort }] },
    ];
    for (const s of services) {
      const created = await request('POST', `${paz.orchestrator}/services`, { description: s.name, dockerRepository: env.image1, numInstances: 1, rollout: { drainSeconds: 5 }, ...s });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal((await request('POST', `${paz.orchestrator}/services/${s.name}/deploy`, {})).status, 201);
    }
    for (const s of services) await up.settled(s.name, 1);
  });
  after(() => up?.close());

  it('only public-facing services answer on <svc>.<domain>; every load-balanced one on <svc>.paz', async () => {
    const load = new Load(routerPort, 'pub.example.com', 5000);
    load.start();
    try {
      await waitFor('pub.paz through the router', async () => (await viaRouter(routerPort, 'pub.paz')).body === 'Hello World 1\n');
      assert.equal((await viaRouter(routerPort, 'pub.example.com')).body, 'Hello World 1\n');
      await waitFor('inner.paz through the router', async () => (await viaRouter(routerPort, 'inner.paz')).body === 'Hello World 1\n');
      const outside = await viaRouter(routerPort, 'inner.example.com');
      assert.equal(outside.status, 404, 'a service that is not public-facing does not answer on the cluster domain');
      assert.match(outside.body, /No service answers to Host inner\.example\.com/);
      // a new version of the public-facing service keeps answering on the cluster domain through the switch
      assert.equal((await request('POST', `${paz.orchestrator}/services/pub/deploy`, { tag: '2' })).status, 201);
      await up.settled('pub', 2);
      await waitFor('pub.example.com answering from version 2', async () => (await viaRouter(routerPort, 'pub.example.com')).body === 'Hello World 2\n');
    } finally {
      await load.stop();
    }
    console.log(`# load: ok=${load.ok} failed=${load.failed} bodies=${JSON.stringify(Object.fromEntries(load.bodies))}`);
    assert.equal(load.failed, 0, load.failures.slice(0, 5).join(' | '));
  });

  it('loadBalanced false: no router backend (404), the instance answers on its own published port', async () => {
    for (const host of ['direct.paz', 'direct.example.com', 'direct-port.paz']) {
      const r = await viaRouter(routerPort, host);
      assert.equal(r.status, 404, `${host}: ${r.body}`);
    }
    assert.equal((await viaRouter(routerPort, 'nothing.paz')).status, 404, 'a service asking for the router port is not the default backend');
    for (const unit of ['direct-1-1', 'direct-port-1-1']) {
      const endpoint = await endpointOf(unit);
      assert.match(endpoint, /^127\.0\.0\.1:\d+$/);
      assert.notEqual(endpoint, `127.0.0.1:${routerPort}`, 'the router keeps its port');
      assert.equal((await httpGet(`http://${endpoint}/`)).body, 'Hello World 1\n', `${unit} answers on ${endpoint}`);
    }
  });

  it('every route that takes a unit accepts <service>-<instance>, the newest version\'s instance', async () => {
    // pub runs version 2 (deployed above): its short name pub-1 is pub-2-1; the full old name is gone
    assert.equal((await request('GET', `${paz.orchestrator}/cluster/units/pub-1`)).body.name, 'pub-2-1');
    assert.equal((await request('GET', `${paz.orchestrator}/cluster/units/pub-1/health`)).body.healthy, true);
    assert.equal((await request('GET', `${paz.orchestrator}/services/pub/units/pub-1`)).body.name, 'pub-2-1');
    assert.equal((await request('GET', `${paz.orchestrator}/services/pub/units/pub-1/health`)).body.healthy, true);
    assert.equal((await request('GET', `${paz.orchestrator}/cluster/units/inner-1-1`)).body.name, 'inner-1-1', 'full names still work');
    const logs = await fetch(`${paz.orchestrator}/services/pub/units/pub-1/logs`);
    assert.equal(logs.status, 200);
    assert.equal(logs.headers.get('x-paz-unit'), 'pub-2-1');
    assert.match(await logs.text(), /listening/, 'the start line, however many requests were logged since');
    const missing = await request('GET', `${paz.orchestrator}/cluster/units/pub-9`);
    assert.equal(missing.status, 404);
    assert.match(missing.body.message, /no unit named "pub-9"/);
    assert.equal((await request('GET', `${paz.orchestrator}/services/inner/units/pub-1`)).status, 404, "another service's unit is not this service's");
  });

  it('paz logs -f on a quiet unit stays open past idle timeouts and still shows new lines', async () => {
    const child = spawn(process.execPath, [pazBin, 'logs', '-f', 'inner-1', '--url', paz.orchestrator], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let exited: number | null | undefined;
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => (exited = code));
    try {
      await waitFor('the first log lines', async () => /listening/.test(out));
      const before = out.length;
      // quiet for longer than Node's server keep-alive timeout (5 s) and its HTTP agents' socket timeout (5 s);
      // undici's (fetch's) 300 s body timeout, which used to end this stream, no longer applies (node:http)
      await new Promise((r) => setTimeout(r, 12_000));
      assert.equal(exited, undefined, `paz logs -f ended by itself: ${out.slice(before)}`);
      // the stream is alive end to end: a request to the unit shows up as a new line
      assert.equal((await viaRouter(routerPort, 'inner.paz', '/after-quiet')).status, 404, 'httpd logs the path, and has no such file');
      await waitFor('the new request in the followed log', async () => out.slice(before).includes('after-quiet'), 15_000).catch((err: Error) => {
        throw new Error(`${err.message}; the log so far: ${out}`);
      });
    } finally {
      child.kill();
    }
  });
});
