import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressMoved } from './address-check.js';

test('a name that still resolves to the announced IP is fine; one that moved or vanished is a problem saying what to do', async () => {
  assert.equal(await addressMoved('node-b', '10.0.0.6', async () => '10.0.0.6'), undefined);
  assert.equal(await addressMoved('node-b', '10.0.0.6', async () => '10.0.0.9'), '--address node-b now resolves to 10.0.0.9, but instances are announced at 10.0.0.6: restart the agent to move them');
  const gone = await addressMoved('node-b', '10.0.0.6', async () => Promise.reject(Object.assign(new Error('x'), { code: 'ENOTFOUND' })));
  assert.equal(gone, '--address node-b no longer resolves (ENOTFOUND); instances stay announced at 10.0.0.6');
  const hung = await addressMoved('node-b', '10.0.0.6', () => new Promise(() => undefined), 50);
  assert.equal(hung, '--address node-b no longer resolves (ETIMEOUT); instances stay announced at 10.0.0.6');
});

test('moved to an address this host does not have: the advice is to point the name back (a restart would be refused)', async () => {
  const isLocal = (ip: string) => ['127.0.0.1', '10.0.0.6', '10.0.0.7'].includes(ip);
  assert.equal(await addressMoved('node-b', '10.0.0.6', async () => '10.0.0.9', 2000, isLocal), '--address node-b now resolves to 10.0.0.9, which is not an address of this host; instances stay announced at 10.0.0.6: point node-b back at this host');
  assert.equal(await addressMoved('node-b', '10.0.0.6', async () => '10.0.0.7', 2000, isLocal), '--address node-b now resolves to 10.0.0.7, but instances are announced at 10.0.0.6: restart the agent to move them', 'another address of this host: a restart moves them');
  assert.equal(await addressMoved('node-b', '10.0.0.6', async () => '10.0.0.6', 2000, isLocal), undefined);
});
