/**
 * What the read routes answer, field by field: the OpenAPI documents show these, Fastify serializes with
 * them, and answer-types.ts derives the dashboard's TypeScript types from them (one source).
 *
 * Two rules keep the serializer from changing an answer (test/answer-schemas.test.ts checks every route):
 * - every object is open (`additionalProperties: true`): a field added to a record later is still sent,
 *   only undocumented until it is described here;
 * - no `default`: fast-json-stringify would write a default into answers that lack the field.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { HealthCheckSchema, PortSchema, ResourcesSchema, RolloutSchema } from '../core/service-spec.js';
import { JOURNAL_EVENTS } from '../core/records.js';

/** A copy of an input schema fit for answers: objects open, defaults and `$id`s removed. */
export function answerOf<T extends TSchema>(schema: T): T {
  const copy = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(copy);
    if (typeof value !== 'object' || value === null) return value;
    const out: Record<string | symbol, unknown> = {};
    for (const key of Reflect.ownKeys(value)) {
      if (key === 'default' || key === '$id') continue;
      out[key] = copy((value as Record<string | symbol, unknown>)[key]);
    }
    if (out.type === 'object' && 'properties' in out) out.additionalProperties = true;
    return out;
  };
  return copy(schema) as T;
}

const open = { additionalProperties: true } as const;
const ms = (description: string) => Type.Number({ description: `${description} (ms since the epoch)` });

export const PortAnswer = answerOf(PortSchema);

export const ServiceConfigAnswer = Type.Object(
  {
    publicFacing: Type.Boolean({ description: 'also answers on <name>.<domain> through the router' }),
    numInstances: Type.Integer({ description: 'instances to run' }),
    ports: Type.Array(PortAnswer),
    env: Type.Record(Type.String(), Type.Unknown({ description: 'a string, number or boolean; a secret shows as {"secret": true, "fingerprint": "<12 hex>"}, never its value' }), {
      description: 'environment variables',
    }),
    volume: Type.Record(Type.String(), Type.String(), { description: 'host path -> container path bind mounts' }),
    autoDeploy: Type.Optional(Type.String({ description: '"always" (deploy on every push; the default) or "never"' })),
    conflictsWith: Type.Optional(Type.String({ description: 'glob of services whose instances must not share a host with this one' })),
    mustShareWith: Type.Optional(Type.String({ description: 'service whose host this one must run on' })),
    loadBalanced: Type.Optional(Type.Boolean({ description: 'routed through the router (default true)' })),
    healthCheck: Type.Optional(answerOf(HealthCheckSchema)),
    resources: Type.Optional(answerOf(ResourcesSchema)),
    command: Type.Optional(Type.Array(Type.String(), { description: 'arguments that replace the image command' })),
    rollout: Type.Optional(answerOf(RolloutSchema)),
  },
  { ...open, description: "a service's config: what a deploy snapshots" },
);

export const ServiceAnswer = Type.Object(
  {
    name: Type.String(),
    description: Type.String(),
    dockerRepository: Type.String({ description: 'the image the service runs, e.g. 127.0.0.1:5000/team/app:1.2' }),
    config: ServiceConfigAnswer,
    createdTime: ms('when the service was created'),
    lastModifiedTime: Type.Optional(ms('when it last changed')),
  },
  { ...open, description: 'a service: its identity and the config the next deploy uses ("next")' },
);

export const DeployTriggerAnswer = Type.Object(
  {
    source: Type.String({ description: 'hook, dockerhub, registry, api, rollback, restart or cli' }),
    tag: Type.Optional(Type.String({ description: 'the pushed or asked-for tag' })),
    pushedAt: Type.Optional(Type.Number({ description: 'when the image was pushed, as the hook said' })),
    rollbackOf: Type.Optional(Type.Integer({ description: 'for rollbacks: the version whose snapshot was deployed again' })),
    restartOf: Type.Optional(Type.Integer({ description: 'for restarts: the serving version whose snapshot (and image digest) was started afresh' })),
    actor: Type.Optional(Type.String({ description: 'who asked: the API token name ("anonymous" with --no-auth)' })),
  },
  open,
);

export const DeployRecordAnswer = Type.Object(
  {
    service: Type.String(),
    version: Type.Integer(),
    timestamp: ms('when the version was deployed'),
    image: Type.String({ description: 'the image reference as deployed (tag included)' }),
    digest: Type.Optional(Type.String({ description: '"sha256:…" the version is pinned to; absent until known (recorded at first pull) and for the process driver' })),
    description: Type.String(),
    dockerRepository: Type.String(),
    config: ServiceConfigAnswer,
    trigger: DeployTriggerAnswer,
  },
  { ...open, description: 'one deployed version: the full snapshot, never changed afterwards' },
);

