/**
 * Monitoring: CPU and memory per host (the agents' stats history) and per service (its units' stats,
 * summed), and request rates per host and per service from the routers' request counters, drawn with
 * uPlot. Stats have no live events, so the page reads them every few seconds while it is open; request
 * rates are worked out between two readings, so their charts start with the page.
 */
import { useRef } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client';
import { Chart } from '../ui/chart';
import { usePolling } from '../ui/polling';
import { EmptyState, ErrorState, Loading } from '../ui/states';
import type { Host, Unit } from '../../../src/api/answer-types';
import type { HostStatsDoc, ServiceStatsDoc } from './cluster-docs';
import { enc, hostStatsOf, loadBalancers } from './cluster-data';
import { STATS_EVERY_MS } from './hosts';
import { emptyRates, hostColumns, pushRates, rateColumns, ratesBetween, requestCounts, serviceColumns, type RateHistory, type RequestCounts } from './monitoring-series';

/** at most this many services get charts (those with running units, by name) */
const MAX_SERVICES = 12;

interface Reading {
  hosts: Host[];
  hostStats: Record<string, HostStatsDoc>;
  services: ServiceStatsDoc[];
  hostRates: RateHistory;
  serviceRates: RateHistory;
}

const CPU = { label: 'CPU', color: '#1f5fbf' };
const MEMORY = { label: 'Memory', color: '#1c7a3e' };
const REQUESTS = { label: 'Requests', color: '#8a5a00' };

export function MonitoringPage() {
  const last = useRef<RequestCounts | undefined>(undefined);
  const rates = useRef({ hosts: emptyRates, services: emptyRates });

  const { data, error } = usePolling<Reading>(
    'monitoring',
    async () => {
      const [{ doc: hosts }, { doc: units }, lbs] = await Promise.all([api.get<Host[]>('/cluster/hosts'), api.get<Unit[]>('/cluster/units'), loadBalancers()]);
      const names = [...new Set(units.filter((u) => u.host).map((u) => u.service))].sort().slice(0, MAX_SERVICES);
      const [hostStats, services] = await Promise.all([hostStatsOf(hosts), Promise.all(names.map(async (n) => (await api.get<ServiceStatsDoc>(`/services/${enc(n)}/stats`)).doc))]);
      const counts = requestCounts(lbs, Date.now());
      const prev = last.current;
      if (prev) {
        const secs = (counts.at - prev.at) / 1000;
        const at = Math.round(counts.at / 1000);
        rates.current = {
          hosts: pushRates(rates.current.hosts, at, ratesBetween(prev.hosts, counts.hosts, secs)),
          services: pushRates(rates.current.services, at, ratesBetween(prev.services, counts.services, secs)),
        };
      }
      last.current = counts;
      return { hosts, hostStats, services, hostRates: rates.current.hosts, serviceRates: rates.current.services };
    },
    STATS_EVERY_MS,
  );

  return (
    <>
      <h1>Monitoring</h1>
      <p className="muted">Read every {STATS_EVERY_MS / 1000} s while this page is open. Request rates are counted through each host's router from the moment the page opened.</p>
      {error && <ErrorState error={error} />}
      {!data ? (
        <Loading what="stats" />
      ) : data.hosts.length === 0 ? (
        <EmptyState>No host has joined yet, so there is nothing to measure: run <code>paz up</code> or start an agent.</EmptyState>
      ) : (
        <>
          <h2>Hosts</h2>
          {data.hosts.map((h) => (
            <section key={h.ID} aria-label={`Host ${h.hostname || h.ID}`} className="charts" data-host-charts={h.ID}>
              {data.hostStats[h.ID] ? (
                <Chart title={`${h.hostname || h.ID}: CPU and memory`} unit="%" series={[CPU, MEMORY]} data={hostColumns(data.hostStats[h.ID].history)} />
              ) : (
                <p className="muted">
                  <Link href={`/hosts/${enc(h.ID)}`}>{h.hostname || h.ID}</Link>: {h.healthy ? 'no stats yet' : 'down, no stats'}
                </p>
              )}
              <Chart title={`${h.hostname || h.ID}: requests through its router`} unit="req/s" series={[REQUESTS]} data={rateColumns(data.hostRates, h.ID)} />
            </section>
          ))}
          <h2>Services</h2>
          {data.services.length === 0 ? (
            <p className="muted">No service has a running unit.</p>
          ) : (
            data.services.map((s) => (
              <section key={s.service} aria-label={`Service ${s.service}`} className="charts" data-service-charts={s.service}>
                {(() => {
                  const cols = serviceColumns(s);
                  return (
                    <>
                      <Chart title={`${s.service}: CPU`} unit="% of a core" series={[CPU]} data={[cols[0], cols[1]]} />
                      <Chart title={`${s.service}: memory`} unit="MiB" series={[MEMORY]} data={[cols[0], cols[2]]} />
                    </>
                  );
                })()}
                <Chart title={`${s.service}: requests`} unit="req/s" series={[REQUESTS]} data={rateColumns(data.serviceRates, s.service)} />
              </section>
            ))
          )}
        </>
      )}
    </>
  );
}
