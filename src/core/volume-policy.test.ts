import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forbiddenHostPath, hostVolumeProblem, volumeRootProblem } from './volume-policy.js';

const ROOT = '/var/lib/paz/volumes';

test('host volumes under the root are allowed, the root itself too', () => {
  assert.equal(hostVolumeProblem(`${ROOT}/web/data`, ROOT), undefined);
  assert.equal(hostVolumeProblem(`${ROOT}/x`, ROOT), undefined);
  assert.equal(hostVolumeProblem(ROOT, ROOT), undefined);
});

test('a path outside the root is refused with a message naming the allowed root', () => {
  const why = hostVolumeProblem('/srv/data', ROOT);
  assert.match(why!, /^volume host path "\/srv\/data" \(a key of volume; its value is the path inside the container\) is outside the volume root \/var\/lib\/paz\/volumes/);
  assert.match(why!, /--volume-root/);
  // a sibling whose name starts like the root is not under it
  assert.match(hostVolumeProblem(`${ROOT}-other/x`, ROOT)!, /outside the volume root/);
});

test('the Docker socket, any socket, / and system paths are refused whatever the root', () => {
  for (const p of ['/var/run/docker.sock', '/run/docker.sock', '/run/containerd/containerd.sock', '/tmp/x/docker.sock']) {
    assert.match(forbiddenHostPath(p)!, /engine's socket/, p);
  }
  assert.match(forbiddenHostPath('/srv/app/agent.sock')!, /is a socket/);
  assert.match(forbiddenHostPath('/')!, /whole host/);
  for (const p of ['/etc', '/etc/shadow', '/proc', '/proc/1/root', '/sys', '/dev', '/dev/sda', '/boot', '/usr', '/usr/bin', '/bin', '/sbin', '/lib', '/lib64', '/var/run', '/run', '/run/secrets', '/var/lib/docker/volumes']) {
    assert.ok(forbiddenHostPath(p), `${p} must be refused`);
  }
  for (const p of ['/root', '/home', '/var', '/tmp']) assert.match(forbiddenHostPath(p)!, /system directory/, p);
  assert.equal(forbiddenHostPath('/etcetera'), undefined, 'a name that starts like a system directory is not one');
  assert.equal(forbiddenHostPath('/root/.paz/volumes/x'), undefined, 'below root\'s home is fine (the default volume root lives there)');
  // even a root that would contain them does not let them through
  assert.match(hostVolumeProblem('/', '/')!, /whole host/);
  assert.match(hostVolumeProblem('/etc/passwd', '/etc')!, /system directory \/etc/);
  assert.match(hostVolumeProblem(`${ROOT}/docker.sock`, ROOT)!, /engine's socket/);
});

test('".." segments, relative and unusual spellings are refused with the path to write instead', () => {
  assert.match(hostVolumeProblem(`${ROOT}/../../../etc`, ROOT)!, /"\.\." segment/);
  assert.match(hostVolumeProblem('data', ROOT)!, /must be absolute/);
  assert.match(hostVolumeProblem(`${ROOT}//x`, ROOT)!, new RegExp(`write "${ROOT}/x"`));
  assert.match(hostVolumeProblem(`${ROOT}/./x`, ROOT)!, new RegExp(`write "${ROOT}/x"`));
  assert.match(hostVolumeProblem(`${ROOT}/x/`, ROOT)!, new RegExp(`write "${ROOT}/x"`));
});

test('no root configured: no host volume at all', () => {
  assert.match(hostVolumeProblem('/data', undefined)!, /no volume root is configured/);
});

test('a volume root must be absolute, plain, not a system path, and not hold the data dir', () => {
  assert.equal(volumeRootProblem('/root/.paz/volumes', '/root/.paz'), undefined);
  assert.equal(volumeRootProblem('/srv/paz-volumes', '/root/.paz'), undefined);
  assert.match(volumeRootProblem('volumes')!, /absolute/);
  assert.match(volumeRootProblem('/')!, /whole host/);
  assert.match(volumeRootProblem('/etc/paz')!, /system directory \/etc/);
  assert.match(volumeRootProblem('/var/run')!, /system directory/);
  assert.match(volumeRootProblem('/root', '/root/.paz')!, /system directory/);
  assert.match(volumeRootProblem('/srv/paz', '/srv/paz/data')!, /holds the data dir \/srv\/paz\/data/);
  assert.match(volumeRootProblem('/srv/paz', '/srv/paz')!, /holds the data dir/);
});
