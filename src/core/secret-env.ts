/**
 * Env values marked secret: how they are sent, stored, shown and opened. Pure apart from the IV a seal draws.
 *
 *   sent:    `{"secret": "<value>"}` sets one; `{"secret": true, "fingerprint": F}` (what GET shows) keeps the one
 *            the service has, if F is its fingerprint
 *   stored:  `{"secret": true, "fingerprint": F, "sealed": "paz:v1:…"}` in the service document, its deploy
 *            records, and (under `secretEnv`) its units' run specs; the plain value is never written
 *   shown:   `{"secret": true, "fingerprint": F}` (redact(), applied to every API answer and event)
 *   opened:  by the agent, right before the unit's container or process is created (openSecretEnv)
 *
 * Secrets are compared by fingerprint, not by sealed text (a fresh IV each time): setting the same value
 * again keeps the stored object as it was, so the config does not change.
 */
import { PazError } from './errors.js';
import { fingerprint, isSealed, open, seal, SecretKeyError, type SecretKey } from './secret-box.js';

/** A secret env value as stored. */
export interface SealedSecret {
  secret: true;
  fingerprint: string;
  sealed: string;
}

/** A secret env value as shown. */
export interface SecretView {
  secret: true;
  fingerprint: string;
}

/** What a client may send for a secret env value. */
export type SecretInput = { secret: string } | SecretView;

export type PlainEnvValue = string | number | boolean;

const FINGERPRINT = /^[0-9a-f]{12}$/;

/** The additional authenticated data of a secret env value: a sealed value moved to another key or service fails to open. */
export function envSecretContext(service: string, key: string): string {
  return `env:${service}:${key}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isSealedSecret(v: unknown): v is SealedSecret {
  return isRecord(v) && v.secret === true && typeof v.fingerprint === 'string' && isSealed(v.sealed);
}

function invalid(message: string, field: string): PazError {
  return new PazError('VALIDATION', message, { field });
}

/**
 * Turns an env map as sent into the env map to store: each `{"secret": value}` is sealed (or, when its
 * fingerprint is the current one's, the current sealed object is kept), each `{"secret": true, "fingerprint"}`
 * keeps the current secret of that key, plain values stay. `checkPlain` says why a plain text is refused
 * (control characters), so a secret's value is checked like any env value before it is sealed.
 */
export function sealEnv(
  key: SecretKey,
  service: string,
  input: Record<string, unknown>,
  current: Record<string, unknown>,
  checkPlain: (name: string, value: string) => string | undefined = () => undefined,
): Record<string, PlainEnvValue | SealedSecret> {
  const out: Record<string, PlainEnvValue | SealedSecret> = {};
  for (const [name, value] of Object.entries(input)) {
    if (!isRecord(value)) {
      out[name] = value as PlainEnvValue;
      continue;
    }
    const field = `env.${name}`;
    const have = current[name];
    const fields = Object.keys(value).sort().join(',');
    if (typeof value.secret === 'string' && fields === 'secret') {
      const why = checkPlain(name, value.secret);
      if (why) throw invalid(why, field);
      const fp = fingerprint(key, value.secret);
      out[name] = isSealedSecret(have) && have.fingerprint === fp ? have : { secret: true, fingerprint: fp, sealed: seal(key, value.secret, envSecretContext(service, name)) };
      continue;
    }
    if (value.secret === true && typeof value.fingerprint === 'string' && (fields === 'fingerprint,secret' || (fields === 'fingerprint,secret,sealed' && isSealedSecret(value)))) {
      if (!FINGERPRINT.test(value.fingerprint)) throw invalid(`env ${name}: fingerprint "${value.fingerprint}" is not 12 hex digits: send the value itself, {"secret": "<value>"}`, field);
      if (isSealedSecret(have) && have.fingerprint === value.fingerprint) {
        out[name] = have;
        continue;
      }
      const now = isSealedSecret(have) ? `its ${name} is the secret with fingerprint ${have.fingerprint}` : have === undefined ? `it has no ${name}` : `its ${name} is not a secret`;
      throw new PazError(
        'SECRET_NOT_KEPT',
        `env ${name}: the secret with fingerprint ${value.fingerprint} cannot be kept, because ${now} (changed since it was read?): send the value itself, {"secret": "<value>"}`,
        { field, fingerprint: value.fingerprint },
      );
    }
    throw invalid(`env ${name}: a secret is {"secret": "<value>"} to set it, or {"secret": true, "fingerprint": "<12 hex>"} to keep the current one (as GET shows it)`, field);
  }
  return out;
}

export class SecretEnvError extends Error {}

/**
 * Opens a unit's secret env values (agent side, right before its container or process is created). Throws
 * SecretEnvError naming the variable and why (another key, changed, copied): never the value.
 */
export function openSecretEnv(key: SecretKey | undefined, service: string, secretEnv: Record<string, SealedSecret> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, s] of Object.entries(secretEnv ?? {})) {
    if (!key) throw new SecretEnvError(`env ${name} is a secret and this agent has no secrets key: give it the cluster's key (PAZ_SECRETS_KEY, or secrets.key in its data dir)`);
    try {
      out[name] = open(key, s.sealed, envSecretContext(service, name));
    } catch (err) {
      if (err instanceof SecretKeyError) throw new SecretEnvError(`env ${name} (fingerprint ${s.fingerprint}) cannot be opened: ${err.message}`);
      throw err;
    }
  }
  return out;
}

/**
 * What may be shown of any record or answer: every stored secret `{secret, fingerprint, sealed}` becomes
 * `{secret: true, fingerprint}`, and any other sealed string becomes `{secret: true}`. Copies only what it
 * changes: a value without secrets comes back as the same object.
 */
export function redactSecrets<T>(value: T): T {
  return redact(value) as T;
}

function redact(value: unknown): unknown {
  if (typeof value === 'string') return isSealed(value) ? { secret: true } : value;
  if (typeof value !== 'object' || value === null) return value;
  if (isSealedSecret(value)) return { secret: true, fingerprint: value.fingerprint } satisfies SecretView;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const r = redact(value[i]);
      if (r !== value[i]) (copy ??= [...value])[i] = r;
    }
    return copy ?? value;
  }
  // class instances (Buffers, Dates, streams) are not records: leave them to their serializers
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const r = redact(v);
    if (r !== v) (copy ??= { ...(value as Record<string, unknown>) })[k] = r;
  }
  return copy ?? value;
}
