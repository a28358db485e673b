/**
 * The output of every unit of a service, each line said with its unit, for `paz logs SERVICE` (the CLI reads each
 * unit through the orchestrator) and `GET /services/:name/logs` (the orchestrator reads each unit from its agent:
 * one stream for the dashboard, which a browser's six connections per host could not give one per unit). Without
 * follow, each readable unit's output in turn (oldest version first). Following, it follows the service rather than
 * a set of containers: a deploy's new instances join as they start, a restarted unit goes on from its new start, a
 * stream that broke (Paz or an agent restarting) is read on where it broke, retired units are said to be gone, and
 * it ends when the service is deleted. The decisions are core/service-logs-plan.ts's; the I/O is the caller's.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEnd, MAX_FOLLOWED, notStartedText, planFollow, PrefixedLines, readableUnits, resumeAt, SkipLines, type Followed, type LogUnit } from '../core/service-logs-plan.js';

/** How one unit's stream is asked for: from its beginning, its last `tail` lines, or from `since` (unix seconds). */
export interface UnitLogQuery {
  follow?: boolean;
  tail?: string;
  since?: number;
}

/** The query string of a unit's log stream (the orchestrator's route and the agent's read the same one). */
export function unitLogSearch(q: UnitLogQuery): URLSearchParams {
  const query = new URLSearchParams();
  if (q.follow) query.set('follow', 'true');
  if (q.tail !== undefined) query.set('tail', q.tail);
  if (q.since !== undefined) query.set('since', String(q.since));
  return query;
}

/** A unit's open log stream: text (or bytes of it) as it comes; destroy() closes it. */
export interface UnitLogStream extends AsyncIterable<unknown> {
  setEncoding(encoding: 'utf8'): unknown;
  destroy(): void;
}

/** Where the units and their output come from, and how to read its failures. */
export interface ServiceLogSource {
  /** the service's units now */
  units(): Promise<LogUnit[]>;
  /** units() failed because the service no longer exists */
  isDeleted(err: unknown): boolean;
  /** a unit's output; fails when it cannot be opened */
  open(unit: string, q: UnitLogQuery): Promise<UnitLogStream>;
  /** refused for good (a token revoked): following ends with it */
  isRefusal(err: unknown): boolean;
  /** a failure to wait out (something restarting) rather than end with */
  isPassingTrouble(err: unknown): boolean;
  /** what an empty service means (no units at all) */
  noUnits(): Promise<string>;
}

/**
 * What the follower says besides the units' lines:
 * - `start`: what it follows, once, at the start (the CLI adds how to stop);
 * - `event`: something that happened to a unit or to the reading (a unit started, is gone, could not be read);
 * - `capped`: only some of the started units are followed (MAX_FOLLOWED);
 * - `end`: why it ends (the service was deleted).
 */
export type NoticeKind = 'start' | 'event' | 'capped' | 'end';

export interface ServiceLogOutput {
  /** one whole line of a unit's output, without its line end; a promise holds that unit's reading until it settles (a slow reader) */
  line(unit: string, text: string): void | Promise<void>;
  notice(kind: NoticeKind, text: string): void;
}

export interface ServiceLogOptions {
  service: string;
  /** the units as first read (the caller has them to tell a service from a unit) */
  units: LogUnit[];
  /** last N lines of each unit, for the units there at the start */
  tail?: string;
  /** from this unix second on, for the units there at the start */
  since?: number;
  /** ends following (the client went away); open streams are closed */
  signal?: AbortSignal;
  /** how often the units are looked at again for new, restarted and retired ones (ms; default 1 s) */
  pollMs?: number;
  /** what the source is, for "answers again" (a URL) */
  sourceName?: string;
}

/** Each readable unit's output in turn (oldest version first); how many units could not be read. */
export async function readServiceLogs(source: ServiceLogSource, out: ServiceLogOutput, opts: ServiceLogOptions): Promise<number> {
  const readable = readableUnits(opts.units);
  if (readable.length === 0) {
    out.notice('start', notStartedText(opts.service, opts.units) ?? (await source.noUnits()));
    return 0;
  }
  let failed = 0;
  for (const u of readable) {
    if (opts.signal?.aborted) break;
    try {
      const res = await source.open(u.name, { tail: opts.tail, since: opts.since });
      const close = () => res.destroy();
      opts.signal?.addEventListener('abort', close, { once: true });
      try {
        await readLines(res, u.name, out, new SkipLines(0), opts.signal);
      } finally {
        opts.signal?.removeEventListener('abort', close);
      }
    } catch (err) {
      if (opts.signal?.aborted) break;
      failed++;
      out.notice('event', `${u.name}: ${(err as Error).message}`);
    }
  }
  return failed;
}

/**
 * Follows the service until it is deleted (resolves) or `signal` aborts (resolves); rejects with a refusal, or
 * with a failure to read the units that is not passing trouble.
 */
