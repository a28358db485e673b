/**
 * The cluster's webhook secret: made when an admin first asks for it, stored sealed with the secrets key at
 * /paz/auth/webhook-secret, rotated by an admin. Read from the store on every use (hooks are rare), so a
 * rotation takes effect at once on every control plane.
 */
import type { Store } from '../store/store.js';
import { keys } from '../core/keys.js';
import { clusterAuditPut } from '../core/audit.js';
import { open, seal, type SecretKey } from '../core/secret-box.js';
import { newWebhookSecret } from '../core/webhook-proof.js';

const CONTEXT = 'webhook-secret';

export interface WebhookSecretRecord {
  secret: string;
  /** when this secret was made (ms since the epoch) */
  createdAt: number;
}

interface Stored {
  sealed: string;
  createdAt: number;
}

export class WebhookSecret {
  constructor(
    private readonly store: Store,
    private readonly key: SecretKey,
    private readonly now: () => number = Date.now,
  ) {}

  /** The secret, made and stored when there is none yet (two servers racing agree on the first one written). */
  async current(): Promise<WebhookSecretRecord> {
    const found = await this.read();
    if (found) return found;
    const fresh = this.fresh();
    const key = keys.webhookSecret();
    const { succeeded } = await this.store.txn({
      compare: [{ key, target: 'createRevision', op: '=', value: 0 }],
      success: [{ type: 'put', key, value: JSON.stringify(this.sealed(fresh)) }],
    });
    if (succeeded) return fresh;
    const winner = await this.read();
    if (!winner) throw new Error(`${key} was written and is gone again`);
    return winner;
  }

  /** A new secret replaces the old one, which is refused from now on. */
  async rotate(actor = 'anonymous'): Promise<WebhookSecretRecord> {
    const fresh = this.fresh();
    await this.store.txn({
      compare: [],
      success: [
        { type: 'put', key: keys.webhookSecret(), value: JSON.stringify(this.sealed(fresh)) },
        clusterAuditPut({ event: 'webhook-secret-rotated', subject: 'webhook-secret', actor, message: `webhook secret rotated by ${actor}` }, fresh.createdAt),
      ],
    });
    return fresh;
  }

  private fresh(): WebhookSecretRecord {
    return { secret: newWebhookSecret(), createdAt: this.now() };
  }

  private sealed(rec: WebhookSecretRecord): Stored {
    return { sealed: seal(this.key, rec.secret, CONTEXT), createdAt: rec.createdAt };
  }

  /** The secret if one was made; reading never makes one (a refused hook call writes nothing). */
  async read(): Promise<WebhookSecretRecord | undefined> {
    const kv = await this.store.get(keys.webhookSecret());
    if (!kv) return undefined;
    const stored = JSON.parse(kv.value) as Stored;
    return { secret: open(this.key, stored.sealed, CONTEXT), createdAt: stored.createdAt };
  }
}
