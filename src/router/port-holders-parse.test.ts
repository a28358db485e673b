import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressesOverlap, cmdlineText, describeHolders, listenerInodes, parseHexAddress, parseProcNetTcp, socketInodeOf } from './port-holders-parse.js';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5151 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5252 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F93 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5353 1 0000000000000000 100 0 0 10 0
`;

test('decodes little-endian IPv4 and IPv6 addresses and ports', () => {
  assert.deepEqual(parseHexAddress('0100007F:1F90'), { address: '127.0.0.1', port: 8080, family: 4 });
  assert.deepEqual(parseHexAddress('00000000:0050'), { address: '0.0.0.0', port: 80, family: 4 });
  assert.equal(parseHexAddress('00000000000000000000000001000000:1F92').address, '::1');
  assert.equal(parseHexAddress('00000000000000000000000000000000:1F91').address, '::');
  assert.equal(parseHexAddress('0000000000000000FFFF00000100007F:1F93').address, '::ffff:127.0.0.1');
  assert.equal(parseHexAddress('B80D0120000000000000000001000000:0001').address, '2001:db8::1');
  assert.throws(() => parseHexAddress('zz:1'), /not a \/proc\/net\/tcp address/);
});

test('parses /proc/net/tcp and tcp6 into entries with state and inode', () => {
  const v4 = parseProcNetTcp(TCP);
  assert.equal(v4.length, 3);
  assert.deepEqual(v4[0], { address: '127.0.0.1', port: 8080, family: 4, state: '0A', inode: 4242 });
  assert.equal(v4[2].state, '01');
  assert.equal(parseProcNetTcp(TCP6)[0].inode, 5151);
  assert.deepEqual(parseProcNetTcp(''), []);
});

test('finds the listeners that would take a bind\'s connections', () => {
  const all = [...parseProcNetTcp(TCP), ...parseProcNetTcp(TCP6)];
  assert.deepEqual([...listenerInodes(all, 8080, '127.0.0.1')], [4242], 'established sockets on the port do not count');
  assert.deepEqual([...listenerInodes(all, 8080, '0.0.0.0')], [4242]);
  assert.deepEqual([...listenerInodes(all, 8080, '127.0.0.2')], []);
  assert.deepEqual([...listenerInodes(all, 80, '127.0.0.1')], [4343], 'a wildcard listener holds every address');
  assert.deepEqual([...listenerInodes(all, 8081, '127.0.0.1')], [5151], ':: is dual-stack');
  assert.deepEqual([...listenerInodes(all, 8082, '127.0.0.1')], [], '::1 is not 127.0.0.1');
  assert.deepEqual([...listenerInodes(all, 8083, '127.0.0.1')], [5353], 'v4-mapped');
  assert.equal(addressesOverlap('::', '10.0.0.1'), true);
});

test('reads socket links and command lines', () => {
  assert.equal(socketInodeOf('socket:[4242]'), 4242);
  assert.equal(socketInodeOf('/dev/null'), undefined);
  assert.equal(socketInodeOf('pipe:[12]'), undefined);
  assert.equal(cmdlineText('haproxy\0-W\0-f\0/x/haproxy.cfg\0'), 'haproxy -W -f /x/haproxy.cfg');
  assert.equal(describeHolders([{ pid: 7, cmdline: 'nc -l 80' }, { pid: 8 }]), 'pid 7 (nc -l 80), pid 8 (command line unreadable)');
  assert.match(describeHolders([]), /cannot see/);
});
