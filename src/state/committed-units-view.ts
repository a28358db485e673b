/**
 * The committed desired units of the cluster (src/core/committed-units.ts), followed by watches instead of
 * read in full on every pass of the placement loop and the rollout controller (prefix-view.ts).
 *
 * The one subtlety: units and latest versions are two prefixes, two watches, and either may be ahead. A
 * version's units are all written before the txn that commits it (its latest version), so a reader that saw the
 * commit before the last of those units would see part of a version. When a service's latest version moves,
 * its units are read once more (one range of that service) before the new version counts: that read is
 * newer than the commit, so it holds every unit of it. Unless the view holds, or its watch brings within
 * CATCH_UP_MS, as many units of the version as its deploy record says it was deployed with (nothing but that
 * deploy writes a version's units before its commit): then it has them all, and the read, a whole service's
 * units (1,000 of them, twice per deploy: placement and rollouts), is not needed. On etcd the commit, a small
 * event on its own watch, often overtakes the last chunks of its units on theirs.
 */
import type { Store, TxnOp } from '../store/store.js';
import { keys } from '../core/keys.js';
import type { DeployRecord, DesiredUnit } from '../core/records.js';
import { getJson } from '../store/json.js';
import { isCommittedUnitKey } from '../core/committed-units.js';
import { PrefixView, type ViewEntry } from './prefix-view.js';
import { readsOf } from '../store/fenced-store.js';

/** how long a commit heard before all its units waits for the rest by the watch before they are read */
const CATCH_UP_MS = 200;

/**
 * The process's committed units of a store, shared: the placement loop, the rollout controller, the host-drain
 * loop and a host's router (all four in one `paz up`) each kept a view of their own, so every unit event was
 * parsed and every unit held three or four times in a process. Each CommittedUnitsView is a handle on the one
 * view of its store (the store a FencedStore reads through: each leadership term fences its writes anew, its
 * reads are the same); the view stops when the last handle does.
 */
const sharedViews = new WeakMap<Store, { view: UnitsView; handles: Set<CommittedUnitsView> }>();

export class CommittedUnitsView {
  private readonly shared: { view: UnitsView; handles: Set<CommittedUnitsView> };

  constructor(
    store: Store,
    readonly onError?: (err: Error) => void,
  ) {
    const root = readsOf(store);
    let shared = sharedViews.get(root);
    if (!shared) {
      const handles = new Set<CommittedUnitsView>();
      shared = { view: new UnitsView(root, (err) => handles.forEach((h) => h.onError?.(err))), handles };
      sharedViews.set(root, shared);
    }
    shared.handles.add(this);
    this.shared = shared;
  }

  /** (a handle's calls after its stop() answer from the view as it was left, as a stopped PrefixView does) */
  private get view(): UnitsView {
    return this.shared.view;
  }

  /** See UnitsView.committed. */
  committed(): Promise<{ entries: Array<ViewEntry<DesiredUnit>>; latest: ReadonlyMap<string, number> }> {
    return this.view.committed();
  }

  /** Every desired unit the view holds, committed or staged (a deploy under way, or one a dead writer left). */
  all(): Promise<DesiredUnit[]> {
    return this.view.all();
  }

  /** See PrefixView.wrote: a loop's own committed unit writes, known before the watch brings them. */
  wrote(ops: readonly TxnOp[], revision: number): void {
    this.view.wrote(ops, revision);
  }

  /** Leaves the shared view; the last one out stops it (a later handle reads the store afresh). */
  async stop(): Promise<void> {
    const shared = this.shared;
    if (!shared.handles.delete(this) || shared.handles.size > 0) return;
    if (sharedViews.get(shared.view.store) === shared) sharedViews.delete(shared.view.store);
    await shared.view.stop();
  }
}

class UnitsView {
  private readonly units: PrefixView<DesiredUnit>;
  private readonly latest: PrefixView<number>;
  /** the latest version of each service whose units this view is sure to hold in full */
  private readonly sure = new Map<string, number>();
  private unitsReads = -1;

