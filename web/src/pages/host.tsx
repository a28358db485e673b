/**
 * One host: its health (GET /cluster/hosts/:id/health, read again every few seconds: a heartbeat ages),
 * what it is (address, driver, labels, capacity), what it uses (CPU and memory now and over the agent's
 * recent history), its router (each routed service and its instances UP), and its units. A host that is
 * down has no host record (GET /cluster/hosts/:id answers only live hosts): its page shows its health,
 * which says since when and why, and the units that wait for it.
 */
import { Link, useParams } from 'wouter';
import { api } from '../api/client';
import { useLiveQuery, useLiveResource } from '../live';
import { oldestRevision } from '../live/follow';
import { affectsCluster } from '../live/relevance';
import { Chart } from '../ui/chart';
import { usePolling } from '../ui/polling';
import { HEALTH_EVERY_MS, HealthVerdict } from '../ui/health';
import { ErrorState, Loading, StateBadge } from '../ui/states';
import type { Host, HostHealth, Unit } from '../../../src/api/answer-types';
import type { HostStatsDoc } from './cluster-docs';
import { enc, loadBalancers } from './cluster-data';
import { capacityText, routerStateOf, usageOf, type RouterState } from './host-summary';
import { CpuMeter, Labels, MemoryMeter, RouterBadge, STATS_EVERY_MS } from './hosts';
import { hostColumns } from './monitoring-series';
import { UnitsTable } from './units';

async function loadHostPage(id: string) {
  const [health, units] = await Promise.all([api.get<HostHealth>(`/cluster/hosts/${enc(id)}/health`), api.get<Unit[]>('/cluster/units')]);
  const host = health.doc.state === 'up' ? await api.get<Host>(`/cluster/hosts/${enc(id)}`) : undefined;
  const doc = { health: health.doc, host: host?.doc, units: units.doc.filter((u) => u.host === id) };
  return { doc, revision: oldestRevision(health.revision, units.revision, ...(host ? [host.revision] : [])) };
}

export function HostPage() {
  const { id = '' } = useParams<{ id: string }>();
  const { data, error, loading, reload } = useLiveQuery(`host:${id}`, () => loadHostPage(id), affectsCluster);
  const health = useLiveResource<HostHealth>(`/cluster/hosts/${enc(id)}/health`, affectsCluster, HEALTH_EVERY_MS);
  const healthy = data?.host?.healthy ?? false;
  const verdict = health.data ?? data?.health;
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
      <h1>Host {data ? data.health.hostname || id : id}</h1>
      {error && <ErrorState error={error} retry={reload} />}
      {loading && !data ? (
        <Loading what="the host" />
      ) : (
        data && (
          <>
            <dl className="facts">
              <dt>State</dt>
              <dd data-host-state={verdict?.state}>
                <StateBadge tone={verdict?.state === 'up' ? 'ok' : 'bad'}>{verdict?.state}</StateBadge>{' '}
                <span className="muted">last heartbeat {verdict ? new Date(verdict.heartbeatAt).toLocaleString() : ''}</span>
              </dd>
              <dt>Health</dt>
              <dd className="host-health">
                <HealthVerdict health={verdict} error={health.error} />
              </dd>
              {data.host && <HostFacts host={data.host} live={live.data} />}
            </dl>
            {data.host && live.data?.stats && (
              <div className="charts">
                <Chart title="CPU and memory" unit="%" series={[{ label: 'CPU', color: '#1f5fbf' }, { label: 'Memory', color: '#1c7a3e' }]} data={hostColumns(live.data.stats.history)} />
              </div>
            )}
            {data.host && live.data && live.data.router.services.length > 0 && (
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

/** What a live host is (GET /cluster/hosts/:id), what it uses and its router (read every few seconds). */
function HostFacts({ host, live }: { host: Host; live?: { stats?: HostStatsDoc; router: RouterState } }) {
  return (
    <>
      <dt>ID</dt>
      <dd>
        <code>{host.ID}</code>
      </dd>
      <dt>Address</dt>
      <dd>{host.PublicIP}</dd>
      <dt>Driver</dt>
      <dd>{host.driver}</dd>
      <dt>Paz</dt>
      <dd>{host.Version}</dd>
      <dt>Capacity</dt>
      <dd>{capacityText(host)}</dd>
      <dt>CPU</dt>
      <dd>
        <CpuMeter usage={usageOf(live?.stats?.latest)} />
      </dd>
      <dt>Memory</dt>
      <dd>
        <MemoryMeter usage={usageOf(live?.stats?.latest)} />
      </dd>
      <dt>Labels</dt>
      <dd>
        <Labels metadata={host.Metadata} />
      </dd>
      <dt>Router</dt>
      <dd className="router">{live ? <RouterBadge router={live.router} /> : <span className="muted">reading…</span>}</dd>
    </>
  );
}
