// test-lane: normal
/**
 * Rendered configurations are valid for the real HAProxy (`haproxy -c`), across the shapes the
 * renderer can produce: IPv4 and IPv6, drained and free slots, gaps, a default service, the stats
 * listener, many services.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planChanges } from '../src/router/plan-changes.js';
import { renderConfig, renderHostMap, type RenderOptions } from '../src/router/render-config.js';
import { emptyLayout, type RouterLayout } from '../src/router/router-layout.js';
import type { RouteTable } from '../src/router/route-table.js';
import { readCertificateDir } from '../src/roles/tls-files.js';
import { makeCa, makeServerCert } from './helpers/certs.js';
import { tmpDir } from './helpers/env.js';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function haproxyCheck(config: string): Promise<{ ok: boolean; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'paz-rc-'));
  dirs.push(dir);
  const file = join(dir, 'haproxy.cfg');
  await writeFile(file, config);
  return new Promise((resolve) => {
    execFile('/usr/sbin/haproxy', ['-c', '-f', file], (error, stdout, stderr) => resolve({ ok: !error, output: `${stdout}${stderr}` }));
  });
}

const mapDir = mkdtempSync(join(tmpdir(), 'paz-rc-maps-'));
dirs.push(mapDir);
const options = { bindAddress: '127.0.0.1', port: 18999, adminSocketPath: '/tmp/paz-rc-admin.sock', mapDir, stats: { address: '127.0.0.1', port: 18998 } };

/** The config, with the host map it names written where it says (as the router writes it beside haproxy.cfg). */
function render(layout: RouterLayout, opts: RenderOptions): string {
  const hostMap = renderHostMap(layout);
  if (hostMap) writeFileSync(join(opts.mapDir, hostMap.name), hostMap.text);
  return renderConfig(layout, opts);
}

test('a varied table renders to a configuration HAProxy accepts', async () => {
  const table: RouteTable = {
    domain: 'example.com',
    defaultService: 'web',
    services: [
      {
        name: 'web',
        servers: [
          { name: 'web-1-1', address: '127.0.0.1', port: 3001, state: 'ready' },
          { name: 'web-1-2', address: '::1', port: 3002, state: 'drain', weight: 0 },
          { name: 'web-2-1', address: '10.1.2.3', port: 3003, state: 'ready', weight: 256 },
        ],
      },
      { name: 'empty', servers: [] },
      ...Array.from({ length: 40 }, (_, i) => ({
        name: `svc${i}`,
        servers: Array.from({ length: i % 7 }, (_, j) => ({ name: `svc${i}-1-${j}`, address: '127.0.0.1', port: 4000 + j, state: 'ready' as const })),
      })),
    ],
  };
  let layout = planChanges(emptyLayout('paz'), table).next;
  // leave a gap in the middle of web's slots
  layout = planChanges(layout, { ...table, services: table.services.map((s) => (s.name === 'web' ? { ...s, servers: [s.servers[0], s.servers[2]] } : s)) }).next;
  const config = render(layout, options);
  assert.match(config, /server-template slot 2-2 /);
  const result = await haproxyCheck(config);
  assert.ok(result.ok, result.output);
  assert.match(result.output, /Configuration file is valid/);
});

test('an empty table renders to a configuration HAProxy accepts (everything answers 404)', async () => {
  const result = await haproxyCheck(render(emptyLayout('paz'), { ...options, bindAddress: '::1' }));
  assert.ok(result.ok, result.output);
});

test('with TLS (a certificate directory holding an exact and a wildcard certificate) HAProxy accepts the configuration, redirect included', async () => {
  const ca = makeCa(tmpDir('paz-rc-ca-'));
  const certDir = join(ca.dir, 'router-certs');
  mkdirSync(certDir);
  copyFileSync(makeServerCert(ca, 'hello', { dns: ['hello.example.test'] }).bundleFile, join(certDir, 'hello.example.test.pem'));
  copyFileSync(makeServerCert(ca, 'star', { dns: ['*.example.test'] }).bundleFile, join(certDir, '*.example.test.pem'));
  const certificates = readCertificateDir(certDir);
  const table: RouteTable = {
    domain: 'example.test',
    services: [
      { name: 'hello', servers: [{ name: 'hello-1-1', address: '127.0.0.1', port: 3001, state: 'ready' }] },
      { name: 'inner', publicFacing: false, servers: [] },
    ],
  };
  const config = render(planChanges(emptyLayout('paz'), table).next, { ...options, tls: { port: 18997, certDir, certificates } });
  assert.match(config, /http-request redirect code 308 location https:\/\/%\[var\(txn.paz_host\)\]:18997%\[pathq\] if !\{ ssl_fc \} \{ var\(txn.paz_host\) -m str hello.example.test hello.example.test\. \}/);
  const result = await haproxyCheck(config);
  assert.ok(result.ok, result.output);
});
