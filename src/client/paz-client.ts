/**
 * A typed HTTP client of Paz's APIs, used by the CLI, the web UI's tests and the integration tests.
 * Errors come back as `PazApiError` carrying the server's code and message. It sends an API token without
 * being told: --token, PAZ_TOKEN, the profile's (connection.ts), else the admin token `paz up` wrote to
 * DATA_DIR/admin-token.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { connectionErrorMessage } from './connection-error.js';
import { isJsonType } from './json-type.js';
import { resolveConnection, urlProblem, withScheme } from './connection.js';
import { profileFilePath, readProfiles } from './profile-file.js';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** GET /services/:name/rollout */
export interface RolloutDoc {
  service: string;
  version: number;
  state: string;
  reason?: string;
  /** the version that serves: the last one that succeeded (0 while none has); differs from version after a failed deploy */
  serving?: number;
  strategy?: string;
  /** why the strategy, when it was chosen automatically */
  strategyReason?: string;
  units: Array<{ name: string; version: number; state: string; healthy: boolean; reason?: string }>;
  /** units no longer desired whose instances their agents are still stopping */
  stopping?: string[];
}

/** GET /registries: what is shown of a registry login (never the password) */
export interface RegistryLoginDoc {
  host: string;
  username: string;
  fingerprint: string;
  updatedAt: number;
}

export class PazApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'PazApiError';
  }
}

export interface PazClientOptions {
  /** orchestrator base URL, default PAZ_URL or http://127.0.0.1:9000 */
  url?: string;
  /** scheduler base URL, default PAZ_SCHEDULER_URL or the orchestrator's host on port 9002 */
  schedulerUrl?: string;
  timeoutMs?: number;
  /** API token; default PAZ_TOKEN, else the one in `dataDir`'s admin-token file */
  token?: string;
  /** default PAZ_DATA_DIR, else ~/.paz */
  dataDir?: string;
  /** a named profile of the profile file (--profile); default PAZ_PROFILE, else the current one */
  profile?: string;
  /**
   * false: ignore the profile file (tests and in-process callers that give url and token). Default: used
   * when url or token is not given.
   */
  profiles?: boolean;
}

/** The token the CLI sends, and where it came from (for the message of a 401). */
export function defaultToken(dataDir?: string, env: NodeJS.ProcessEnv = process.env): { token?: string; source: string } {
  if (env.PAZ_TOKEN) return { token: env.PAZ_TOKEN.trim(), source: 'the token in PAZ_TOKEN' };
  const file = join(resolve(dataDir ?? env.PAZ_DATA_DIR ?? join(homedir(), '.paz')), 'admin-token');
  if (existsSync(file)) {
    try {
      return { token: readFileSync(file, 'utf8').trim(), source: `the admin token in ${file}` };
    } catch (err) {
      return { source: `no token (${file} could not be read: ${(err as Error).message})` };
    }
  }
  return { source: `no token (PAZ_TOKEN is not set and there is no ${file}; give the data dir with --data-dir or PAZ_DATA_DIR)` };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
  text: string;
}


/** A body as sent with `content-encoding` (what raw() asks for: br or gzip; anything else is left as it is). */
function decoded(body: Buffer, encoding: string | undefined): Buffer {
  if (encoding === 'gzip') return gunzipSync(body);
  if (encoding === 'br') return brotliDecompressSync(body);
  return body;
}

export class PazClient {
  readonly url: string;
  readonly schedulerUrl: string;
  /** the profile the URL or token came from, if any */
  readonly profile: string | undefined;
  private readonly timeoutMs: number;
  private readonly credentials: { token?: string; source: string };

