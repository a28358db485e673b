import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes } from './byte-size.js';

test('byte counts for people: one decimal below 10 of a unit', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(64 * 1024 * 1024), '64 MiB');
  assert.equal(formatBytes(300 * 1024 * 1024), '300 MiB');
  assert.equal(formatBytes(3 * 1024 ** 3), '3.0 GiB');
  assert.equal(formatBytes(3 * 1024 ** 5), '3072 TiB');
});
