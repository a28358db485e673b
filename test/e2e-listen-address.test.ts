// The two everyday reasons a first deploy "never becomes healthy" (Kamal's "target failed to become healthy"),
// on `paz up` with the real dockerd and its userland proxy, which accepts connections on a published port
// whatever happens behind it. The unit's probe says which it is, in the terms the user fixes it in:
// - the service names a container port the app does not serve on (8080; the hello image listens on 9000);
// - the app listens on its port, but only on the container's loopback (the image's PORT=127.0.0.1:9000, like a
//   development server's default), which the published port cannot reach.
// And the listen check of a service that is not load-balanced (no path: a LISTEN socket in the container) no
// longer counts a loopback-only listener as healthy: it was, while every connection to its published port was
// reset. The same service listening on all addresses is healthy, and answers on its published port.
// And the third everyday reason (Kamal's most asked-about one): an app slower to open its port than its start-up
// grace is restarted before it can, so it never starts; the failed deploy says so, and which setting to raise.
// test-lane: docker light
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { request } from './helpers/paz-server.js';
import { skipUnlessDocker } from './helpers/env.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { waitFor } from './helpers/wait.js';

interface UnitView {
  name: string;
  service: string;
  state: string;
  healthy: boolean;
  reason?: string;
  ports?: Array<{ container: number; host: number }>;
  lastProbe?: { ok: boolean; error?: string };
}

const WRONG_PORT = /nothing listens on port 8080 inside the container, the app listens on 9000: the service's container port \(ports\[\]\.container, or healthCheck\.port\) must be the one the app serves on/;
const SLOW_START = /it was still not listening after its 2 s start-up grace: an app that takes longer to start needs a longer healthCheck\.gracePeriodSeconds/;
const LOOPBACK_ONLY = /the app listens on port 9000 only on 127\.0\.0\.1 inside its container, which the published port cannot reach: make it listen on 0\.0\.0\.0/;

