/**
 * Turns HAProxy's `show stat` rows into per-service and per-instance numbers (pure).
 *
 * Slots are HAProxy servers that different instances occupy over time, so cumulative counters of an
 * instance are the slot's counters minus what the slot had counted when the instance moved in (its
 * baseline). Counters start from zero when HAProxy starts new workers (reload, restart), as
 * Prometheus-style counters do after a process restart.
 */
import type { StatRow } from './parse-runtime-output.js';
import { backendName, FRONTEND_NAME, NO_SERVICE_BACKEND, slotServerName, type RouterLayout } from './router-layout.js';

/** The HAProxy counters the router reports; each documented with its `show stat` column. */
export interface TrafficCounters {
  /** scur: connections/sessions open now */
  currentSessions: number;
  /** qcur: requests waiting for a free server connection */
  queued: number;
  /** stot: sessions since the worker started */
  totalSessions: number;
  /** req_tot: HTTP requests since the worker started */
  totalRequests: number;
  /** hrsp_5xx: responses with a 5xx status */
  responses5xx: number;
  /** eresp: failed or aborted responses from the server */
  responseErrors: number;
  /** econ: failed connection attempts to the server */
  connectionErrors: number;
}

export type ServerStatus = 'UP' | 'DOWN' | 'DRAIN' | 'MAINT';

export interface ServerStats extends TrafficCounters {
  /** unit name */
  name: string;
  /** HAProxy server (slot) holding it, e.g. `slot3` */
  slot: string;
  address: string;
  port: number;
  /** what the route table asked for */
  state: 'ready' | 'drain';
  /** weight HAProxy uses */
  weight: number;
  status: ServerStatus;
  /** HAProxy's own status text, e.g. `UP 1/2` (up, one failed check of two) */
  statusText: string;
  /** last health check result, e.g. `L4OK`, `L4CON` (connection refused), `L4TOUT` */
  checkStatus: string;
}

export interface ServiceStats extends TrafficCounters {
  name: string;
  /** backend status: UP while at least one instance can take requests */
  status: string;
  slots: number;
  servers: ServerStats[];
}

export interface RouterStats {
  /** PID of the HAProxy worker that produced these numbers */
  workerPid: number;
  frontend: TrafficCounters & { responses4xx: number };
  /** requests answered 404 because no service matched their Host */
  unknownHostRequests: number;
  services: ServiceStats[];
}

/** The cumulative counters, the ones a baseline is subtracted from. */
export type CumulativeCounters = Pick<TrafficCounters, 'totalSessions' | 'totalRequests' | 'responses5xx' | 'responseErrors' | 'connectionErrors'>;

/** key of a slot in a baseline map */
export function slotKey(service: string, slot: number): string {
  return `${service}/${slot}`;
}

const num = (value: string | undefined): number => {
  const n = Number(value);
  return value === undefined || value === '' || !Number.isFinite(n) ? 0 : n;
};

export function countersOf(row: StatRow | undefined): TrafficCounters {
  return {
    currentSessions: num(row?.scur),
    queued: num(row?.qcur),
    totalSessions: num(row?.stot),
    totalRequests: num(row?.req_tot),
    responses5xx: num(row?.hrsp_5xx),
    responseErrors: num(row?.eresp),
    connectionErrors: num(row?.econ),
  };
}

export function cumulativeOf(counters: TrafficCounters): CumulativeCounters {
  const { totalSessions, totalRequests, responses5xx, responseErrors, connectionErrors } = counters;
  return { totalSessions, totalRequests, responses5xx, responseErrors, connectionErrors };
}

function minusBaseline(counters: TrafficCounters, baseline: CumulativeCounters | undefined): TrafficCounters {
  if (!baseline) return counters;
  // Never negative: a baseline from before a worker change is larger than fresh counters.
  const sub = (a: number, b: number) => (a >= b ? a - b : a);
  return {
    ...counters,
    totalSessions: sub(counters.totalSessions, baseline.totalSessions),
    totalRequests: sub(counters.totalRequests, baseline.totalRequests),
    responses5xx: sub(counters.responses5xx, baseline.responses5xx),
    responseErrors: sub(counters.responseErrors, baseline.responseErrors),
    connectionErrors: sub(counters.connectionErrors, baseline.connectionErrors),
  };
}

export function serverStatusOf(statusText: string): ServerStatus {
  const word = statusText.trim().split(/\s+/)[0]?.toUpperCase() ?? '';
  if (word === 'MAINT') return 'MAINT';
  if (word === 'DRAIN' || word === 'NOLB') return 'DRAIN';
  if (word === 'DOWN') return 'DOWN';
  return 'UP'; // UP, UP 1/2 (up, failing), "no check"
}

export function buildRouterStats(
  rows: StatRow[],
  layout: RouterLayout,
  baselines: ReadonlyMap<string, CumulativeCounters>,
  workerPid: number,
): RouterStats {
  const byProxy = new Map<string, Map<string, StatRow>>();
  for (const row of rows) {
    const proxy = byProxy.get(row.pxname) ?? new Map<string, StatRow>();
    proxy.set(row.svname, row);
    byProxy.set(row.pxname, proxy);
  }
  const frontendRow = byProxy.get(FRONTEND_NAME)?.get('FRONTEND');
  const services = layout.backends.map((backend): ServiceStats => {
    const proxy = byProxy.get(backendName(backend.service));
    const backendRow = proxy?.get('BACKEND');
    const servers: ServerStats[] = [];
    backend.slots.forEach((occupant, index) => {
      if (!occupant) return;
      const slot = slotServerName(index);
      const row = proxy?.get(slot);
      const statusText = row?.status ?? 'unknown';
      servers.push({
        name: occupant.server,
        slot,
        address: occupant.address,
        port: occupant.port,
        state: occupant.state,
        weight: num(row?.weight),
        status: serverStatusOf(statusText),
        statusText,
        checkStatus: row?.check_status ?? '',
        ...minusBaseline(countersOf(row), baselines.get(slotKey(backend.service, index))),
      });
    });
    return {
      name: backend.service,
      status: backendRow?.status ?? 'unknown',
      slots: backend.slots.length,
      servers,
      ...countersOf(backendRow),
    };
  });
  const unknownHostRow = byProxy.get(NO_SERVICE_BACKEND)?.get('BACKEND');
  return {
    workerPid,
    frontend: { ...countersOf(frontendRow), responses4xx: num(frontendRow?.hrsp_4xx) },
    unknownHostRequests: num(unknownHostRow?.stot),
    services,
  };
}
