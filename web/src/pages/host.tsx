/**
 * One host: what it is (address, driver, labels, capacity), what it uses (CPU and memory now and over
 * the agent's recent history), its router (each routed service and its instances UP), and its units.
 */
import { Link, useParams } from 'wouter';
import type { HostHealth } from '../../../src/api/answer-types';
import { api } from '../api/client';
import { useLiveQuery, useLiveResource } from '../live';
import { oldestRevision } from '../live/follow';
import { affectsCluster } from '../live/relevance';
import { Chart } from '../ui/chart';
import { usePolling } from '../ui/polling';
import { HEALTH_EVERY_MS, HealthVerdict } from '../ui/health';
import { ErrorState, Loading, StateBadge } from '../ui/states';
import type { Host, Unit } from '../../../src/api/answer-types';
import type { HostStatsDoc } from './cluster-docs';
import { enc, loadBalancers } from './cluster-data';
import { capacityText, routerStateOf, usageOf } from './host-summary';
import { CpuMeter, Labels, MemoryMeter, RouterBadge, STATS_EVERY_MS } from './hosts';
import { hostColumns } from './monitoring-series';
import { UnitsTable } from './units';

async function loadHostPage(id: string) {
  const [host, units] = await Promise.all([api.get<Host>(`/cluster/hosts/${enc(id)}`), api.get<Unit[]>('/cluster/units')]);
  return { doc: { host: host.doc, units: units.doc.filter((u) => u.host === id) }, revision: oldestRevision(host.revision, units.revision) };
}

export function HostPage() {
  const { id = '' } = useParams<{ id: string }>();
  const { data, error, loading, reload } = useLiveQuery(`host:${id}`, () => loadHostPage(id), affectsCluster);
  const health = useLiveResource<HostHealth>(`/cluster/hosts/${enc(id)}/health`, affectsCluster, HEALTH_EVERY_MS);
  const healthy = data?.host.healthy ?? false;
  const live = usePolling(
    `host-live:${id}:${healthy}`,
    async () => ({
      stats: healthy ? (await api.get<HostStatsDoc>(`/cluster/hosts/${enc(id)}/stats`)).doc : undefined,
      router: routerStateOf((await loadBalancers()).find((l) => l.host === id)),
    }),
    STATS_EVERY_MS,
  );
  return (
    <>
      <p>
        <Link href="/hosts">← Hosts</Link>
      </p>
      <h1>Host {data ? data.host.hostname || data.host.ID : id}</h1>
      {error && <ErrorState error={error} retry={reload} />}
      {loading && !data ? (
        <Loading what="the host" />
      ) : (
        data && (
          <>
            <dl className="facts">
              <dt>State</dt>
              <dd>
                <StateBadge tone={data.host.healthy ? 'ok' : 'bad'}>{data.host.healthy ? 'up' : 'down'}</StateBadge> <span className="muted">last heartbeat {new Date(data.host.heartbeatAt).toLocaleString()}</span>
              </dd>
              <dt>Health</dt>
              <dd className="host-health">
                <HealthVerdict health={health.data} error={health.error} />
              </dd>
              <dt>ID</dt>
              <dd>
                <code>{data.host.ID}</code>
              </dd>
              <dt>Address</dt>
              <dd>{data.host.PublicIP}</dd>
              <dt>Driver</dt>
              <dd>{data.host.driver}</dd>
              <dt>Paz</dt>
              <dd>{data.host.Version}</dd>
              <dt>Capacity</dt>
              <dd>{capacityText(data.host)}</dd>
              <dt>CPU</dt>
              <dd>
                <CpuMeter usage={usageOf(live.data?.stats?.latest)} />
              </dd>
              <dt>Memory</dt>
              <dd>
                <MemoryMeter usage={usageOf(live.data?.stats?.latest)} />
              </dd>
              <dt>Labels</dt>
              <dd>
                <Labels metadata={data.host.Metadata} />
              </dd>
              <dt>Router</dt>
              <dd className="router">{live.data ? <RouterBadge router={live.data.router} /> : <span className="muted">reading…</span>}</dd>
            </dl>
            {live.data?.stats && (
              <div className="charts">
                <Chart title="CPU and memory" unit="%" series={[{ label: 'CPU', color: '#1f5fbf' }, { label: 'Memory', color: '#1c7a3e' }]} data={hostColumns(live.data.stats.history)} />
              </div>
            )}
            {live.data && live.data.router.services.length > 0 && (
              <>
                <h2>Routed services</h2>
                <div className="table-wrap">
                  <table aria-label="Routed services">
                    <thead>
                      <tr>
                        <th scope="col">Service</th>
                        <th scope="col">Backend</th>
                        <th scope="col">Instances up</th>
                        <th scope="col">Requests</th>
                      </tr>
                    </thead>
                    <tbody>
                      {live.data.router.services.map((s) => (
                        <tr key={s.name} data-routed={s.name}>
                          <th scope="row">
                            <Link href={`/services/${enc(s.name)}`}>{s.name}</Link>
                          </th>
                          <td>{s.status}</td>
                          <td>
                            {s.up}/{s.servers}
                          </td>
                          <td>{s.requests}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            )}
            <h2>Units</h2>
            {data.units.length === 0 ? <p className="muted">No units run on this host.</p> : <UnitsTable units={data.units} showHost={false} />}
          </>
        )
      )}
    </>
  );
}
