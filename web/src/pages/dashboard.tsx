/** Dashboard: what needs attention first (hosts down, deploys failing or under way), then the cluster in numbers. */
import { Link } from 'wouter';
import { api } from '../api/client';
import { useLiveQuery } from '../live';
import { affectsCluster, affectsServices } from '../live/relevance';
import { ErrorState, Loading, StateBadge } from '../ui/states';
import { attentionList, type ClusterDoc, type HostDoc } from './dashboard-summary';
import { loadServiceRows } from './service-data';
import type { ServiceRow } from './service-rows';

interface Overview {
  cluster: ClusterDoc;
  hosts: HostDoc[];
  services: ServiceRow[];
}

async function loadOverview() {
  const [cluster, hosts, services] = await Promise.all([api.get<ClusterDoc>('/cluster'), api.get<HostDoc[]>('/cluster/hosts'), loadServiceRows()]);
  return { doc: { cluster: cluster.doc, hosts: hosts.doc, services: services.doc }, revision: services.revision };
}

export function DashboardPage() {
  const { data, error, loading, reload } = useLiveQuery<Overview>('overview', loadOverview, (e) => affectsCluster(e) || affectsServices(e));
  return (
    <>
      <h1>Dashboard</h1>
      {error && <ErrorState error={error} retry={reload} />}
      {loading && !data ? <Loading what="the cluster" /> : data && <Overview {...data} />}
    </>
  );
}

function Overview({ cluster, hosts, services }: Overview) {
  const attention = attentionList(hosts, services, cluster);
  return (
    <>
      <section aria-labelledby="attention">
        <h2 id="attention">Needs attention</h2>
        {attention.length === 0 ? (
          <p className="all-well">
            <StateBadge tone="ok">all well</StateBadge> Every host heartbeats and every deployed service serves all its instances.
          </p>
        ) : (
          <ul className="attention">
            {attention.map((a) => (
              <li key={`${a.kind}:${a.name}`}>
                <StateBadge tone={a.level}>{a.level === 'bad' ? 'problem' : 'in progress'}</StateBadge> <strong>{a.name}</strong> {a.what}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="numbers">
        <h2 id="numbers">Cluster</h2>
        <dl className="numbers">
          <div>
            <dt>Hosts healthy</dt>
            <dd>
              {cluster.healthyHostCount}/{cluster.hostCount}
            </dd>
          </div>
          <div>
            <dt>Units healthy</dt>
            <dd>
              {cluster.healthyUnitCount}/{cluster.unitCount}
            </dd>
          </div>
          <div>
            <dt>
              <Link href="/services">Services</Link>
            </dt>
            <dd>{services.length}</dd>
          </div>
        </dl>
      </section>
      <section aria-labelledby="hosts">
        <h2 id="hosts">Hosts</h2>
        {hosts.length === 0 ? (
          <p className="muted">No host has joined yet: start an agent (`paz agent`) or run `paz up`.</p>
        ) : (
          <ul className="hosts">
            {hosts.map((h) => (
              <li key={h.ID}>
                <StateBadge tone={h.healthy ? 'ok' : 'bad'}>{h.healthy ? 'up' : 'down'}</StateBadge> <strong>{h.hostname || h.ID}</strong> <span className="muted">{h.units?.length ?? 0} unit(s)</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
