/** A service's history: every version with its image, digest, trigger and outcome, its config, and a diff of any two. */
import { useState } from 'react';
import type { Version } from '../../../src/api/answer-types';
import { triggerText } from '../../../src/core/trigger-text';
import { Link, useParams } from 'wouter';
import { useLiveQuery } from '../live';
import { diffJson } from '../ui/diff';
import { DiffView } from '../ui/diff-view';
import { EmptyState, ErrorState, Loading, StateBadge, toneOfDeploy } from '../ui/states';
import { aboutService, loadServicePage, type ServicePageData } from './service-page-data';
import '../ui/service-pages.css';

const enc = encodeURIComponent;

export function ServiceHistoryPage() {
  const { name = '' } = useParams<{ name: string }>();
  const { data, error, loading, reload } = useLiveQuery<ServicePageData>(`history:${name}`, () => loadServicePage(name), aboutService(name));
  const [from, setFrom] = useState<number>();
  const [to, setTo] = useState<number>();
  const versions = data?.versions ?? [];
  const newest = versions.at(-1)?.version;
  const serving = data?.rollout?.serving;
  const a = versions.find((v) => v.version === (from ?? versions.at(-2)?.version));
  const b = versions.find((v) => v.version === (to ?? newest));
  return (
    <>
      <h1>History of {name}</h1>
      <p>
        <Link href={`/services/${enc(name)}`}>Back to {name}</Link>
      </p>
      {error && <ErrorState error={error} retry={reload} />}
      {loading && !data ? (
        <Loading what="versions" />
      ) : versions.length === 0 ? (
        data && <EmptyState>No versions yet: every deploy makes one. Deploy {name} from its page.</EmptyState>
      ) : (
        <>
          <div className="table-wrap">
            <table className="versions-table">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Deployed</th>
                  <th scope="col">Image and digest</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {[...versions].reverse().map((v) => (
                  <tr key={v.version} data-version={v.version}>
                    <th scope="row">v{v.version}</th>
                    <td>{new Date(v.timestamp).toLocaleString()}</td>
                    <td>
                      <code>{v.image}</code>
                      <div className="digest muted">{v.digest ?? (v.outcome?.state === 'failed' ? 'no digest: the image was never pulled' : 'no digest recorded yet (the first pull records it)')}</div>
                      <details>
                        <summary>Config of v{v.version}</summary>
                        <pre className="config">{JSON.stringify(v.config, null, 2)}</pre>
                      </details>
                    </td>
                    <td>{triggerText(v.trigger)}</td>
                    <td className="outcome-cell">
                      {v.outcome ? <StateBadge tone={toneOfDeploy(v.outcome.state)}>{v.outcome.state}</StateBadge> : <span className="muted">unknown</span>}
                      {v.version === serving && <span className="serving-mark"> · serving now</span>}
                      {v.outcome?.reason && <div className="reason">{v.outcome.reason}</div>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>Compare two versions</h2>
          <div className="pick">
            <VersionPick id="diff-from" label="From" versions={versions} value={a?.version} onChange={setFrom} />
            <VersionPick id="diff-to" label="To" versions={versions} value={b?.version} onChange={setTo} />
          </div>
          <DiffView
            diff={diffJson(a && { image: a.image, ...a.config }, b && { image: b.image, ...b.config })}
            label={`diff of v${a?.version} and v${b?.version}`}
            emptyText={a && b ? `v${a.version} and v${b.version} have the same image and config.` : 'Pick two versions.'}
          />
        </>
      )}
    </>
  );
}

function VersionPick({ id, label, versions, value, onChange }: { id: string; label: string; versions: Version[]; value?: number; onChange(v: number): void }) {
  return (
    <span className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value ?? ''} onChange={(e) => onChange(Number(e.target.value))}>
        {versions.map((v) => (
          <option key={v.version} value={v.version}>
            v{v.version}
          </option>
        ))}
      </select>
    </span>
  );
}
