// Pinning by digest, the parts below a deploy: the registry lookup (the test registry, an unreachable one, a
// missing tag, and a registry that answers 401 with a Bearer challenge for anonymous pulls), and pinning at
// first pull with the real dockerd (the digest is recorded once per version; later instances run it).
// test-lane: docker normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Docker from 'dockerode';
import { pino } from 'pino';
import { skipUnlessDocker, dockerTestEnv, freePort, tmpDir, type DockerTestEnv } from './helpers/env.js';
import { DigestResolver } from '../src/state/digest-resolver.js';
import { VersionDigests } from '../src/state/version-digests.js';
import { ImagePinning } from '../src/agent/image-pin.js';
import { DockerDriver } from '../src/agent/drivers/docker/docker-driver.js';
import { openStore } from '../src/store/index.js';
import type { Store } from '../src/store/store.js';
import type { DesiredUnit } from '../src/core/records.js';
import { imageName } from '../src/core/image-ref.js';
import { Directory } from '../src/state/directory.js';
import { Deploys } from '../src/state/deploys.js';
import { rangeJson } from '../src/store/json.js';
import { keys } from '../src/core/keys.js';
import { startTokenRegistry, type TokenRegistry } from './helpers/token-registry.js';

const logger = pino({ level: process.env.PAZ_TEST_LOG ?? 'silent' });
const DIGEST = 'sha256:' + '5a'.repeat(32);

describe('registry digest lookup', () => {
  let registry: TokenRegistry;
  let port: number;
  let seen: string[];
  before(async () => {
    // a registry that wants a Bearer token for anonymous pulls (as Docker Hub does), on loopback
    registry = await startTokenRegistry({ manifests: { '/v2/team/app/manifests/stable': DIGEST }, token: 'anon-token', service: 'test-registry', scope: 'repository:team/app:pull' });
    port = Number(registry.host.split(':')[1]);
    seen = registry.seen;
  });
  after(() => registry.close());

  it('gets an anonymous token after a Bearer challenge and reads Docker-Content-Digest', async () => {
    const r = await new DigestResolver().resolve(`127.0.0.1:${port}/team/app:stable`);
    assert.deepEqual(r, { digest: DIGEST });
    assert.deepEqual(seen.slice(0, 3), [
      'HEAD /v2/team/app/manifests/stable -',
      'GET /token?service=test-registry&scope=repository%3Ateam%2Fapp%3Apull -',
      'HEAD /v2/team/app/manifests/stable Bearer anon-token',
    ]);
  });

  it('says why when a tag is missing, a registry unreachable, or the image a program path', async () => {
    const resolver = new DigestResolver({ timeoutMs: 2000 });
    const missing = await resolver.resolve(`127.0.0.1:${port}/team/app:nope`);
    assert.equal(missing.digest, undefined);
    assert.match((missing as { why: string }).why, /not in its registry/);
    const closed = await freePort();
    const down = await resolver.resolve(`127.0.0.1:${closed}/team/app:1`);
    assert.match((down as { why: string }).why, /unreachable/);
    // asked again at once: not retried while the registry is known to be down
    assert.match((await resolver.resolve(`127.0.0.1:${closed}/team/app:2`) as { why: string }).why, /unreachable moments ago/);
    assert.match((await resolver.resolve('/usr/bin/node') as { why: string }).why, /not a registry image/);
    assert.deepEqual(await resolver.resolve(`x/y@${DIGEST}`), { digest: DIGEST });
  });
});