/** What a client gets from a published port: the first bytes of an answer, or the error. */
function dial(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/', timeout: 5000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

describe('a unit that cannot be reached says why: the wrong port, or listening on its loopback only', skipUnlessDocker, () => {
  let up: PazUp;
  const units = async (service: string): Promise<UnitView[]> => (await request('GET', `${up.paz.orchestrator}/services/${service}/units`)).body as UnitView[];
  /** the first unit of `service` whose last probe failed with an error */
  const failedProbe = (service: string) => waitFor(`a failed probe of ${service}`, async () => (await units(service)).find((u) => u.lastProbe?.ok === false && u.lastProbe.error !== undefined), 60_000, 250);
  /** the rollout of `service` once its deploy failed */
  const failedDeploy = (service: string) =>
    waitFor(`the deploy of ${service} failed`, async () => {
      const r = await up.rollout(service);
      return r.state === 'failed' ? r : undefined;
    }, 90_000, 500);

  before(async () => {
    up = await startPazUp();
    const image = up.env.image1;
    // the tests run one after the other: each deploy's deadline leaves its units running while its test looks
    const rollout = (healthyDeadlineSeconds: number) => ({ healthyDeadlineSeconds, stopGraceSeconds: 1 });
    const services = [
      { name: 'wrongport', dockerRepository: image, ports: [{ container: 8080 }], rollout: rollout(20) },
      { name: 'lohttp', dockerRepository: image, env: { PORT: '127.0.0.1:9000' }, ports: [{ container: 9000 }], rollout: rollout(40) },
      { name: 'lotcp', dockerRepository: image, env: { PORT: '127.0.0.1:9000' }, ports: [{ container: 9000 }], loadBalanced: false, rollout: rollout(300) },
      { name: 'opentcp', dockerRepository: image, ports: [{ container: 9000 }], loadBalanced: false, rollout: rollout(300) },
      // opens its port 10 minutes after it starts, with 2 s of grace: fails by crash-looping, well before its deadline
      { name: 'slowstart', dockerRepository: image, command: ['/bin/sh', '-c', 'echo booting; sleep 600; exec httpd -f -p 9000 -h /www'], ports: [{ container: 9000 }], healthCheck: { gracePeriodSeconds: 2, intervalSeconds: 1 }, rollout: rollout(300) },
    ];
    for (const body of services) {
      const created = await request('POST', `${up.paz.orchestrator}/services`, body);
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
    for (const { name } of services) assert.equal((await request('POST', `${up.paz.orchestrator}/services/${name}/deploy`, {})).status, 201);
  });

  after(async () => {
    await up?.close();
  });

  it('the wrong container port: the probe names the port the app does listen on, and so does the failed deploy', async () => {
    const probed = await failedProbe('wrongport');
    console.log(`# wrongport's probe: ${probed.lastProbe!.error}`);
    assert.match(probed.lastProbe!.error!, /^GET \/: /);
    assert.match(probed.lastProbe!.error!, WRONG_PORT);
    const failed = await failedDeploy('wrongport');
    console.log(`# wrongport's deploy: ${failed.reason}`);
    assert.match(failed.reason ?? '', WRONG_PORT, 'the deploy says why its instance never became healthy');
    assert.doesNotMatch(failed.reason ?? '', /start-up grace/, 'it listens, on another port: no word about a slow start');
  });

  it('an app slower to open its port than its start-up grace: the failed deploy says so, and what to raise', async () => {
    const failed = await failedDeploy('slowstart');
    console.log(`# slowstart's deploy: ${failed.reason}`);
    assert.match(failed.reason ?? '', /never became healthy/);
    assert.match(failed.reason ?? '', SLOW_START);
  });

  it('an app bound to 127.0.0.1 in its container behind the router: the probe says so and how to fix it', async () => {
    const probed = await failedProbe('lohttp');
    console.log(`# lohttp's probe: ${probed.lastProbe!.error}`);
    assert.match(probed.lastProbe!.error!, LOOPBACK_ONLY);
    const published = probed.ports?.find((p) => p.container === 9000)?.host;
    assert.ok(published, JSON.stringify(probed));
    const got = await dial(published);
    assert.ok(!/^\d{3} /.test(got), `nothing answers on its published port (${got}): the verdict matches what a client gets`);
    const failed = await failedDeploy('lohttp');
    console.log(`# lohttp's deploy: ${failed.reason}`);
    assert.match(failed.reason ?? '', LOOPBACK_ONLY, 'the deploy says why its instance never became healthy');
    assert.doesNotMatch(failed.reason ?? '', /start-up grace/, 'it listens, on its loopback: no word about a slow start');
  });

  it('not load-balanced: a listener on the container loopback only is not healthy; one on all addresses is, and answers', async () => {
    const open = await waitFor('opentcp healthy', async () => (await units('opentcp')).find((u) => u.healthy), 60_000, 250);
    const openPort = open.ports!.find((p) => p.container === 9000)!.host;
    assert.match(await dial(openPort), /^200 Hello World 1$/);

    const probed = await waitFor('a failed probe of lotcp, after it listens', async () => (await units('lotcp')).find((u) => u.lastProbe?.ok === false && LOOPBACK_ONLY.test(u.lastProbe.error ?? '')), 60_000, 250);
    console.log(`# lotcp's probe: ${probed.lastProbe!.error}`);
    const lotcpPort = probed.ports!.find((p) => p.container === 9000)!.host;
    const got = await dial(lotcpPort);
    assert.ok(!/^\d{3} /.test(got), `nothing answers on lotcp's published port (${got})`);
    // it listens (the probe saw the socket) and keeps running: still never healthy
    await new Promise((r) => setTimeout(r, 3000));
    const now = await units('lotcp');
    assert.ok(now.length > 0 && now.every((u) => !u.healthy), `lotcp is never healthy: ${JSON.stringify(now.map((u) => [u.state, u.healthy, u.lastProbe?.error]))}`);
  });
});