  constructor(
    readonly store: Store,
    onError?: (err: Error) => void,
  ) {
    this.latest = new PrefixView<number>({ store, prefix: keys.latestPrefix(), parse: (_key, raw) => Number(raw), onError });
    this.units = new PrefixView<DesiredUnit>({ store, prefix: keys.desiredUnitsPrefix(), onError });
  }

  /**
   * Every committed desired unit, with the revision it was last written at, and the latest versions that
   * decided what is committed. A reader that also reads a latest version from the store may find it ahead of
   * these (the watch brings it a moment later): it must decide on `latest`, which matches the units.
   */
  async committed(): Promise<{ entries: Array<ViewEntry<DesiredUnit>>; latest: ReadonlyMap<string, number> }> {
    // latest first: a full read of the units made after it holds every unit of the versions it names
    const latestEntries = await this.latest.entries();
    const versions = new Map<string, number>();
    for (const [key, e] of latestEntries) versions.set(key.slice(keys.latestPrefix().length), e.value);
    const units = await this.units.entries();
    if (this.units.reads !== this.unitsReads) {
      // a full read holds every unit of the versions committed before it: by revision, not by "the versions
      // read before waiting for it", since the read may have begun before this caller's (another handle's
      // call, or all(), set it off) and a version committed meanwhile has its units only by the watch
      this.unitsReads = this.units.reads;
      this.sure.clear();
      for (const [key, e] of latestEntries) if (e.modRevision <= this.units.readRevision) this.sure.set(key.slice(keys.latestPrefix().length), e.value);
    }
    // one wait for every service committed meanwhile, not one each
    const deadline = Date.now() + CATCH_UP_MS;
    for (const [service, v] of versions) {
      if (this.sure.get(service) === v) continue;
      if (!(await this.hearsWholeVersion(service, v, deadline))) await this.units.reread(keys.desiredUnitsOf(service));
      this.sure.set(service, v);
    }
    for (const service of [...this.sure.keys()]) if (!versions.has(service)) this.sure.delete(service);
    const out: Array<ViewEntry<DesiredUnit>> = [];
    for (const [key, e] of units) if (isCommittedUnitKey(key, versions)) out.push(e);
    return { entries: out, latest: versions };
  }

  /**
   * Whether the view holds as many units of `version` as its deploy record says it was deployed with, or its
   * watch brings them by `deadline`. Not: no record (a version written by hand), or a version that has
   * fewer units by now (scaled down, retired) or whose units are slower than that: the caller reads them.
   */
  private async hearsWholeVersion(service: string, version: number, deadline: number): Promise<boolean> {
    const record = await getJson<DeployRecord>(this.store, keys.deploy(service, version));
    const deployed = record?.config?.numInstances;
    if (typeof deployed !== 'number') return false;
    const prefix = keys.desiredUnitsOfVersion(service, version);
    const count = async () => {
      let held = 0;
      for (const key of (await this.units.entries()).keys()) if (key.startsWith(prefix)) held++;
      return held;
    };
    let held = await count();
    for (;;) {
      if (held >= deployed) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      // counted again only when a batch brings units of this version: while several deploys stream their units,
      // most batches are other services' (each count is a scan of every unit the view holds)
      const events = await this.units.nextEvents(left);
      if (events.some((e) => e.key.startsWith(prefix))) held = await count();
    }
  }

  /** Every desired unit the view holds, committed or staged (a deploy under way, or one a dead writer left). */
  async all(): Promise<DesiredUnit[]> {
    return [...(await this.units.entries()).values()].map((e) => e.value);
  }

  /** See PrefixView.wrote: a loop's own committed unit writes, known before the watch brings them. */
  wrote(ops: readonly TxnOp[], revision: number): void {
    this.units.wrote(ops, revision);
  }

  async stop(): Promise<void> {
    await Promise.all([this.units.stop(), this.latest.stop()]);
  }
}
