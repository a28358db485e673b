import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseAddresses, foreignAddressProblem, remoteStoreEndpoint, splitHostPort } from './routable-address.js';

const none = new Map<string, string>();

test('store endpoints split into host and port, whatever their form', () => {
  assert.deepEqual(splitHostPort('10.0.0.2:2379'), { host: '10.0.0.2', port: 2379 });
  assert.deepEqual(splitHostPort('etcd-1.internal'), { host: 'etcd-1.internal', port: 2379 });
  assert.deepEqual(splitHostPort('http://10.0.0.2:32379/'), { host: '10.0.0.2', port: 32379 });
  assert.deepEqual(splitHostPort('[fd00::2]:2380'), { host: 'fd00::2', port: 2380 });
  assert.deepEqual(splitHostPort('fd00::2'), { host: 'fd00::2', port: 2379 });
});

test('a store is remote when any etcd endpoint is off loopback; SQLite and loopback etcd are local', () => {
  assert.equal(remoteStoreEndpoint(undefined), undefined);
  assert.equal(remoteStoreEndpoint(['127.0.0.1:2379', 'localhost:22379']), undefined);
  assert.deepEqual(remoteStoreEndpoint(['127.0.0.1:2379', '10.0.0.2:2379']), { host: '10.0.0.2', port: 2379 });
});

test('on one host the defaults stay 127.0.0.1', () => {
  assert.deepEqual(chooseAddresses({ given: {}, resolved: none }), { advertise: '127.0.0.1', address: '127.0.0.1', agentBind: '127.0.0.1' });
  // loopback given explicitly is fine on one host
  assert.deepEqual(chooseAddresses({ given: { address: '127.0.0.1' }, resolved: none }), { advertise: '127.0.0.1', address: '127.0.0.1', agentBind: '127.0.0.1' });
});

test('with a remote store and nothing given, the route source is used for every address', () => {
  assert.deepEqual(chooseAddresses({ given: {}, storeHost: '10.0.0.2:2379', routeSource: '10.0.0.5', resolved: none }), { advertise: '10.0.0.5', address: '10.0.0.5', agentBind: '10.0.0.5' });
});

test('given addresses win; a host name is resolved for the agent (an IP for endpoints) and kept for the announcement', () => {
  const resolved = new Map([['node-b.example', '10.0.0.6']]);
  assert.deepEqual(chooseAddresses({ given: { address: 'node-b.example', agentBind: '0.0.0.0' }, storeHost: '10.0.0.2:2379', routeSource: '10.0.0.5', resolved }), {
    advertise: '10.0.0.5',
    address: '10.0.0.6',
    addressName: 'node-b.example',
    agentBind: '0.0.0.0',
  });
  assert.deepEqual(chooseAddresses({ given: { advertise: 'node-b.example' }, storeHost: '10.0.0.2:2379', resolved }), {
    advertise: 'node-b.example',
    address: '10.0.0.6',
    addressName: 'node-b.example',
    agentBind: '10.0.0.6',
  });
});

test('loopback as the address other hosts use is refused with a remote store, naming the flag and the fix', () => {
  for (const given of [{ address: '127.0.0.1' }, { advertise: '127.0.0.1' }, { address: '::1' }, { address: 'localhost' }, { address: 'me.local' }]) {
    const r = chooseAddresses({ given, storeHost: '10.0.0.2:2379', routeSource: '10.0.0.5', resolved: new Map([['localhost', '127.0.0.1'], ['me.local', '127.0.1.1']]) });
    assert.ok('refused' in r, JSON.stringify(given));
    const flag = 'address' in given ? '--address' : '--advertise';
    assert.match(r.refused, new RegExp(`^${flag} \\S+.* is loopback, but the store is on another host \\(10\\.0\\.0\\.2:2379\\)`));
    assert.match(r.refused, /leave it out and Paz uses the address of its route to the store/);
  }
  // a route to the store that leaves from loopback (the store's name resolves to this host) is refused too
  const r = chooseAddresses({ given: {}, storeHost: 'etcd.example:2379', routeSource: '127.0.0.1', resolved: none });
  assert.ok('refused' in r && /give --address/.test(r.refused));
});

test('a name given as --address must resolve to an address of this host; an IP, --advertise, or no list of addresses is not judged', () => {
  const resolved = new Map([['node-b.example', '10.0.0.6']]);
  const local = ['127.0.0.1', '10.0.0.5'];
  const r = chooseAddresses({ given: { address: 'node-b.example' }, storeHost: '10.0.0.2:2379', routeSource: '10.0.0.5', resolved, localAddresses: local });
  assert.ok('refused' in r);
  assert.match(r.refused, /^--address node-b\.example resolves to 10\.0\.0\.6, which is not an address of this host \(it has 127\.0\.0\.1, 10\.0\.0\.5\)/);
  assert.ok(!('refused' in chooseAddresses({ given: { address: 'node-b.example' }, storeHost: '10.0.0.2:2379', routeSource: '10.0.0.5', resolved, localAddresses: [...local, '10.0.0.6'] })));
  assert.ok(!('refused' in chooseAddresses({ given: { address: '10.0.0.6' }, storeHost: '10.0.0.2:2379', routeSource: '10.0.0.5', resolved, localAddresses: local })));
  assert.ok(!('refused' in chooseAddresses({ given: { advertise: 'node-b.example' }, storeHost: '10.0.0.2:2379', resolved, localAddresses: local })));
  assert.equal(foreignAddressProblem({ given: 'node-b.example', resolved: '10.0.0.6', local: ['10.0.0.6'] }), undefined);
  assert.equal(foreignAddressProblem({ given: 'me.local', resolved: '127.0.1.1', local: ['127.0.0.1'] }), undefined, "loopback is this host's (and judged by loopbackAddressProblem)");
});
