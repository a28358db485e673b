import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainUnreachable, listenersIn, listenersOf, listeningPorts, reachFromOutside } from './proc-net-tcp.js';

// samples from a Debian 12 host: a listener on 0.0.0.0:2024, established connections on 127.0.0.1:18080
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 236 1 00000000604fd876 100 0 0 10 0
   1: 0100007F:46A0 0100007F:D544 06 00000000:00000000 03:00001297 00000000     0        0 0 3 000000000c7e63a5
   2: 0100007F:D54C 0100007F:46A0 01 00000000:00000000 03:00001307 00000000     0        0 0 3 00000000157a47d0
`;
// a listener on [::]:9000 and an established [::1]:8080
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:2328 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5512 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:E2A4 01 00000000:00000000 00:00000000 00000000     0        0 5513 1 0000000000000000 20 4 30 10 -1
`;

test('only sockets in LISTEN state count, by local port', () => {
  assert.deepEqual([...listeningPorts(TCP)], [2024]);
  assert.deepEqual([...listeningPorts(TCP6)], [9000]);
});

test('an established connection on a port is not a listener (the proxy case), the header and junk are skipped', () => {
  assert.equal(listeningPorts(TCP).has(18080), false);
  assert.equal(listeningPorts(TCP6).has(8080), false);
  assert.deepEqual([...listeningPorts('garbage\n\n  sl local\n')], []);
});

// what a container's namespace shows for an app bound to 127.0.0.1:9000 and a debugger on [::1]:9229, beside
// busybox httpd on 0.0.0.0:8080 and a dual-stack listener on [::]:3000; ::ffff:127.0.0.1:5000 (v4-mapped loopback)
const LOOPBACK_TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7001 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7002 1 0000000000000000 100 0 0 10 0
   2: 0100007F:2328 0100007F:B1C2 01 00000000:00000000 00:00000000 00000000     0        0 7003 1 0000000000000000 20 4 30 10 -1
`;
const LOOPBACK_TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:240D 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7004 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7005 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1388 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7006 1 0000000000000000 100 0 0 10 0
   3: 0000000000000000FFFF00000A00000A:1F40 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7007 1 0000000000000000 100 0 0 10 0
`;

test('a listener\'s address as the kernel wrote it (words in host order), and whether it is loopback', () => {
  assert.deepEqual(listenersIn(LOOPBACK_TCP), [
    { address: '127.0.0.1', port: 9000, loopback: true },
    { address: '0.0.0.0', port: 8080, loopback: false },
  ]);
  assert.deepEqual(listenersIn(LOOPBACK_TCP6), [
    { address: '::1', port: 9229, loopback: true },
    { address: '::', port: 3000, loopback: false },
    { address: '::ffff:127.0.0.1', port: 5000, loopback: true },
    { address: '::ffff:10.0.0.10', port: 8000, loopback: false },
  ]);
  assert.deepEqual(listenersIn(TCP), [{ address: '0.0.0.0', port: 2024, loopback: false }]);
});

test('reachable from outside the container: a listener on the port on any non-loopback address', () => {
  const all = [...listenersIn(LOOPBACK_TCP), ...listenersIn(LOOPBACK_TCP6)];
  assert.deepEqual(reachFromOutside(8080, all), { kind: 'reachable' });
  assert.deepEqual(reachFromOutside(3000, all), { kind: 'reachable' });
  assert.deepEqual(reachFromOutside(8000, all), { kind: 'reachable' });
  assert.deepEqual(reachFromOutside(9000, all), { kind: 'loopback-only', addresses: ['127.0.0.1'] });
  assert.deepEqual(reachFromOutside(5000, all), { kind: 'loopback-only', addresses: ['::ffff:127.0.0.1'] });
  // the ports it does serve on, loopback-only ones left out (a debugger on ::1 is nothing to point a service at)
  assert.deepEqual(reachFromOutside(4000, all), { kind: 'absent', elsewhere: [3000, 8000, 8080] });
  assert.deepEqual(reachFromOutside(4000, []), { kind: 'absent', elsewhere: [] });
  // a loopback listener beside an open one on the same port: reachable
  assert.deepEqual(reachFromOutside(9000, [{ address: '127.0.0.1', port: 9000, loopback: true }, { address: '::', port: 9000, loopback: false }]), { kind: 'reachable' });
});

test('why a port cannot be reached, in the terms the user fixes it in', () => {
  assert.equal(explainUnreachable(8080, { kind: 'reachable' }), undefined);
  assert.equal(explainUnreachable(9000, { kind: 'loopback-only', addresses: ['127.0.0.1'] }), 'the app listens on port 9000 only on 127.0.0.1 inside its container, which the published port cannot reach: make it listen on 0.0.0.0 (all addresses)');
  assert.match(explainUnreachable(8080, { kind: 'absent', elsewhere: [9000] })!, /^nothing listens on port 8080 inside the container, the app listens on 9000: the service's container port \(ports\[\]\.container, or healthCheck\.port\) must be the one the app serves on$/);
  assert.equal(explainUnreachable(8080, { kind: 'absent', elsewhere: [] }), 'nothing listens on port 8080 inside the container (yet)');
});

test('listenersOf reads tcp and tcp6 of the pid; a missing pid is unreadable, not "nothing listens"', async () => {
  const root = mkdtempSync(join(tmpdir(), 'paz-proc-'));
  try {
    mkdirSync(join(root, '42', 'net'), { recursive: true });
    writeFileSync(join(root, '42', 'net', 'tcp'), TCP);
    writeFileSync(join(root, '42', 'net', 'tcp6'), TCP6);
    const seen = await listenersOf(42, root);
    assert.ok('listeners' in seen);
    assert.deepEqual(seen.listeners.map((l) => `${l.address} ${l.port}`), ['0.0.0.0 2024', ':: 9000']);
    // only tcp6 there (an IPv6-only namespace): still read
    mkdirSync(join(root, '44', 'net'), { recursive: true });
    writeFileSync(join(root, '44', 'net', 'tcp6'), TCP6);
    const v6 = await listenersOf(44, root);
    assert.ok('listeners' in v6 && v6.listeners.length === 1);
    const gone = await listenersOf(43, root);
    assert.ok('unreadable' in gone && /ENOENT/.test(gone.unreadable));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
