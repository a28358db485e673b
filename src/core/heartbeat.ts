/** How often an agent heartbeats, and how long its lease (its host record, its units' statuses) outlives the last one. */
export const HEARTBEAT_INTERVAL_MS = 5000;
export const DEFAULT_HEARTBEAT_TTL_SECONDS = 10;
/** how long a host may be gone before its units are placed elsewhere (like Nomad's heartbeat grace); --host-loss-grace */
export const DEFAULT_HOST_LOSS_GRACE_SECONDS = 30;

/**
 * Whether a host record's write says anything new beyond the time of its heartbeat: a new host, a host
 * gone, or a field that changed (address, memory, ports, labels, problems). Readers that place units need
 * not wake for a heartbeat: a thousand hosts heartbeat 200 times a second, and each woke the placement loop
 * to re-read every unit. `prev` undefined: the key was new (or the store did not say what it held).
 */
export function hostRecordChanged(prev: string | undefined, next: string | undefined): boolean {
  if (prev === undefined || next === undefined) return true;
  try {
    const a = JSON.parse(prev) as Record<string, unknown>;
    const b = JSON.parse(next) as Record<string, unknown>;
    delete a.heartbeatAt;
    delete b.heartbeatAt;
    return JSON.stringify(a) !== JSON.stringify(b);
  } catch {
    return true;
  }
}
