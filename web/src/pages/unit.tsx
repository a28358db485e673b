/**
 * One unit: its state and why, its health (the last probe's result, healthy since when, restarts), the
 * last output it left when it failed, and its logs followed live. The unit follows the unit.* events.
 * Deployers and admins can restart it: a fresh instance replaces it, then it is drained and stopped.
 */
import { useEffect, useState } from 'react';
import { Link, useParams } from 'wouter';
import { api } from '../api/client';
import { useLiveQuery } from '../live';
import { affectsCluster } from '../live/relevance';
import { ErrorState, Loading, StateBadge } from '../ui/states';
import { ConfirmAction } from '../ui/confirm';
import { useSession } from '../session';
import '../ui/cluster.css';
import type { Unit } from '../../../src/api/answer-types';
import { enc } from './cluster-data';
import { UnitLogs } from './log-panel';
import { probeText, unitTone } from './unit-summary';
import { ago } from '../../../src/core/ago.js';

/** a unit whose agent runs it: its logs can be read */
const RUNS = new Set(['starting', 'running', 'healthy', 'unhealthy', 'stopping', 'exited', 'failed']);

function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

export function UnitPage() {
  const { id = '' } = useParams<{ id: string }>();
  const { data: u, error, loading, reload } = useLiveQuery(`unit:${id}`, () => api.get<Unit>(`/cluster/units/${enc(id)}`), affectsCluster);
  const now = useNow(5000);
  const session = useSession();
  const [asked, setAsked] = useState<string>();
  return (
    <>
      <p>
        <Link href="/units">← Units</Link>
      </p>
      <h1>Unit {id}</h1>
      {session.canDeploy && u && (
        <p className="actions">
          <ConfirmAction
            label="Restart instance"
            disabled={u.host ? undefined : 'not placed on a host yet'}
            question={`Replace ${u.name} with a fresh instance of v${u.version}? It keeps serving until the new one is healthy, then it is drained and stopped.`}
            onConfirm={async () => {
              const r = await api.post<{ replacement?: string }>(`/services/${enc(u.service)}/units/${enc(u.name)}/restart`, {});
              setAsked(r.doc.replacement ?? 'a fresh instance');
            }}
          />
          {asked && (
            <span className="muted" role="status">
              Restart asked: {asked} replaces it (<Link href={`/services/${enc(u.service)}`}>follow it on {u.service}</Link>).
            </span>
          )}
        </p>
      )}
      {error && <ErrorState error={error} retry={reload} />}
      {loading && !u ? (
        <Loading what="the unit" />
      ) : (
        u && (
          <>
            <dl className="facts">
              <dt>State</dt>
              <dd data-unit-state={u.state}>
                <StateBadge tone={unitTone(u)}>{u.state}</StateBadge> {u.reason && <span className="reason">{u.reason}</span>}
              </dd>
              <dt>Health</dt>
              <dd className="health">
                <StateBadge tone={u.healthy ? 'ok' : 'bad'}>{u.healthy ? 'healthy' : 'not healthy'}</StateBadge>
                {u.healthySince ? <span className="muted"> since {ago(u.healthySince, now)}</span> : null}
              </dd>
              <dt>Last probe</dt>
              <dd className="probe">{probeText(u, now)}</dd>
              <dt>Restarts</dt>
              <dd className="restarts">{u.restarts}</dd>
              <dt>Service</dt>
              <dd>
                <Link href={`/services/${enc(u.service)}`}>{u.service}</Link> v{u.version}, instance {u.instance}
              </dd>
              <dt>Image</dt>
              <dd>
                <code>{u.image}</code>
              </dd>
              <dt>Host</dt>
              <dd>{u.host ? <Link href={`/hosts/${enc(u.host)}`}>{u.host}</Link> : <span className="muted">not placed yet</span>}</dd>
              {u.endpoint && (
                <>
                  <dt>Endpoint</dt>
                  <dd>
                    <code>{u.endpoint}</code>
                  </dd>
                </>
              )}
              {u.startedAt && (
                <>
                  <dt>Started</dt>
                  <dd>{ago(u.startedAt, now)}</dd>
                </>
              )}
              {u.lastRestart && (
                <>
                  <dt>Last restart</dt>
                  <dd>
                    {ago(u.lastRestart.at, now)}: {u.lastRestart.why}
                  </dd>
                </>
              )}
              {u.exitCode !== undefined && (
                <>
                  <dt>Exit code</dt>
                  <dd>{u.exitCode}</dd>
                </>
              )}
            </dl>
            {u.lastOutput && u.lastOutput.length > 0 && (
              <>
                <h2>Last output before it stopped</h2>
                <pre className="output">{u.lastOutput.join('\n')}</pre>
              </>
            )}
            {u.host && RUNS.has(u.state) ? (
              <UnitLogs service={u.service} unit={u.name} placement={`${u.host}:${u.containerId ?? ''}:${u.startedAt ?? ''}`} />
            ) : (
              <p className="muted">Logs appear once the unit runs on a host (now: {u.state}).</p>
            )}
          </>
        )
      )}
    </>
  );
}
