// Prometheus metrics on every Paz HTTP server: request counts by route and status, process metrics, and the
// orchestrator's scrape-time gauges (hosts, services, units by state).
// test-lane: normal
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PazProcess, request } from './helpers/paz-server.js';

describe('metrics', () => {
  const paz = new PazProcess();
  before(() => paz.start());
  after(() => paz.close());

  it('counts requests and reports units by state', async () => {
    await request('POST', `${paz.orchestrator}/services`, { name: 'measured', dockerRepository: 'team/measured', numInstances: 2 });
    await request('GET', `${paz.orchestrator}/services/nope-nope`);
    await request('POST', `${paz.scheduler}/hooks/deploy`, { serviceName: 'measured' });
    const res = await fetch(`${paz.orchestrator}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    assert.match(text, /paz_http_requests_total\{component="paz-orchestrator",method="POST",route="\/services",status="201"\} 1/);
    assert.match(text, /paz_http_requests_total\{component="paz-orchestrator",method="GET",route="\/services\/:name",status="404"\} 1/);
    assert.match(text, /paz_http_requests_total\{component="paz-scheduler",method="POST",route="\/hooks\/deploy",status="200"\} 1/);
    assert.match(text, /paz_units\{state="unplaced"\} 2/);
    assert.match(text, /paz_services 1/);
    assert.match(text, /paz_hosts 0/);
    assert.match(text, /paz_process_resident_memory_bytes \d+/);
  });
});
