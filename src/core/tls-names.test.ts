import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateFor, certificateHostNames, nameCovers, redirectedHosts, type CertificateNames } from './tls-names.js';

const certs: CertificateNames[] = [
  { file: 'star.example.test.pem', names: ['*.example.test'] },
  { file: 'hello.example.test.pem', names: ['hello.example.test'] },
  { file: 'other.pem', names: ['www.other.test', 'other.test'] },
];

test('an exact name covers only itself, case-insensitively', () => {
  assert.equal(nameCovers('hello.example.test', 'hello.example.test'), true);
  assert.equal(nameCovers('hello.example.test', 'HELLO.Example.test'), true);
  assert.equal(nameCovers('hello.example.test', 'hello.example.test.evil'), false);
  assert.equal(nameCovers('hello.example.test', 'x.hello.example.test'), false);
});

test('a wildcard covers exactly one more label', () => {
  assert.equal(nameCovers('*.example.test', 'a.example.test'), true);
  assert.equal(nameCovers('*.example.test', 'example.test'), false);
  assert.equal(nameCovers('*.example.test', 'a.b.example.test'), false);
  assert.equal(nameCovers('*.example.test', '.example.test'), false);
  assert.equal(nameCovers('*.example.test', 'a.example.testx'), false);
});

test('the certificate for a host: exact beats wildcard, whatever the order; none when nothing covers it', () => {
  assert.equal(certificateFor('hello.example.test', certs), 'hello.example.test.pem');
  assert.equal(certificateFor('shop.example.test', certs), 'star.example.test.pem');
  assert.equal(certificateFor('other.test', certs), 'other.pem');
  assert.equal(certificateFor('www.other.test', certs), 'other.pem');
  assert.equal(certificateFor('shop.other.test', certs), undefined);
  assert.equal(certificateFor('hello.paz', certs), undefined);
});

test('public-facing services with a certificate for <svc>.<domain> redirect; internal ones and uncovered hosts do not', () => {
  const services = [{ service: 'hello' }, { service: 'shop', publicFacing: true }, { service: 'inner', publicFacing: false }];
  assert.deepEqual(redirectedHosts(services, 'example.test', certs), ['hello.example.test', 'shop.example.test']);
  assert.deepEqual(redirectedHosts(services, 'example.test', [certs[1]]), ['hello.example.test'], 'only the hosts a certificate covers');
  assert.deepEqual(redirectedHosts(services, 'other.test', certs), [], 'hello.other.test has no certificate');
  assert.deepEqual(redirectedHosts(services, 'paz', [{ file: 'paz.pem', names: ['*.paz'] }]), [], '<svc>.paz stays plain HTTP');
  assert.deepEqual(redirectedHosts(services, 'example.test', []), []);
});

test('a certificate is for its DNS alternative names, else its common name', () => {
  assert.deepEqual(certificateHostNames('DNS:Hello.example.test, IP Address:127.0.0.1, DNS:*.example.test', 'CN=ignored'), ['hello.example.test', '*.example.test']);
  assert.deepEqual(certificateHostNames(undefined, 'C=DE\nCN=Shop.example.test\nO=Paz'), ['shop.example.test']);
  assert.deepEqual(certificateHostNames('IP Address:127.0.0.1', 'O=Paz'), []);
});
