/**
 * Hosts: every host with its capacity and what it uses now (CPU, memory, from its agent's stats), its
 * labels, its units and the state of its router. The list follows hosts and units live; usage and
 * routers are read again every few seconds (they have no events).
 */
import { Link } from 'wouter';
import { useLiveResource } from '../live';
import { affectsCluster } from '../live/relevance';
import { usePolling } from '../ui/polling';
import { EmptyState, ErrorState, Loading, StateBadge } from '../ui/states';
import { Table } from '../ui/table';
import type { Host } from '../../../src/api/answer-types';
import type { HostStatsDoc, LoadBalancerDoc } from './cluster-docs';
import { enc, hostStatsOf, loadBalancers } from './cluster-data';
import { capacityText, formatBytes, labelList, routerStateOf, usageOf, type RouterState, type Usage } from './host-summary';

export const STATS_EVERY_MS = 5000;

export function HostsPage() {
  const hosts = useLiveResource<Host[]>('/cluster/hosts', affectsCluster);
  const ids = (hosts.data ?? []).map((h) => `${h.ID}:${h.healthy}`).join(',');
  const usage = usePolling(`hosts-usage:${ids}`, async () => ({ stats: await hostStatsOf(hosts.data ?? []), lbs: await loadBalancers() }), STATS_EVERY_MS);
  return (
    <>
      <h1>Hosts</h1>
      {hosts.error && <ErrorState error={hosts.error} retry={hosts.reload} />}
      {hosts.loading && !hosts.data ? (
        <Loading what="hosts" />
      ) : hosts.data && hosts.data.length === 0 ? (
        <EmptyState>No host has joined yet: start an agent with <code>paz agent</code> on a machine, or run <code>paz up</code>.</EmptyState>
      ) : (
        hosts.data && <HostsTable hosts={hosts.data} stats={usage.data?.stats ?? {}} lbs={usage.data?.lbs ?? []} />
      )}
    </>
  );
}

function HostsTable({ hosts, stats, lbs }: { hosts: Host[]; stats: Record<string, HostStatsDoc>; lbs: LoadBalancerDoc[] }) {
  return (
    <Table
      label="Hosts"
      className="hosts-table cards"
      rows={hosts}
      rowKey={(h) => h.ID}
      rowAttrs={(h) => ({ 'data-host': h.ID })}
      columns={[
        { header: 'Host', rowHeader: true, cell: (h) => <Link href={`/hosts/${enc(h.ID)}`}>{h.hostname || h.ID}</Link> },
        {
          header: 'State',
          cell: (h) => (
            <>
              <StateBadge tone={h.healthy ? 'ok' : 'bad'}>{h.healthy ? 'up' : 'down'}</StateBadge>
              {/* paz host drain: no new units, its units moving away */}
              {h.drain && (
                <>
                  {' '}
                  <StateBadge tone={h.drain.state === 'stuck' ? 'bad' : 'busy'}>{h.drain.state === 'draining' ? `draining, ${h.drain.remaining} left` : h.drain.state}</StateBadge>
                </>
              )}
            </>
          ),
        },
        { header: 'Capacity', cell: (h) => capacityText(h) },
        { header: 'CPU', className: 'cpu', cell: (h) => <CpuMeter usage={usageOf(stats[h.ID]?.latest)} /> },
        { header: 'Memory', className: 'memory', cell: (h) => <MemoryMeter usage={usageOf(stats[h.ID]?.latest)} /> },
        { header: 'Labels', cell: (h) => <Labels metadata={h.Metadata} /> },
        { header: 'Units', className: 'units', cell: (h) => <Link href={`/hosts/${enc(h.ID)}`}>{h.units.length} unit{h.units.length === 1 ? '' : 's'}</Link> },
        { header: 'Router', className: 'router', cell: (h) => <RouterBadge router={routerStateOf(lbs.find((l) => l.host === h.ID))} /> },
      ]}
    />
  );
}

export function CpuMeter({ usage }: { usage: Usage }) {
  if (!usage.cpu) return <span className="muted">no stats yet</span>;
  return (
    <span className="meter">
      <progress max={100} value={usage.cpu.percent} aria-label="CPU busy" />
      <span>
        {usage.cpu.percent}% <span className="muted">({usage.cpu.busy.toFixed(2)}/{usage.cpu.cores} cores)</span>
      </span>
    </span>
  );
}

export function MemoryMeter({ usage }: { usage: Usage }) {
  if (!usage.memory) return <span className="muted">no stats yet</span>;
  return (
    <span className="meter">
      <progress max={100} value={usage.memory.percent} aria-label="Memory used" />
      <span>
        {usage.memory.percent}% <span className="muted">({formatBytes(usage.memory.usedBytes)} of {formatBytes(usage.memory.totalBytes)})</span>
      </span>
    </span>
  );
}

export function Labels({ metadata }: { metadata: Record<string, string> }) {
  const labels = labelList(metadata);
  if (labels.length === 0) return <span className="muted">none</span>;
  return (
    <span className="labels">
      {labels.map((l) => (
        <span key={l} className="label">
          {l}
        </span>
      ))}
    </span>
  );
}

export function RouterBadge({ router }: { router: RouterState }) {
  const tone = router.state === 'running' ? 'ok' : router.state === 'down' ? 'bad' : 'idle';
  return (
    <span data-router={router.state} title={router.detail}>
      <StateBadge tone={tone}>{router.state === 'running' ? 'router running' : router.state === 'down' ? 'no router' : 'router unknown'}</StateBadge>{' '}
      <span className="muted">{router.detail}</span>
    </span>
  );
}