export const ConfigHistoryAnswer = Type.Record(Type.String({ description: 'version number' }), ServiceConfigAnswer, { description: 'version -> config' });

export const UnitSummaryAnswer = Type.Object(
  {
    name: Type.String(),
    version: Type.Integer(),
    state: Type.String({ description: 'unplaced, pending, pulling, starting, running, healthy, unhealthy, exited, failed, stopping or stopped' }),
    healthy: Type.Boolean(),
    reason: Type.Optional(Type.String({ description: 'why it is not running or healthy, for humans' })),
    draining: Type.Optional(Type.Literal(true, { description: 'an old instance routers send no new requests to, retired once its requests end' })),
  },
  open,
);

/** One version of GET /services/:name/versions: its record and how its deploy ended. */
export const VersionAnswer = Type.Object(
  {
    ...DeployRecordAnswer.properties,
    outcome: Type.Optional(
      Type.Object(
        {
          state: Type.String({ description: 'deploying, succeeded or failed' }),
          reason: Type.Optional(Type.String({ description: 'why it failed' })),
          startedAt: Type.Optional(ms('when the deploy started')),
          finishedAt: Type.Optional(ms('when it succeeded or failed')),
        },
        { ...open, description: "its deploy's outcome; absent for versions deployed before outcomes were recorded" },
      ),
    ),
  },
  { ...open, description: 'one deployed version with its outcome' },
);

export const RolloutAnswer = Type.Object(
  {
    service: Type.String(),
    version: Type.Integer({ description: 'the latest deploy' }),
    serving: Type.Integer({ description: 'the version that serves (the last deploy that succeeded); 0 while none has' }),
    state: Type.String({ description: 'deploying, succeeded or failed' }),
    reason: Type.Optional(Type.String({ description: 'why the deploy failed' })),
    strategy: Type.Optional(Type.String({ description: 'rolling or recreate' })),
    strategyReason: Type.Optional(Type.String({ description: 'why that strategy, when chosen automatically' })),
    startedAt: Type.Optional(ms('when the deploy started')),
    finishedAt: Type.Optional(ms('when it succeeded or failed')),
    units: Type.Array(UnitSummaryAnswer, { description: "the service's desired units, every version" }),
    stopping: Type.Array(Type.String(), { description: 'units no longer desired whose agents are still stopping them' }),
  },
  { ...open, description: "the latest deploy's progress" },
);

export const ScaleAnswer = Type.Object(
  {
    version: Type.Integer({ description: 'the version scaled' }),
    added: Type.Array(Type.String(), { description: 'units added' }),
    draining: Type.Array(Type.String(), { description: 'units being drained and retired' }),
  },
  open,
);

export const MachineStateAnswer = Type.Object(
  {
    ID: Type.String({ description: 'host id' }),
    PublicIP: Type.String({ description: 'the address instances on the host are reached at' }),
    Metadata: Type.Record(Type.String(), Type.String(), { description: 'host labels' }),
    Version: Type.String({ description: "the agent's Paz version" }),
    TotalResources: Type.Object(
      { Cores: Type.Number(), Memory: Type.Number({ description: 'MiB' }), Disk: Type.Number({ description: 'MiB' }) },
      open,
    ),
  },
  { ...open, description: "fleet's machine shape, as Paz's clients read it" },
);

export const UnitAnswer = Type.Object(
  {
    name: Type.String({ description: '<service>-<version>-<instance>' }),
    service: Type.String(),
    version: Type.Integer(),
    instance: Type.Integer(),
    loadState: Type.String({ description: 'fleet: always "loaded"' }),
    activeState: Type.String({ description: 'fleet: active, activating, deactivating, inactive or failed' }),
    subState: Type.String({ description: 'fleet: running, start-pre, start, stop, dead or failed' }),
    machineState: Type.Union([MachineStateAnswer, Type.Null()], { description: 'the host it is placed on; null while unplaced' }),
    state: Type.String({ description: 'unplaced until a host is chosen, then what its agent reports: pending, pulling, starting, running, healthy, unhealthy, exited, failed, stopping, stopped' }),
    healthy: Type.Boolean({ description: 'running and passing its health check' }),
    host: Type.Union([Type.String(), Type.Null()], { description: 'host id; null while unplaced' }),
    image: Type.String(),
    restarts: Type.Integer(),
    reason: Type.Optional(Type.String({ description: 'why it is not placed, running or healthy, for humans' })),
    endpoint: Type.Optional(Type.String({ description: 'ip:port the unit is reachable at' })),
    containerId: Type.Optional(Type.String()),
    exitCode: Type.Optional(Type.Integer()),
    ports: Type.Optional(Type.Array(Type.Object({ container: Type.Integer(), host: Type.Integer(), protocol: Type.String() }, open))),
    startedAt: Type.Optional(ms('when it started')),
    healthySince: Type.Optional(ms('since when its probe passes')),
    lastProbe: Type.Optional(Type.Object({ at: ms('when'), ok: Type.Boolean(), error: Type.Optional(Type.String({ description: 'why it failed' })) }, { ...open, description: 'the last health probe' })),
    lastOutput: Type.Optional(Type.Array(Type.String(), { description: 'the last lines of its output when it exited or failed' })),
    lastRestart: Type.Optional(Type.Object({ at: ms('when'), why: Type.String({ description: 'an exit (with its code and last line), an OOM kill, a failing health check' }) }, { ...open, description: 'the last time its agent restarted it, kept once it is healthy again' })),
    updatedAt: Type.Optional(ms("the agent's last report")),
  },
  { ...open, description: 'a unit (one instance of one version): desired, joined with what its agent reports' },
);

