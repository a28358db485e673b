/**
 * Drained hosts (`paz host drain ID` / `undrain ID`): a durable key per drained host, written with its audit
 * journal entry in one transaction. The placement loop places nothing there; the host-drain loop moves its
 * units away (core/placement.ts planHostDrains).
 */
import type { Store } from '../store/store.js';
import { keys } from '../core/keys.js';
import type { HostDrainRecord } from '../core/records.js';
import { clusterAuditPut } from '../core/audit.js';
import { PazError } from '../core/errors.js';
import { getJson, rangeJson } from '../store/json.js';

export class HostDrains {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async list(): Promise<Map<string, HostDrainRecord>> {
    return new Map((await rangeJson<HostDrainRecord>(this.store, keys.hostDrainsPrefix())).entries.map((e) => [e.value.host, e.value]));
  }

  /**
   * Drains (`drained: true`) or undrains a host, known live or as last seen; a no-op when it already is so.
   * Answers the drain record now in force (undefined: eligible) and whether this call changed it.
   */
  async set(id: string, drained: boolean, actor: string): Promise<{ record: HostDrainRecord | undefined; changed: boolean }> {
    const [live, known] = await Promise.all([this.store.get(keys.host(id)), this.store.get(keys.knownHost(id))]);
    if (!live && !known) throw new PazError('HOST_NOT_FOUND', `no host with id "${id}": list hosts with GET /cluster/hosts (paz hosts)`, { id });
    const key = keys.hostDrain(id);
    const current = await this.store.get(key);
    if (drained === (current !== undefined)) return { record: current ? await getJson<HostDrainRecord>(this.store, key) : undefined, changed: false };
    const now = this.now();
    const record: HostDrainRecord = { host: id, since: now, actor };
    const audit = clusterAuditPut(
      drained
        ? { event: 'host-drained', subject: id, actor, message: `host ${id} drained by ${actor}: no new units go there, and its units move to other hosts` }
        : { event: 'host-undrained', subject: id, actor, message: `host ${id} undrained by ${actor}: eligible for new units again (units that moved away stay where they are)` },
      now,
    );
    const res = await this.store.txn({
      // the drain key as read: a racing drain or undrain writes its own entry, never two of the same
      compare: [{ key, target: 'modRevision', op: '=', value: current?.modRevision ?? 0 }],
      success: [drained ? { type: 'put', key, value: JSON.stringify(record) } : { type: 'delete', key }, audit],
    });
    if (!res.succeeded) return this.set(id, drained, actor);
    return { record: drained ? record : undefined, changed: true };
  }
}
