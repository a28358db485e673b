/**
 * The committed desired units placed on one host, kept from one read and a watch from that read's revision
 * (Kubernetes' list-and-watch), for the host's agent. The agent's reconciler used to read every desired unit
 * of the cluster on every change to any of them: with N hosts and M units, each change cost each agent
 * O(M) and the store N × M (a 10,000-unit deploy on 100 hosts read and parsed millions of units). Here an
 * agent hears only of the changes that concern its host, and a pass costs only the host's own units.
 *
 * Only units whose stored value names this host are kept. At the first read only those are parsed (a value
 * that does not contain the host id cannot be a unit placed here); later changes come parsed from the event
 * router (unit-events-by-host.ts), which parses each event once for every view it goes to. The watches are
 * the process's shared ones (store-loop.ts). Changes that concern the host (a unit placed here, changed,
 * moved away or deleted; a service's latest version, which decides what is committed) call `onChange`. A
 * watch that dies (store compacted past it, or closed) marks the view stale: the next `current()` reads
 * everything again.
 */
import type { Store, Watch, WatchEvent } from '../store/store.js';
import { keys } from '../core/keys.js';
import type { DesiredUnit } from '../core/records.js';
import { isCommittedUnitKey } from '../core/committed-units.js';
import { parseJsonValue } from '../store/json.js';
import { sharedWatch } from './store-loop.js';
import { hostUnitEvents, type HostUnitEvents, type UnitEvent } from './unit-events-by-host.js';
import { setImmediate as nextTurn } from 'node:timers/promises';

const PARSE_BATCH = 200;

export interface HostUnitsViewOptions {
  store: Store;
  hostId: string;
  /** something that concerns this host changed: the reconciler runs a pass */
  onChange: () => void;
  /** a watch died (the view reads again on its next use) or a unit's value could not be parsed */
  onError: (err: Error) => void;
}

export class HostUnitsView {
  /** this host's desired units by key, committed or not (staged units are filtered at read time) */
  private readonly units = new Map<string, DesiredUnit>();
  private readonly latest = new Map<string, number>();
  private watches: Watch[] = [];
  /** this view's membership of the process's unit-event router: told which units the view holds */
  private routed: HostUnitEvents | undefined;
  private stale = true;
  private stopped = false;
  /** bumped at each read: events of an older read's watches are dropped */
  private generation = 0;
  /** the units placed here at the view's first read: only they can have a status left by an earlier agent */
  private atStart: Set<string> | undefined;

  constructor(private readonly opts: HostUnitsViewOptions) {}

  /** The committed desired units placed on this host, as of the last event seen. */
  async current(): Promise<DesiredUnit[]> {
    if (this.stale && !this.stopped) await this.sync();
    const out: DesiredUnit[] = [];
    for (const [key, unit] of this.units) if (isCommittedUnitKey(key, this.latest)) out.push(unit);
    return out;
  }

  /**
   * Reads everything again at the next `current()`: after the agent was cut off from the store, the watches
   * may still be delivering what happened meanwhile, and the agent must act on what the store says now.
   */
  invalidate(): void {
    this.stale = true;
  }

  /**
   * Whether `unit` was placed here when the view first read the store. A unit placed here later was placed
   * while this process ran, so no earlier agent of this host ran it since its lease's keys (its statuses)
   * last expired: an agent need not look for a status of its own to carry on (restart counts).
   */
  placedBeforeStart(unit: string): boolean {
    return this.atStart?.has(unit) ?? true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    await this.cancelWatches();
  }

