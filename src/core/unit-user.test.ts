import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPrivileged, resolveUnitUser } from './unit-user.js';

const passwd = 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nweb:x:1000:1001::/home/web:/bin/sh\n';
const group = 'root:x:0:\nnogroup:x:65534:\nweb:x:1001:\nstaff:x:50:\n';

test('names, numbers and groups resolve from passwd and group', () => {
  assert.deepEqual(resolveUnitUser('nobody', passwd, group), { name: 'nobody', uid: 65534, gid: 65534 });
  assert.deepEqual(resolveUnitUser('web', passwd, group), { name: 'web', uid: 1000, gid: 1001 });
  assert.deepEqual(resolveUnitUser('web:staff', passwd, group), { name: 'web', uid: 1000, gid: 50 });
  assert.deepEqual(resolveUnitUser('1000', passwd, group), { name: 'web', uid: 1000, gid: 1001 });
  assert.deepEqual(resolveUnitUser('2000:3000', passwd, group), { name: '2000', uid: 2000, gid: 3000 });
  assert.deepEqual(resolveUnitUser('2000', passwd, group), { name: '2000', uid: 2000, gid: 2000 });
  assert.deepEqual(resolveUnitUser('root', passwd, group), { name: 'root', uid: 0, gid: 0 });
});

test('nobody is known even on a host whose passwd lacks it', () => {
  assert.deepEqual(resolveUnitUser('nobody', '', ''), { name: 'nobody', uid: 65534, gid: 65534 });
});

test('unknown users and groups, and malformed specs, say what to write', () => {
  assert.throws(() => resolveUnitUser('ghost', passwd, group), /no user "ghost"/);
  assert.throws(() => resolveUnitUser('web:ghosts', passwd, group), /no group "ghosts"/);
  for (const bad of ['', ':', 'a b', 'web:', '1:2:3', '-1', '../x']) assert.throws(() => resolveUnitUser(bad, passwd, group), /USER, UID, USER:GROUP or UID:GID/, bad);
});

test('root or its group is privileged', () => {
  assert.equal(isPrivileged({ name: 'root', uid: 0, gid: 0 }), true);
  assert.equal(isPrivileged({ name: 'web', uid: 1000, gid: 0 }), true);
  assert.equal(isPrivileged({ name: 'nobody', uid: 65534, gid: 65534 }), false);
});
