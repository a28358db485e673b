// A real docker-registry, configured as the README says, notifies Paz (auth on) of a push with the secret as
// a bearer header, and the push deploys. The same registry's second endpoint, with a wrong secret, is
// refused every time and deploys nothing.
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';
import { InProcessPlane } from './helpers/in-process-plane.js';
import { webhookSetup } from '../src/core/webhook-setup.js';

const REGISTRY_BIN = '/usr/bin/docker-registry';

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Pushes a blob with the registry API's two-step upload (POST, then PUT with the digest). */
async function pushBlob(base: string, repo: string, blob: Buffer): Promise<string> {
  const digest = sha256(blob);
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202, await start.text());
  const location = new URL(start.headers.get('location')!, base);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: new Uint8Array(blob), headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(put.status, 201, await put.text());
  return digest;
}

/** Pushes a minimal image (a config and one layer) as repo:tag, as `docker push` would. */
async function pushImage(base: string, repo: string, tag: string): Promise<void> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} }));
  const layer = Buffer.from(`layer of ${repo}:${tag}`);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: await pushBlob(base, repo, config) },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: await pushBlob(base, repo, layer) }],
  };
  const res = await fetch(`${base}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: JSON.stringify(manifest), headers: { 'content-type': manifest.mediaType } });
  assert.equal(res.status, 201, await res.text());
}

describe('a real docker-registry notifies Paz with the webhook secret', { skip: existsSync(REGISTRY_BIN) ? false : `${REGISTRY_BIN} is not installed` }, () => {
  const p = new InProcessPlane('tokens');
  const dir = mkdtempSync(join(tmpdir(), 'paz-hook-registry-'));
  let registry: ChildProcess | undefined;
  let registryLog = '';
  let base = '';
  let host = '';
  let secret = '';

  before(async () => {
    await p.start();
    secret = (await p.secrets().current()).secret;
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    base = `http://${host}`;
    // the endpoint exactly as `paz webhook secret` prints it, and a second one with a wrong secret
    const right = webhookSetup(secret, p.scheduler).registry.config;
    const wrong = webhookSetup('not-the-secret', p.scheduler).registry.config.split('\n').slice(2).join('\n').replace('name: paz', 'name: wrong');
    const config = join(dir, 'registry.yml');
    writeFileSync(
      config,
      ['version: 0.1', 'log:', '  level: info', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`, 'http:', `  addr: ${host}`, right.replace('backoff: 10s', 'backoff: 1s'), wrong.replace('backoff: 10s', 'backoff: 1s'), ''].join('\n'),
    );
    registry = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    registry.stdout!.on('data', (d) => (registryLog += d));
    registry.stderr!.on('data', (d) => (registryLog += d));
    await waitFor('docker-registry to answer', async () => (registry!.exitCode === null ? (await fetch(`${base}/v2/`).then((r) => r.ok, () => false)) : Promise.reject(new Error(registryLog))), 30_000);
    await p.plane.ctx.directory.create({ name: 'pushed-app', dockerRepository: `${host}/team/app` });
  });

  after(async () => {
    if (registry && registry.exitCode === null) {
      const exited = new Promise((r) => registry!.once('exit', r));
      registry.kill('SIGTERM');
      await exited;
    }
    await p.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a push deploys the pushed tag once; the wrong secret gets 401s and deploys nothing', async () => {
    await pushImage(base, 'team/app', 'v1');
    const version = await waitFor('the push to deploy pushed-app', async () => (await p.plane.ctx.deploys.latestVersion('pushed-app')) || false);
    assert.equal(version, 1);
    const rec = await p.plane.ctx.deploys.latest('pushed-app');
    assert.equal(rec.image, `${host}/team/app:v1`);
    assert.equal(rec.trigger.source, 'registry');
    // the wrong endpoint's delivery was answered 401 (fastify logs each answer's status)
    await waitFor('a 401 answer to the wrong endpoint', async () => /"statusCode":401/.test(p.log));
    assert.equal(await p.plane.ctx.deploys.latestVersion('pushed-app'), 1, 'only the right endpoint deployed');
    assert.ok(!p.log.includes(secret), 'the secret is not in the control plane log');
  });
});
