/**
 * One service: its deploy (each instance's phase, live, ending in succeeded or failed with the unit's
 * reason), every unit's output followed live, the serving config ("last") beside "next" with their diff, next's editor, its secrets (set,
 * with a fingerprint), and Deploy / Scale / Restart / Rollback for deployer and admin tokens.
 */
import { useEffect, useState } from 'react';
import { Link, useParams } from 'wouter';
import { api, ApiError } from '../api/client';
import type { Rollout, ServiceHealth, Version } from '../../../src/api/answer-types';
import { useLiveQuery, useLiveResource } from '../live';
import { useSession } from '../session';
import { ConfirmAction } from '../ui/confirm';
import { diffJson } from '../ui/diff';
import { DiffView } from '../ui/diff-view';
import { HEALTH_EVERY_MS, HealthVerdict } from '../ui/health';
import { EmptyState, ErrorState, Loading, StateBadge, toneOfDeploy, type Tone } from '../ui/states';
import { configPatch, secretsOf } from './config-edit';
import { aboutService, loadServicePage, type ServicePageData } from './service-page-data';
import { instanceRows, noInstancesText, nothingServesText, outcomeText } from './rollout-view';
import { effectiveTag, servingTagChange } from '../../../src/core/image-ref.js';
import { ServiceLogs } from './log-panel';
import '../ui/service-pages.css';

const enc = encodeURIComponent;

export function ServicePage() {
  const { name = '' } = useParams<{ name: string }>();
  const { data, error, loading, reload } = useLiveQuery<ServicePageData>(`service:${name}`, () => loadServicePage(name), aboutService(name));
  if (error && !data) {
    return (
      <>
        <h1>{name}</h1>
        <ErrorState error={error} retry={reload} />
        {error.status === 404 && (
          <p>
            There is no service by this name (deleted, or mistyped). <Link href="/services">All services</Link>
          </p>
        )}
      </>
    );
  }
  if (loading && !data) return <Loading what={`service ${name}`} />;
  if (!data) return null;
  return <ServiceView data={data} reload={reload} error={error} />;
}

function ServiceView({ data, reload, error }: { data: ServicePageData; reload(): void; error?: ApiError }) {
  const session = useSession();
  const { service, versions, last, rollout } = data;
  const name = service.name;
  const health = useLiveResource<ServiceHealth>(`/services/${enc(name)}/health`, aboutService(name), HEALTH_EVERY_MS);
  return (
    <>
      <h1>{name}</h1>
      {error && <ErrorState error={error} retry={reload} />}
      <p className="muted">
        Image <code>{service.dockerRepository}</code>
        {service.description ? ` · ${service.description}` : ''} · <Link href={`/services/${enc(name)}/history`}>History ({versions.length} version{versions.length === 1 ? '' : 's'})</Link>
      </p>
      <section aria-labelledby="health-h">
        <h2 id="health-h">Health</h2>
        <HealthVerdict health={health.data} error={health.error} />
      </section>
      {session.canDeploy && <Actions name={name} repository={String(service.dockerRepository)} rollout={rollout} versions={versions} numInstances={Number(service.config.numInstances ?? 1)} after={reload} />}
      <section aria-labelledby="deploy-h">
        <h2 id="deploy-h">Deploy</h2>
        {rollout ? (
          <RolloutView rollout={rollout} />
        ) : (
          <EmptyState>Never deployed: {session.canDeploy ? 'press Deploy to run its first version.' : 'a deployer or admin can deploy it (paz deploy NAME).'}</EmptyState>
        )}
      </section>
      <ServiceLogs service={name} />
      <section aria-labelledby="config-h">
        <h2 id="config-h">Config</h2>
        <ConfigCompare last={last} next={service.config} nothingServes={rollout ? nothingServesText(rollout) : undefined} />
      </section>
      <Secrets config={service.config} />
      {session.canDeploy && <EditNext name={name} next={service.config} after={reload} />}
    </>
  );
}

function toneOfPhase(phase: string): Tone {
  if (phase === 'healthy') return 'ok';
  if (phase === 'failed' || phase === 'unhealthy' || phase === 'exited') return 'bad';
  if (phase === 'stopped') return 'idle';
  return 'busy';
}