  private async sync(): Promise<void> {
    await this.cancelWatches();
    const generation = ++this.generation;
    const latestPrefix = keys.latestPrefix();
    const unitsPrefix = keys.desiredUnitsPrefix();
    // the process's shared live watches (one per prefix, whoever else listens) are joined BEFORE the read:
    // what they deliver meanwhile waits, and only what is newer than the read is applied afterwards
    let readAt: number | undefined;
    const early: Array<() => void> = [];
    const follow = <E extends WatchEvent>(apply: (events: E[]) => void) => (events: E[]) => {
      if (generation !== this.generation) return;
      if (readAt === undefined) {
        early.push(() => follow(apply)(events));
        return;
      }
      const fresh = events.filter((e) => e.revision > readAt!);
      if (fresh.length > 0) apply(fresh);
    };
    // a watch joined here that dies before the read is over leaves the view stale all the same: it used to be
    // marked stale, then marked fresh by the read's end, and the view held a dead watch for good (an agent back
    // from a cut saw no change placed on its host again: its watches of latest versions and of units die one
    // after the other, and the second one's error came while the first one's read was under way)
    let died = false;
    const onError = (err: Error) => {
      if (generation !== this.generation) return;
      died = true;
      this.stale = true;
      this.opts.onError(err);
      this.opts.onChange();
    };
    const watches: Watch[] = [];
    try {
      watches.push(await sharedWatch(this.opts.store, latestPrefix, follow((events) => this.onLatest(events, latestPrefix)), onError));
      // only the unit events that concern this host (unit-events-by-host.ts), not every event of the cluster
      const routed = await hostUnitEvents(this.opts.store, this.opts.hostId, follow((events) => this.onUnits(events)), onError);
      watches.push(routed);
      this.routed = routed;
      const { ranges, revision } = await this.opts.store.rangeMany([latestPrefix, unitsPrefix]);
      if (generation !== this.generation) throw new Error('stopped');
      this.latest.clear();
      this.units.clear();
      for (const kv of ranges[0]) this.latest.set(kv.key.slice(latestPrefix.length), Number(kv.value));
      for (let i = 0; i < ranges[1].length; i++) {
        // a turn for I/O every few hundred units (a single host may have thousands, all parsed here)
        if (i > 0 && i % PARSE_BATCH === 0) await nextTurn();
        this.applyUnit(ranges[1][i].key, ranges[1][i].value);
      }
      if (generation !== this.generation) throw new Error('stopped');
      readAt = revision;
      // what the read kept was told to the router unit by unit (applyUnit); the events after the read that
      // came meanwhile were all delivered, and wait in `early`
      routed.synced();
      this.atStart ??= new Set([...this.units.values()].map((u) => u.unit));
    } catch (err) {
      await Promise.all(watches.map((w) => w.cancel().catch(() => undefined)));
      if (generation !== this.generation) return;
      throw err;
    }
    this.watches = watches;
    this.stale = died;
    for (const replay of early) replay();
  }

  private onLatest(events: WatchEvent[], prefix: string): void {
    for (const e of events) {
      const service = e.key.slice(prefix.length);
      if (e.type === 'delete') this.latest.delete(service);
      else this.latest.set(service, Number(e.value));
    }
    this.opts.onChange();
  }

  private onUnits(events: UnitEvent[]): void {
    let changed = false;
    for (const e of events) {
      if (e.type === 'delete') changed = this.forget(e.key) || changed;
      else changed = this.applyUnit(e.key, e.value, e.unit) || changed;
    }
    if (changed) this.opts.onChange();
  }

  /**
   * Keeps the unit if it is placed on this host, drops it otherwise; true when that changed the view. `parsed`:
   * the value as the event router already parsed it (read-only: other views may hold the same object);
   * without it (the first read, or a value the router could not read) the value is parsed here.
   */
  private applyUnit(key: string, raw: string, parsed?: { readonly host?: unknown }): boolean {
    let unit: DesiredUnit | null;
    if (parsed) unit = parsed as DesiredUnit;
    else {
      if (!raw.includes(this.opts.hostId)) return this.forget(key);
      try {
        unit = parseJsonValue<DesiredUnit | null>(key, raw);
      } catch (err) {
        this.opts.onError(err as Error);
        return this.forget(key);
      }
    }
    // JSON that is not an object (null, a string) is placed nowhere
    if (unit?.host !== this.opts.hostId) return this.forget(key);
    this.units.set(key, unit);
    this.routed?.held(key);
    return true;
  }

  /** Drops a unit from the view (and from what the router sends here); true when it was there. */
  private forget(key: string): boolean {
    if (!this.units.delete(key)) return false;
    this.routed?.dropped(key);
    return true;
  }

  private async cancelWatches(): Promise<void> {
    const watches = this.watches;
    this.watches = [];
    this.routed = undefined;
    await Promise.all(watches.map((w) => w.cancel().catch(() => undefined)));
  }
}
