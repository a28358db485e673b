import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localAddresses, resolveName, routeSource, settleAddresses } from './routable-address.js';

const never = async () => {
  throw new Error('not to be asked');
};

test('the route source towards a loopback address is loopback (no packet is sent)', async () => {
  assert.equal(await routeSource('127.0.0.1', 2379), '127.0.0.1');
});

test("a real name resolves (this machine's localhost), an IP stays as it is", async () => {
  assert.equal(await resolveName('localhost'), '127.0.0.1');
  assert.equal(await resolveName('10.1.2.3'), '10.1.2.3');
});

test('SQLite and loopback etcd keep 127.0.0.1 and never look for a route', async () => {
  for (const storeUrl of ['sqlite:/tmp/x.db', 'etcd://127.0.0.1:2379']) {
    assert.deepEqual(await settleAddresses({ storeUrl, given: {} }, { resolve: never, routeSource: never, localAddresses: () => { throw new Error('not to be asked'); } }), { advertise: '127.0.0.1', address: '127.0.0.1', agentBind: '127.0.0.1' });
  }
});

test('a remote store: the route to its first remote endpoint gives the address; a given name is resolved', async () => {
  const asked: string[] = [];
  const io = {
    resolve: async (name: string) => ({ 'node-b': '10.0.0.6' })[name] ?? Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' })),
    routeSource: async (host: string, port: number) => (asked.push(`${host}:${port}`), '10.0.0.5'),
    localAddresses: () => ['127.0.0.1', '10.0.0.5', '10.0.0.6'],
  };
  assert.deepEqual(await settleAddresses({ storeUrl: 'etcd://user:pw@127.0.0.1:2379,10.0.0.2:32379', given: {} }, io), { advertise: '10.0.0.5', address: '10.0.0.5', agentBind: '10.0.0.5' });
  assert.deepEqual(asked, ['10.0.0.2:32379']);
  assert.deepEqual(await settleAddresses({ storeUrl: 'etcd://10.0.0.2:2379', given: { address: 'node-b' } }, io), { advertise: '10.0.0.5', address: '10.0.0.6', addressName: 'node-b', agentBind: '10.0.0.6' });
  const r = await settleAddresses({ storeUrl: 'etcd://10.0.0.2:2379', given: { address: 'no-such-host' } }, io);
  assert.ok('refused' in r);
  assert.match(r.refused, /^--address no-such-host does not resolve to an address \(ENOTFOUND\)/);
});

test('an --address name that resolves to no address of this host is refused (it would announce instances at another host); an IP is taken as given', async () => {
  const io = { resolve: async () => '10.0.0.9', routeSource: async () => '10.0.0.5', localAddresses: () => ['127.0.0.1', '10.0.0.5'] };
  const r = await settleAddresses({ storeUrl: 'etcd://10.0.0.2:2379', given: { address: 'node-b' } }, io);
  assert.ok('refused' in r);
  assert.equal(r.refused, '--address node-b resolves to 10.0.0.9, which is not an address of this host (it has 127.0.0.1, 10.0.0.5): every other host would send this host\'s traffic there. Point node-b at this host, or give this host\'s IP as --address');
  assert.equal(('refused' in (await settleAddresses({ storeUrl: 'etcd://10.0.0.2:2379', given: { address: '10.0.0.9' } }, io))), false, 'an IP: the operator\'s word');
  assert.equal(('refused' in (await settleAddresses({ storeUrl: 'etcd://10.0.0.2:2379', given: { advertise: 'vip.example' } }, io))), false, 'a server behind a name (--advertise) is not judged');
});

test("this host's interface addresses include loopback", () => {
  assert.ok(localAddresses().includes('127.0.0.1'));
});
