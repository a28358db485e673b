import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isListening, listeningPorts } from './proc-net-tcp.js';

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

test('isListening reads tcp and tcp6 of the pid; a missing pid is unreadable, not "not listening"', async () => {
  const root = mkdtempSync(join(tmpdir(), 'paz-proc-'));
  try {
    mkdirSync(join(root, '42', 'net'), { recursive: true });
    writeFileSync(join(root, '42', 'net', 'tcp'), TCP);
    writeFileSync(join(root, '42', 'net', 'tcp6'), TCP6);
    assert.deepEqual(await isListening(42, 9000, root), { listening: true });
    assert.deepEqual(await isListening(42, 2024, root), { listening: true });
    assert.deepEqual(await isListening(42, 18080, root), { listening: false });
    const gone = await isListening(43, 9000, root);
    assert.ok('unreadable' in gone && /ENOENT/.test(gone.unreadable));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