/** A drained host's drain (paz host drain): in GET /cluster/hosts, host health, and the drain routes' answers. */
export const HostDrainAnswer = Type.Object(
  {
    since: ms('drained since'),
    actor: Type.String({ description: 'who drained it (the API token\'s name)' }),
    state: Type.Union([Type.Literal('draining'), Type.Literal('drained'), Type.Literal('stuck')], {
      description: 'draining: units still on it, moving; drained: none left; stuck: some have no other eligible host and keep running there',
    }),
    remaining: Type.Integer({ description: 'units still placed on the host (retiring ones included)' }),
    stuck: Type.Array(Type.Object({ unit: Type.String(), reason: Type.String() }), { description: 'units that cannot move, and why' }),
  },
  { description: "the host's drain: no new units go there, and its units move to other hosts (replacement first, then the old one retires)" },
);

/** The answer of POST /cluster/hosts/:id/drain and /undrain. */
export const HostDrainChangeAnswer = Type.Object(
  {
    host: Type.String(),
    drained: Type.Boolean({ description: 'whether the host is drained now' }),
    changed: Type.Boolean({ description: 'false when it already was so' }),
    drain: Type.Optional(HostDrainAnswer),
  },
  { ...open, description: 'the host after the change' },
);

export const HostAnswer = Type.Object(
  {
    ...MachineStateAnswer.properties,
    hostname: Type.String(),
    healthy: Type.Boolean({ description: 'its agent heartbeats' }),
    agentUrl: Type.String({ description: "base URL of the host's agent" }),
    driver: Type.String({ description: 'docker or process' }),
    heartbeatAt: ms('the last heartbeat'),
    units: Type.Array(Type.String(), { description: 'units placed on the host' }),
    drain: Type.Optional(HostDrainAnswer),
  },
  { ...open, description: 'a host, with the units placed on it' },
);

export const ClusterAnswer = Type.Object(
  {
    hostCount: Type.Integer(),
    healthyHostCount: Type.Integer(),
    unitCount: Type.Integer(),
    healthyUnitCount: Type.Integer(),
    unplacedUnitCount: Type.Integer(),
    serviceCount: Type.Integer({ description: 'services with at least one unit' }),
  },
  { ...open, description: 'cluster summary' },
);

export const HealthAnswer = Type.Object({ healthy: Type.Boolean() }, open);

export const JournalEntryAnswer = Type.Object(
  {
    event: Type.String({ description: `one of ${JOURNAL_EVENTS.join(', ')}` }),
    serviceName: Type.String({ description: "'' for events of no service (tokens, registries)" }),
    version: Type.Integer(),
    timestamp: ms('when'),
    message: Type.Optional(Type.String()),
    actor: Type.Optional(Type.String({ description: "who made the change (API token name); absent for Paz's own (deploy outcomes)" })),
    token: Type.Optional(Type.String({ description: "token events: the token's name" })),
    registry: Type.Optional(Type.String({ description: 'registry credential events: the registry host' })),
    config: Type.Record(Type.String(), Type.Unknown(), { description: 'the config of the version named; {} when there is none' }),
  },
  { ...open, description: 'one journal entry' },
);

export const TokenInfoAnswer = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    role: Type.String({ description: 'admin, deployer or read-only' }),
    createdAt: ms('when it was made'),
    createdBy: Type.String({ description: 'who made it' }),
  },
  open,
);

export const RegistryLoginAnswer = Type.Object(
  {
    host: Type.String({ description: 'registry host[:port]' }),
    username: Type.String(),
    fingerprint: Type.String({ description: '12 hex digits keyed with the secrets key: tells whether the password changed, reveals nothing' }),
    updatedAt: ms('when it was set'),
  },
  open,
);

/** Paz's `{"doc": …}` envelope around an answer. */
export const DocOf = <T extends TSchema>(doc: T, description?: string) => Type.Object({ doc }, { ...open, ...(description ? { description } : {}) });
