/** Services: each service's serving version, healthy/desired instances and its last deploy, live. */
import { Link } from 'wouter';
import { useLiveQuery } from '../live';
import { useSession } from '../session';
import { affectsServices } from '../live/relevance';
import { EmptyState, ErrorState, Loading, StateBadge, toneOfDeploy } from '../ui/states';
import { loadServiceRows } from './service-data';
import type { ServiceRow } from './service-rows';

export function ServicesPage() {
  const { data, error, loading, reload } = useLiveQuery<ServiceRow[]>('services', loadServiceRows, affectsServices);
  const { canDeploy } = useSession();
  return (
    <>
      <h1>Services</h1>
      {canDeploy && (
        <p>
          <Link href="/services/new">Create service</Link>
        </p>
      )}
      {error && <ErrorState error={error} retry={reload} />}
      {loading && !data ? <Loading what="services" /> : data && <ServicesTable rows={data} />}
    </>
  );
}

export function ServicesTable({ rows }: { rows: ServiceRow[] }) {
  if (rows.length === 0) {
    return (
      <EmptyState>
        No services yet: create one with the Create service form (deployer or admin), <code>paz create FILE</code> or <code>POST /services</code>.
      </EmptyState>
    );
  }
  return (
    <div className="table-wrap">
      <table className="services">
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Serving</th>
            <th scope="col">Healthy</th>
            <th scope="col">Last deploy</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.name} data-service={r.name}>
              <th scope="row">
                <Link href={`/services/${encodeURIComponent(r.name)}`}>{r.name}</Link>
              </th>
              <td>{r.serving === undefined ? <span className="muted">none</span> : `v${r.serving}`}</td>
              <td className="instances" data-healthy={r.healthy} data-desired={r.desired}>
                <StateBadge tone={r.lastDeploy === undefined ? 'idle' : r.healthy >= r.desired ? 'ok' : 'bad'}>
                  {r.healthy}/{r.desired}
                </StateBadge>
              </td>
              <td className="deploy">
                {r.lastDeploy ? (
                  <>
                    v{r.lastDeploy.version} <StateBadge tone={toneOfDeploy(r.lastDeploy.state)}>{r.lastDeploy.state}</StateBadge>
                    {r.lastDeploy.reason && <div className="reason">{r.lastDeploy.reason}</div>}
                    {r.lastDeploy.at && <div className="muted">{new Date(r.lastDeploy.at).toLocaleString()}</div>}
                  </>
                ) : (
                  <span className="muted">never deployed</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
