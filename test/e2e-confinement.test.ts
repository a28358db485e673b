// Issue 9, "What a service may ask for" and published ports: `paz up` on the real dockerd refuses host volumes
// outside the volume root (the Docker socket, /, system paths) with a 4xx naming the root, its agent refuses a
// symlink in the root that leads out of it, containers are never privileged, and published ports bind to the
// host's address only.
// test-lane: docker light
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { request } from './helpers/paz-server.js';
import { skipUnlessDocker } from './helpers/env.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { waitFor } from './helpers/wait.js';

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('what a service may ask for, on the real dockerd', skipUnlessDocker, () => {
  let up: PazUp;
  let root: string;
  const create = (name: string, extra: Record<string, unknown>) =>
    request('POST', `${up.paz.orchestrator}/services`, { name, dockerRepository: up.env.image1, numInstances: 1, ports: [{ container: 9000 }], ...extra });
  const unitsOf = async (name: string) => (await request('GET', `${up.paz.orchestrator}/services/${name}/units`)).body as Array<{ name: string; state: string; reason?: string; containerId?: string; endpoint?: string }>;

  before(async () => {
    up = await startPazUp();
    root = join(up.paz.dataDir, 'volumes');
  });
  after(() => up?.close());

  it('refuses the Docker socket, /, system paths and paths outside the root with a 4xx naming the root', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/var/run/docker.sock', /engine's socket/],
      ['/run/docker.sock', /engine's socket/],
      ['/', /whole host/],
      ['/etc', /system directory/],
      ['/proc/1/root', /under the system directory \/proc/],
      ['/root', /system directory/],
      ['/srv/data', /outside the volume root/],
      [`${root}/../secrets.key`, /"\.\." segment/],
    ];
    for (const [hostPath, why] of cases) {
      const res = await create('refused', { volume: { [hostPath]: '/data' } });
      assert.equal(res.status, 400, `${hostPath}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.message, why, hostPath);
      if (!hostPath.includes('..')) {
        assert.equal(res.body.code, 'PAZ_VOLUME_REFUSED', hostPath);
        assert.ok(res.body.message.includes(root), `the message names the allowed root: ${res.body.message}`);
      }
    }
    // a config change is held to the same rule
    assert.equal((await create('patched', {})).status, 201);
    const patched = await request('PATCH', `${up.paz.orchestrator}/services/patched/config/next`, { volume: { '/var/run/docker.sock': '/var/run/docker.sock' } });
    assert.equal(patched.status, 400, JSON.stringify(patched.body));
    assert.equal(patched.body.code, 'PAZ_VOLUME_REFUSED');
    assert.equal((await request('GET', `${up.paz.orchestrator}/services/refused`)).status, 404, 'nothing refused was stored');
  });

  it('refuses privileged containers, capabilities, devices and the host network or pid namespace (schema)', async () => {
    for (const field of ['privileged', 'capAdd', 'devices', 'networkMode', 'pidMode', 'securityOpt']) {
      const value = field === 'privileged' ? true : field === 'capAdd' ? ['SYS_ADMIN'] : field === 'devices' ? ['/dev/sda'] : field === 'securityOpt' ? ['seccomp=unconfined'] : 'host';
      const res = await create('privy', { [field]: value });
      assert.equal(res.status, 400, `${field}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.message, new RegExp(`unknown field "${field}": [^;]+; remove it`), 'says why, not only that the field is unknown');
      const patched = await request('PATCH', `${up.paz.orchestrator}/services/patched/config/next`, { [field]: value });
      assert.equal(patched.status, 400, `PATCH ${field}: ${JSON.stringify(patched.body)}`);
    }
  });

  it('runs a unit with a volume under the root: unprivileged, no new privileges, ports on the host address only', async () => {
    const dir = join(root, 'web');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'hello.txt'), 'from the volume\n');
    assert.equal((await create('confined', { volume: { [dir]: '/www/vol' } })).status, 201);
    assert.equal((await request('POST', `${up.paz.orchestrator}/services/confined/deploy`, {})).status, 201);
    await up.settled('confined', 1);
    const [unit] = await unitsOf('confined');
    const info = await up.docker.getContainer(unit.containerId!).inspect();
    const h = info.HostConfig;
    assert.equal(h.Privileged, false);
    assert.deepEqual(h.SecurityOpt, ['no-new-privileges']);
    assert.deepEqual(h.CapDrop, ['NET_RAW', 'MKNOD']);
    assert.ok(!h.CapAdd || h.CapAdd.length === 0);
    assert.deepEqual(h.Binds, [`${dir}:/www/vol`]);
    const bindings = h.PortBindings as Record<string, Array<{ HostIp: string }>>;
    assert.deepEqual(bindings['9000/tcp'].map((b) => b.HostIp), ['127.0.0.1'], 'configured on the agent address');
    const live = info.NetworkSettings.Ports['9000/tcp'] ?? [];
    assert.ok(live.length > 0 && live.every((b) => b.HostIp === '127.0.0.1'), `bound on 127.0.0.1 only: ${JSON.stringify(live)}`);
    const port = Number(live[0].HostPort);
    // the endpoint, the probes and the router use that address: the unit is healthy and answers there
    assert.equal(unit.endpoint, `127.0.0.1:${port}`);
    assert.equal(await accepts('127.0.0.1', port), true);
    // 127.0.0.2 is another address of this host (all of 127/8 is local): a port on 0.0.0.0 would accept there
    assert.equal(await accepts('127.0.0.2', port), false, 'the published port must not answer on other addresses of the host');
  });

  it('the agent refuses a symlink in the root that leads out of it, and the deploy fails at once', async () => {
    symlinkSync('/', join(root, 'escape'));
    assert.equal((await create('escape', { volume: { [join(root, 'escape')]: '/host' } })).status, 201, 'the path as written is inside the root');
    assert.equal((await request('POST', `${up.paz.orchestrator}/services/escape/deploy`, {})).status, 201);
    const rollout = await waitFor('the deploy to fail', async () => {
      const r = await up.rollout('escape');
      return r.state === 'failed' ? r : undefined;
    });
    assert.match(rollout.reason ?? '', /VOLUME_REFUSED: volume ".*\/escape" resolves to "\/"/);
    const containers = await up.docker.listContainers({ all: true, filters: { label: ['paz.service=escape'] } });
    assert.equal(containers.length, 0, 'no container was ever created for it');
  });
});
