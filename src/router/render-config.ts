/**
 * Renders the complete haproxy.cfg for a RouterLayout (pure).
 *
 * Shape (Paz's, cleaned up): one HTTP frontend routing on the Host header — `<svc>.paz` and, for
 * public-facing services, `<svc>.<domain>`, case-insensitive, with or without a `:port` suffix — to `backend-<svc>`
 * through one lookup in a host map written beside the config (renderHostMap); each backend
 * is a round robin over a fixed number of health-checked server slots (`slot1`..`slotN`) that the runtime
 * API fills and empties, checked with HTTP (a GET must answer; a TCP connect would succeed against Docker's
 * userland proxy while nothing listens in the container) unless the service's check is TCP; unknown Hosts get a 404 that says so. The layout carries the current occupants,
 * so a reload or a restart starts with every known server already in place (nothing waits for runtime
 * commands to be replayed).
 *
 * With TLS options the same frontend also binds an HTTPS port (`ssl crt <dir>`: HAProxy picks a certificate
 * by SNI) and redirects plain requests for public-facing hosts that have a certificate (core/tls-names.ts).
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import {
  backendName,
  FRONTEND_NAME,
  NO_SERVICE_BACKEND,
  SLOT_PREFIX,
  slotServerName,
  type BackendLayout,
  type RouterLayout,
  type SlotOccupant,
} from './router-layout.js';
import { DEFAULT_ROUTE_CHECK } from './route-table.js';
import { redirectedHosts, type CertificateNames } from '../core/tls-names.js';
import { MAX_ROUTER_THREADS } from '../core/router-threads.js';

/** HTTPS on the router: HAProxy loads every certificate of `certDir` and picks one by SNI. */
export interface RouterTlsOptions {
  port: number;
  /** absolute directory of PEM files (certificate and key each) */
  certDir: string;
  /** what the directory holds (roles/tls-files.ts reads it): decides which hosts redirect to HTTPS */
  certificates: CertificateNames[];
}

export interface HealthCheckOptions {
  intervalMs: number;
  /** consecutive failed checks before a server is taken out */
  fall: number;
  /** consecutive good checks before it is put back */
  rise: number;
}

export interface TimeoutOptions {
  connectMs: number;
  clientMs: number;
  serverMs: number;
  httpRequestMs: number;
  httpKeepAliveMs: number;
  queueMs: number;
  /** WebSocket and other upgraded connections */
  tunnelMs: number;
  /** a health check's wait for the answer once connected (its connect is bounded by connectMs and the interval) */
  checkMs: number;
}

export interface RenderOptions {
  bindAddress: string;
  port: number;
  /** unix socket of the runtime API (level admin, hands listening sockets over on reload) */
  adminSocketPath: string;
  /** absolute directory the host map (renderHostMap) is written to, beside the config */
  mapDir: string;
  /** optional listener for humans and Prometheus: the HAProxy stats page on `/`, metrics on `/metrics` */
  stats?: { address: string; port: number };
  maxConnections?: number;
  healthCheck?: Partial<HealthCheckOptions>;
  timeouts?: Partial<TimeoutOptions>;
  /** how long workers replaced by a reload may keep finishing their requests */
  hardStopAfterMs?: number;
  /** also serve HTTPS, on the same address */
  tls?: RouterTlsOptions;
  /** HAProxy's threads (`nbthread`); absent: HAProxy's own default, a thread per CPU. The Router gives routerThreadsFor(its CPUs) (core/router-threads.ts). */
  threads?: number;
}

/**
 * Failover without waiting for anyone's lease: a server that stops answering (its host lost power) fails a
 * check's connect within min(timeout connect, `intervalMs`), the next check comes after half the interval
 * (fastinter), and `fall` of them take it out: about 2 s. Meanwhile a request sent to it waits at most
 * `timeout connect` before it goes to another instance. Live traffic's errors are not counted as failed
 * checks (observe layer4): a server just put back is one failed check from DOWN, and with it a loaded
 * machine once saw every router answer 503 for 2 s during a deploy.
 */
