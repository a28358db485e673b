/**
 * `paz logs [-f] [--tail N] SERVICE`: the output of every unit of a service, each line behind its unit's name,
 * as `heroku logs` and `docker compose logs` show several processes (client/service-log-follower.ts reads and
 * follows; here each unit is read through the orchestrator, so a follower survives a restart of Paz: the units'
 * streams are read on where they broke once it answers again). Lines go to stdout, what happens to the units to
 * stderr.
 */
import { isPassingTrouble, isRefusal, openUnitLogs } from './unit-log-stream.js';
import { PazApiError, type PazClient } from '../client/paz-client.js';
import { colourOn, paint, type Colour } from './colour.js';
import { followServiceLogs, readServiceLogs, type NoticeKind, type ServiceLogOutput, type ServiceLogSource } from '../client/service-log-follower.js';
import type { LogUnit } from '../core/service-logs-plan.js';

/** prefix colours at a terminal, one per unit in turn (not red: that says something failed) */
const PREFIX_COLOURS: readonly Colour[] = ['cyan', 'magenta', 'blue', 'yellow', 'green'];

export interface ServiceLogsOptions {
  follow: boolean;
  /** last N lines of each unit, for the units there at the start */
  tail?: string;
  /** what an empty service means (no units), in the words of `paz units` */
  noUnits: () => Promise<string>;
}

export async function serviceLogs(client: PazClient, service: string, opts: ServiceLogsOptions): Promise<number> {
  const colour = colourOn(process.stdout);
  const prefixes = new Map<string, string>();
  const units = (await client.units(service)) as unknown as LogUnit[];
  const width = Math.max(0, ...units.map((u) => u.name.length));
  const prefixOf = (unit: string) => {
    let p = prefixes.get(unit);
    if (!p) {
      p = paint(colour, PREFIX_COLOURS[prefixes.size % PREFIX_COLOURS.length]!, `${unit.padEnd(width)} |`) + ' ';
      prefixes.set(unit, p);
    }
    return p;
  };
  const source: ServiceLogSource = {
    units: async () => (await client.units(service)) as unknown as LogUnit[],
    isDeleted: (err) => err instanceof PazApiError && err.status === 404,
    open: (unit, q) => openUnitLogs(client, service, unit, q),
    isRefusal,
    isPassingTrouble,
    noUnits: opts.noUnits,
  };
  const out: ServiceLogOutput = {
    line: (unit, text) => void process.stdout.write(`${prefixOf(unit)}${text}\n`),
    notice: (kind, text) => console.error(noticeText(kind, text, opts.follow)),
  };
  const options = { service, units, tail: opts.tail, sourceName: client.url };
  if (!opts.follow) return (await readServiceLogs(source, out, options)) > 0 ? 1 : 0;
  await followServiceLogs(source, out, options);
  return 0;
}

/** A notice in the CLI's words: how to stop following, how to follow one unit of a large service. */
function noticeText(kind: NoticeKind, text: string, follow: boolean): string {
  if (kind === 'start') return follow ? `${text}, Ctrl-C to stop` : text;
  if (kind === 'capped') return `--- ${text}; \`paz logs -f UNIT\` follows any one ---`;
  return `--- ${text} ---`;
}
