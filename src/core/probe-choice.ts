/**
 * Which probe tells whether a unit's app answers. Pure: the agent runs what this returns.
 *
 * Why not a TCP connect to the published port: with Docker's userland proxy (docker-proxy, the default) the
 * connect succeeds while nothing listens inside the container, so a slow starter would count as healthy at
 * once. Container bridge addresses are not to be targeted from the host's namespace either. So:
 * - http (a path is set, or the service is routed by the router, whose traffic is HTTP by construction):
 *   a GET through the published port must get an HTTP answer. A proxy can accept a connection but cannot
 *   make up a status line. With a path the answer must be 2xx; without one any status below 500 counts.
 * - tcp (`type: 'tcp'`, or `loadBalanced: false` without a path): a LISTEN socket on the port in the app's
 *   own network namespace, read from /proc/<pid>/net/tcp{,6} (see proc-net-tcp.ts). Without a PID to look
 *   through, a TCP connect that stays open for a moment: docker-proxy closes a connection it cannot forward
 *   right away.
 * - no TCP port: "running" is all that can be known, and the status says so.
 */
import type { HealthCheck, Port } from './service-spec.js';

export type ProbeChoice =
  | { kind: 'none'; note: string }
  /**
   * GET `path` at the published port; `expect`: '2xx' with a configured path, 'answer' (any status < 500) without;
   * `inside`: the container's process and port, to say why a GET got no answer at all (nothing listens there, or
   * only on the container's loopback)
   */
  | { kind: 'http'; port: number; path: string; expect: '2xx' | 'answer'; inside?: { pid: number; port: number } }
  /**
   * a LISTEN socket on `port` in the network namespace of `pid`; `hostPort` for the fallback; `fromOutside`: the
   * socket must be reachable from outside that namespace (a container's published port: a listener on its loopback
   * only does not count); false when the unit shares the host's network
   */
  | { kind: 'listen'; pid: number; port: number; hostPort?: number; fromOutside: boolean }
  /** a connect to the published port that the other side keeps open */
  | { kind: 'held-connect'; port: number }
  /** the port to probe is not published: nothing can be probed, the unit cannot become healthy */
  | { kind: 'unpublished'; error: string };

export interface ProbeSubject {
  check?: HealthCheck;
  ports: Port[];
  /** the service's `loadBalanced` (default true) */
  loadBalanced?: boolean;
  runtime: {
    ports: Array<{ container: number; host: number; protocol: 'tcp' | 'udp' }>;
    /** a process in the unit's network namespace, when the driver knows one */
    pid?: number;
    /** the unit shares the host's network namespace (process driver): it listens on the host port itself */
    hostNetwork?: boolean;
  };
}

/** `type` as configured, else http for a path or a routed service, tcp otherwise. */
export function checkType(check: HealthCheck | undefined, loadBalanced: boolean | undefined): 'http' | 'tcp' {
  if (check?.type) return check.type;
  if (check?.path !== undefined) return 'http';
  return loadBalanced === false ? 'tcp' : 'http';
}

export function chooseProbe(s: ProbeSubject): ProbeChoice {
  const tcpPorts = s.ports.filter((p) => (p.protocol ?? 'tcp') === 'tcp');
  const want = s.check?.port ?? tcpPorts[0]?.container;
  if (want === undefined) {
    return { kind: 'none', note: s.ports.length === 0 ? 'no ports: running is all that is known' : 'UDP ports only: running is all that is known' };
  }
  const published = s.runtime.ports.find((p) => p.container === want && p.protocol === 'tcp')?.host;
  const type = checkType(s.check, s.loadBalanced);
  const pid = s.runtime.pid !== undefined && s.runtime.pid > 0 ? s.runtime.pid : undefined;
  if (type === 'http') {
    if (published === undefined) return { kind: 'unpublished', error: `port ${want} is not published: the HTTP check has nothing to reach` };
    const inside = pid !== undefined && !s.runtime.hostNetwork ? { inside: { pid, port: want } } : {};
    return s.check?.path !== undefined ? { kind: 'http', port: published, path: s.check.path, expect: '2xx', ...inside } : { kind: 'http', port: published, path: '/', expect: 'answer', ...inside };
  }
  if (pid !== undefined) {
    const inNamespace = s.runtime.hostNetwork ? published : want;
    if (inNamespace !== undefined) return { kind: 'listen', pid, port: inNamespace, ...(published !== undefined ? { hostPort: published } : {}), fromOutside: !s.runtime.hostNetwork };
  }
  if (published === undefined) return { kind: 'unpublished', error: `port ${want} is not published and the driver gave no process to look through` };
  return { kind: 'held-connect', port: published };
}

/** A short description for the unit's status, e.g. "GET / answers (any status < 500)". */
export function describeProbe(c: ProbeChoice): string {
  switch (c.kind) {
    case 'none':
      return c.note;
    case 'http':
      return c.expect === '2xx' ? `GET ${c.path} answers 2xx` : `GET ${c.path} gets an HTTP answer below 500`;
    case 'listen':
      return c.fromOutside ? `port ${c.port} listening in the unit's container, not only on its loopback` : `port ${c.port} listening in the unit's network namespace`;
    case 'held-connect':
      return `port ${c.port} accepts and keeps a connection`;
    case 'unpublished':
      return c.error;
  }
}