  constructor(opts: PazClientOptions = {}) {
    const useProfiles = opts.profiles !== false && (opts.url === undefined || opts.token === undefined || opts.profile !== undefined);
    const configPath = profileFilePath();
    const conn = useProfiles
      ? resolveConnection({ flags: { url: opts.url, token: opts.token, profile: opts.profile }, env: process.env, config: readProfiles(configPath), configPath })
      : { url: withScheme(opts.url ?? process.env.PAZ_URL ?? 'http://127.0.0.1:9000'), token: opts.token, tokenSource: 'the token given' };
    this.credentials = conn.token !== undefined ? { token: conn.token, source: conn.tokenSource ?? 'the token given' } : defaultToken(opts.dataDir);
    const problem = urlProblem(conn.url);
    // the URL came from --url, PAZ_URL or a profile: say which to fix, not Node's "Invalid URL"
    if (problem) throw new Error(`${problem}; fix --url, PAZ_URL or the profile's URL (paz profile ls)`);
    this.url = conn.url;
    this.profile = conn.profile;
    const u = new URL(this.url);
    this.schedulerUrl = withScheme(opts.schedulerUrl ?? process.env.PAZ_SCHEDULER_URL ?? `${u.protocol}//${u.hostname}:9002`).replace(/\/$/, '');
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** `Authorization: Bearer <token>` when the client has a token (for requests made around `raw`, e.g. streams). */
  authHeaders(): Record<string, string> {
    return this.credentials.token ? { authorization: `Bearer ${this.credentials.token}` } : {};
  }

  /** What to tell a user whose request got a 401 or 403. */
  authHint(status: number): string {
    if (status === 401) return ` [the CLI sent ${this.credentials.source}: log in with \`paz login ${this.url}\` or set PAZ_TOKEN to a valid token]`;
    if (status === 403) return ` [the CLI sent ${this.credentials.source}]`;
    return '';
  }

  /**
   * One request; resolves for any HTTP status (callers that want errors use `call`). node:http, not fetch:
   * loading fetch (undici) costs a CLI command about 40 MB and a quarter of a second. It asks for the big
   * lists compressed, as fetch would (1,000 units: 571 KB of JSON, 14.5 KB gzipped), and decodes them.
   */
  raw(method: string, url: string, body?: unknown): Promise<RawResponse> {
    const u = new URL(url);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = { ...this.authHeaders(), 'accept-encoding': 'br, gzip', ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) };
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const req = send(u, { method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          let text: string;
          try {
            text = decoded(Buffer.concat(chunks), res.headers['content-encoding']).toString('utf8');
          } catch (e) {
            return reject(new Error(`${u.origin} answered ${res.statusCode} with a ${res.headers['content-encoding']} body that does not decode (${(e as Error).message})`));
          }
          let parsed: unknown = text;
          try {
            if (text && isJsonType(res.headers['content-type'])) parsed = JSON.parse(text);
          } catch (e) {
            return reject(new Error(`${u.origin} answered ${res.statusCode} with JSON that does not parse (${(e as Error).message})`));
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
        });
      });
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy();
      }, this.timeoutMs);
      function fail(err: Error) {
        clearTimeout(timer);
        // every error here is about reaching the server (refused, unknown name, untrusted certificate, …)
        reject(timedOut ? new Error(`${u.origin} did not answer within ${timeoutSeconds} s`, { cause: err }) : new Error(connectionErrorMessage(url, err, pointAt), { cause: err }));
      }
      const timeoutSeconds = this.timeoutMs / 1000;
      // the journal is the scheduler's (port 9002 of PAZ_URL's host unless PAZ_SCHEDULER_URL says otherwise)
      const pointAt = url.startsWith(this.schedulerUrl) && this.schedulerUrl !== this.url ? 'PAZ_SCHEDULER_URL (the scheduler; default: port 9002 of PAZ_URL\'s host)' : undefined;
      req.on('error', fail);
      req.end(payload);
    });
  }

  async call<T>(method: string, path: string, body?: unknown, base = this.url): Promise<T> {
    const res = await this.raw(method, `${base}${path}`, body);
    if (res.status >= 400) {
      const b = res.body as { code?: string; message?: string } | string;
      const code = typeof b === 'object' && b?.code ? b.code : `HTTP_${res.status}`;
      const message = typeof b === 'object' && b?.message ? b.message : res.text || `HTTP ${res.status}`;
      throw new PazApiError(res.status, code, message + this.authHint(res.status), res.body);
    }
    return res.body as T;
  }

  listServices() {
    return this.call<{ doc: Array<Record<string, unknown>> }>('GET', '/services').then((r) => r.doc);
  }
  getService(name: string) {
    return this.call<{ doc: Record<string, unknown> }>('GET', `/services/${encodeURIComponent(name)}`).then((r) => r.doc);
  }
  createService(doc: Record<string, unknown>) {
    return this.call<{ doc: Record<string, unknown> }>('POST', '/services', doc).then((r) => r.doc);
  }
  deleteService(name: string) {
    return this.call<void>('DELETE', `/services/${encodeURIComponent(name)}`);
  }
  patchConfig(name: string, patch: Record<string, unknown>) {
    return this.call<{ doc: Record<string, unknown> }>('PATCH', `/services/${encodeURIComponent(name)}/config/next`, patch).then((r) => r.doc);
  }
  deploy(name: string, tag?: string) {
    return this.call<{ doc: { service: string; version: number; image: string } }>('POST', `/services/${encodeURIComponent(name)}/deploy`, tag ? { tag } : {}).then((r) => r.doc);
  }
  units(service?: string) {
    return this.call<Array<Record<string, unknown>>>('GET', service ? `/services/${encodeURIComponent(service)}/units` : '/cluster/units');
  }
  hosts() {
    return this.call<Array<Record<string, unknown>>>('GET', '/cluster/hosts');
  }
  /** Every kind of event (the scheduler's plain `/journal` shows deploys only, as Paz's did). */
  journal(service?: string) {
    return this.call<{ doc: Array<Record<string, unknown>> }>('GET', `/journal?all=true${service ? `&service=${encodeURIComponent(service)}` : ''}`, undefined, this.schedulerUrl).then((r) => r.doc);
  }
  rollback(name: string, version?: number) {
    return this.call<{ doc: { service: string; version: number; image: string; trigger: { rollbackOf?: number } } }>('POST', `/services/${encodeURIComponent(name)}/rollback`, version === undefined ? {} : { version }).then((r) => r.doc);
  }
  restart(name: string) {
    return this.call<{ doc: { service: string; version: number; image: string; trigger: { restartOf?: number } } }>('POST', `/services/${encodeURIComponent(name)}/restart`, {}).then((r) => r.doc);
  }
  /** `paz restart NAME --unit U`: a fresh instance replaces the unit, then it is retired */
  restartUnit(name: string, unit: string) {
    return this.call<{ doc: UnitRestart }>('POST', unitRestartPath(name, unit), {}).then((r) => r.doc);
  }
  unitRestart(name: string, unit: string) {
    return this.call<{ doc: UnitRestart }>('GET', unitRestartPath(name, unit)).then((r) => r.doc);
  }
  withdrawUnitRestart(name: string, unit: string) {
    return this.call<{ doc: { unit: string; withdrawn: boolean } }>('DELETE', unitRestartPath(name, unit)).then((r) => r.doc);
  }
  scale(name: string, numInstances: number) {
    return this.call<{ doc: { version: number; added: string[]; draining: string[] } }>('POST', `/services/${encodeURIComponent(name)}/scale`, { numInstances }).then((r) => r.doc);
  }
  rollout(name: string) {
    return this.call<{ doc: RolloutDoc }>('GET', `/services/${encodeURIComponent(name)}/rollout`).then((r) => r.doc);
  }
  createToken(name: string, role: string) {
    return this.call<{ id: string; name: string; role: string; token: string }>('POST', '/auth/tokens', { name, role });
  }
  tokens() {
    return this.call<{ doc: Array<{ id: string; name: string; role: string; createdAt: number; createdBy: string }> }>('GET', '/auth/tokens').then((r) => r.doc);
  }
  revokeToken(idOrName: string) {
    return this.call<{ doc: { id: string; name: string; role: string } }>('DELETE', `/auth/tokens/${encodeURIComponent(idOrName)}`).then((r) => r.doc);
  }
  versions(name: string) {
    return this.call<{ doc: Array<Record<string, unknown>> }>('GET', `/services/${encodeURIComponent(name)}/versions`).then((r) => r.doc);
  }
  setRegistryLogin(host: string, username: string, password: string) {
    return this.call<{ doc: RegistryLoginDoc }>('PUT', `/registries/${encodeURIComponent(host)}`, { username, password }).then((r) => r.doc);
  }
  registryLogins() {
    return this.call<{ doc: RegistryLoginDoc[] }>('GET', '/registries').then((r) => r.doc);
  }
  removeRegistryLogin(host: string) {
    return this.call<void>('DELETE', `/registries/${encodeURIComponent(host)}`);
  }
}

/** How a unit's restart goes (GET /services/:name/units/:id/restart). */
export interface UnitRestart {
  unit: string;
  service: string;
  state: 'replacing' | 'retiring' | 'replaced' | 'stuck';
  replacement?: string;
  reason?: string;
  since?: number;
  actor?: string;
}

function unitRestartPath(name: string, unit: string): string {
  return `/services/${encodeURIComponent(name)}/units/${encodeURIComponent(unit)}/restart`;
}