export const DEFAULT_HEALTH_CHECK: HealthCheckOptions = { intervalMs: 1000, fall: 2, rise: 1 };
export const DEFAULT_TIMEOUTS: TimeoutOptions = {
  // a connection to an instance is made within a LAN: one not made in 1 s goes to another instance
  // (option redispatch 1), rather than holding the request 5 s for a host that may be gone
  connectMs: 1_000,
  clientMs: 60_000,
  serverMs: 60_000,
  httpRequestMs: 10_000,
  httpKeepAliveMs: 10_000,
  queueMs: 30_000,
  tunnelMs: 3_600_000,
  // an app slow under load still passes; a dead host fails the connect, which the interval bounds
  checkMs: 2_000,
};
export const DEFAULT_MAX_CONNECTIONS = 4096;
export const DEFAULT_HARD_STOP_AFTER_MS = 120_000;
/** The Host header without an optional `:port` suffix, lower-cased: what services are routed by. */
const HOST_EXPRESSION = 'req.hdr(host),field(1,:),lower';
/** methods other than GET, HEAD and OPTIONS (HAProxy's predefined ACLs, ANDed): not sent to a second instance once one had them */
const L7_RETRY_UNSAFE = '!METH_GET !METH_HEAD !METH_OPTIONS';
/** Where free slots point; never contacted, as free slots are in maintenance. */
const PLACEHOLDER_ADDRESS = '127.0.0.1:1';
/** HAProxy binds unix sockets through a temporary name a few characters longer; sun_path holds 107. */
export const MAX_SOCKET_PATH = 96;

export class InvalidRenderOptionsError extends Error {
  readonly code = 'ROUTER_INVALID_OPTIONS';
  constructor(readonly problems: string[]) {
    super(`invalid router options: ${problems.join('; ')}`);
    this.name = 'InvalidRenderOptionsError';
  }
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** A configuration word must not contain what HAProxy's parser splits or comments on. */
function isPlainPath(path: string): boolean {
  return path.startsWith('/') && /^[A-Za-z0-9_./+-]+$/.test(path);
}

export function validateRenderOptions(options: RenderOptions): string[] {
  const problems: string[] = [];
  if (isIP(options.bindAddress) === 0) problems.push(`bindAddress ${JSON.stringify(options.bindAddress)} is not an IP literal`);
  if (!isPort(options.port)) problems.push(`port ${options.port} is not in 1..65535`);
  if (!isPlainPath(options.adminSocketPath)) {
    problems.push(`adminSocketPath ${JSON.stringify(options.adminSocketPath)} must be absolute and use only A-Z a-z 0-9 _ . / + -`);
  } else if (options.adminSocketPath.length > MAX_SOCKET_PATH) {
    problems.push(`adminSocketPath is longer than ${MAX_SOCKET_PATH} characters (unix socket limit)`);
  }
  if (!isPlainPath(options.mapDir)) problems.push(`mapDir ${JSON.stringify(options.mapDir)} must be absolute and use only A-Z a-z 0-9 _ . / + -`);
  if (options.stats) {
    if (isIP(options.stats.address) === 0) problems.push(`stats.address ${JSON.stringify(options.stats.address)} is not an IP literal`);
    if (!isPort(options.stats.port)) problems.push(`stats.port ${options.stats.port} is not in 1..65535`);
  }
  const positive = (label: string, value: number | undefined) => {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) problems.push(`${label} must be a positive integer`);
  };
  if (options.tls) {
    if (!isPort(options.tls.port)) problems.push(`tls.port ${options.tls.port} is not in 1..65535`);
    if (options.tls.port === options.port) problems.push(`tls.port ${options.tls.port} is the HTTP port too: give HTTPS its own port`);
    if (!isPlainPath(options.tls.certDir)) problems.push(`tls.certDir ${JSON.stringify(options.tls.certDir)} must be absolute and use only A-Z a-z 0-9 _ . / + -`);
    if (options.tls.certificates.length === 0) problems.push(`tls.certDir ${options.tls.certDir} holds no certificate`);
  }
  positive('maxConnections', options.maxConnections);
  positive('threads', options.threads);
  if (options.threads !== undefined && options.threads > MAX_ROUTER_THREADS) problems.push(`threads must be at most ${MAX_ROUTER_THREADS} (HAProxy's limit)`);
  positive('hardStopAfterMs', options.hardStopAfterMs);
  for (const [key, value] of Object.entries(options.healthCheck ?? {})) positive(`healthCheck.${key}`, value);
  for (const [key, value] of Object.entries(options.timeouts ?? {})) positive(`timeouts.${key}`, value);
  return problems;
}

