/**
 * CLI: `paz health [SERVICE | --host ID] [--json]`: the cluster's, a service's or a host's health, as the
 * orchestrator decides it (GET /cluster/health, /services/NAME/health, /cluster/hosts/ID/health): one line
 * with the status, then each reason. Exit code 0 when healthy, 1 when not, so scripts can wait on it.
 */
import type { ClusterHealth, HostHealth, ServiceHealth } from '../core/health-levels.js';
import { duration } from '../core/health-levels.js';
import { parse } from './options.js';
import { clientOf, connectionOptions } from './connect.js';
import { table } from './table.js';
import { UsageError } from './usage-error.js';
import { requireService } from './known-service.js';
import { colourOn, paintHealth } from './colour.js';
import { terminalSafe } from './terminal-safe.js';

/** the reasons and summaries are the server's text: control characters spelled out (terminal-safe.ts) */
const reasonLines = (reasons: string[]) => reasons.map((r) => `  - ${terminalSafe(r)}`);

/** `colour`: the health words in colour (a terminal only: colour.ts) */
export function clusterLines(h: ClusterHealth, colour = false): string[] {
  const lines = [`cluster: ${paintHealth(colour, h.status)} (${terminalSafe(h.summary)})`, ...reasonLines(h.reasons)];
  if (h.hosts.length > 0) {
    lines.push('', table(['HOST', 'HOSTNAME', 'STATE', 'STATUS', 'HEARTBEAT', 'UNITS'], h.hosts.map((x) => [x.id, x.hostname, x.state, x.status, `${duration(x.heartbeatAgeMs)} ago`, `${x.units.healthy}/${x.units.placed} healthy`])));
  }
  if (h.services.length > 0) {
    lines.push('', table(['SERVICE', 'STATUS', 'HEALTHY', 'SERVING', 'DEPLOY'], h.services.map((s) => [s.service, s.status, `${s.instances.healthy}/${s.instances.desired}`, String(s.serving), s.deploy ? `${s.deploy.version} ${s.deploy.state}` : 'never deployed'])));
  }
  return lines;
}

export function serviceLines(h: ServiceHealth, colour = false): string[] {
  const lines = [`service ${terminalSafe(h.service)}: ${paintHealth(colour, h.status)} (${terminalSafe(h.summary)})`, ...reasonLines(h.reasons)];
  if (h.units.length > 0) {
    lines.push('', table(['UNIT', 'HOST', 'STATE', 'HEALTHY', 'SINCE', 'RESTARTS'], h.units.map((u) => [u.name, u.host ?? '-', u.state + (u.draining ? ' (draining)' : ''), String(u.healthy), u.since ? `${duration(h.checkedAt - u.since)} ago` : '-', String(u.restarts)])));
  }
  return lines;
}

export function hostLines(h: HostHealth, colour = false): string[] {
  const state = h.state === 'up' ? `up, last heartbeat ${duration(h.heartbeatAgeMs)} ago` : `down${h.inGrace ? ', within the host-loss grace' : ''}`;
  return [`host ${terminalSafe(h.id)} (${terminalSafe(h.hostname)}): ${paintHealth(colour, h.status)} (${state}; ${h.units.healthy} of ${h.units.placed} units healthy)`, ...reasonLines(h.reasons)];
}

export async function healthCommand(_cmd: string, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...connectionOptions, json: { type: 'boolean' }, host: { type: 'string' } }, true);
  if (positionals.length > 1 || (positionals.length === 1 && values.host !== undefined)) throw new UsageError('usage: paz health [SERVICE | --host ID] [--json]   (one service or one host; neither: the whole cluster)');
  const client = clientOf(values);
  const colour = !values.json && colourOn(process.stdout);
  let healthy: boolean;
  let lines: string[];
  let doc: unknown;
  if (values.host !== undefined) {
    const h = await client.call<HostHealth>('GET', `/cluster/hosts/${encodeURIComponent(values.host)}/health`);
    [doc, healthy, lines] = [h, h.healthy, hostLines(h, colour)];
  } else if (positionals[0] !== undefined) {
    await requireService(client, positionals[0]);
    const h = await client.call<ServiceHealth>('GET', `/services/${encodeURIComponent(positionals[0])}/health`);
    [doc, healthy, lines] = [h, h.healthy, serviceLines(h, colour)];
  } else {
    const h = await client.call<ClusterHealth>('GET', '/cluster/health');
    [doc, healthy, lines] = [h, h.healthy, clusterLines(h, colour)];
  }
  console.log(values.json ? JSON.stringify(doc, null, 2) : lines.join('\n'));
  return healthy ? 0 : 1;
}
