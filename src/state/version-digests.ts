/**
 * Digests recorded at first pull: when a deploy could not ask the registry (unreachable, or an image that
 * exists only on the host), the first agent that pulls the version's image records the digest it got, once
 * (create-only), beside the deploy record. Every later instance of that version (a restart, a replacement
 * on another host, a rollback to it) then runs that digest, not whatever the tag points to by then.
 */
import type { Store } from '../store/store.js';
import { keys } from '../core/keys.js';
import { isImageDigest } from '../core/image-ref.js';

export class VersionDigests {
  constructor(private readonly store: Store) {}

  async get(service: string, version: number): Promise<string | undefined> {
    const kv = await this.store.get(keys.versionDigest(service, version));
    return kv && isImageDigest(kv.value) ? kv.value : undefined;
  }

  /** Every recorded digest of a service, by version. */
  async all(service: string): Promise<Map<number, string>> {
    const prefix = keys.versionDigestsOf(service);
    const out = new Map<number, string>();
    for (const kv of (await this.store.range(prefix)).kvs) {
      const v = Number(kv.key.slice(prefix.length));
      if (Number.isInteger(v) && isImageDigest(kv.value)) out.set(v, kv.value);
    }
    return out;
  }

  /**
   * Records `digest` for the version unless one is recorded already; returns the digest that holds (the
   * first writer wins, so two hosts pulling at once agree on one digest).
   */
  async recordOnce(service: string, version: number, digest: string): Promise<string> {
    if (!isImageDigest(digest)) throw new Error(`not an image digest: ${JSON.stringify(digest)}`);
    const key = keys.versionDigest(service, version);
    const res = await this.store.txn({
      compare: [{ key, target: 'createRevision', op: '=', value: 0 }],
      success: [{ type: 'put', key, value: digest }],
    });
    if (res.succeeded) return digest;
    return (await this.get(service, version)) ?? digest;
  }
}