describe('pinning with the real registry and dockerd', skipUnlessDocker, () => {
  let env: DockerTestEnv;
  let store: Store;
  let driver: DockerDriver;
  before(async () => {
    env = dockerTestEnv();
    store = await openStore(`sqlite:${join(tmpDir('paz-digest-'), 'paz.db')}`);
    driver = new DockerDriver({ dockerHost: env.dockerHost });
  });
  after(async () => {
    await driver?.close();
    await store?.close();
  });

  const unit = (instance: number): DesiredUnit => ({
    unit: `firstpull-1-${instance}`,
    service: 'firstpull',
    version: 1,
    instance,
    host: 'h1',
    spec: { image: env.image1, ports: [], env: {}, volumes: [], stopGraceSeconds: 1 },
    createdAt: 0,
  });

  it('the registry lookup gives the digest docker pull records', async () => {
    const resolved = await new DigestResolver().resolve(env.image1);
    await driver.pull(env.image1);
    const inspected = await new Docker({ socketPath: env.socketPath }).getImage(env.image1).inspect();
    assert.ok(resolved.digest, JSON.stringify(resolved));
    assert.ok(inspected.RepoDigests.includes(`${imageName(env.image1)}@${resolved.digest}`), `${resolved.digest} not in ${inspected.RepoDigests}`);
    assert.equal(await driver.imageDigest(env.image1), resolved.digest);
  });

  it('records the digest at first pull once per version, and later instances run it', async () => {
    const digests = new VersionDigests(store);
    const pinning = new ImagePinning(digests, driver, logger);
    assert.equal(await pinning.imageToPull(unit(1), env.image1), env.image1, 'nothing recorded yet: the tag is pulled');
    await driver.pull(env.image1);
    const started = await pinning.imageToStart(unit(1), env.image1);
    const digest = await driver.imageDigest(env.image1);
    assert.equal(started, `${imageName(env.image1)}@${digest}`);
    assert.equal(await digests.get('firstpull', 1), digest);
    assert.equal(await pinning.imageToPull(unit(2), env.image1), started, 'the second instance pulls the recorded digest');
    // a host whose pull got other bytes (the tag moved meanwhile) does not overwrite the first record
    assert.equal(await digests.recordOnce('firstpull', 1, DIGEST), digest);
    assert.equal(await digests.get('firstpull', 1), digest);
    assert.equal((await digests.all('firstpull')).get(1), digest);
  });
});

describe('versions pinned at first pull, in the deploy records', () => {
  it('a version the registry could not resolve takes the first-pull digest: versions, rollback and scale use it', async () => {
    const store = await openStore(`sqlite:${join(tmpDir('paz-digest-deploys-'), 'paz.db')}`);
    try {
      const unreachable = `127.0.0.1:${await freePort()}/team/app:stable`;
      const directory = new Directory(store);
      const deploys = new Deploys(store, Date.now, new DigestResolver({ timeoutMs: 1000 }));
      await directory.create({ name: 'firstpull', dockerRepository: unreachable, ports: [{ container: 9000 }], numInstances: 1 });
      const v1 = await deploys.deploy('firstpull', { trigger: { source: 'api' } });
      assert.equal(v1.digest, undefined, 'the registry could not be asked: nothing pinned at deploy');
      const desired = async () => (await rangeJson<DesiredUnit>(store, keys.desiredUnitsOf('firstpull'))).entries.map((e) => e.value);
      assert.deepEqual((await desired()).map((u) => u.spec.image), [unreachable]);

      // the first agent to pull version 1 records what it got
      await new VersionDigests(store).recordOnce('firstpull', 1, DIGEST);
      assert.equal((await deploys.version('firstpull', 1)).digest, DIGEST);
      assert.equal((await deploys.records('firstpull'))[0].digest, DIGEST);
      const scaled = await deploys.scale('firstpull', 2);
      const added = (await desired()).find((u) => u.unit === scaled.added[0]);
      assert.equal(added?.spec.image, `${imageName(unreachable)}@${DIGEST}`, 'a scaled-up instance runs the recorded digest');

      await deploys.deploy('firstpull', { trigger: { source: 'api' } });
      const rollback = await deploys.rollback('firstpull', 1);
      assert.equal(rollback.digest, DIGEST, 'the rollback runs the bytes version 1 ran');
      assert.ok((await desired()).filter((u) => u.version === rollback.version).every((u) => u.spec.image.endsWith(`@${DIGEST}`)));
    } finally {
      await store.close();
    }
  });
});
