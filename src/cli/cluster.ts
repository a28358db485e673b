/** CLI: hosts and units, listed like `fleetctl list-machines` / `fleetctl list-units`. */
import { setTimeout as sleep } from 'node:timers/promises';
import { openStream, readText } from '../client/http-stream.js';
import { SseFrames } from '../client/sse-frames.js';
import { eventLine } from './event-line.js';
import { connectionErrorMessage, isConnectionError } from '../client/connection-error.js';
import { parse } from './options.js';
import { clientOf, connectionOptions } from './connect.js';
import { printTable } from './table.js';
import { requireService, requireUnit } from './known-service.js';
import { UsageError } from './usage-error.js';
import { isPassingTrouble, isRefusal, openUnitLogs } from './unit-log-stream.js';
import { resumeAt, runsOn, SkipLines } from '../core/service-logs-plan.js';
import { PROCESS_UP_STATES, type UnitState } from '../core/records.js';
import { failedWithNothingServing } from '../core/rollout-outcome.js';
import { lastRestartText } from '../core/ago.js';
import { PazApiError, type PazClient } from '../client/paz-client.js';
import { printError } from './print.js';

/**
 * What an empty `paz units SERVICE` means. A first deploy that failed leaves nothing running (its instances are
 * removed); "never deployed" would send the user to deploy again without saying why it failed.
 */
async function noUnitsNote(client: PazClient, svc: string): Promise<string> {
  const rollout = await client.rollout(svc).catch(() => undefined);
  if (rollout && failedWithNothingServing(rollout)) {
    return `${svc} has no units: the deploy of version ${rollout.version} failed and no earlier version serves (\`paz rollout ${svc}\` says why; a fix, then \`paz deploy ${svc}\`)`;
  }
  return `${svc} has no units: it was never deployed (\`paz deploy ${svc}\`) or runs 0 instances (\`paz scale ${svc} N\`)`;
}

/**
 * `paz logs [-f] [--tail N] UNIT`: the unit's output, like `fleetctl journal -f UNIT.service`. With -f it
 * follows the unit through its restarts, as `heroku logs --tail` does: when its output ends (the app exited) it
 * says so and waits for the unit's next start, and stops once the unit is gone. A service's name instead of a
 * unit's: every unit's output, each line behind its unit's name (service-logs.ts).
 */
async function logsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...connectionOptions, follow: { type: 'boolean', short: 'f' }, tail: { type: 'string', short: 'n' } }, true);
  const client = clientOf(values);
  const id = positionals[0]?.replace(/\.service$/, '');
  if (!id) throw new UsageError('usage: paz logs [-f] [--tail N] UNIT|SERVICE   (UNIT as listed by paz units, or <service>-<instance>; a SERVICE: all its units)');
  if (values.tail !== undefined && !/^[0-9]{1,9}$/.test(values.tail)) throw new UsageError(`--tail takes a number of lines, got "${values.tail}"`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
  // a service's exact name means all its units (a service named like a unit, `web-1`, wins over web's instance 1)
  if (await isService(client, id)) {
    const { serviceLogs } = await import('./service-logs.js');
    return serviceLogs(client, id, { follow: values.follow === true, tail: values.tail, noUnits: () => noUnitsNote(client, id) });
  }
  // the server resolves `<service>-<instance>` (the seed README's contrived-service-1) to a unit
  const unit = await requireUnit<UnitAnswer>(client, id, true);
  let startedAt = unit.startedAt;
  // how the current stream is read (the first: the unit's whole output, or its tail), and the lines of it to skip
  let query: { since?: number; tail?: string } = values.tail !== undefined ? { tail: values.tail } : {};
  let skipFirst = 0;
  let trouble = '';
  let skip = new SkipLines(0);
  /** the next stream reads on where the last one stopped (at `atMs`), from the lines it gave (resumeAt) */
  const readOn = (atMs: number) => {
    const at = resumeAt(query, skipFirst + skip.passed, atMs);
    query = at.since !== undefined ? { since: at.since } : {};
    skipFirst = at.skip;
  };
  for (;;) {
    let opened = false;
    skip = new SkipLines(skipFirst);
    try {
      const res = await openUnitLogs(client, unit.service, unit.name, { follow: values.follow, ...query });
      opened = true;
      if (trouble) printError(`--- ${unit.name}'s output again ---`);
      trouble = '';
      res.setEncoding('utf8');
      for await (const chunk of res) {
        const text = skip.push(chunk as string);
        if (text) process.stdout.write(text);
      }
    } catch (err) {
      if (!values.follow || isRefusal(err)) throw err;
      // Paz or the unit's agent went away (a restart, an upgrade: its host unknown for a moment) while the app may
      // well run on: the same run is read again once they answer, where the stream broke (resumeAt; as it was to
      // be, when it did not open); a new start from its start; a unit gone ends it
      if (opened) readOn(Date.now());
      const message = (err as Error).message;
      if (message !== trouble) printError(`--- ${unit.name}'s log stream ${opened ? 'broke off' : 'cannot be read now'} (${message}); reading it again once it can be, Ctrl-C to stop ---`);
      trouble = message;
      await sleep(NEXT_START_POLL_MS);
      const now = await unitWhenReachable(client, unit.name);
      if (now === undefined) return 0;
      if (now.startedAt !== undefined && now.startedAt !== startedAt) {
        printError(`--- ${unit.name} started again${now.restarts ? ` (restart ${now.restarts})` : ''} ---`);
        startedAt = now.startedAt;
        query = { since: Math.floor(now.startedAt / 1000) };
        skipFirst = 0;
      }
      continue;
    }
    if (!values.follow) return 0;
    // its output ended: the app exited (or its agent went away). Follow its next start: a restart may be the same
    // container (its earlier output still there), so from the second it started, which comes after a restart's
    // delay (1 s at least) and so after every line of the run before. If the same run still runs (its agent
    // restarted and ended the stream), read on where it ended.
    const endedAt = Date.now();
    const next = await nextStart(client, unit.name, startedAt);
    if (next === undefined) return 0;
    if (next === 'runs') {
      readOn(endedAt);
      continue;
    }
    startedAt = next;
    query = { since: Math.floor(next / 1000) };
    skipFirst = 0;
  }
}