/** `ipv4@a.b.c.d:port` / `ipv6@::1:port`: explicit family, no bracket parsing ambiguity. */
export function haproxyAddress(address: string, port: number): string {
  return `${isIP(address) === 6 ? 'ipv6' : 'ipv4'}@${address}:${port}`;
}

/** Host names a service answers to, lower case, without duplicates (domain `paz` gives one); `<svc>.<domain>` only when public-facing. */
export function hostNamesOf(service: string, domain: string, publicFacing = true): string[] {
  return [...new Set([`${service}.paz`, ...(publicFacing ? [`${service}.${domain}`] : [])])];
}

/**
 * The names and each one's absolute form with its trailing dot (`web.paz.`, which DNS and browsers take as the
 * same name): the host map routes both, and HTTPS redirects both.
 */
function withAbsoluteNames(names: string[]): string[] {
  return names.flatMap((n) => [n, `${n}.`]);
}

/** A file the configuration names, to be written into `RenderOptions.mapDir` before HAProxy reads the config. */
export const HOST_MAP_FILE = /^hosts-[0-9a-f]{16}\.map$/;

export interface RenderedFile {
  name: string;
  text: string;
}

/**
 * The host map: every name a service answers to (lower case, no port) and its backend, one per line, each
 * also in its absolute form (withAbsoluteNames): two entries cost nothing per request, where stripping the dot
 * would be one more converter on every one.
 * One `map_str` lookup (a tree) replaces a `use_backend ... if { host -m str ... }` rule per service, which
 * fetched and converted the Host header once per rule: with 50 services a request for the last one cost
 * the router about a quarter more CPU than with one service (bench/README.md, the router's configuration). The file is named after its
 * content, so a config and the map it was checked with always go together: a rejected candidate or a
 * master restarted on the installed config never reads another config's map.
 */
export function renderHostMap(layout: RouterLayout): RenderedFile | undefined {
  if (layout.backends.length === 0) return undefined;
  const entries = layout.backends
    .flatMap((b) => withAbsoluteNames(hostNamesOf(b.service, layout.domain, b.publicFacing ?? true)).map((host) => `${host} ${backendName(b.service)}`))
    .sort();
  const text = ['# Generated by the Paz router with haproxy.cfg: Host (lower case, no port) -> backend', ...entries, ''].join('\n');
  return { name: `hosts-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.map`, text };
}

function serverLine(index: number, occupant: SlotOccupant): string {
  // A configuration cannot express "drain": weight 0 keeps new requests away from the first moment,
  // and the router sets the DRAIN state and the real weight through the runtime API right after start.
  const weight = occupant.state === 'drain' ? 0 : occupant.weight;
  return `    server ${slotServerName(index)} ${haproxyAddress(occupant.address, occupant.port)} weight ${weight} check  # ${occupant.server}${occupant.state === 'drain' ? ' (draining)' : ''}`;
}

/** Free slots as `server-template` ranges (one per run of consecutive free slots). */
function freeSlotLines(slots: BackendLayout['slots']): string[] {
  const lines: string[] = [];
  let runStart = -1;
  const flush = (end: number) => {
    if (runStart < 0) return;
    lines.push(`    server-template ${SLOT_PREFIX} ${runStart + 1}-${end + 1} ${PLACEHOLDER_ADDRESS} check disabled`);
    runStart = -1;
  };
  slots.forEach((slot, index) => {
    if (slot === null) {
      if (runStart < 0) runStart = index;
    } else {
      flush(index - 1);
    }
  });
  flush(slots.length - 1);
  return lines;
}

