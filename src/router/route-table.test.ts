import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertValidRouteTable, InvalidRouteTableError, validateRouteTable, type RouteTable } from './route-table.js';

const valid: RouteTable = {
  domain: 'example.com',
  defaultService: 'web',
  services: [
    { name: 'web', servers: [{ name: 'web-1-1', address: '127.0.0.1', port: 8080, state: 'ready' }] },
    { name: 'demo-api', servers: [{ name: 'demo-api-3-1', address: '::1', port: 1, weight: 256, state: 'drain' }] },
  ],
};

test('a well-formed table has no problems', () => {
  assert.deepEqual(validateRouteTable(valid), []);
  assert.doesNotThrow(() => assertValidRouteTable(valid));
});

test('names that would break Host matching or the HAProxy configuration are refused', () => {
  for (const name of ['Web', 'web app', 'web;x', '-web', 'web-', 'a'.repeat(64), '', 'web.paz']) {
    const problems = validateRouteTable({ domain: 'paz', services: [{ name, servers: [] }] });
    assert.equal(problems.length, 1, name);
    assert.match(problems[0], /lower-case DNS label/);
  }
  assert.match(validateRouteTable({ domain: 'Example.COM', services: [] })[0], /domain/);
  assert.match(validateRouteTable({ domain: 'a..b', services: [] })[0], /domain/);
});

test('every server problem is reported with what to fix', () => {
  const problems = validateRouteTable({
    domain: 'paz',
    services: [
      {
        name: 'web',
        servers: [
          { name: 'web 1', address: 'localhost', port: 0, weight: 300, state: 'up' as never },
          { name: 'web-1-2', address: '127.0.0.1', port: 80, state: 'ready' },
          { name: 'web-1-2', address: '127.0.0.1', port: 81, state: 'ready' },
        ],
      },
      { name: 'web', servers: [] },
    ],
  });
  const text = problems.join('\n');
  for (const expected of [/name must be/, /not an IP literal/, /port 0/, /weight 300/, /neither "ready" nor "drain"/, /listed twice in the service/, /service "web": listed twice/]) {
    assert.match(text, expected);
  }
  assert.throws(() => assertValidRouteTable({ domain: 'paz', services: [{ name: 'Web', servers: [] }] }), InvalidRouteTableError);
});
