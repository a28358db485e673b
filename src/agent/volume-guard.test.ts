import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DriverError } from './drivers/driver.js';
import { checkVolumesOnHost, prepareVolumeRoot, realPathOnHost } from './volume-guard.js';

const dataDir = mkdtempSync(join(tmpdir(), 'paz-volume-guard-'));
const root = prepareVolumeRoot(join(dataDir, 'volumes'), dataDir);
after(() => rmSync(dataDir, { recursive: true, force: true }));

function refusal(hostPath: string): string | undefined {
  try {
    checkVolumesOnHost([{ hostPath, containerPath: '/data' }], root);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof DriverError && err.code === 'VOLUME_REFUSED', String(err));
    return err.message;
  }
}

test('the root is made; directories under it, existing or not, are mounted', () => {
  mkdirSync(join(root, 'web'));
  writeFileSync(join(root, 'web', 'config.json'), '{}');
  assert.equal(refusal(join(root, 'web')), undefined);
  assert.equal(refusal(join(root, 'web', 'config.json')), undefined);
  assert.equal(refusal(join(root, 'not-yet', 'made')), undefined, 'Docker creates a missing source below the root');
  assert.equal(realPathOnHost(join(root, 'not-yet', 'made')), join(root, 'not-yet', 'made'));
});

test('a symlink in the root that leads out of it is refused, however deep the path goes on', () => {
  symlinkSync('/', join(root, 'to-slash'));
  symlinkSync('/etc', join(root, 'to-etc'));
  symlinkSync(dataDir, join(root, 'to-data-dir'));
  assert.match(refusal(join(root, 'to-slash'))!, /resolves to "\/" on this host: volume "\/" is the whole host/);
  assert.match(refusal(join(root, 'to-slash', 'var', 'run', 'docker-x'))!, /resolves to "(\/var)?\/run\/docker-x" on this host: .*system directory/);
  assert.match(refusal(join(root, 'to-etc', 'shadow'))!, /under the system directory \/etc/);
  assert.match(refusal(join(root, 'to-data-dir', 'secrets.key'))!, /outside the volume root/);
  // a link that stays inside the root is fine
  symlinkSync(join(root, 'web'), join(root, 'web-alias'));
  assert.equal(refusal(join(root, 'web-alias')), undefined);
});

test('a socket under the root is refused by what it is, whatever its name', async () => {
  const server = createServer();
  const path = join(root, 'engine');
  await new Promise<void>((r) => server.listen(path, r));
  try {
    assert.match(refusal(path)!, /is a socket on this host/);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('paths the API would refuse are refused here too, and no root means no volume', () => {
  assert.match(refusal('/var/run/docker.sock')!, /engine's socket/);
  assert.match(refusal(`${root}/../secrets.key`)!, /"\.\." segment/);
  assert.throws(() => checkVolumesOnHost([{ hostPath: join(root, 'web'), containerPath: '/d' }], undefined), /no volume root is configured/);
  assert.doesNotThrow(() => checkVolumesOnHost([], undefined), 'a unit without volumes needs no root');
});

test('a volume root that is a system path or holds the data dir stops the agent', () => {
  assert.throws(() => prepareVolumeRoot('/etc/paz', dataDir), /system directory \/etc/);
  assert.throws(() => prepareVolumeRoot(dataDir, dataDir), /holds the data dir/);
  symlinkSync('/usr', join(dataDir, 'sneaky-root'));
  assert.throws(() => prepareVolumeRoot(join(dataDir, 'sneaky-root'), dataDir), /resolves to \/usr/);
});
