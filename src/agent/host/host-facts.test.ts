import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { test } from 'node:test';
import { hostAddresses, hostFactsFrom, primaryAddress, readHostFacts } from './host-facts.js';

const v4 = (address: string, internal = false): NetworkInterfaceInfo => ({
  address,
  netmask: '255.255.255.0',
  family: 'IPv4',
  mac: '00:00:00:00:00:00',
  internal,
  cidr: `${address}/24`,
});
const v6 = (address: string, internal = false): NetworkInterfaceInfo => ({
  address,
  netmask: 'ffff:ffff:ffff:ffff::',
  family: 'IPv6',
  mac: '00:00:00:00:00:00',
  internal,
  cidr: `${address}/64`,
  scopeid: 0,
});

const INTERFACES = {
  lo: [v4('127.0.0.1', true), v6('::1', true)],
  eth0: [v4('192.0.2.2'), v6('fe80::fc:ff:fe00:1'), v6('2001:db8::2')],
  br0: [v4('10.77.0.1')],
};

test('hostAddresses: external IPv4, external IPv6, loopback; no link-local', () => {
  assert.deepEqual(
    hostAddresses(INTERFACES).map((a) => `${a.interface} ${a.address}`),
    ['br0 10.77.0.1', 'eth0 192.0.2.2', 'eth0 2001:db8::2', 'lo 127.0.0.1', 'lo ::1'],
  );
});

test('primaryAddress is the first external IPv4, else loopback', () => {
  assert.equal(primaryAddress(hostAddresses(INTERFACES)), '10.77.0.1');
  assert.equal(primaryAddress(hostAddresses({ lo: INTERFACES.lo })), '127.0.0.1');
});

test('hostFactsFrom maps node:os readings', () => {
  const facts = hostFactsFrom({
    hostname: 'h1',
    cpuCount: 2,
    totalmem: 24_000_000_000,
    type: 'Linux',
    release: '6.1.0-18-amd64',
    arch: 'x64',
    interfaces: { lo: INTERFACES.lo },
  });
  assert.deepEqual(facts, {
    hostname: 'h1',
    cpus: 2,
    memoryBytes: 24_000_000_000,
    os: 'Linux',
    kernel: '6.1.0-18-amd64',
    arch: 'x64',
    addresses: [
      { interface: 'lo', address: '127.0.0.1', family: 'IPv4', internal: true },
      { interface: 'lo', address: '::1', family: 'IPv6', internal: true },
    ],
  });
});

test('readHostFacts on this host', () => {
  const f = readHostFacts();
  assert.ok(f.hostname.length > 0);
  assert.ok(f.cpus >= 1);
  assert.ok(f.memoryBytes > 0);
  assert.ok(f.kernel.length > 0);
  assert.ok(f.addresses.some((a) => a.address === '127.0.0.1'));
});
