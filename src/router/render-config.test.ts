import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST_MAP_FILE, haproxyAddress, hostNamesOf, InvalidRenderOptionsError, renderConfig, renderHostMap, type RenderOptions } from './render-config.js';
import { routerThreadsFor } from '../core/router-threads.js';
import type { RouterLayout, SlotOccupant } from './router-layout.js';

const options: RenderOptions = { bindAddress: '127.0.0.1', port: 18080, adminSocketPath: '/run/paz/router/admin.sock', mapDir: '/run/paz/router' };

const occupant = (server: string, port: number, extra: Partial<SlotOccupant> = {}): SlotOccupant => ({
  server,
  address: '127.0.0.1',
  port,
  weight: 100,
  state: 'ready',
  ...extra,
});

const layout: RouterLayout = {
  domain: 'example.com',
  backends: [
    {
      service: 'demo-api',
      slots: [occupant('demo-api-1-1', 3001), null, occupant('demo-api-1-3', 3003, { state: 'drain', weight: 40 }), null, null, null, null, null],
    },
    { service: 'web', slots: new Array(8).fill(null) },
  ],
};

const lines = (config: string) => config.split('\n').map((l) => l.trim());

test('global: master-worker and an admin runtime socket that hands listeners over', () => {
  const config = lines(renderConfig(layout, options));
  assert.ok(config.includes('master-worker'));
  assert.ok(config.includes('stats socket /run/paz/router/admin.sock mode 600 level admin expose-fd listeners'));
  assert.ok(!config.includes('daemon'), 'HAProxy must stay our child process');
});

test('threads: nbthread as given; the router takes half the CPUs, at least one, at most HAProxy\'s 64', () => {
  const config = lines(renderConfig(layout, { ...options, threads: 1 }));
  // in global, before the first section after it
  assert.ok(config.indexOf('nbthread 1') > config.indexOf('global') && config.indexOf('nbthread 1') < config.indexOf('defaults'));
  assert.ok(!lines(renderConfig(layout, options)).some((l) => l.startsWith('nbthread')), 'absent: HAProxy\'s default');
  // a 2-CPU host runs one thread: two cost 1.3-1.5x its CPU per request there (bench/README.md, "Threads")
  assert.equal(routerThreadsFor(1), 1);
  assert.equal(routerThreadsFor(2), 1);
  assert.equal(routerThreadsFor(3), 1);
  assert.equal(routerThreadsFor(8), 4);
  assert.equal(routerThreadsFor(256), 64);
  assert.equal(routerThreadsFor(0), 1);
});

test('defaults: http mode, redispatch and retries, health check timing', () => {
  const config = lines(renderConfig(layout, { ...options, healthCheck: { intervalMs: 500, fall: 3 } }));
  for (const line of ['mode http', 'option redispatch 1', 'retries 3', 'retry-on conn-failure empty-response', 'timeout connect 1s', 'timeout check 2s', 'default-server inter 500ms fastinter 250ms downinter 500ms fall 3 rise 1']) {
    assert.ok(config.includes(line), `missing "${line}"`);
  }
});

test('a request is sent again after it reached an instance only when it is a GET, HEAD or OPTIONS', () => {
  for (const config of [lines(renderConfig(layout, options)), lines(renderConfig(layout, { ...options, tls: { port: 18443, certDir: '/etc/paz/certs', certificates: [{ file: 'demo.pem', names: ['demo-api.example.com'] }] } }))]) {
    const frontend = config.slice(config.findIndex((l) => l.startsWith('frontend ')));
    const rule = frontend.indexOf('http-request disable-l7-retry if !METH_GET !METH_HEAD !METH_OPTIONS');
    assert.ok(rule > 0, 'in the frontend, for every other method');
    assert.ok(rule < frontend.findIndex((l) => l.startsWith('use_backend') || l.startsWith('default_backend')), 'before the request is routed');
  }
});

