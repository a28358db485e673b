/**
 * The TypeScript types of what the API answers, derived from the same schemas the routes serialize with
 * (answer-schemas.ts), for clients that `import type` them (the dashboard in web/). Type-only: importing
 * this file pulls no server code into a bundle.
 */
import type { Static } from '@sinclair/typebox';
import type * as S from './answer-schemas.js';

/** Paz's envelope: most answers are `{"doc": …}`. */
export interface DocAnswer<T> {
  doc: T;
}

export type ServiceConfig = Static<typeof S.ServiceConfigAnswer>;
export type Port = Static<typeof S.PortAnswer>;
/** GET /services (doc: Service[]), GET /services/:name */
export type Service = Static<typeof S.ServiceAnswer>;
export type DeployTrigger = Static<typeof S.DeployTriggerAnswer>;
/** GET /services/:name/versions (doc: DeployRecord[]), POST …/deploy and …/rollback */
export type DeployRecord = Static<typeof S.DeployRecordAnswer>;
/** GET /services/:name/versions: a record with its deploy's outcome */
export type Version = Static<typeof S.VersionAnswer>;
/** GET /services/:name/config/history */
export type ConfigHistory = Static<typeof S.ConfigHistoryAnswer>;
/** GET /services/:name/rollout */
export type Rollout = Static<typeof S.RolloutAnswer>;
export type UnitSummary = Static<typeof S.UnitSummaryAnswer>;
/** POST /services/:name/scale */
export type ScaleResult = Static<typeof S.ScaleAnswer>;
export type MachineState = Static<typeof S.MachineStateAnswer>;
/** GET /cluster/units, /services/:name/units (arrays), /cluster/units/:id, /services/:name/units/:id (not wrapped in doc) */
export type Unit = Static<typeof S.UnitAnswer>;
/** GET /cluster/hosts (array), /cluster/hosts/:id (not wrapped in doc) */
export type Host = Static<typeof S.HostAnswer>;
/** GET /cluster (not wrapped in doc) */
export type ClusterSummary = Static<typeof S.ClusterAnswer>;
/** GET /journal (doc: JournalEntry[]) */
export type JournalEntry = Static<typeof S.JournalEntryAnswer>;
/** GET /auth/tokens (doc: TokenInfo[]) */
export type TokenInfo = Static<typeof S.TokenInfoAnswer>;
/** GET /registries (doc: RegistryLogin[]) */
export type RegistryLogin = Static<typeof S.RegistryLoginAnswer>;

/** The response header every store-reading GET carries: the revision to follow /events from (?since=). */
export const REVISION_HEADER = 'x-paz-revision';

/**
 * GET /cluster/health, /cluster/hosts/:id/health, /services/:name/health (not wrapped in doc): the
 * verdicts of src/core/health-levels.ts, which health-routes.ts's schemas describe field by field.
 */
export type { ClusterHealth, HostHealth, ServiceHealth, UnitHealth, HealthStatus } from '../core/health-levels.js';
