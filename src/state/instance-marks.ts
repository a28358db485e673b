/**
 * Each version's instance mark: the highest instance number it ever handed out (`/paz/scheduler/instances/
 * <name>/<version>`). A number is handed out once: the unit of a number whose desired entry is gone may still
 * run, on a host whose agent is away (killed while the unit drained; process-driver units outlive their agent
 * so that its next start adopts them), and a new unit of that name on another host would run beside it. Every
 * writer of new instances (deploy, scale, drain and restart replacements, a failed recreate's restore) numbers
 * them with firstFreeInstance (core/unit-name.ts) and raises the mark in the same txn, guarded by the mark's
 * revision, so two writers never hand out one number.
 */
import { keys } from '../core/keys.js';
import type { Compare, Store } from '../store/store.js';
import type { GuardedOp } from '../store/chunk-ops.js';

export interface InstanceMark {
  service: string;
  version: number;
  /** the highest number handed out; 0 when the version has no mark (deployed before marks existed) */
  issued: number;
  /** the mark's modRevision as read (0: no mark) */
  modRevision: number;
}

export async function readInstanceMark(store: Pick<Store, 'get'>, service: string, version: number): Promise<InstanceMark> {
  const kv = await store.get(keys.instancesIssued(service, version));
  const issued = Number(kv?.value ?? 0);
  return { service, version, issued: Number.isSafeInteger(issued) && issued > 0 ? issued : 0, modRevision: kv?.modRevision ?? 0 };
}

/** the compare that fails when someone raised the mark since it was read */
export function markUnchanged(mark: InstanceMark): Compare {
  const key = keys.instancesIssued(mark.service, mark.version);
  return mark.modRevision === 0 ? { key, target: 'createRevision', op: '=', value: 0 } : { key, target: 'modRevision', op: '=', value: mark.modRevision };
}

/** the write that raises the mark to `issued`, guarded so that it lands only over the mark as read */
export function raiseMark(mark: InstanceMark, issued: number): GuardedOp & { compare: Compare } {
  return { op: { type: 'put', key: keys.instancesIssued(mark.service, mark.version), value: String(issued) }, compare: markUnchanged(mark) };
}