test('frontend binds the configured address and routes <svc>.paz and <svc>.<domain> by one host map lookup, ignoring port and case', () => {
  const config = lines(renderConfig(layout, options));
  assert.ok(config.includes('bind ipv4@127.0.0.1:18080'));
  // without TLS no variable: the rule reads the header itself (one allocation less per request)
  assert.ok(!config.some((l) => l.includes('set-var')));
  const hostMap = renderHostMap(layout)!;
  assert.match(hostMap.name, HOST_MAP_FILE, 'Router.start removes leftover maps by this pattern');
  // the Host header without :port, lower-cased, looked up in the map; unknown Hosts get the default backend
  assert.deepEqual(config.filter((l) => l.startsWith('use_backend')), [`use_backend %[req.hdr(host),field(1,:),lower,map_str(/run/paz/router/${hostMap.name},paz-no-service)]`]);
  assert.ok(config.includes('default_backend paz-no-service'));
  assert.deepEqual(hostMap.text.split('\n').filter((l) => l && !l.startsWith('#')), [
    'demo-api.example.com backend-demo-api',
    'demo-api.example.com. backend-demo-api',
    'demo-api.paz backend-demo-api',
    'demo-api.paz. backend-demo-api',
    'web.example.com backend-web',
    'web.example.com. backend-web',
    'web.paz backend-web',
    'web.paz. backend-web',
  ]);
});

test('the host map: one rule however many services, <svc>.<domain> only for public-facing ones, named after its content', () => {
  const many: RouterLayout = {
    domain: 'example.com',
    backends: Array.from({ length: 50 }, (_, i) => ({ service: `svc${i}`, ...(i === 7 ? { publicFacing: false as const } : {}), slots: new Array(8).fill(null) })),
  };
  const config = lines(renderConfig(many, options));
  assert.equal(config.filter((l) => l.startsWith('use_backend')).length, 1, 'a rule per service costs every request a Host fetch per rule');
  const entries = renderHostMap(many)!.text.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.equal(entries.length, 2 * 99, 'each name also with its trailing dot');
  assert.ok(entries.includes('svc7.paz backend-svc7'));
  assert.ok(!entries.some((l) => l.startsWith('svc7.example.com')), 'not public-facing: no <svc>.<domain>');
  assert.ok(entries.includes('svc49.example.com backend-svc49'));
  // a default service takes unknown Hosts through the map's default too
  assert.ok(lines(renderConfig({ ...many, defaultService: 'svc3' }, options)).some((l) => l.startsWith('use_backend') && l.endsWith(',backend-svc3)]')));
  // another table, another file: a config never reads a map it was not checked with
  assert.notEqual(renderHostMap(many)!.name, renderHostMap(layout)!.name);
  assert.deepEqual(renderHostMap(structuredClone(many)), renderHostMap(many));
  // no service: no map and no rule, everything gets the 404
  assert.equal(renderHostMap({ domain: 'paz', backends: [] }), undefined);
  assert.ok(!lines(renderConfig({ domain: 'paz', backends: [] }, options)).some((l) => l.startsWith('use_backend')));
});

test('with TLS the host is worked out once, into a variable the redirects and the routing rule read', () => {
  const tls = { port: 18443, certDir: '/etc/paz/certs', certificates: [{ file: 'demo.pem', names: ['demo-api.example.com'] }] };
  const config = lines(renderConfig(layout, { ...options, tls }));
  assert.ok(config.includes('http-request set-var(txn.paz_host) req.hdr(host),field(1,:),lower'));
  assert.ok(config.includes(`use_backend %[var(txn.paz_host),map_str(/run/paz/router/${renderHostMap(layout)!.name},paz-no-service)]`));
  assert.ok(config.indexOf('http-request set-var(txn.paz_host) req.hdr(host),field(1,:),lower') < config.findIndex((l) => l.startsWith('use_backend')));
});

test('domain paz gives one host name per service', () => {
  assert.deepEqual(hostNamesOf('web', 'paz'), ['web.paz']);
  assert.deepEqual(hostNamesOf('web', 'example.com'), ['web.paz', 'web.example.com']);
  assert.deepEqual(hostNamesOf('web', 'example.com', false), ['web.paz'], 'not public-facing: <svc>.paz only');
});

test('unknown Hosts get a 404 that names the Host', () => {
  const config = renderConfig(layout, options);
  assert.match(config, /backend paz-no-service\n {4}http-request return status 404 [^\n]*lf-string "No service answers to Host %\[req.hdr\(host\)\] on this Paz router\\n"/);
  assert.match(config, /string "No Host header in the request: this Paz router routes by Host\\n"/);
});

