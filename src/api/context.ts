/** What the HTTP handlers work with: the store and the records kept in it. */
import type { Store } from '../store/store.js';
import { Directory } from '../state/directory.js';
import { Deploys } from '../state/deploys.js';
import { ClusterView } from '../state/cluster.js';
import { HealthView } from '../state/health.js';
import { DEFAULT_HOST_LOSS_GRACE_SECONDS } from '../core/heartbeat.js';
import { newSecretKey, type SecretKey } from '../core/secret-box.js';
import { newClusterToken } from '../core/cluster-token.js';
import { DigestResolver } from '../state/digest-resolver.js';
import { RegistryLogins } from '../state/registry-logins.js';
import { Tokens } from '../state/tokens.js';
import type { ApiAuth } from '../http/auth.js';
import { StoreMirror } from '../state/store-mirror.js';

export interface ApiContext {
  store: Store;
  directory: Directory;
  deploys: Deploys;
  cluster: ClusterView;
  /** health at the cluster, host and service level */
  health: HealthView;
  /** seals and opens secrets (env values marked secret, registry credentials, the webhook secret) */
  secretKey: SecretKey;
  /** 'tokens': every route but /health needs a token (see http/access.ts); 'off': the loopback-only --no-auth switch */
  authMode: AuthMode;
  /** API tokens (hashed in the store) */
  tokens: Tokens;
  /** what the orchestrator shows an agent when it asks for a unit's logs or stats (roles/cluster-token.ts) */
  clusterToken: string;
  /** the store in memory, kept current by a watch, for GET answers (api/read-at.ts) */
  reads: StoreMirror;
}

export type AuthMode = 'tokens' | 'off';

/**
 * Without a key (tests, `paz docs`) a random one is made: nothing sealed with it outlives the process.
 * Without a cluster token, likewise: no agent then accepts this process's log and stats calls.
 */
export function createContext(
  store: Store,
  now: () => number = Date.now,
  secretKey: SecretKey = newSecretKey(),
  authMode: AuthMode = 'off',
  clusterToken: string = newClusterToken(),
  hostLossGraceSeconds: number = DEFAULT_HOST_LOSS_GRACE_SECONDS,
): ApiContext {
  // deploys ask registries for digests with the logins set through /registries
  const digests = new DigestResolver({ credentials: (registry) => new RegistryLogins(store, secretKey).open(registry) });
  const directory = new Directory(store, now, secretKey);
  const deploys = new Deploys(store, now, digests);
  return {
    store,
    directory,
    deploys,
    cluster: new ClusterView(store, now),
    health: new HealthView(store, directory, deploys, hostLossGraceSeconds * 1000, now),
    secretKey,
    authMode,
    tokens: new Tokens(store, now),
    clusterToken,
    reads: new StoreMirror(store),
  };
}

/** What the API servers' auth check uses (createApp's `auth` option): the token store, or 'off'. */
export function apiAuth(ctx: ApiContext): ApiAuth {
  return ctx.authMode === 'tokens' ? ctx.tokens : 'off';
}