function RolloutView({ rollout }: { rollout: Rollout }) {
  const rows = instanceRows(rollout);
  const text = outcomeText(rollout);
  return (
    <>
      <p>
        Version <strong>v{rollout.version}</strong>
        {rollout.strategy ? ` (${rollout.strategy})` : ''}: <StateBadge tone={toneOfDeploy(rollout.state)}>{rollout.state}</StateBadge>{' '}
        {rollout.serving !== rollout.version && <span className="muted">· serving: {rollout.serving ? `v${rollout.serving}` : 'nothing'}</span>}
      </p>
      <p className={`outcome ${rollout.state}`} role="status" data-state={rollout.state}>
        {text}
      </p>
      {rows.length === 0 ? (
        <p className="muted">{noInstancesText(rollout)}</p>
      ) : (
        <div className="table-wrap">
          <table className="instances">
            <thead>
              <tr>
                <th scope="col">Instance</th>
                <th scope="col">Version</th>
                <th scope="col">Phase</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.name} data-unit={r.name} data-phase={r.phase}>
                  <th scope="row">
                    {r.phase === 'stopped' ? r.name : <Link href={`/units/${enc(r.name)}`}>{r.name}</Link>}
                  </th>
                  <td>
                    v{r.version}
                    {r.isNew ? '' : ' (old)'}
                  </td>
                  <td>
                    <StateBadge tone={toneOfPhase(r.phase)}>{r.phase}</StateBadge>
                  </td>
                  <td className="reason">{r.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function Actions({ name, repository, rollout, versions, numInstances, after }: { name: string; repository: string; rollout?: Rollout; versions: Version[]; numInstances: number; after(): void }) {
  const [tag, setTag] = useState('');
  const [deployError, setDeployError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [count, setCount] = useState(String(numInstances));
  const [target, setTarget] = useState<string>('');
  useEffect(() => setCount(String(numInstances)), [numInstances]);
  // any version may be deployed again: newest first, saying which serves and which failed
  const choices = [...versions].reverse();
  // an empty Tag deploys the repository as it is (no tag there: latest), which may not be what serves
  const emptyTag = effectiveTag(repository);
  const servingImage = versions.find((v) => v.version === rollout?.serving)?.image;
  const change = rollout?.serving && servingImage ? servingTagChange(repository, servingImage) : undefined;
  return (
    <section className="actions" aria-label="Actions">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setDeployError(undefined);
          try {
            await api.post(`/services/${enc(name)}/deploy`, tag.trim() ? { tag: tag.trim() } : {});
            after();
          } catch (err) {
            setDeployError((err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label htmlFor="deploy-tag">Tag</label>
        <input id="deploy-tag" type="text" placeholder={emptyTag ?? "(the image's own)"} value={tag} onChange={(e) => setTag(e.target.value)} size={14} aria-describedby={change && !tag.trim() ? 'deploy-tag-note' : undefined} />
        <button type="submit" disabled={busy}>
          Deploy
        </button>
        {change && !tag.trim() && (
          <span id="deploy-tag-note" className="muted" data-tag-change>
            v{rollout?.serving} runs :{change.now}; an empty tag deploys :{change.next}
          </span>
        )}
        {deployError && (
          <span className="error" role="alert">
            {deployError}
          </span>
        )}
      </form>
      <span className="actions">
        <label htmlFor="scale-count">Instances</label>
        <input id="scale-count" type="number" min={0} value={count} onChange={(e) => setCount(e.target.value)} />
        <ConfirmAction
          label="Scale"
          question={`Run ${count} instance${count === '1' ? '' : 's'} of ${name}?`}
          onConfirm={async () => {
            await api.post(`/services/${enc(name)}/scale`, { numInstances: Number(count) });
            after();
          }}
        />
      </span>
      {rollout?.serving ? (
        <ConfirmAction
          label="Restart"
          // refused while a deploy runs (it would overtake it): said here rather than after a click
          disabled={rollout.state === 'deploying' ? `a deploy of v${rollout.version} is under way` : undefined}
          question={`Replace every instance of v${rollout.serving} with a fresh one? The same image and config run as a new version, rolled out as a deploy is.`}
          onConfirm={async () => {
            await api.post(`/services/${enc(name)}/restart`, {});
            after();
          }}
        />
      ) : null}
      {choices.length > 0 && (
        <span className="actions">
          <label htmlFor="rollback-to">Roll back to</label>
          <select id="rollback-to" value={target} onChange={(e) => setTarget(e.target.value)}>
            <option value="">newest good version</option>
            {choices.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version}
                {v.version === rollout?.serving ? ' (serving)' : v.outcome?.state === 'failed' ? ' (failed)' : ''}
              </option>
            ))}
          </select>
          <ConfirmAction
            label="Roll back"
            question={`Deploy ${target ? `v${target}` : 'the newest good version before the serving one'} again as a new version?`}
            onConfirm={async () => {
              await api.post(`/services/${enc(name)}/rollback`, target ? { version: Number(target) } : {});
              after();
            }}
          />
        </span>
      )}
    </section>
  );
}

function ConfigCompare({ last, next, nothingServes }: { last?: Record<string, unknown>; next: Record<string, unknown>; nothingServes?: string }) {
  const diff = diffJson(last, next);
  return (
    <>
      <div className="config-pair">
        <div>
          <h3>Serving (last)</h3>
          {last ? <pre aria-label="serving config">{JSON.stringify(last, null, 2)}</pre> : <p className="muted">{nothingServes ?? 'Nothing serves yet: deploy to run the next config.'}</p>}
        </div>
        <div>
          <h3>Next</h3>
          <pre aria-label="next config">{JSON.stringify(next, null, 2)}</pre>
        </div>
      </div>
      <h3>What the next deploy changes</h3>
      <DiffView diff={diff} label="diff of serving and next config" emptyText="Nothing: next is the serving config." />
    </>
  );
}

function Secrets({ config }: { config: Record<string, unknown> }) {
  const secrets = secretsOf(config as { env?: Record<string, unknown> });
  if (secrets.length === 0) return null;
  return (
    <section aria-labelledby="secrets-h">
      <h2 id="secrets-h">Secrets</h2>
      <ul className="env-secrets">
        {secrets.map((s) => (
          <li key={s.key} data-secret={s.key}>
            <code>{s.key}</code>: set · fingerprint <code>{s.fingerprint}</code>
          </li>
        ))}
      </ul>
      <p className="help">Values are never shown. To change one, put {'{"secret": "<new value>"}'} in next&apos;s env, or run paz secret set.</p>
    </section>
  );
}

function EditNext({ name, next, after }: { name: string; next: Record<string, unknown>; after(): void }) {
  const [text, setText] = useState(() => JSON.stringify(next, null, 2));
  const [dirty, setDirty] = useState(false);
  const [message, setMessage] = useState<{ error: boolean; text: string }>();
  const [busy, setBusy] = useState(false);
  // follow changes made elsewhere while nothing is being edited here
  useEffect(() => {
    if (!dirty) setText(JSON.stringify(next, null, 2));
  }, [next, dirty]);
  return (
    <section aria-labelledby="edit-h">
      <h2 id="edit-h">Edit next</h2>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const edit = configPatch(next, text);
          if (!edit.ok) return setMessage({ error: true, text: edit.message });
          if (Object.keys(edit.patch).length === 0) return setMessage({ error: false, text: 'Nothing changed.' });
          setBusy(true);
          try {
            await api.patch(`/services/${enc(name)}/config/next`, edit.patch);
            setDirty(false);
            setMessage({ error: false, text: `Saved ${Object.keys(edit.patch).join(', ')}${edit.removed.length ? ` (kept ${edit.removed.join(', ')}: a field cannot be removed, set it instead)` : ''}. Deploy to run it.` });
            after();
          } catch (err) {
            setMessage({ error: true, text: (err as Error).message });
          } finally {
            setBusy(false);
          }
        }}
      >
        <label htmlFor="next-json">Next config (JSON; secrets stay as shown unless you give a new {'{"secret": "value"}'})</label>
        <textarea
          id="next-json"
          className="json-editor"
          spellCheck={false}
          value={text}
          aria-invalid={message?.error ? true : undefined}
          aria-describedby={message ? 'next-json-msg' : undefined}
          onChange={(e) => {
            setText(e.target.value);
            setDirty(true);
          }}
        />
        {message && (
          <p id="next-json-msg" className={message.error ? 'field-error' : 'muted'} role={message.error ? 'alert' : 'status'}>
            {message.text}
          </p>
        )}
        <div className="actions">
          <button type="submit" disabled={busy}>
            Save next
          </button>
          <button
            type="button"
            onClick={() => {
              setText(JSON.stringify(next, null, 2));
              setDirty(false);
              setMessage(undefined);
            }}
          >
            Reset
          </button>
        </div>
      </form>
    </section>
  );
}
