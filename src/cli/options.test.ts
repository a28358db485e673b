import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { roleConfig } from './options.js';

for (const name of ['PAZ_TLS_CERT', 'PAZ_TLS_KEY', 'PAZ_ROUTER_TLS_DIR', 'PAZ_ROUTER_HTTPS_PORT', 'PAZ_ROUTER', 'PAZ_ROUTER_THREADS']) delete process.env[name];

test('--tls-cert and --tls-key: both or neither', () => {
  assert.equal(roleConfig({}).tls, undefined);
  assert.deepEqual(roleConfig({ 'tls-cert': 'api.pem', 'tls-key': 'api.key' }).tls, { cert: resolve('api.pem'), key: resolve('api.key') });
  assert.throws(() => roleConfig({ 'tls-cert': 'api.pem' }), /go together.*got only --tls-cert/);
  assert.throws(() => roleConfig({ 'tls-key': 'api.key' }), /go together.*got only --tls-key/);
});

test('--router-tls-dir: HTTPS on 443 unless --router-https-port says otherwise; a port without a directory is refused', () => {
  assert.equal(roleConfig({}).agent.router?.tls, undefined);
  assert.deepEqual(roleConfig({ 'router-tls-dir': 'certs' }).agent.router?.tls, { dir: resolve('certs'), port: 443 });
  assert.deepEqual(roleConfig({ 'router-tls-dir': 'certs', 'router-https-port': '8443' }).agent.router?.tls, { dir: resolve('certs'), port: 8443 });
  assert.throws(() => roleConfig({ 'router-https-port': '8443' }), /--router-https-port \(PAZ_ROUTER_HTTPS_PORT\) needs --router-tls-dir/);
  assert.throws(() => roleConfig({ 'router-tls-dir': 'certs', 'router-https-port': 'x' }), /--router-https-port .* must be a port number/);
});

test('--resync-seconds: how often the agent passes whatever the watches say; absent, its default (5 s)', () => {
  assert.equal(roleConfig({}).agent.resyncSeconds, undefined);
  assert.equal(roleConfig({ 'resync-seconds': '600' }).agent.resyncSeconds, 600);
  for (const bad of ['0', 'x', ' ', '86401']) assert.throws(() => roleConfig({ 'resync-seconds': bad }), /--resync-seconds \(PAZ_RESYNC_SECONDS\) must be a number of seconds from 1 to 86400/, bad);
});

test('--router-threads: HAProxy\'s threads, 1 to 64; absent, the router chooses (half the CPUs)', () => {
  assert.equal(roleConfig({}).agent.router?.threads, undefined);
  assert.equal(roleConfig({ 'router-threads': '4' }).agent.router?.threads, 4);
  for (const bad of ['0', '65', '1.5', 'x', ' ']) assert.throws(() => roleConfig({ 'router-threads': bad }), /--router-threads \(PAZ_ROUTER_THREADS\) must be a whole number from 1 to 64/, bad);
  process.env.PAZ_ROUTER_THREADS = '3';
  try {
    assert.equal(roleConfig({}).agent.router?.threads, 3);
  } finally {
    delete process.env.PAZ_ROUTER_THREADS;
  }
});

test('--image-keep and --image-gc-seconds: how many versions keep their images on a host, and how often others go', () => {
  assert.equal(roleConfig({}).agent.imageKeep, undefined, 'absent: the agent default (5)');
  assert.equal(roleConfig({ 'image-keep': '0' }).agent.imageKeep, 0, '0: no image is removed');
  assert.equal(roleConfig({ 'image-keep': '12', 'image-gc-seconds': '60' }).agent.imageGcSeconds, 60);
  for (const bad of ['-1', '1.5', 'x', '1001']) assert.throws(() => roleConfig({ 'image-keep': bad }), /--image-keep \(PAZ_IMAGE_KEEP\) must be a whole number of versions from 0/, bad);
  assert.throws(() => roleConfig({ 'image-gc-seconds': '0' }), /--image-gc-seconds \(PAZ_IMAGE_GC_SECONDS\) must be a number of seconds from 1 to 86400/);
});
