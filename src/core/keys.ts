/**
 * The store's key layout. Paz-compatible where Paz had keys (`/paz/services/...`, `/paz/config/domain`);
 * the rest is ours. Every key Paz writes is built here, so this file is the layout's documentation.
 *
 * | key                                             | value                                               |
 * |-------------------------------------------------|-----------------------------------------------------|
 * | /paz/services/<component>                       | host:port of paz-orchestrator, -scheduler, -service-directory (lease) |
 * | /paz/services/<service>/<version>/<instance>    | ip:port of a healthy instance (lease; Paz's announce) |
 * | /paz/config/domain                              | the cluster domain (default `paz`)                  |
 * | /paz/config/volume-root                         | the directory host volumes must lie under (--volume-root) |
 * | /paz/config/host-loss-grace                     | seconds: the servers' --host-loss-grace, which agents fence themselves by |
 * | /paz/directory/services/<name>                  | ServiceDoc JSON                                     |
 * | /paz/directory/repositories/<repoKey>/<name>    | "" : index of services by image repository          |
 * | /paz/scheduler/latest/<name>                    | latest deployed version number (commits a deploy's units) |
 * | /paz/scheduler/locks/<name>                     | writer id holding the service's big-write lock (lease) |
 * | /paz/scheduler/pending/<name>                   | PendingWrite JSON: a chunked write in progress       |
 * | /paz/scheduler/deploys/<name>/<version>         | DeployRecord JSON (the full snapshot)               |
 * | /paz/scheduler/status/<name>/<version>         | RolloutStatus JSON: deploying, succeeded, failed   |
 * | /paz/scheduler/serving/<name>                   | the version that serves (last deploy that succeeded; 0: none) |
 * | /paz/scheduler/digests/<name>/<version>         | `sha256:…` the version runs, recorded once at first pull when the deploy could not ask the registry |
 * | /paz/scheduler/journal/<ms13>-<svc>-<ver>-<event> | JournalEntry JSON (key order = time order)        |
 * | /paz/scheduler/instances/<name>/<version>       | the highest instance number the version ever handed out (numbers are never reused) |
 * | /paz/units/desired/<service>/<unit>             | DesiredUnit JSON (written by the control plane)     |
 * | /paz/units/status/<unit>                        | UnitStatus JSON (written by the unit's agent)       |
 * | /paz/hosts/<id>                                 | HostRecord JSON (agent, lease = heartbeat)          |
 * | /paz/known-hosts/<id>                           | KnownHost JSON: a host as last seen, no lease (who is down, since when) |
 * | /paz/host-drains/<id>                           | HostDrainRecord JSON: the host is drained (paz host drain), no lease |
 * | /paz/routers/<hostId>                           | RouterReport JSON: requests in flight on draining units (agent lease) |
 * | /paz/elections/<name>                           | leader id (lease)                                   |
 * | /paz/auth/webhook-secret                        | the webhook secret, sealed (secret-box, context `webhook-secret`) |
 * | /paz/registries/<host>                          | RegistryLoginRecord JSON: username, password sealed with context `registry:<host>` |
 * | /paz/auth/tokens/<id>                           | TokenRecord JSON (hashed; core/tokens.ts)           |
 * | /paz/auth/token-names/<name>                    | id of the token of that name (keeps names unique)   |
 * | /paz/restore-in-progress                        | set by `paz restore` from its first write to its last; Paz will not start while it is there (core/backup-format.ts) |
 */

export const SERVICES_PREFIX = '/paz/services/';
export const COMPONENTS = ['paz-orchestrator', 'paz-scheduler', 'paz-service-directory'] as const;
export type Component = (typeof COMPONENTS)[number];

