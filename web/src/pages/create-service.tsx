/**
 * Create service: a form for POST /services. The API checks everything; its message for a field is shown
 * beside that field (create-service-form.ts says which), anything else above the form. Success opens the
 * new service's page.
 */
import { useState, type ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { api, ApiError } from '../api/client';
import { useSession } from '../session';
import { createBody, EMPTY_FORM, fieldOfError, parseEnvLines, type CreateForm, type FormField } from './create-service-form';
import '../ui/service-pages.css';

export function CreateServicePage() {
  const session = useSession();
  const [, navigate] = useLocation();
  const [form, setForm] = useState<CreateForm>(EMPTY_FORM);
  const [error, setError] = useState<{ field?: FormField; message: string }>();
  const [busy, setBusy] = useState(false);

  if (!session.canDeploy) {
    return (
      <>
        <h1>Create service</h1>
        <p>
          Your token ({session.role}) may look but not create services: sign in with a deployer or admin token. <Link href="/services">Back to Services</Link>
        </p>
      </>
    );
  }

  const set = <K extends FormField>(k: K, v: CreateForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const errorFor = (k: FormField) => (error?.field === k ? error.message : undefined);

  async function submit() {
    setBusy(true);
    setError(undefined);
    try {
      const body = createBody(form);
      await api.post('/services', body);
      navigate(`/services/${encodeURIComponent(String(body.name))}`);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(0, 'CLIENT', (e as Error).message);
      const secretKeys = parseEnvLines(form.secretEnv).map(([k]) => k);
      setError({ field: fieldOfError({ code: err.code, message: err.message, field: err.field }, secretKeys), message: err.message });
    } finally {
      setBusy(false);
    }
  }

  const text = (k: FormField, label: string, help?: ReactNode, extra: { type?: string; placeholder?: string } = {}) => (
    <Field id={k} label={label} help={help} error={errorFor(k)}>
      <input id={`f-${k}`} name={k} type={extra.type ?? 'text'} placeholder={extra.placeholder} value={form[k] as string} onChange={(e) => set(k, e.target.value)} {...ariaFor(k, errorFor(k), help)} />
    </Field>
  );
  const area = (k: FormField, label: string, help: ReactNode) => (
    <Field id={k} label={label} help={help} error={errorFor(k)}>
      <textarea id={`f-${k}`} name={k} rows={3} value={form[k] as string} onChange={(e) => set(k, e.target.value)} {...ariaFor(k, errorFor(k), help)} />
    </Field>
  );
  const check = (k: 'publicFacing' | 'loadBalanced', label: string, help: ReactNode) => (
    <Field id={k} label={label} help={help} error={errorFor(k)} isCheck>
      <input id={`f-${k}`} name={k} type="checkbox" checked={form[k]} onChange={(e) => set(k, e.target.checked)} {...ariaFor(k, errorFor(k), help)} />
    </Field>
  );

  return (
    <>
      <h1>Create service</h1>
      <p className="muted">
        The same document as <code>POST /services</code> or <code>paz create FILE</code>; everything left empty takes the API&apos;s default. Creating does not deploy: deploy from the service&apos;s page.
      </p>
      {error && !error.field && (
        <p className="error-state" role="alert">
          {error.message}
        </p>
      )}
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {text('name', 'Name', '3 to 50 characters: lowercase letters, digits, hyphens. It becomes <name>.paz.', { placeholder: 'web' })}
        {text('dockerRepository', 'Image', 'e.g. 127.0.0.1:5000/team/app:1.2', { placeholder: 'registry/repository:tag' })}
        {text('description', 'Description')}
        {text('numInstances', 'Instances', undefined, { type: 'text' })}
        {text('ports', 'Ports', 'comma-separated: 9000 (a container port), 8080:9000 (host:container), 53/udp')}
        {area('env', 'Environment', 'KEY=value, one a line')}
        {area('secretEnv', 'Secret environment', 'KEY=value, one a line: stored sealed and never shown again (only a fingerprint)')}
        {check('publicFacing', 'Public facing', 'also answer on <name>.<cluster domain>')}
        {check('loadBalanced', 'Load balanced', 'route <name>.paz through the router')}
        {text('healthPath', 'Health check path', 'an HTTP path that must answer 2xx, e.g. /health; empty: the default check', { placeholder: '/health' })}
        <div className="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Creating…' : 'Create service'}
          </button>
          <Link href="/services">Cancel</Link>
        </div>
      </form>
    </>
  );
}

function ariaFor(k: FormField, error: string | undefined, help: ReactNode) {
  const ids = [help ? `h-${k}` : '', error ? `e-${k}` : ''].filter(Boolean).join(' ');
  return { 'aria-invalid': error ? true : undefined, 'aria-describedby': ids || undefined };
}

function Field({ id, label, help, error, isCheck, children }: { id: FormField; label: string; help?: ReactNode; error?: string; isCheck?: boolean; children: ReactNode }) {
  return (
    <div className={`field${isCheck ? ' check-field' : ''}`} data-field={id}>
      {isCheck ? (
        <label htmlFor={`f-${id}`}>
          {children} {label}
        </label>
      ) : (
        <>
          <label htmlFor={`f-${id}`}>{label}</label>
          {children}
        </>
      )}
      {help && (
        <p className="help" id={`h-${id}`}>
          {help}
        </p>
      )}
      {error && (
        <p className="field-error" id={`e-${id}`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
