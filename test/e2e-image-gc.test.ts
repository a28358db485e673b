// Old images leave the host: Paz pulls an image for every version it deploys, and a host's disk used to fill
// with all of them. `paz up` on the real dockerd with `--image-keep 1`: after a second version serves, the first
// one's references of the service's repository are removed (the image's bytes stay while another repository's
// tag holds them); a rollback to it pulls it again by digest and serves; then the second version's go in turn.
// Once the service is deleted, its images go too (the agent wrote down the repository it pulled for Paz).
// A tag of a repository no Paz service deploys from (and no Paz agent pulled) is never touched. The repository is this test's own: the
// test environment's dockerd is shared by every test (whose `paz up` runs with PAZ_IMAGE_KEEP=0 for that reason).
// test-lane: docker
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { type PazProcess, request } from './helpers/paz-server.js';
import { skipUnlessDocker, type DockerTestEnv } from './helpers/env.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { waitFor } from './helpers/wait.js';
import { viaRouter } from './helpers/load.js';

const run = promisify(execFile);

describe('an agent removes the images of versions no longer kept', skipUnlessDocker, () => {
  let up: PazUp;
  let env: DockerTestEnv;
  let docker: Docker;
  let paz: PazProcess;
  let repo: string;
  let other: string;
  const service = `gc-${process.pid}`;
  const dockerCli = (...args: string[]) => run('docker', args, { env: { ...process.env, DOCKER_HOST: env.dockerHost }, timeout: 120_000 });
  /** every reference to an image on the host */
  const refs = async () => (await docker.listImages()).flatMap((i) => [...(i.RepoTags ?? []), ...(i.RepoDigests ?? [])]);
  const deploy = async (tag: string) => {
    const res = await request('POST', `${paz.orchestrator}/services/${service}/deploy`, { tag });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.doc as { version: number; digest?: string };
  };

  before(async () => {
    up = await startPazUp(['--image-keep', '1', '--image-gc-seconds', '1']);
    ({ env, docker, paz } = up);
    repo = `${env.registry}/paz/gc-${process.pid}`;
    other = `${env.registry}/other/keep-${process.pid}:1`;
    // this test's repository in the registry, tags 1 and 2 (hello 1 and 2), and another repository's tag here
    for (const [source, tag] of [[env.image1, '1'], [env.image2, '2']]) {
      await dockerCli('pull', source);
      await dockerCli('tag', source, `${repo}:${tag}`);
      await dockerCli('push', `${repo}:${tag}`);
    }
    await dockerCli('tag', env.image1, other);
    const created = await request('POST', `${paz.orchestrator}/services`, { name: service, dockerRepository: repo, ports: [{ container: 9000 }], numInstances: 1, rollout: { drainSeconds: 1, minHealthySeconds: 1 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(async () => {
    await request('DELETE', `${paz.orchestrator}/services/${service}`).catch(() => undefined);
    await waitFor("the service's containers to be removed", async () => (await docker.listContainers({ all: true, filters: { label: [`paz.service=${service}`] } })).length === 0, 60_000).catch(() => undefined);
    await paz?.close();
    for (const ref of (await refs().catch(() => [])).filter((r) => r.startsWith(repo) || r === other)) await dockerCli('rmi', ref).catch(() => undefined);
  });

  it('after v2 serves, v1 goes (only its references of the service repository); a rollback pulls it again; then v2 goes', async () => {
    const v1 = await deploy('1');
    await up.settled(service, v1.version);
    // meanwhile the collector already removed this test's local tag 2: no version runs it yet
    await waitFor('the local tag 2 removed', async () => !(await refs()).includes(`${repo}:2`), 30_000);
    assert.ok((await refs()).includes(`${repo}@${v1.digest}`), 'pulled for version 1, by its digest');
    const v2 = await deploy('2');
    await up.settled(service, v2.version);
    assert.ok(v1.digest && v2.digest, 'versions pinned to their digests');
    const gone1 = await waitFor('version 1\'s references removed', async () => {
      const now = await refs();
      return !now.includes(`${repo}:1`) && !now.includes(`${repo}@${v1.digest}`) ? now : undefined;
    }, 30_000);
    assert.ok(gone1.includes(`${repo}@${v2.digest}`), 'version 2 serves: the image it runs (pinned to its digest) stays');
    assert.ok(gone1.includes(other), 'another repository\'s tag is never touched (and keeps the bytes of version 1)');
    assert.ok(gone1.includes(env.image1), 'nor the hello image it was tagged from');

    // a rollback to version 1 needs its image again: pulled by digest, it serves
    const rb = await request('POST', `${paz.orchestrator}/services/${service}/rollback`, { version: v1.version });
    assert.equal(rb.status, 201, JSON.stringify(rb.body));
    await up.settled(service, rb.body.doc.version);
    assert.equal((await viaRouter(up.routerPort, `${service}.paz`)).body, 'Hello World 1\n');
    // version 3 serves alone: version 2's references go now
    const gone2 = await waitFor('version 2\'s references removed', async () => {
      const now = await refs();
      return !now.includes(`${repo}:2`) && !now.includes(`${repo}@${v2.digest}`) ? now : undefined;
    }, 30_000);
    assert.ok(gone2.includes(`${repo}@${v1.digest}`), 'what version 3 runs stays');
    assert.ok(gone2.includes(other));
  });

  it("a deleted service's images go too: the host wrote down the repository it pulled", async () => {
    const before = await refs();
    assert.ok(before.some((r) => r.startsWith(`${repo}@`)), 'the serving version\'s image is here');
    const del = await request('DELETE', `${paz.orchestrator}/services/${service}`);
    assert.equal(del.status, 204, JSON.stringify(del.body));
    // no service names the repository any more; its containers leave first (Docker keeps an image one uses)
    const gone = await waitFor("the deleted service's references removed", async () => {
      const now = await refs();
      return now.some((r) => r.startsWith(`${repo}:`) || r.startsWith(`${repo}@`)) ? undefined : now;
    }, 60_000);
    assert.ok(gone.includes(other), 'another repository\'s tag is still never touched');
    assert.ok(gone.includes(env.image1) && gone.includes(env.image2), 'nor the hello images');
  });
});
