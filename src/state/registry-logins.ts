/**
 * Registry credentials in the store, one record per registry host under `/paz/registries/<host>`, the
 * password sealed with the cluster's secrets key (context `registry:<host>`). The admin API writes them; the
 * control plane opens them to ask a registry for a digest, each agent to pull. What may be shown of a login
 * is its host, username and a keyed fingerprint of the password, never the password.
 */
import type { Store } from '../store/store.js';
import { keys } from '../core/keys.js';
import { PazError } from '../core/errors.js';
import { getJson, rangeJson } from '../store/json.js';
import { fingerprint, open, seal, type SecretKey } from '../core/secret-box.js';
import { loginContext, loginHost, loginProblem, type RegistryLogin } from '../core/registry-auth.js';
import { registryOf } from '../core/image-ref.js';
import { clusterAuditPut } from '../core/audit.js';

/** What is stored: the password only sealed. */
interface RegistryLoginRecord {
  host: string;
  username: string;
  password: string;
  fingerprint: string;
  updatedAt: number;
}

/** What the API shows of a login. */
export interface RegistryLoginView {
  host: string;
  username: string;
  /** 12 hex digits keyed with the secrets key: tells whether the password changed, reveals nothing */
  fingerprint: string;
  updatedAt: number;
}

export class RegistryLogins {
  constructor(
    private readonly store: Store,
    private readonly key: SecretKey,
    private readonly now: () => number = Date.now,
  ) {}

  /** The canonical host, or a 400 saying what is wrong with it. */
  static host(host: string): string {
    const r = loginHost(host);
    if ('problem' in r) throw new PazError('VALIDATION', `${r.problem}; name the registry as image references do, e.g. ghcr.io, docker.io or 127.0.0.1:5001`, { host: host.slice(0, 100) });
    return r.host;
  }

  /** `actor`: who set it (the API token's name), journalled with the change (never the password). */
  async set(host: string, login: { username?: unknown; password?: unknown }, actor = 'anonymous'): Promise<RegistryLoginView> {
    const h = RegistryLogins.host(host);
    const why = loginProblem(login);
    if (why) throw new PazError('VALIDATION', `registry login for ${h}: ${why}`);
    const { username, password } = login as RegistryLogin;
    const record: RegistryLoginRecord = {
      host: h,
      username,
      password: seal(this.key, password, loginContext(h)),
      fingerprint: fingerprint(this.key, password),
      updatedAt: this.now(),
    };
    const message = `credentials for registry ${h} (user ${username}) set by ${actor}`;
    await this.store.txn({
      compare: [],
      success: [
        { type: 'put', key: keys.registryLogin(h), value: JSON.stringify(record) },
        clusterAuditPut({ event: 'registry-login-set', subject: h, actor, message, fields: { registry: h } }, record.updatedAt),
      ],
    });
    return view(record);
  }

  async list(): Promise<RegistryLoginView[]> {
    const { entries } = await rangeJson<RegistryLoginRecord>(this.store, keys.registryLoginsPrefix());
    return entries.map((e) => view(e.value));
  }

  /** Removes the host's login; 404 when there is none. */
  async remove(host: string, actor = 'anonymous'): Promise<void> {
    const h = RegistryLogins.host(host);
    const key = keys.registryLogin(h);
    const message = `credentials for registry ${h} removed by ${actor}`;
    const { succeeded } = await this.store.txn({
      compare: [{ key, target: 'createRevision', op: '>', value: 0 }],
      success: [{ type: 'delete', key }, clusterAuditPut({ event: 'registry-login-removed', subject: h, actor, message, fields: { registry: h } }, this.now())],
    });
    if (!succeeded) {
      throw new PazError('REGISTRY_LOGIN_NOT_FOUND', `no credentials are set for registry ${h} (paz registry ls lists them)`, { host: h });
    }
  }

  /** The opened login of a registry host, or undefined; throws SecretKeyError when this host's key cannot open it. */
  async open(host: string): Promise<RegistryLogin | undefined> {
    const r = loginHost(host);
    if ('problem' in r) return undefined;
    const record = await getJson<RegistryLoginRecord>(this.store, keys.registryLogin(r.host));
    if (!record) return undefined;
    return { username: record.username, password: open(this.key, record.password, loginContext(r.host)) };
  }

  /** The login of the registry `image` is pulled from (Docker Hub names: docker.io), or undefined. */
  forImage(image: string): Promise<RegistryLogin | undefined> {
    return this.open(registryOf(image));
  }
}

function view(r: RegistryLoginRecord): RegistryLoginView {
  return { host: r.host, username: r.username, fingerprint: r.fingerprint, updatedAt: r.updatedAt };
}
