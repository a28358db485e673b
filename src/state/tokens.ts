/**
 * API tokens in the store: `/paz/auth/tokens/<id>` holds the hashed record, `/paz/auth/token-names/<name>`
 * the id of that name (a create takes the name in the same transaction, so names stay unique). Every
 * create and revoke is journalled with who did it.
 *
 * Lookups are cached for at most CACHE_MS (1 s): a request costs no store read while its token was seen
 * within the last second, and a revoked token stops working within about a second on every server.
 */
import type { Store, TxnOp } from '../store/store.js';
import { PazError } from '../core/errors.js';
import { keys } from '../core/keys.js';
import { newToken, tokenId, tokenMatches, tokenNameProblem, type Identity, type Role, type TokenInfo, type TokenRecord, type TokenVerifier } from '../core/tokens.js';
import { clusterAuditPut } from '../core/audit.js';
import { getJson, rangeJson } from '../store/json.js';

export const CACHE_MS = 1000;
const MAX_CAS_ATTEMPTS = 20;

function info(r: TokenRecord): TokenInfo {
  return { id: r.id, name: r.name, role: r.role, createdAt: r.createdAt, createdBy: r.createdBy };
}

function journalOp(event: 'token-created' | 'token-revoked', r: TokenRecord, actor: string, now: number): TxnOp {
  const message = `token "${r.name}" (${r.role}) ${event === 'token-created' ? 'created' : 'revoked'} by ${actor}`;
  return clusterAuditPut({ event, subject: r.name, actor, message, fields: { token: r.name } }, now);
}

export class Tokens implements TokenVerifier {
  private readonly cache = new Map<string, { record: TokenRecord | undefined; at: number }>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /** Makes a token; the answer's `token` is the only time its text exists outside its owner. */
  async create(name: string, role: Role, actor: string): Promise<TokenInfo & { token: string }> {
    const why = tokenNameProblem(name);
    if (why) throw new PazError('VALIDATION', `token name "${name}" ${why}`, { field: 'name' });
    const t = newToken();
    const now = this.now();
    const record: TokenRecord = { id: t.id, name, role, createdAt: now, createdBy: actor, hash: t.hash };
    const res = await this.store.txn({
      compare: [
        { key: keys.tokenName(name), target: 'createRevision', op: '=', value: 0 },
        { key: keys.token(t.id), target: 'createRevision', op: '=', value: 0 },
      ],
      success: [
        { type: 'put', key: keys.token(t.id), value: JSON.stringify(record) },
        { type: 'put', key: keys.tokenName(name), value: t.id },
        journalOp('token-created', record, actor, now),
      ],
    });
    if (!res.succeeded) {
      if (await this.store.get(keys.tokenName(name))) {
        throw new PazError('TOKEN_EXISTS', `a token named "${name}" exists: choose another name, or revoke it first (paz token revoke ${name})`, { name });
      }
      throw new PazError('CONFLICT', 'token id collision: try again');
    }
    return { ...info(record), token: t.token };
  }

  /** Every token, oldest first, without hashes. */
  async list(): Promise<TokenInfo[]> {
    return (await this.records()).map(info).sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
  }

  async hasAdmin(): Promise<boolean> {
    return (await this.records()).some((r) => r.role === 'admin');
  }

  async count(): Promise<number> {
    return (await this.records()).length;
  }

  /**
   * Revokes a token by id or name. The last admin token is kept (409): without it nobody could make or
   * revoke tokens any more. The other admins' records are compared in the same transaction, so two
   * concurrent revocations cannot remove the last two admins.
   */
  async revoke(idOrName: string, actor: string): Promise<TokenInfo> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const all = await rangeJson<TokenRecord>(this.store, keys.tokensPrefix());
      const target = all.entries.find((e) => e.value.id === idOrName) ?? all.entries.find((e) => e.value.name === idOrName);
      if (!target) throw new PazError('TOKEN_NOT_FOUND', `no token with the id or name "${idOrName}": list them with paz token ls (GET /auth/tokens)`, { token: idOrName });
      const otherAdmins = all.entries.filter((e) => e.value.role === 'admin' && e.key !== target.key);
      if (target.value.role === 'admin' && otherAdmins.length === 0) {
        throw new PazError('LAST_ADMIN_TOKEN', `"${target.value.name}" is the last admin token: without one nobody could make or revoke tokens. Create another admin token first (paz token create NAME --role admin), then revoke this one`, { token: target.value.name });
      }
      const now = this.now();
      const res = await this.store.txn({
        compare: [
          { key: target.key, target: 'modRevision', op: '=', value: target.kv.modRevision },
          ...(target.value.role === 'admin' ? otherAdmins.map((e) => ({ key: e.key, target: 'modRevision' as const, op: '=' as const, value: e.kv.modRevision })) : []),
        ],
        success: [{ type: 'delete', key: target.key }, { type: 'delete', key: keys.tokenName(target.value.name) }, journalOp('token-revoked', target.value, actor, now)],
      });
      if (res.succeeded) {
        this.cache.delete(target.value.id);
        return info(target.value);
      }
    }
    throw new PazError('CONFLICT', 'tokens are being changed by others right now: try again');
  }

  /** The identity a token names, or undefined for anything else (unknown, revoked, malformed). */
  async verify(token: string): Promise<Identity | undefined> {
    const id = tokenId(token);
    if (!id) return undefined;
    const record = await this.lookup(id);
    if (!record || !tokenMatches(record, token)) return undefined;
    return { name: record.name, role: record.role };
  }

  private async lookup(id: string): Promise<TokenRecord | undefined> {
    const now = this.now();
    const hit = this.cache.get(id);
    if (hit && now - hit.at < CACHE_MS && now >= hit.at) return hit.record;
    const record = await getJson<TokenRecord>(this.store, keys.token(id));
    // bounded: unknown ids are cached too (a flood of made-up ids must not grow memory without end)
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(id, { record, at: now });
    return record;
  }

  private async records(): Promise<TokenRecord[]> {
    return (await rangeJson<TokenRecord>(this.store, keys.tokensPrefix())).entries.map((e) => e.value);
  }
}
