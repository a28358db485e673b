/** How often an agent heartbeats, and how long its lease (its host record, its units' statuses) outlives the last one. */
export const HEARTBEAT_INTERVAL_MS = 5000;
export const DEFAULT_HEARTBEAT_TTL_SECONDS = 10;
/** how long a host may be gone before its units are placed elsewhere (like Nomad's heartbeat grace); --host-loss-grace */
export const DEFAULT_HOST_LOSS_GRACE_SECONDS = 30;