async function isService(client: PazClient, name: string): Promise<boolean> {
  try {
    await client.getService(name);
    return true;
  } catch (e) {
    if (e instanceof PazApiError && (e.status === 404 || e.status === 400)) return false;
    throw e;
  }
}

interface UnitAnswer {
  name: string;
  service: string;
  state?: UnitState;
  reason?: string;
  startedAt?: number;
  restarts?: number;
}

/** How often `paz logs -f` looks for a stopped unit's next start. */
const NEXT_START_POLL_MS = 1000;

/**
 * The unit as Paz sees it, once Paz answers (a restart of `paz up` takes a few seconds; said once); undefined
 * (said too) when the unit is gone: its version replaced or failed, scaled down, deleted.
 */
async function unitWhenReachable(client: PazClient, name: string): Promise<UnitAnswer | undefined> {
  let said = '';
  for (;;) {
    try {
      return await client.call<UnitAnswer>('GET', `/cluster/units/${encodeURIComponent(name)}`);
    } catch (e) {
      if (e instanceof PazApiError && e.status === 404) {
        printError(`--- ${name} is gone (its version was replaced or failed, or it was scaled down or deleted) ---`);
        return undefined;
      }
      if (!isPassingTrouble(e)) throw e;
      const message = (e as Error).message;
      if (message !== said) printError(`--- ${message}; trying again every ${NEXT_START_POLL_MS / 1000} s ---`);
      said = message;
    }
    await sleep(NEXT_START_POLL_MS);
  }
}

/**
 * Waits for the unit's next start after `startedAt`; says on stderr that it stopped and, once, why. Undefined
 * (said too) when the unit is gone: its version replaced or failed, scaled down, deleted. `runs`: the same run
 * still runs (the stream ended for another reason than the app: its agent restarted).
 */
async function nextStart(client: PazClient, name: string, startedAt: number | undefined): Promise<number | 'runs' | undefined> {
  let said = false;
  for (let look = 0; ; look++) {
    // a moment first (an app that exited is reported so a moment after its output ends, a restart comes 1 s or
    // more after it), then every NEXT_START_POLL_MS
    await sleep(look === 0 ? 300 : NEXT_START_POLL_MS);
    const now = await unitWhenReachable(client, name);
    if (now === undefined) return undefined;
    if (!said && now.startedAt === startedAt && runsOn(now)) return 'runs';
    const running = now.state !== undefined && PROCESS_UP_STATES.has(now.state);
    if (running && now.startedAt !== undefined && now.startedAt !== startedAt) {
      printError(`--- ${name} started again${now.restarts ? ` (restart ${now.restarts})` : ''} ---`);
      return now.startedAt;
    }
    if (!said) {
      // its status may not say so yet (it is written a moment later): the end of its output is what is known
      printError(`--- ${name}'s output ended (the app exited, or its host's agent went away); following its next start, Ctrl-C to stop ---`);
      said = true;
    }
  }
}

/**
 * `paz events [--since REV] [--json]`: the live event stream. Says on stderr where it is connected and from
 * which revision (what `--since` takes to resume), then one readable line per event, or with --json one JSON
 * object per line `{revision, type, data}`.
 */