export async function followServiceLogs(source: ServiceLogSource, out: ServiceLogOutput, opts: ServiceLogOptions): Promise<void> {
  const pollMs = opts.pollMs ?? 1000;
  const followed = new Map<string, Followed>();
  const problems = new Map<string, string>();
  const open = new Set<UnitLogStream>();
  const closeAll = () => {
    for (const s of open) s.destroy();
  };
  opts.signal?.addEventListener('abort', closeAll, { once: true });
  let units = opts.units;
  let initial = true;
  /** units whose start was said (or that were there at the start): a retry of one is not a start */
  const seen = new Set<string>();
  /** why the units could not be read at the last look, while they cannot */
  let unreachable = '';
  /** a stream refused for good (a token revoked while following): the end */
  let refused: Error | undefined;
  /** the units left out last said ("64 of 1000"), while there are */
  let leftOut = '';
  try {
    for (;;) {
      if (opts.signal?.aborted) return;
      const actions = planFollow(followed, units);
      if (initial) {
        const none = followed.size === 0 && actions.length === 0;
        out.notice('start', none ? `${notStartedText(opts.service, units) ?? (await source.noUnits())}; following its units as they start` : `following the output of ${opts.service}'s units as they come and go`);
      }
      for (const a of actions) {
        if (a.type === 'gone') {
          followed.delete(a.unit);
          out.notice('event', `${a.unit} is gone (its version was replaced or failed, or it was scaled down)`);
          continue;
        }
        const state: Followed = { startedAt: a.startedAt, open: true };
        followed.set(a.unit, state);
        if (a.why === 'restarted') out.notice('event', `${a.unit} started again`);
        else if (a.why === 'new' && !initial && !seen.has(a.unit)) out.notice('event', `${a.unit} started`);
        seen.add(a.unit);
        const tail = a.why === 'new' && initial ? opts.tail : undefined;
        const since = a.why === 'new' && initial ? opts.since : a.since;
        const skipFirst = a.skip ?? 0;
        void (async () => {
          const skip = new SkipLines(skipFirst);
          let opened = false;
          try {
            const res = await source.open(a.unit, { follow: true, tail, since });
            opened = true;
            open.add(res);
            problems.delete(a.unit);
            try {
              await readLines(res, a.unit, out, skip, opts.signal);
            } finally {
              open.delete(res);
            }
            state.ended = true;
            state.read = { since, tail, lines: skipFirst + skip.passed, endedAt: Date.now() };
          } catch (err) {
            if (opts.signal?.aborted) return;
            if (source.isRefusal(err)) {
              refused ??= err as Error;
              return;
            }
            // said once per different problem; tried again at the next look: a unit never read as new again (from
            // its beginning), one whose stream broke off where it did (resumeAt), one that failed to reopen as it was
            const message = opened ? `its log stream broke off (${(err as Error).message})` : (err as Error).message;
            if (problems.get(a.unit) !== message) out.notice('event', `${a.unit}: ${message}; trying again`);
            problems.set(a.unit, message);
            if (followed.get(a.unit) !== state) return;
            if (!opened && a.why === 'new') followed.delete(a.unit);
            else followed.set(a.unit, { startedAt: a.startedAt, open: false, resume: opened ? resumeAt({ since, tail }, skipFirst + skip.passed, Date.now()) : { ...(since !== undefined ? { since } : {}), skip: skipFirst } });
            return;
          }
          state.open = false;
        })();
      }
      // a service larger than MAX_FOLLOWED: said when what is left out changes
      const started = readableUnits(units).length;
      const left = started > followed.size ? `${followed.size} of ${started}` : '';
      if (left && left !== leftOut) out.notice('capped', `following ${left} started units of ${opts.service} (at most ${MAX_FOLLOWED} at once, the newest first; the others as these go)`);
      leftOut = left;
      initial = false;
      try {
        await sleep(pollMs, undefined, opts.signal ? { signal: opts.signal } : {});
      } catch {
        return; // aborted
      }
      if (refused) throw refused;
      try {
        units = await source.units();
        if (unreachable) out.notice('event', `${opts.sourceName ?? 'the control plane'} answers again`);
        unreachable = '';
      } catch (err) {
        if (source.isDeleted(err)) {
          out.notice('end', `${opts.service} was deleted`);
          return;
        }
        if (!source.isPassingTrouble(err)) throw err;
        // Paz restarting (an upgrade): the units are looked at again once it answers, the open streams go on
        if ((err as Error).message !== unreachable) out.notice('event', `${(err as Error).message}; trying again every ${pollMs / 1000} s`);
        unreachable = (err as Error).message;
        continue;
      }
      // said at the look after the end: a unit retired by a deploy ends its output too, and is said to be gone instead
      const { runs, ended } = afterEnd(followed, units);
      for (const name of ended) {
        out.notice('event', `${name}'s output ended (the app exited, or its host's agent went away); following its next start`);
        followed.get(name)!.ended = false;
      }
      for (const name of runs) {
        const f = followed.get(name)!;
        const read = f.read ?? { lines: 0, endedAt: Date.now() };
        followed.set(name, { startedAt: f.startedAt, open: false, resume: resumeAt(read, read.lines, read.endedAt) });
      }
    }
  } finally {
    opts.signal?.removeEventListener('abort', closeAll);
    closeAll();
  }
}

/** A unit's stream as whole lines to `out`, the first `skip` ones left out (already shown). */
async function readLines(res: UnitLogStream, unit: string, out: ServiceLogOutput, skip: SkipLines, signal?: AbortSignal): Promise<void> {
  const lines = new PrefixedLines('');
  res.setEncoding('utf8');
  for await (const chunk of res) {
    for (const l of lines.push(skip.push(chunk as string))) await out.line(unit, l);
    if (signal?.aborted) return;
  }
  for (const l of lines.end()) await out.line(unit, l);
}
