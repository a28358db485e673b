/**
 * Dashboard: what needs attention first (GET /cluster/health: hosts down or unwell, services unhealthy or
 * degraded, deploys failing or under way, with the reasons), then the cluster in numbers and its hosts.
 * Health changes with time alone (a heartbeat ages), so besides the live events it is read every few seconds.
 */
import { Link } from 'wouter';
import type { ClusterHealth, ClusterSummary } from '../../../src/api/answer-types';
import { api } from '../api/client';
import { useLiveQuery } from '../live';
import { oldestRevision } from '../live/follow';
import { affectsCluster, affectsServices } from '../live/relevance';
import { HEALTH_EVERY_MS } from '../ui/health';
import { ErrorState, Loading, StateBadge } from '../ui/states';
import { attentionList, type Attention } from './dashboard-summary';
import { enc } from './cluster-data';

interface Overview {
  cluster: ClusterSummary;
  health: ClusterHealth;
}

async function loadOverview() {
  const [cluster, health] = await Promise.all([api.get<ClusterSummary>('/cluster'), api.get<ClusterHealth>('/cluster/health')]);
  return { doc: { cluster: cluster.doc, health: health.doc }, revision: oldestRevision(cluster.revision, health.revision) };
}

export function DashboardPage() {
  const { data, error, loading, reload } = useLiveQuery<Overview>('overview', loadOverview, (e) => affectsCluster(e) || affectsServices(e), HEALTH_EVERY_MS);
  return (
    <>
      <h1>Dashboard</h1>
      {error && <ErrorState error={error} retry={reload} />}
      {loading && !data ? <Loading what="the cluster" /> : data && <Overview {...data} />}
    </>
  );
}

function AttentionItem({ a }: { a: Attention }) {
  const name = a.kind === 'host' ? <Link href={`/hosts/${enc(a.id)}`}>{a.name}</Link> : a.kind === 'service' ? <Link href={`/services/${enc(a.id)}`}>{a.name}</Link> : a.name;
  return (
    <li data-attention={`${a.kind}:${a.id}`}>
      <StateBadge tone={a.level}>{a.status}</StateBadge> {a.kind === 'cluster' ? <strong>cluster</strong> : <><span className="muted">{a.kind}</span> <strong>{name}</strong></>}
      <ul className="reasons">
        {a.reasons.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
    </li>
  );
}

function Overview({ cluster, health }: Overview) {
  const attention = attentionList(health, cluster);
  return (
    <>
      <section aria-labelledby="attention">
        <h2 id="attention">Needs attention</h2>
        {attention.length === 0 ? (
          <p className="all-well">
            <StateBadge tone="ok">all well</StateBadge> Every host is healthy and every deployed service serves all its instances.
          </p>
        ) : (
          <ul className="attention">
            {attention.map((a) => (
              <AttentionItem key={`${a.kind}:${a.id}:${a.reasons[0]}`} a={a} />
            ))}
          </ul>
        )}
        <p className="muted">
          {health.summary} · checked {new Date(health.checkedAt).toLocaleTimeString()}
        </p>
      </section>
      <section aria-labelledby="numbers">
        <h2 id="numbers">Cluster</h2>
        <dl className="numbers">
          <div>
            <dt>
              <Link href="/hosts">Hosts</Link> healthy
            </dt>
            <dd>
              {health.hosts.filter((h) => h.healthy).length}/{health.counts.hosts}
            </dd>
          </div>
          <div>
            <dt>
              <Link href="/units">Units</Link> healthy
            </dt>
            <dd>
              {cluster.healthyUnitCount}/{cluster.unitCount}
            </dd>
          </div>
          <div>
            <dt>
              <Link href="/services">Services</Link> healthy
            </dt>
            <dd>
              {health.counts.servicesHealthy}/{health.counts.services}
            </dd>
          </div>
        </dl>
      </section>
      <section aria-labelledby="hosts">
        <h2 id="hosts">Hosts</h2>
        {health.hosts.length === 0 ? (
          <p className="muted">
            No host has joined yet: start an agent (<code>paz agent</code>) or run <code>paz up</code>.
          </p>
        ) : (
          <ul className="hosts">
            {health.hosts.map((h) => (
              <li key={h.id} data-host={h.id}>
                <StateBadge tone={h.healthy ? 'ok' : 'bad'}>{h.state === 'down' ? 'down' : h.healthy ? 'up' : h.status}</StateBadge>{' '}
                <strong>
                  <Link href={`/hosts/${enc(h.id)}`}>{h.hostname || h.id}</Link>
                </strong>{' '}
                <span className="muted">{h.units.placed} unit{h.units.placed === 1 ? '' : 's'}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