async function eventsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...connectionOptions, since: { type: 'string' }, json: { type: 'boolean' } }, true);
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  if (values.since !== undefined && !/^[0-9]{1,15}$/.test(values.since)) throw new UsageError(`--since takes a revision (a whole number, as paz events printed or x-paz-revision), got "${values.since}"`);
  const client = clientOf(values);
  const url = `${client.url}/events${values.since ? `?since=${encodeURIComponent(values.since)}` : ''}`;
  // node:http: the stream is open for as long as the user watches
  const res = await openStream(url, { headers: client.authHeaders() }).catch((err: unknown) => {
    throw isConnectionError(err) ? new Error(connectionErrorMessage(url, err), { cause: err }) : err;
  });
  if (res.statusCode !== 200) throw new Error(`${errorMessage(await readText(res), res.statusCode ?? 0)}${client.authHint(res.statusCode ?? 0)}`);
  const frames = new SseFrames((comment) => {
    const m = /^paz events since revision (\d+)/.exec(comment);
    if (m) printError(`connected to ${client.url} (since revision ${m[1]}); one line per event, Ctrl-C to stop`);
  });
  res.setEncoding('utf8');
  for await (const chunk of res) {
    for (const f of frames.push(chunk as string)) {
      if (!f.event) continue;
      if (values.json) {
        let data: unknown = f.data;
        try {
          data = JSON.parse(f.data);
        } catch {
          // not JSON: kept as the text sent
        }
        console.log(JSON.stringify({ revision: f.id === undefined ? undefined : Number(f.id), type: f.event, data }));
      } else console.log(eventLine(f.event, f.data ?? '', Date.now()));
      if (f.event === 'error') return 1;
    }
  }
  printError(`${client.url} closed the event stream`);
  return 1;
}

/** The message of an API error body, else its status. */
function errorMessage(text: string, status: number): string {
  try {
    return (JSON.parse(text) as { message?: string }).message ?? `HTTP ${status}`;
  } catch {
    return `HTTP ${status}`;
  }
}

export async function clusterCommand(cmd: string, args: string[]): Promise<number> {
  if (cmd === 'logs') return logsCommand(args);
  if (cmd === 'events') return eventsCommand(args);
  const { values, positionals } = parse(args, { ...connectionOptions, json: { type: 'boolean' } }, true);
  const client = clientOf(values);
  if (cmd === 'units' || cmd === 'ps') {
    if (positionals[0]) await requireService(client, positionals[0]);
    const units = await client.units(positionals[0]);
    if (values.json) return console.log(JSON.stringify(units, null, 2)), 0;
    const svc = positionals[0];
    const empty = units.length > 0 ? '' : svc ? await noUnitsNote(client, svc) : 'no units: no service is deployed (`paz deploy NAME`)';
    const now = Date.now();
    printTable(
      ['UNIT', 'MACHINE', 'ACTIVE', 'SUB', 'STATE', 'RESTARTS', 'ENDPOINT', 'REASON'],
      units.map((u) => {
        const m = u.machineState as { ID: string; PublicIP: string } | null;
        return [
          `${u.name}.service`,
          m ? `${m.ID.slice(0, 8)}.../${m.PublicIP}` : '-',
          String(u.activeState),
          String(u.subState),
          String(u.state),
          String(u.restarts ?? 0),
          String(u.endpoint ?? '-'),
          // a unit that runs again after restarts has no reason of its own: why it last restarted, as kubectl's
          // "last state" says (an OOM kill would otherwise show as a bare restart count)
          String(u.reason ?? (u.lastRestart ? lastRestartText(u.lastRestart as { at: number; why: string }, now) : '')),
        ];
      }),
      empty,
    );
    return 0;
  }
  const hosts = await client.hosts();
  if (values.json) return console.log(JSON.stringify(hosts, null, 2)), 0;
  printTable(
    ['MACHINE', 'IP', 'HOSTNAME', 'CPUS', 'MEMORY', 'UNITS', 'HEALTHY', 'DRAIN'],
    hosts.map((h) => {
      const r = h.TotalResources as { Cores: number; Memory: number };
      // paz host drain: DRAINING while units move away, DRAINED once empty, STUCK when some cannot
      const drain = (h.drain as { state: string } | undefined)?.state;
      return [String(h.ID), String(h.PublicIP), String(h.hostname), String(r.Cores), `${r.Memory} MiB`, String((h.units as string[]).length), String(h.healthy), drain ? drain.toUpperCase() : '-'];
    }),
    'no hosts: start an agent on each host (`paz agent`, or `paz up` on one)',
  );
  return 0;
}
