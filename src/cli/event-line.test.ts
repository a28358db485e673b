import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventLine } from './event-line.js';

const at = Date.UTC(2026, 10, 29, 5, 50, 1);

test('one readable line per event: the time it carries (else now), type, service, what happened', () => {
  assert.equal(
    eventLine('journal', JSON.stringify({ event: 'deploy', serviceName: 'web', version: 3, timestamp: at - 1000, message: 'deploying web:2', actor: 'ci' }), at),
    '2026-11-29T05:50:00Z  journal               web                   deploy version 3: deploying web:2 (by ci)',
  );
  assert.match(eventLine('unit.status', JSON.stringify({ unit: 'contrived-service-1-2-1', state: 'running', healthy: true, restarts: 2, endpoint: '10.0.0.5:3100', updatedAt: at }), at), /^2026-11-29T05:50:01Z  unit\.status +contrived-service-1 +unit contrived-service-1-2-1 running, healthy \(2 restarts, at 10\.0\.0\.5:3100\)$/);
  assert.match(eventLine('unit.status', JSON.stringify({ unit: 'web-2-1', state: 'healthy', healthy: true, endpoint: '10.0.0.5:3100', updatedAt: at }), at), /unit web-2-1 healthy \(at 10\.0\.0\.5:3100\)$/);
  assert.match(eventLine('unit.status', JSON.stringify({ unit: 'web-2-1', state: 'unhealthy', healthy: false, reason: 'GET / answered 503', updatedAt: at }), at), /unit web-2-1 unhealthy \(GET \/ answered 503\)$/);
  assert.match(eventLine('unit.status', JSON.stringify({ unit: 'web-2-1', state: 'running', healthy: false, updatedAt: at }), at), /unit web-2-1 running, not healthy$/);
  assert.match(eventLine('unit.remove', '"web-2-1"', at), /unit\.remove +web +unit web-2-1 removed$/);
  assert.match(eventLine('service.del', '"web"', at), /service\.del +web +deleted$/);
  assert.match(eventLine('unit.add', JSON.stringify({ unit: 'web-2-1', service: 'web', host: null, reason: 'no host has 9000 free' }), at), /unit web-2-1 added: not placed: no host has 9000 free$/);
  assert.match(eventLine('endpoint.add', JSON.stringify({ service: 'web', version: 2, instance: 1, address: '127.0.0.1:3000' }), at), /endpoint 127\.0\.0\.1:3000 added \(version 2, instance 1\)$/);
  assert.match(eventLine('host.change', JSON.stringify({ id: 'abcdef0123', hostname: 'h1', problems: [{ component: 'router', message: 'HAProxy down' }] }), at), /host\.change +- +host h1 \(abcdef01\): router: HAProxy down$/);
  assert.match(eventLine('something.new', 'not json', at), /something\.new +- +"not json"$/);
});

test("an event's text from the server is shown with its control characters spelled out", () => {
  const at = Date.parse('2026-11-29T05:50:01Z');
  const line = eventLine('unit.status', JSON.stringify({ unit: 'web-2-1', state: 'exited', healthy: false, reason: 'exited: \x1b]0;pwned\x07', updatedAt: at }), at);
  assert.match(line, /unit web-2-1 exited, not healthy \(exited: \\x1b\]0;pwned\\x07\)$/);
});
