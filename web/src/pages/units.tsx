/**
 * Units: every instance of every service, placed or not, with its state, health, host and restarts;
 * virtualised (ui/table.tsx) so a cluster of 1,000 units draws a screenful of rows. Live from the
 * unit.* and host.* events.
 */
import { Link } from 'wouter';
import { useLiveResource } from '../live';
import { affectsCluster } from '../live/relevance';
import { EmptyState, ErrorState, Loading, StateBadge } from '../ui/states';
import { Table } from '../ui/table';
import type { Unit } from '../../../src/api/answer-types';
import { enc } from './cluster-data';
import { unitTone } from './unit-summary';

export function UnitsPage() {
  const { data, error, loading, reload } = useLiveResource<Unit[]>('/cluster/units', affectsCluster);
  return (
    <>
      <h1>Units</h1>
      {error && <ErrorState error={error} retry={reload} />}
      {loading && !data ? (
        <Loading what="units" />
      ) : data && data.length === 0 ? (
        <EmptyState>
          No units yet: units are the instances of deployed services. Deploy one from its service page, or <code>POST /services/NAME/deploy</code>.
        </EmptyState>
      ) : (
        data && (
          <>
            <p className="muted">
              {data.length} unit{data.length === 1 ? '' : 's'}, {data.filter((u) => u.healthy).length} healthy.
            </p>
            <UnitsTable units={data} />
          </>
        )
      )}
    </>
  );
}

export function UnitsTable({ units, showHost = true }: { units: Unit[]; showHost?: boolean }) {
  const sorted = [...units].sort((a, b) => a.service.localeCompare(b.service) || a.version - b.version || a.instance - b.instance);
  return (
    <Table
      label="Units"
      className="units-table"
      rows={sorted}
      rowKey={(u) => u.name}
      rowAttrs={(u) => ({ 'data-unit': u.name, 'data-state': u.state })}
      columns={[
        { header: 'Unit', rowHeader: true, cell: (u) => <Link href={`/units/${enc(u.name)}`}>{u.name}</Link> },
        { header: 'Service', cell: (u) => <Link href={`/services/${enc(u.service)}`}>{u.service}</Link> },
        { header: 'Version', cell: (u) => `v${u.version}` },
        { header: 'State', cell: (u) => <StateBadge tone={unitTone(u)}>{u.state}</StateBadge> },
        ...(showHost ? [{ header: 'Host', cell: (u: Unit) => (u.host ? <Link href={`/hosts/${enc(u.host)}`}>{u.host}</Link> : <span className="muted">not placed</span>) }] : []),
        { header: 'Restarts', cell: (u) => u.restarts },
        { header: 'Why', cell: (u) => (u.reason ? <span className="reason">{u.reason}</span> : '') },
      ]}
    />
  );
}