/** HAProxy's check of a backend's servers: the same question the agent's probe asks (core/probe-choice.ts). */
function checkLines(backend: BackendLayout): string[] {
  const check = backend.check ?? DEFAULT_ROUTE_CHECK;
  if (check.type === 'tcp') return [];
  return [
    '    option httpchk',
    `    http-check send meth GET uri ${check.path} ver HTTP/1.1 hdr Host ${backend.service}.paz hdr User-Agent paz-router-check`,
    // with a health path only 2xx is healthy; without one any answer short of a server error: the app answers
    `    http-check expect status ${check.expect === '2xx' ? '200-299' : '200-499'}`,
  ];
}

function renderBackend(backend: BackendLayout): string[] {
  const lines = [
    `backend ${backendName(backend.service)}`,
    '    balance roundrobin',
    ...checkLines(backend),
    `    http-error status 503 content-type "text/plain; charset=utf-8" string "Service ${backend.service} has no instance available on this Paz router right now\\n"`,
  ];
  // Occupied slots first, each as its own line with the unit name as a comment, then the free ranges.
  backend.slots.forEach((slot, index) => {
    if (slot) lines.push(serverLine(index, slot));
  });
  lines.push(...freeSlotLines(backend.slots));
  return lines;
}

/**
 * Behind TLS, instances learn the scheme from X-Forwarded-Proto; plain requests for a public-facing host
 * with a certificate are sent to the same host and path over HTTPS (308 keeps the method and body).
 */
