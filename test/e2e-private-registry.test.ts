// Issue 9, registry credentials end to end: `paz up` with the real dockerd and router, and a docker-registry
// that requires an htpasswd login. Without credentials the deploy fails at once with what to do; after
// `paz registry login` the next deploy pulls through the login and runs pinned to the pushed digest. The
// password is in no API answer, no stored byte and no log line.
// test-lane: docker light
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request, runPaz } from './helpers/paz-server.js';
import { skipUnlessDocker, dockerTestEnv } from './helpers/env.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { startAuthRegistry, type AuthRegistry } from './helpers/auth-registry.js';
import { waitFor } from './helpers/wait.js';
import { viaRouter } from './helpers/load.js';
import Docker from 'dockerode';

const PASSWORD = `private-pw-${process.pid}-K7#q`;

describe('deploying from a registry that requires a login', skipUnlessDocker, () => {
  let up: PazUp | undefined;
  let registry: AuthRegistry | undefined;
  let image: string;
  let pushed: string;
  const service = `private-${process.pid}`;

  before(async () => {
    const env = dockerTestEnv();
    registry = await startAuthRegistry({ erin: PASSWORD });
    pushed = await registry.push(new Docker({ socketPath: env.socketPath }), env.image1, 'team/hello:1', { username: 'erin', password: PASSWORD });
    image = `${registry.host}/team/hello:1`;
    // info: requests and unit changes are logged, so the log check covers them
    up = await startPazUp(['--log-level', 'info']);
  });
  after(async () => {
    try {
      if (up) {
        await request('DELETE', `${up.paz.orchestrator}/services/${service}`).catch(() => undefined);
        await up.close();
      }
    } finally {
      await registry?.stop();
    }
  });

  it('fails clearly without credentials, then deploys pinned after paz registry login', async () => {
    const { paz, docker } = up!;
    const host = registry!.host;
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: service,
      dockerRepository: image,
      ports: [{ container: 9000 }],
      numInstances: 1,
      rollout: { healthyDeadlineSeconds: 120, drainSeconds: 1, stopGraceSeconds: 2 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    // 1. no credentials: the registry refuses the digest lookup and the pull; the deploy fails at once, for good
    const first = await request('POST', `${paz.orchestrator}/services/${service}/deploy`, {});
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.doc.digest, undefined, 'the registry refused the lookup: nothing pinned');
    const failed = await waitFor('version 1 to fail', async () => {
      const r = await up!.rollout(service);
      return r.version === 1 && r.state !== 'deploying' ? r : undefined;
    }, 120_000);
    assert.equal(failed.state, 'failed', JSON.stringify(failed));
    assert.match(failed.reason ?? '', new RegExp(`REGISTRY_AUTH: registry ${host.replace(/\./g, '\\.')} refused the pull \\(401\\): set credentials with paz registry login ${host.replace(/\./g, '\\.')}`));
    assert.doesNotMatch(failed.reason ?? '', /crash-looping/, 'a refused pull is permanent, not a crash loop');
    await waitFor('the failed version\'s units to be gone', async () => (await up!.rollout(service)).units.length === 0, 60_000);

    // 2. paz registry login, then the next deploy pulls through the login
    // as a user runs it, the password piped in
    const login = await runPaz(['registry', 'login', host, '--username', 'erin', '--password-stdin', '--url', paz.orchestrator], `${PASSWORD}\n`);
    assert.equal(login.code, 0, login.stderr);
    assert.ok(!(login.stdout + login.stderr).includes(PASSWORD));
    const second = await request('POST', `${paz.orchestrator}/services/${service}/deploy`, {});
    assert.equal(second.status, 201, JSON.stringify(second.body));
    assert.equal(second.body.doc.digest, pushed, 'the deploy asked the registry with the login and pinned the pushed digest');
    await up!.settled(service, 2, 120_000);
    const containers = await docker.listContainers({ filters: { label: [`paz.service=${service}`, 'paz.version=2'] } });
    assert.deepEqual(containers.map((c) => c.Image), [`${host}/team/hello@${pushed}`], 'the instance runs the pinned digest');
    await waitFor('the router to serve the private image', async () => (await viaRouter(up!.routerPort, `${service}.paz`)).body === 'Hello World 1\n', 60_000);

    // 3. the password is shown nowhere: API, store file, server log
    const listed = await request('GET', `${paz.orchestrator}/registries`);
    assert.deepEqual(listed.body.doc.map((l: { host: string; username: string }) => [l.host, l.username]), [[host, 'erin']]);
    assert.ok(!JSON.stringify(listed.body).includes(PASSWORD), 'GET /registries never shows the password');
    for (const path of ['/services', `/services/${service}/versions`, `/services/${service}/rollout`, '/cluster/units']) {
      assert.ok(!JSON.stringify((await request('GET', `${paz.orchestrator}${path}`)).body).includes(PASSWORD), `${path} shows no password`);
    }
    const stored = ['paz.db', 'paz.db-wal'].map((f) => join(paz.dataDir, f)).filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('');
    assert.ok(stored.includes(service), 'the store file was read');
    assert.ok(!stored.includes(PASSWORD), 'no plain password in the store file');
    assert.ok(paz.output.length > 0, 'paz logged');
    assert.ok(!paz.output.includes(PASSWORD), 'no password in the server log');
    assert.ok(!paz.output.includes(Buffer.from(`erin:${PASSWORD}`).toString('base64')), 'nor its Basic encoding');
  });
});
