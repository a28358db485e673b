/**
 * `paz logs [-f] [--tail N] SERVICE`: the output of every unit of a service, each line behind its unit's name,
 * as `heroku logs` and `docker compose logs` show several processes. Without -f, each readable unit's output in
 * turn (oldest version first). With -f it follows the service rather than a set of containers: a deploy's new
 * instances join as they start, a restarted unit goes on from its new start, and retired ones are said to be
 * gone, so the logs of a deploy can be watched from one command (Dokku's users lost them across deploys).
 */
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPassingTrouble, isRefusal, openUnitLogs } from './unit-log-stream.js';
import { PazApiError, type PazClient } from '../client/paz-client.js';
import { colourOn, paint, type Colour } from './colour.js';
import { afterEnd, MAX_FOLLOWED, notStartedText, planFollow, PrefixedLines, readableUnits, resumeAt, SkipLines, type Followed, type LogUnit } from './service-logs-plan.js';

/** How often `paz logs -f SERVICE` looks at the service's units for new, restarted and retired ones. */
const UNITS_POLL_MS = 1000;

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
  const prefixOf = (unit: string, width: number) => {
    let p = prefixes.get(unit);
    if (!p) {
      p = paint(colour, PREFIX_COLOURS[prefixes.size % PREFIX_COLOURS.length]!, `${unit.padEnd(width)} |`) + ' ';
      prefixes.set(unit, p);
    }
    return p;
  };
  const units = await client.units(service) as unknown as LogUnit[];
  const width = Math.max(0, ...units.map((u) => u.name.length));
  if (!opts.follow) {
    const readable = readableUnits(units);
    if (readable.length === 0) {
      console.error(notStartedText(service, units) ?? (await opts.noUnits()));
      return 0;
    }
    let failed = 0;
    for (const u of readable) {
      try {
        const res = await openUnitLogs(client, service, u.name, { tail: opts.tail });
        await printLines(res, new PrefixedLines(prefixOf(u.name, width)));
      } catch (err) {
        failed++;
        console.error(`--- ${u.name}: ${(err as Error).message} ---`);
      }
    }
    return failed > 0 ? 1 : 0;
  }
  return followService(client, service, units, { prefixOf: (u) => prefixOf(u, width), tail: opts.tail, noUnits: opts.noUnits });
}

async function followService(client: PazClient, service: string, first: LogUnit[], opts: { prefixOf: (unit: string) => string; tail?: string; noUnits: () => Promise<string> }): Promise<number> {
  const followed = new Map<string, Followed>();
  const problems = new Map<string, string>();
  let units = first;
  let initial = true;
  let saidEmpty = false;
  /** units whose start was said (or that were there at the start): a retry of one is not a start */
  const seen = new Set<string>();
  /** why Paz did not answer the last look at the units, while it does not */
  let unreachable = '';
  /** a stream Paz refused for good (a token revoked while following): the end */
  let refused: Error | undefined;
  /** the units left out last said ("64 of 1000"), while there are */
  let leftOut = '';
  for (;;) {
    const actions = planFollow(followed, units);
    if (initial && followed.size === 0 && actions.length === 0 && !saidEmpty) {
      console.error(`${notStartedText(service, units) ?? (await opts.noUnits())}; following its units as they start, Ctrl-C to stop`);
      saidEmpty = true;
    } else if (initial) console.error(`following the output of ${service}'s units as they come and go, Ctrl-C to stop`);
    for (const a of actions) {
      if (a.type === 'gone') {
        followed.delete(a.unit);
        console.error(`--- ${a.unit} is gone (its version was replaced or failed, or it was scaled down) ---`);
        continue;
      }
      const state: Followed = { startedAt: a.startedAt, open: true };
      followed.set(a.unit, state);
      if (a.why === 'restarted') console.error(`--- ${a.unit} started again ---`);
      else if (a.why === 'new' && !initial && !seen.has(a.unit)) console.error(`--- ${a.unit} started ---`);
      seen.add(a.unit);
      const tail = a.why === 'new' && initial ? opts.tail : undefined;
      const skipFirst = a.skip ?? 0;
      void (async () => {
        const lines = new PrefixedLines(opts.prefixOf(a.unit));
        const skip = new SkipLines(skipFirst);
        let opened = false;
        try {
          const res = await openUnitLogs(client, service, a.unit, { follow: true, tail, since: a.since });
          opened = true;
          problems.delete(a.unit);
          await printLines(res, lines, skip);
          state.ended = true;
          state.read = { since: a.since, tail, lines: skipFirst + skip.passed, endedAt: Date.now() };
        } catch (err) {
          if (isRefusal(err)) {
            refused ??= err as Error;
            return;
          }
          // said once per different problem; tried again at the next look: a unit never read as new again (from its
          // beginning), one whose stream broke off where it did (resumeAt), one that failed to reopen as it was to be
          const message = opened ? `its log stream broke off (${(err as Error).message})` : (err as Error).message;
          if (problems.get(a.unit) !== message) console.error(`--- ${a.unit}: ${message}; trying again ---`);
          problems.set(a.unit, message);
          if (followed.get(a.unit) !== state) return;
          if (!opened && a.why === 'new') followed.delete(a.unit);
          else followed.set(a.unit, { startedAt: a.startedAt, open: false, resume: opened ? resumeAt({ since: a.since, tail }, skipFirst + skip.passed, Date.now()) : { ...(a.since !== undefined ? { since: a.since } : {}), skip: skipFirst } });
          return;
        }
        state.open = false;
      })();
    }
    // a service larger than MAX_FOLLOWED: said when what is left out changes
    const started = readableUnits(units).length;
    const left = started > followed.size ? `${followed.size} of ${started}` : '';
    if (left && left !== leftOut) console.error(`--- following ${left} started units of ${service} (at most ${MAX_FOLLOWED} at once, the newest first; the others as these go); \`paz logs -f UNIT\` follows any one ---`);
    leftOut = left;
    initial = false;
    await sleep(UNITS_POLL_MS);
    if (refused) throw refused;
    try {
      units = (await client.units(service)) as unknown as LogUnit[];
      if (unreachable) console.error(`--- ${client.url} answers again ---`);
      unreachable = '';
    } catch (err) {
      if (err instanceof PazApiError && err.status === 404) {
        console.error(`--- ${service} was deleted ---`);
        return 0;
      }
      if (!isPassingTrouble(err)) throw err;
      // Paz restarting (an upgrade): the units are looked at again once it answers, the open streams go on
      if ((err as Error).message !== unreachable) console.error(`--- ${(err as Error).message}; trying again every ${UNITS_POLL_MS / 1000} s ---`);
      unreachable = (err as Error).message;
      continue;
    }
    // said at the look after the end: a unit retired by a deploy ends its output too, and is said to be gone instead
    const { runs, ended } = afterEnd(followed, units);
    for (const name of ended) {
      console.error(`--- ${name}'s output ended (the app exited, or its host's agent went away); following its next start ---`);
      followed.get(name)!.ended = false;
    }
    for (const name of runs) {
      const f = followed.get(name)!;
      const read = f.read ?? { lines: 0, endedAt: Date.now() };
      followed.set(name, { startedAt: f.startedAt, open: false, resume: resumeAt(read, read.lines, read.endedAt) });
    }
  }
}

async function printLines(res: IncomingMessage, lines: PrefixedLines, skip = new SkipLines(0)): Promise<void> {
  res.setEncoding('utf8');
  for await (const chunk of res) for (const l of lines.push(skip.push(chunk as string))) process.stdout.write(`${l}\n`);
  for (const l of lines.end()) process.stdout.write(`${l}\n`);
}
