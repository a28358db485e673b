/**
 * The pure half of `paz logs SERVICE`: which of a service's units to read (in what order), which to follow
 * next as its units come and go (a deploy's new instances, a restart, a scale down), and each unit's output
 * as whole lines behind the unit's name, as `docker compose logs` and `heroku logs` show several processes.
 */
import { parseUnitName, unitsWhy } from './unit-name.js';
import { PROCESS_UP_STATES, type UnitState } from './records.js';

/** What `paz logs SERVICE` needs of a unit from the API. */
export interface LogUnit {
  name: string;
  state?: string;
  reason?: string;
  /** null or absent while it is not placed */
  host?: string | null;
  /** ms; set once its process started (absent while pending or pulling) */
  startedAt?: number;
  /** set while it is being retired (a deploy replaced it, a scale down): its output ending is expected */
  drainingSince?: number;
}

/** The units whose output can be read (placed and started once), oldest version first, then by instance. */
export function readableUnits<T extends LogUnit>(units: readonly T[]): T[] {
  const key = (u: LogUnit) => parseUnitName(u.name) ?? { version: 0, instance: 0 };
  return units
    .filter((u) => u.host && u.startedAt !== undefined)
    .sort((a, b) => key(a).version - key(b).version || key(a).instance - key(b).instance || a.name.localeCompare(b.name));
}

/**
 * Why a service that has units has no output to show yet: none has started (waiting for a host, pulling its
 * image), each named with its state and reason, the same reason once. Undefined when there are no units at all.
 */
export function notStartedText(service: string, units: readonly (LogUnit & { state?: string; reason?: string })[]): string | undefined {
  if (units.length === 0) return undefined;
  return `${service}'s units have not started yet: ${unitsWhy(units.map((u) => ({ unit: u.name, why: `${u.state ?? 'pending'}${u.reason ? `: ${u.reason}` : ''}` })))}`;
}

/** What is known of a unit being followed. */
export interface Followed {
  /** the start whose output is (or was) read */
  startedAt: number;
  /** its stream is open now */
  open: boolean;
  /** its stream could not be opened or broke off (an agent that did not answer): how to read it again (resumeAt) */
  resume?: { since?: number; skip: number };
  /** its stream ended and that is not said yet (it is said at the next look, unless the unit turns out retired) */
  ended?: boolean;
  /** how its ended stream was opened and how many lines it gave: to read on if the unit turns out to run still */
  read?: { since?: number; tail?: string; lines: number; endedAt: number };
}

export type FollowAction =
  /**
   * read the unit's output: a unit seen for the first time (`new`) from its beginning; a restarted one from its new
   * start; one whose stream failed from when it failed
   */
  | { type: 'attach'; unit: string; why: 'new' | 'restarted' | 'retry'; startedAt: number; since?: number; skip?: number }
  /** a unit followed before is no longer among the service's units */
  | { type: 'gone'; unit: string };

/**
 * How many units `paz logs -f SERVICE` follows at once: each is a stream through the control plane to its agent,
 * and a service may run 1,000 instances. The newest version's are taken first (during a deploy, the ones to watch).
 */
export const MAX_FOLLOWED = 64;

/**
 * What to do after a look at the service's units: attach to units not seen before (at most `max` followed at once,
 * the newest versions' first) and to units started again since their stream ended (a restart may reuse the
 * container, whose earlier output is still there: read from the second it started, which comes after the restart
 * delay and so after every line of the run before); say which followed units are gone (a deploy retired them, a
 * scale down, the service deleted), which makes room for others.
 */
