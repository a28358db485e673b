/**
 * What a restore changes in the state it writes back (pure): only the clock of deploys it caught under way.
 *
 * A new unit must be healthy within `healthyDeadlineSeconds` of when it was allowed to start (`releasedAt`,
 * else `createdAt`). A backup taken half-way through a deploy holds units that were starting then; restored
 * later (last night's backup after a disaster), each is past its deadline before the restored control plane
 * can place it anywhere, and the deploy fails at once for a reason that is not the app's ("not healthy within
 * 300 s: … not started"). So the units of a version whose rollout is still `deploying` in the backup, and that
 * were allowed to start (not held, not draining), are allowed to start at the restore: the deploy resumes with
 * its whole deadline, and finishes or fails on what the app does. Everything else is written back as it was.
 */
import type { BackupEntry } from './backup-format.js';
import type { DesiredUnit } from './records.js';
import type { RolloutStatus } from './rollout-policy.js';

const STATUS_PREFIX = '/paz/scheduler/status/';
const DESIRED_PREFIX = '/paz/units/desired/';

export function resumeDeploys(entries: readonly BackupEntry[], now: number): { entries: BackupEntry[]; resumed: string[] } {
  const deploying = new Set<string>();
  for (const e of entries) {
    if (!e.key.startsWith(STATUS_PREFIX)) continue;
    const s = parse<RolloutStatus>(e.value);
    if (s?.state === 'deploying') deploying.add(`${s.service}\u0000${s.version}`);
  }
  const resumed: string[] = [];
  if (deploying.size === 0) return { entries: [...entries], resumed };
  const out = entries.map((e) => {
    if (!e.key.startsWith(DESIRED_PREFIX)) return e;
    const u = parse<DesiredUnit>(e.value);
    if (!u || !deploying.has(`${u.service}\u0000${u.version}`) || u.hold || u.drainingSince !== undefined) return e;
    resumed.push(u.unit);
    return { key: e.key, value: JSON.stringify({ ...u, releasedAt: now } satisfies DesiredUnit) };
  });
  return { entries: out, resumed };
}

function parse<T>(value: string): T | undefined {
  try {
    return JSON.parse(value) as T;
  } catch {
    return undefined; // not ours to judge: written back byte for byte
  }
}