export const keys = {
  component: (name: string) => `/paz/services/${name}`,
  endpoint: (service: string, version: number, instance: number) => `/paz/services/${service}/${version}/${instance}`,
  endpointsOf: (service: string) => `/paz/services/${service}/`,
  domain: () => '/paz/config/domain',
  volumeRoot: () => '/paz/config/volume-root',
  hostLossGrace: () => '/paz/config/host-loss-grace',
  service: (name: string) => `/paz/directory/services/${name}`,
  servicesPrefix: () => '/paz/directory/services/',
  repoIndex: (repoKey: string, name: string) => `/paz/directory/repositories/${encodeURIComponent(repoKey)}/${name}`,
  repoIndexPrefix: (repoKey: string) => `/paz/directory/repositories/${encodeURIComponent(repoKey)}/`,
  latest: (name: string) => `/paz/scheduler/latest/${name}`,
  latestPrefix: () => '/paz/scheduler/latest/',
  writeLock: (name: string) => `/paz/scheduler/locks/${name}`,
  writeLocksPrefix: () => '/paz/scheduler/locks/',
  pendingWrite: (name: string) => `/paz/scheduler/pending/${name}`,
  pendingWritesPrefix: () => '/paz/scheduler/pending/',
  deploy: (name: string, version: number) => `/paz/scheduler/deploys/${name}/${version}`,
  deploysOf: (name: string) => `/paz/scheduler/deploys/${name}/`,
  rolloutStatus: (name: string, version: number) => `/paz/scheduler/status/${name}/${version}`,
  rolloutStatusesOf: (name: string) => `/paz/scheduler/status/${name}/`,
  serving: (name: string) => `/paz/scheduler/serving/${name}`,
  versionDigest: (name: string, version: number) => `/paz/scheduler/digests/${name}/${version}`,
  versionDigestsOf: (name: string) => `/paz/scheduler/digests/${name}/`,
  /** the highest instance number handed out in a version: state/instance-marks.ts */
  instancesIssued: (name: string, version: number) => `/paz/scheduler/instances/${name}/${version}`,
  journalPrefix: () => '/paz/scheduler/journal/',
  journal: (timestamp: number, service: string, version: number, event: string) =>
    `/paz/scheduler/journal/${String(timestamp).padStart(13, '0')}-${service}-${version}-${event}`,
  desiredUnit: (service: string, unit: string) => `/paz/units/desired/${service}/${unit}`,
  desiredUnitsOf: (service: string) => `/paz/units/desired/${service}/`,
  /** the desired units of one version of a service (the instance number follows the last dash) */
  desiredUnitsOfVersion: (service: string, version: number) => `/paz/units/desired/${service}/${service}-${version}-`,
  desiredUnitsPrefix: () => '/paz/units/desired/',
  unitStatus: (unit: string) => `/paz/units/status/${unit}`,
  unitStatusPrefix: () => '/paz/units/status/',
  host: (id: string) => `/paz/hosts/${id}`,
  hostsPrefix: () => '/paz/hosts/',
  knownHost: (id: string) => `/paz/known-hosts/${id}`,
  knownHostsPrefix: () => '/paz/known-hosts/',
  hostDrain: (id: string) => `/paz/host-drains/${id}`,
  hostDrainsPrefix: () => '/paz/host-drains/',
  /** a unit asked to restart (`paz restart NAME --unit U`): replaced by a fresh instance, then retired */
  unitRestart: (unit: string) => `/paz/unit-restarts/${unit}`,
  unitRestartsPrefix: () => '/paz/unit-restarts/',
  router: (hostId: string) => `/paz/routers/${hostId}`,
  routersPrefix: () => '/paz/routers/',
  election: (name: string) => `/paz/elections/${name}`,
  webhookSecret: () => '/paz/auth/webhook-secret',
  registryLogin: (host: string) => `/paz/registries/${host}`,
  registryLoginsPrefix: () => '/paz/registries/',
  token: (id: string) => `/paz/auth/tokens/${id}`,
  tokensPrefix: () => '/paz/auth/tokens/',
  tokenName: (name: string) => `/paz/auth/token-names/${name}`,
} as const;

/** Splits `/paz/services/<svc>/<ver>/<inst>` into its parts; undefined for component keys and others. */
export function parseEndpointKey(key: string): { service: string; version: number; instance: number } | undefined {
  if (!key.startsWith(SERVICES_PREFIX)) return undefined;
  const parts = key.slice(SERVICES_PREFIX.length).split('/');
  if (parts.length !== 3) return undefined;
  const version = Number(parts[1]);
  const instance = Number(parts[2]);
  if (!Number.isInteger(version) || !Number.isInteger(instance)) return undefined;
  return { service: parts[0], version, instance };
}