test('each backend: round robin, checked servers in their slots, free slots as server-template ranges', () => {
  const config = renderConfig(layout, options);
  const demo = config.slice(config.indexOf('\nbackend backend-demo-api'), config.indexOf('\nbackend backend-web'));
  assert.deepEqual(lines(demo).filter((l) => l.startsWith('server') || l.startsWith('balance')), [
    'balance roundrobin',
    'server slot1 ipv4@127.0.0.1:3001 weight 100 check  # demo-api-1-1',
    // draining: weight 0 in the file, DRAIN and the real weight through the runtime API after start
    'server slot3 ipv4@127.0.0.1:3003 weight 0 check  # demo-api-1-3 (draining)',
    'server-template slot 2-2 127.0.0.1:1 check disabled',
    'server-template slot 4-8 127.0.0.1:1 check disabled',
  ]);
  const web = config.slice(config.indexOf('\nbackend backend-web'), config.indexOf('\nbackend paz-no-service'));
  assert.ok(lines(web).includes('server-template slot 1-8 127.0.0.1:1 check disabled'));
  assert.match(web, /http-error status 503 [^\n]*"Service web has no instance available/);
});

test('a default service that exists takes unknown Hosts; one that does not falls back to the 404', () => {
  assert.ok(lines(renderConfig({ ...layout, defaultService: 'web' }, options)).includes('default_backend backend-web'));
  assert.ok(lines(renderConfig({ ...layout, defaultService: 'gone' }, options)).includes('default_backend paz-no-service'));
});

test('IPv6 addresses are written with an explicit family', () => {
  assert.equal(haproxyAddress('::1', 80), 'ipv6@::1:80');
  assert.equal(haproxyAddress('10.0.0.2', 8080), 'ipv4@10.0.0.2:8080');
  const config = renderConfig({ domain: 'paz', backends: [{ service: 'v6', slots: [occupant('v6-1-1', 81, { address: '::1' })] }] }, { ...options, bindAddress: '::1' });
  assert.ok(lines(config).includes('bind ipv6@::1:18080'));
  assert.ok(lines(config).includes('server slot1 ipv6@::1:81 weight 100 check  # v6-1-1'));
});

test('the stats listener is optional and serves the stats page and Prometheus metrics', () => {
  assert.ok(!renderConfig(layout, options).includes('listen paz-stats'));
  const config = lines(renderConfig(layout, { ...options, stats: { address: '127.0.0.1', port: 18404 } }));
  assert.ok(config.includes('listen paz-stats'));
  assert.ok(config.includes('bind ipv4@127.0.0.1:18404'));
  assert.ok(config.includes('http-request use-service prometheus-exporter if { path /metrics }'));
});

test('options that could break or inject into the configuration are refused', () => {
  const bad: Array<Partial<RenderOptions>> = [
    { bindAddress: 'localhost' },
    { port: 0 },
    { adminSocketPath: 'relative.sock' },
    { adminSocketPath: '/tmp/with space.sock' },
    { adminSocketPath: '/tmp/x.sock\n    stats socket /tmp/y.sock level admin' },
    { adminSocketPath: `/tmp/${'x'.repeat(100)}.sock` },
    { mapDir: 'relative' },
    { mapDir: '/tmp/maps,paz-no-service)] if TRUE' },
    { stats: { address: '127.0.0.1', port: 70000 } },
    { timeouts: { clientMs: -1 } },
    { threads: 0 },
    { threads: 1.5 },
    { threads: 65 },
  ];
  for (const override of bad) {
    assert.throws(() => renderConfig(layout, { ...options, ...override }), InvalidRenderOptionsError, JSON.stringify(override));
  }
});

test('rendering is deterministic', () => {
  assert.equal(renderConfig(layout, options), renderConfig(structuredClone(layout), { ...options }));
});

test('servers are checked with HTTP by default (any answer below 500), 2xx on a health path, plain TCP when asked', () => {
  const backendOf = (config: string, service: string) => {
    const all = lines(config);
    const from = all.indexOf(`backend backend-${service}`);
    return all.slice(from, all.indexOf('', from));
  };
  const byDefault = backendOf(renderConfig(layout, options), 'web');
  assert.ok(byDefault.includes('option httpchk'));
  assert.ok(byDefault.includes('http-check send meth GET uri / ver HTTP/1.1 hdr Host web.paz hdr User-Agent paz-router-check'));
  assert.ok(byDefault.includes('http-check expect status 200-499'));
  const withPath: RouterLayout = { ...layout, backends: [{ service: 'web', check: { type: 'http', path: '/health', expect: '2xx' }, slots: new Array(8).fill(null) }] };
  const path = backendOf(renderConfig(withPath, options), 'web');
  assert.ok(path.includes('http-check send meth GET uri /health ver HTTP/1.1 hdr Host web.paz hdr User-Agent paz-router-check'));
  assert.ok(path.includes('http-check expect status 200-299'));
  const tcp: RouterLayout = { ...layout, backends: [{ service: 'web', check: { type: 'tcp' }, slots: new Array(8).fill(null) }] };
  assert.ok(!backendOf(renderConfig(tcp, options), 'web').some((l) => l.includes('httpchk') || l.startsWith('http-check')));
});

test('TLS: a second bind with the certificate directory; public-facing hosts with a certificate redirect to HTTPS, <svc>.paz does not', () => {
  const tls = { port: 18443, certDir: '/etc/paz/certs', certificates: [{ file: 'demo.pem', names: ['demo-api.example.com'] }] };
  const withInner: RouterLayout = { ...layout, backends: [...layout.backends, { service: 'inner', publicFacing: false, slots: new Array(8).fill(null) }] };
  const config = lines(renderConfig(withInner, { ...options, tls }));
  assert.ok(config.includes('bind ipv4@127.0.0.1:18080'));
  assert.ok(config.includes('bind ipv4@127.0.0.1:18443 ssl crt /etc/paz/certs alpn h2,http/1.1'));
  assert.ok(config.includes('http-request set-header X-Forwarded-Proto https if { ssl_fc }'));
  // only demo-api.example.com has a certificate: web.example.com, inner and every <svc>.paz stay plain
  const redirects = config.filter((l) => l.startsWith('http-request redirect'));
  assert.deepEqual(redirects, ['http-request redirect code 308 location https://%[var(txn.paz_host)]:18443%[pathq] if !{ ssl_fc } { var(txn.paz_host) -m str demo-api.example.com demo-api.example.com. }']);
  // the redirect comes before routing, after the host is known
  assert.ok(config.indexOf(redirects[0]) > config.indexOf('http-request set-var(txn.paz_host) req.hdr(host),field(1,:),lower'));
  const wildcard = lines(renderConfig(withInner, { ...options, tls: { ...tls, port: 443, certificates: [{ file: 'star.pem', names: ['*.example.com'] }] } }));
  assert.ok(wildcard.includes('http-request redirect code 308 location https://%[var(txn.paz_host)]%[pathq] if !{ ssl_fc } { var(txn.paz_host) -m str demo-api.example.com demo-api.example.com. web.example.com web.example.com. }'), 'port 443 is left out of the location');
});

test('TLS: no certificate for any public host means no redirect; without tls no HTTPS lines at all', () => {
  const tls = { port: 18443, certDir: '/etc/paz/certs', certificates: [{ file: 'other.pem', names: ['other.test'] }] };
  const config = renderConfig(layout, { ...options, tls });
  assert.match(config, /ssl crt \/etc\/paz\/certs/);
  assert.doesNotMatch(config, /http-request redirect/);
  const plain = renderConfig(layout, options);
  assert.doesNotMatch(plain, /ssl|X-Forwarded-Proto|redirect/);
});

test('TLS options that could break or inject into the configuration are refused', () => {
  const tls = { port: 18443, certDir: '/etc/paz/certs', certificates: [{ file: 'a.pem', names: ['a.example.com'] }] };
  for (const bad of [{ ...tls, port: 18080 }, { ...tls, port: 0 }, { ...tls, certDir: 'certs' }, { ...tls, certDir: '/etc/paz/certs\n    bind 0.0.0.0:1' }, { ...tls, certificates: [] }]) {
    assert.throws(() => renderConfig(layout, { ...options, tls: bad }), InvalidRenderOptionsError, JSON.stringify(bad));
  }
});
