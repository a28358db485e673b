import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkType, chooseProbe, type ProbeSubject } from './probe-choice.js';

const published = [{ container: 9000, host: 32768, protocol: 'tcp' as const }];
const subject = (over: Partial<ProbeSubject> = {}, runtime: Partial<ProbeSubject['runtime']> = {}): ProbeSubject => ({
  ports: [{ container: 9000 }],
  ...over,
  runtime: { ports: published, pid: 4242, ...runtime },
});

test('a routed service without a path: an HTTP answer through the published port, any status below 500', () => {
  const inside = { pid: 4242, port: 9000 };
  assert.deepEqual(chooseProbe(subject()), { kind: 'http', port: 32768, path: '/', expect: 'answer', inside });
  assert.deepEqual(chooseProbe(subject({ loadBalanced: true })), { kind: 'http', port: 32768, path: '/', expect: 'answer', inside });
  // what listens inside is looked at only in a namespace of the unit's own, and with a process to look through
  assert.deepEqual(chooseProbe(subject({}, { pid: undefined })), { kind: 'http', port: 32768, path: '/', expect: 'answer' });
  assert.deepEqual(chooseProbe(subject({}, { hostNetwork: true })), { kind: 'http', port: 32768, path: '/', expect: 'answer' });
});

test('a health path: GET it, 2xx, also for services that are not load-balanced', () => {
  const inside = { pid: 4242, port: 9000 };
  assert.deepEqual(chooseProbe(subject({ check: { path: '/health' } })), { kind: 'http', port: 32768, path: '/health', expect: '2xx', inside });
  assert.deepEqual(chooseProbe(subject({ check: { path: '/health' }, loadBalanced: false })), { kind: 'http', port: 32768, path: '/health', expect: '2xx', inside });
});

test('not load-balanced, or type tcp: the listen check in the unit\'s own network namespace, on the container port, reachable from outside', () => {
  assert.deepEqual(chooseProbe(subject({ loadBalanced: false })), { kind: 'listen', pid: 4242, port: 9000, hostPort: 32768, fromOutside: true });
  assert.deepEqual(chooseProbe(subject({ check: { type: 'tcp' } })), { kind: 'listen', pid: 4242, port: 9000, hostPort: 32768, fromOutside: true });
  // the process driver's units share the host's network: they listen on the host port themselves, loopback included
  assert.deepEqual(chooseProbe(subject({ loadBalanced: false }, { hostNetwork: true })), { kind: 'listen', pid: 4242, port: 32768, hostPort: 32768, fromOutside: false });
});

test('no PID to look through: a connect that must stay open; nothing published: cannot be probed', () => {
  assert.deepEqual(chooseProbe(subject({ loadBalanced: false }, { pid: undefined })), { kind: 'held-connect', port: 32768 });
  assert.equal(chooseProbe(subject({ loadBalanced: false }, { pid: undefined, ports: [] })).kind, 'unpublished');
  assert.equal(chooseProbe(subject({}, { ports: [] })).kind, 'unpublished');
});

test('no TCP port: running is all that can be known, and the choice says so', () => {
  assert.deepEqual(chooseProbe(subject({ ports: [] }, { ports: [] })), { kind: 'none', note: 'no ports: running is all that is known' });
  assert.equal(chooseProbe(subject({ ports: [{ container: 53, protocol: 'udp' }] }, { ports: [{ container: 53, host: 5353, protocol: 'udp' }] })).kind, 'none');
});

test('healthCheck.port picks the port; the first TCP port otherwise', () => {
  const ports = [{ container: 53, protocol: 'udp' as const }, { container: 9000 }, { container: 9100 }];
  const runtime = { ports: [...published, { container: 9100, host: 32769, protocol: 'tcp' as const }] };
  assert.deepEqual(chooseProbe(subject({ ports }, runtime)), { kind: 'http', port: 32768, path: '/', expect: 'answer', inside: { pid: 4242, port: 9000 } });
  assert.deepEqual(chooseProbe(subject({ ports, check: { port: 9100 } }, runtime)), { kind: 'http', port: 32769, path: '/', expect: 'answer', inside: { pid: 4242, port: 9100 } });
});

test('checkType: explicit type wins; a path means http; loadBalanced false means tcp', () => {
  assert.equal(checkType(undefined, undefined), 'http');
  assert.equal(checkType(undefined, false), 'tcp');
  assert.equal(checkType({ path: '/x' }, false), 'http');
  assert.equal(checkType({ type: 'tcp' }, true), 'tcp');
  assert.equal(checkType({ type: 'http' }, false), 'http');
});