export function planFollow(followed: ReadonlyMap<string, Followed>, units: readonly LogUnit[], max = MAX_FOLLOWED): FollowAction[] {
  const actions: FollowAction[] = [];
  const present = new Set(units.map((u) => u.name));
  const gone = [...followed.keys()].filter((name) => !present.has(name));
  const fresh: LogUnit[] = [];
  for (const u of readableUnits(units)) {
    const known = followed.get(u.name);
    const startedAt = u.startedAt!;
    if (!known) fresh.push(u);
    else if (known.open) continue;
    else if (startedAt !== known.startedAt) actions.push({ type: 'attach', unit: u.name, why: 'restarted', startedAt, since: Math.floor(startedAt / 1000) });
    else if (known.resume !== undefined) actions.push({ type: 'attach', unit: u.name, why: 'retry', startedAt, ...known.resume });
  }
  const room = Math.max(0, max - (followed.size - gone.length));
  // readableUnits sorts oldest version first: the newest are at the end
  for (const u of fresh.slice(Math.max(0, fresh.length - room))) actions.push({ type: 'attach', unit: u.name, why: 'new', startedAt: u.startedAt! });
  for (const name of gone) actions.push({ type: 'gone', unit: name });
  return actions;
}

/**
 * What the look after a unit's stream ended says about it: the app still runs with the same start (its agent
 * restarted and ended the stream: read on where it ended, `runs`), or its output ended for a reason worth saying
 * (`ended`: it exited, or its agent went away; not being retired, not started again). A retired unit's end is said
 * once it is gone, a restart as such.
 */
export function afterEnd(followed: ReadonlyMap<string, Followed>, units: readonly LogUnit[]): { runs: string[]; ended: string[] } {
  const byName = new Map(units.map((u) => [u.name, u]));
  const out = { runs: [] as string[], ended: [] as string[] };
  for (const [name, f] of followed) {
    const u = byName.get(name);
    if (!f.ended || f.open || u === undefined || u.drainingSince !== undefined || u.startedAt !== f.startedAt) continue;
    (runsOn(u) ? out.runs : out.ended).push(name);
  }
  return out;
}

/**
 * A unit whose log stream ended still runs the same process (its start unchanged by the caller's check): an agent
 * that restarted ended the stream, not the app. Not 'starting': a restart on its way has a new start.
 */
export function runsOn(u: { state?: string }): boolean {
  return u.state !== 'starting' && PROCESS_UP_STATES.has(u.state as UnitState);
}

/**
 * Turns a unit's output, in chunks as they arrive, into whole lines behind a prefix (`web-2-1 | `); a line cut
 * between chunks waits for its end, and the end of the stream gives what is left.
 */
export class PrefixedLines {
  private partial = '';

  constructor(private readonly prefix: string) {}

  push(chunk: string): string[] {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    return parts.map((line) => this.prefix + line.replace(/\r$/, ''));
  }

  /** the last line when the stream ended without a line end, else nothing */
  end(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest === '' ? [] : [this.prefix + rest];
  }
}

/**
 * Where a followed unit's output is read again after its stream broke off (Paz or the agent restarting): a stream
 * opened without a tail is opened again the same way and the lines already read are skipped, which is exact on
 * both drivers (the process driver has no per-line times: a `since` inside a run gives the whole run again); one
 * opened with a tail can only go on from the second it broke.
 */
export function resumeAt(opened: { since?: number; tail?: string }, linesRead: number, brokeAtMs: number): { since?: number; skip: number } {
  if (opened.tail === undefined) return { ...(opened.since !== undefined ? { since: opened.since } : {}), skip: linesRead };
  return { since: Math.floor(brokeAtMs / 1000), skip: 0 };
}

/** Drops the first `skip` whole lines of a stream's text (the ones already shown), then passes the rest; counts the lines it passed. */
export class SkipLines {
  private left: number;
  /** lines passed on (whole ones) */
  passed = 0;

  constructor(skip: number) {
    this.left = skip;
  }

  push(chunk: string): string {
    let out = chunk;
    while (this.left > 0 && out.length > 0) {
      const nl = out.indexOf('\n');
      if (nl < 0) return '';
      out = out.slice(nl + 1);
      this.left--;
    }
    for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n', i + 1)) this.passed++;
    return out;
  }
}
