/**
 * Requests still in flight on the servers a router drains (pure), from `show stat` of HAProxy's current
 * worker and of each old worker a reload left behind (they keep serving the requests they had).
 *
 * `scur` of a server counts the streams (requests) attached to it; idle keep-alive connections, whether
 * a client's between two requests or pooled server-side ones (`http-reuse`), are not streams, so 0 means
 * "nothing in flight", not "no connection open". `qcur` counts requests queued for the server.
 * The current worker is read by slot (the layout says who sits where); old workers by address, because
 * their slots may hold other instances.
 */
import type { StatRow } from './parse-runtime-output.js';
import { backendName, slotServerName, type RouterLayout } from './router-layout.js';

export interface InFlight {
  sessions: number;
  queued: number;
  /** the numbers are incomplete, with why (e.g. an old worker did not answer) */
  unknown?: string;
}

/** One old worker's `show stat`, or why it could not be read. */
export type OldWorkerStats = { pid: number; rows: StatRow[] } | { pid: number; error: string };

const num = (v: string | undefined) => {
  const n = Number(v);
  return v === undefined || v === '' || !Number.isFinite(n) ? 0 : n;
};

/** HAProxy writes `addr` as `a.b.c.d:port` or `[v6]:port`. */
function addrOf(address: string, port: number): string[] {
  return [`${address}:${port}`, `[${address}]:${port}`];
}

export function drainingInFlight(layout: RouterLayout, current: StatRow[], oldWorkers: OldWorkerStats[]): Record<string, InFlight> {
  const out: Record<string, InFlight> = {};
  for (const backend of layout.backends) {
    const proxy = backendName(backend.service);
    backend.slots.forEach((occupant, index) => {
      if (occupant?.state !== 'drain') return;
      const row = current.find((r) => r.pxname === proxy && r.svname === slotServerName(index));
      const entry: InFlight = { sessions: num(row?.scur), queued: num(row?.qcur) };
      const addrs = addrOf(occupant.address, occupant.port);
      const unknown: string[] = [];
      for (const worker of oldWorkers) {
        if ('error' in worker) {
          unknown.push(`old HAProxy worker ${worker.pid} did not answer: ${worker.error}`);
          continue;
        }
        for (const r of worker.rows) {
          if (r.pxname !== proxy || !addrs.includes(r.addr ?? '')) continue;
          entry.sessions += num(r.scur);
          entry.queued += num(r.qcur);
        }
      }
      if (unknown.length > 0) entry.unknown = unknown.join('; ');
      out[occupant.server] = entry;
    });
  }
  return out;
}
