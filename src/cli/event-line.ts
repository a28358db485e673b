/**
 * `paz events`: one readable line per event of GET /events: time, type, service, and what happened. Pure.
 */
import { parseUnitName } from '../core/unit-name.js';
import { terminalSafe } from './terminal-safe.js';

type Data = Record<string, unknown>;

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** The time the event itself carries (a journal entry's, a status report's), else when it arrived. */
function timeOf(d: unknown, received: number): number {
  if (typeof d !== 'object' || d === null) return received;
  const o = d as Data;
  for (const k of ['timestamp', 'updatedAt', 'lastModifiedTime']) if (typeof o[k] === 'number') return o[k] as number;
  return received;
}

const serviceOfUnit = (unit: unknown) => parseUnitName(str(unit))?.service ?? '';

/** [service, summary] of one event. */
function describe(type: string, data: unknown): [string, string] {
  const d = (typeof data === 'object' && data !== null ? data : {}) as Data;
  switch (type) {
    case 'service.create':
      return [str(d.name), `created (image ${str(d.dockerRepository)}, ${str((d.config as Data | undefined)?.numInstances ?? '?')} instances)`];
    case 'service.modifyConfig':
      return [str(d.name), `next config changed (numInstances ${str((d.config as Data | undefined)?.numInstances ?? '?')})`];
    case 'service.del':
      return [str(data), 'deleted'];
    case 'unit.add':
    case 'unit.change': {
      const where = d.host ? `on host ${str(d.host).slice(0, 8)}` : `not placed${d.reason ? `: ${str(d.reason)}` : ''}`;
      const what = d.drainingSince ? 'draining' : d.hold ? 'held (rolling deploy)' : where;
      return [str(d.service), `unit ${str(d.unit)} ${type === 'unit.add' ? 'added' : 'changed'}: ${what}`];
    }
    case 'unit.remove':
      return [serviceOfUnit(data), `unit ${str(data)} removed`];
    case 'unit.status': {
      const extra = [d.restarts ? `${str(d.restarts)} restarts` : '', d.endpoint ? `at ${str(d.endpoint)}` : '', d.reason ? str(d.reason) : ''].filter(Boolean).join(', ');
      // the state 'healthy' or 'unhealthy' says it already ("healthy, healthy" was printed)
      const health = d.state === 'healthy' || d.state === 'unhealthy' ? '' : `, ${d.healthy ? 'healthy' : 'not healthy'}`;
      return [serviceOfUnit(d.unit), `unit ${str(d.unit)} ${str(d.state)}${health}${extra ? ` (${extra})` : ''}`];
    }
    case 'host.add':
      return ['', `host ${str(d.hostname)} (${str(d.id).slice(0, 8)}, ${str(d.ip)}) joined`];
    case 'host.change': {
      const problems = (d.problems as Array<{ component: string; message: string }> | undefined) ?? [];
      return ['', `host ${str(d.hostname)} (${str(d.id).slice(0, 8)}): ${problems.length ? problems.map((p) => `${p.component}: ${p.message}`).join('; ') : 'no problems now'}`];
    }
    case 'host.remove':
      return ['', `host ${str(data).slice(0, 8)} removed`];
    case 'endpoint.add':
    case 'endpoint.remove':
      return [str(d.service), `endpoint ${str(d.address)} ${type === 'endpoint.add' ? 'added' : 'removed'} (version ${str(d.version)}, instance ${str(d.instance)})`];
    case 'journal':
      return [str(d.serviceName), `${str(d.event)}${d.version ? ` version ${str(d.version)}` : ''}${d.message ? `: ${str(d.message)}` : ''}${d.actor ? ` (by ${str(d.actor)})` : ''}`];
    case 'error':
      return ['', `the server ended the stream: ${str(d.message)}`];
    default:
      return ['', JSON.stringify(data)?.slice(0, 200) ?? ''];
  }
}

/** One line: `2026-11-29T05:50:01Z  unit.status     hello-web  unit hello-web-2-1 running, healthy`. */
export function eventLine(type: string, dataText: string, received: number): string {
  let data: unknown = dataText;
  try {
    data = JSON.parse(dataText);
  } catch {
    // not JSON: shown as sent
  }
  const [service, summary] = describe(type, data);
  const time = new Date(timeOf(data, received)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  // what the server sent (a reason, an app's last output) may hold control characters: spelled out
  return terminalSafe(`${time}  ${type.padEnd(20)}  ${(service || '-').padEnd(20)}  ${summary}`);
}