function httpsLines(layout: RouterLayout, tls: RouterTlsOptions): string[] {
  const lines = ['    http-request set-header X-Forwarded-Proto https if { ssl_fc }', '    http-request set-header X-Forwarded-Proto http if !{ ssl_fc }'];
  const hosts = redirectedHosts(layout.backends, layout.domain, tls.certificates);
  if (hosts.length === 0) return lines;
  const port = tls.port === 443 ? '' : `:${tls.port}`;
  // the absolute names too, which the host map routes: served in plain HTTP otherwise
  lines.push(`    http-request redirect code 308 location https://%[var(txn.paz_host)]${port}%[pathq] if !{ ssl_fc } { var(txn.paz_host) -m str ${withAbsoluteNames(hosts).join(' ')} }`);
  return lines;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export function renderConfig(layout: RouterLayout, options: RenderOptions): string {
  const problems = validateRenderOptions(options);
  if (problems.length > 0) throw new InvalidRenderOptionsError(problems);
  const check = { ...DEFAULT_HEALTH_CHECK, ...options.healthCheck };
  const t = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const services = new Set(layout.backends.map((b) => b.service));
  const defaultBackend =
    layout.defaultService !== undefined && services.has(layout.defaultService)
      ? backendName(layout.defaultService)
      : NO_SERVICE_BACKEND;

  const out: string[] = [
    '# Generated by the Paz router; every change is made through the router, edits here are lost.',
    'global',
    '    master-worker',
    `    stats socket ${options.adminSocketPath} mode 600 level admin expose-fd listeners`,
    '    stats timeout 30s',
    `    maxconn ${options.maxConnections ?? DEFAULT_MAX_CONNECTIONS}`,
    // fewer threads than CPUs on a shared host: see routerThreadsFor
    ...(options.threads !== undefined ? [`    nbthread ${options.threads}`] : []),
    `    hard-stop-after ${seconds(options.hardStopAfterMs ?? DEFAULT_HARD_STOP_AFTER_MS)}`,
    '',
    'defaults',
    '    mode http',
    `    timeout connect ${seconds(t.connectMs)}`,
    `    timeout client ${seconds(t.clientMs)}`,
    `    timeout server ${seconds(t.serverMs)}`,
    `    timeout http-request ${seconds(t.httpRequestMs)}`,
    `    timeout http-keep-alive ${seconds(t.httpKeepAliveMs)}`,
    `    timeout queue ${seconds(t.queueMs)}`,
    `    timeout tunnel ${seconds(t.tunnelMs)}`,
    `    timeout check ${seconds(t.checkMs)}`,
    // A refused, reset or timed-out connection to one instance is retried on another (every retry, not only
    // the last) instead of failing the request; a request that reached an instance is sent again only as below.
    '    option redispatch 1',
    '    retries 3',
    // A request sent on a connection the instance then closed without a word (it crashed or was killed
    // mid-request, or it closed an idle keep-alive connection just as the request went out on it) is sent
    // again, to another instance: nginx's default for idempotent requests. The frontend limits it to GET,
    // HEAD and OPTIONS, which an app may answer twice. Not a `junk-response` or a timeout: those are most
    // often the request's own doing, and sending it on would spread the harm (HAProxy's manual says so).
    '    retry-on conn-failure empty-response',
    '    option forwardfor',
    // Not `on-marked-down shutdown-sessions`: it ends the requests a dead server holds seconds after the
    // mark-down instead of at `timeout server`, but it also cut requests still being retried towards the
    // server at that moment, which redispatch would have served (the three-host power cut lost 4 requests
    // with it, twice, and none without). A request already sent to a dead host fails either way; one that
    // could still be served should be.
    `    default-server inter ${seconds(check.intervalMs)} fastinter ${seconds(Math.max(100, Math.round(check.intervalMs / 2)))} downinter ${seconds(check.intervalMs)} fall ${check.fall} rise ${check.rise}`,
    '',
    `frontend ${FRONTEND_NAME}`,
    `    bind ${haproxyAddress(options.bindAddress, options.port)}`,
    // HTTP/2 for clients that offer it (browsers), HTTP/1.1 for the rest
    ...(options.tls ? [`    bind ${haproxyAddress(options.bindAddress, options.tls.port)} ssl crt ${options.tls.certDir} alpn h2,http/1.1`] : []),
    // HTTPS redirects name the host too: then it is worked out once per request and kept in a variable
    ...(options.tls ? ['    # the Host header without an optional :port suffix, lower-cased', `    http-request set-var(txn.paz_host) ${HOST_EXPRESSION}`, ...httpsLines(layout, options.tls)] : []),
  ];
  // Only a request that may be answered twice is sent again after it reached an instance (retry-on above);
  // the others are retried only when they never reached one (a refused or timed-out connect).
  out.push(`    http-request disable-l7-retry if ${L7_RETRY_UNSAFE}`);
  // Without TLS the rule reads the header directly: a variable costs an allocation per request.
  const host = options.tls ? 'var(txn.paz_host)' : HOST_EXPRESSION;
  const hostMap = renderHostMap(layout);
  // An unknown Host gets the map's default; a request without one has no name to look up, and HAProxy
  // falls back to default_backend when a dynamic use_backend yields no existing backend.
  if (hostMap) out.push(`    use_backend %[${host},map_str(${options.mapDir}/${hostMap.name},${defaultBackend})]`);
  out.push(`    default_backend ${defaultBackend}`, '');

  for (const backend of layout.backends) out.push(...renderBackend(backend), '');

  out.push(
    `backend ${NO_SERVICE_BACKEND}`,
    '    http-request return status 404 content-type "text/plain; charset=utf-8" lf-string "No service answers to Host %[req.hdr(host)] on this Paz router\\n" hdr X-Content-Type-Options nosniff if { req.hdr(host) -m found }',
    '    http-request return status 404 content-type "text/plain; charset=utf-8" string "No Host header in the request: this Paz router routes by Host\\n"',
    '',
  );
  if (options.stats) {
    out.push(
      'listen paz-stats',
      `    bind ${haproxyAddress(options.stats.address, options.stats.port)}`,
      '    http-request use-service prometheus-exporter if { path /metrics }',
      '    stats enable',
      '    stats uri /',
      '    stats refresh 5s',
      '',
    );
  }
  return out.join('\n');
}
