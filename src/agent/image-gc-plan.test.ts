import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imagesInUse, keptVersions, normalRef, refsToRemove, repositoriesToForget } from './image-gc-plan.js';

const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + '2'.repeat(64);
const D3 = 'sha256:' + '3'.repeat(64);

test('a reference in its normal form, whatever the spelling', () => {
  assert.equal(normalRef('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(normalRef('docker.io/library/busybox:1.36'), 'docker.io/library/busybox:1.36');
  assert.equal(normalRef('127.0.0.1:5000/paz/hello:2'), '127.0.0.1:5000/paz/hello:2');
  assert.equal(normalRef(`127.0.0.1:5000/paz/hello@${D1}`), `127.0.0.1:5000/paz/hello@${D1}`);
});

test('the newest versions and the serving one keep their images', () => {
  assert.deepEqual(keptVersions(9, 9, 3).sort(), [7, 8, 9]);
  assert.deepEqual(keptVersions(9, 2, 3).sort(), [2, 7, 8, 9], 'six failed deploys since: the serving one stays');
  assert.deepEqual(keptVersions(2, 1, 5).sort(), [1, 2]);
  assert.deepEqual(keptVersions(0, 0, 5), []);
  assert.deepEqual(keptVersions(4, 4, 0), [4], 'keep 0: still what serves');
});

test("an agent removes only old versions' references of Paz's repositories", () => {
  const images = [
    { id: 'a', refs: ['127.0.0.1:5000/paz/hello:1', `127.0.0.1:5000/paz/hello@${D1}`], size: 10 },
    { id: 'b', refs: ['127.0.0.1:5000/paz/hello:2', `127.0.0.1:5000/paz/hello@${D2}`], size: 20 },
    { id: 'c', refs: [`127.0.0.1:5000/paz/hello@${D3}`], size: 30 },
    // not a service's repository: never touched, even with a Paz image's bytes
    { id: 'd', refs: ['registry:2', 'mine/tool:latest'], size: 40 },
    { id: 'e', refs: ['busybox:latest', `busybox@${D1}`], size: 50 },
    // built here and never pushed: no registry digest, never touched even under a service's repository
    { id: 'f', refs: ['127.0.0.1:5000/paz/hello:dev', 'busybox:dev'], size: 60 },
  ];
  // version 3 runs :2 pinned to D2 and version 2 ran :latest pinned to D3; the service deploys from hello
  const inUse = imagesInUse(['127.0.0.1:5000/paz/hello'], [{ image: '127.0.0.1:5000/paz/hello:2', digest: D2 }, { image: '127.0.0.1:5000/paz/hello', digest: D3 }]);
  assert.deepEqual(
    refsToRemove(images, inUse).map((r) => [r.ref, r.image.id]),
    [
      ['127.0.0.1:5000/paz/hello:1', 'a'],
      [`127.0.0.1:5000/paz/hello@${D1}`, 'a'],
    ],
  );
  // a service that deploys busybox (spelled without its registry) makes busybox's old references removable
  const withBusybox = imagesInUse(['docker.io/library/busybox:1.36'], [{ image: 'busybox:1.36' }]);
  assert.deepEqual(refsToRemove(images, withBusybox).map((r) => r.ref), ['busybox:latest', `busybox@${D1}`]);
  // a unit desired here, by its pinned reference alone, keeps its image
  const pinned = imagesInUse(['127.0.0.1:5000/paz/hello'], [{ image: `127.0.0.1:5000/paz/hello@${D1}` }]);
  assert.ok(!refsToRemove(images, pinned).some((r) => r.ref.endsWith(D1)));
  assert.deepEqual(refsToRemove([], inUse), []);
});

test('a pulled repository is forgotten once nothing names it, nothing of it is left, and it was known before the pass', () => {
  const gone = '127.0.0.1:5000/paz/deleted';
  const live = '127.0.0.1:5000/paz/hello';
  const left = '127.0.0.1:5000/paz/refused';
  const fresh = '127.0.0.1:5000/paz/new';
  const pulled = new Map([[gone, 100], [live, 100], [left, 100], [fresh, 1_000]]);
  const inUse = imagesInUse([live], []);
  // a reference Docker refused to remove (a container uses it) is left: its repository stays known
  const refsLeft = [`${left}@${D1}`, 'registry:2', 'not a reference!'];
  assert.deepEqual(repositoriesToForget(pulled, inUse, refsLeft, 500), [gone], 'the service\'s stays; the refused one stays; the one written down after the images were listed (being pulled) stays');
  assert.deepEqual(repositoriesToForget(pulled, inUse, refsLeft, 100), [], 'written down in the same millisecond as the listing: kept');
  assert.deepEqual(repositoriesToForget(pulled, imagesInUse([], [{ image: `${gone}:3` }]), [], 500).sort(), [left, live].sort(), 'what a unit desired here runs is in use');
});
