/**
 * The service document: its schemas (which double as API docs), defaults, and the checks that JSON
 * Schema cannot express, each with a message that says what to fix. Pure.
 *
 * A stored service keeps Paz's shape: identity (`name`, `description`, `dockerRepository`) at the root,
 * everything else under `config`. The create document is flat, as in Paz and the seed README; the seed's
 * `dockerImage` is accepted as an alias of `dockerRepository`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { PazError } from './errors.js';
import { imageRefProblem } from './image-ref.js';
import { MAX_INSTANCES, ROLLOUT_DEFAULTS } from './rollout-defaults.js';
import { isSealedSecret, type SealedSecret, type SecretInput } from './secret-env.js';
import { HEALTH_CHECK_DEFAULTS } from './health-check-defaults.js';

/** A string enum as plain JSON Schema `enum`, so validation errors can list the allowed values. */
function StringEnum<T extends string[]>(values: [...T], opts: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: values, ...opts });
}

export const PortSchema = Type.Object(
  {
    container: Type.Integer({ minimum: 1, maximum: 65535, description: 'port the process listens on inside the container' }),
    host: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'fixed host port; omitted: a free port is chosen' })),
    protocol: Type.Optional(StringEnum(['tcp', 'udp'])),
  },
  { additionalProperties: false },
);
export type Port = Static<typeof PortSchema>;

export { HEALTH_CHECK_DEFAULTS } from './health-check-defaults.js';

export const HealthCheckSchema = Type.Object(
  {
    type: Type.Optional(
      StringEnum(['http', 'tcp'], {
        description:
          'http: a GET of `path` must answer 2xx, or without a path any HTTP answer below 500 counts (the app answers); ' +
          'tcp: the app listens on the port inside its own network namespace. Default: http when a path is set or the ' +
          'service is load-balanced (routed traffic is HTTP), tcp for loadBalanced: false. A plain TCP connect is never ' +
          "enough: Docker's userland proxy accepts connections while nothing listens in the container.",
      }),
    ),
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'HTTP path that must answer 2xx (implies type http); omitted: see type' })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'container port to probe; default: the first port' })),
    intervalSeconds: Type.Optional(Type.Number({ minimum: 0.1, maximum: 3600, default: HEALTH_CHECK_DEFAULTS.intervalSeconds })),
    timeoutSeconds: Type.Optional(Type.Number({ minimum: 0.1, maximum: 600, default: HEALTH_CHECK_DEFAULTS.timeoutSeconds })),
    healthyThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: HEALTH_CHECK_DEFAULTS.healthyThreshold })),
    unhealthyThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: HEALTH_CHECK_DEFAULTS.unhealthyThreshold })),
    gracePeriodSeconds: Type.Optional(
      Type.Number({ minimum: 0, maximum: 3600, default: HEALTH_CHECK_DEFAULTS.gracePeriodSeconds, description: 'how long a unit that has not been healthy yet is given to start answering: its failed probes count (and restart it) only after this; once healthy, failures count at once' }),
    ),
  },
  { additionalProperties: false },
);
export type HealthCheck = Static<typeof HealthCheckSchema>;

export const ResourcesSchema = Type.Object(
  {
    cpus: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1024, description: 'CPU limit in cores, e.g. 0.5' })),
    memoryMb: Type.Optional(Type.Integer({ minimum: 4, maximum: 4194304, description: 'memory limit in MiB' })),
  },
  { additionalProperties: false },
);

export const RolloutSchema = Type.Object(
  {
    strategy: Type.Optional(
      StringEnum(['rolling', 'recreate'], {
        description:
          'rolling: new instances start beside the old ones, which drain once all new ones are healthy. recreate: the old instances drain and stop first, then the new ones start (a gap). Omitted: rolling, or recreate when the new instances cannot run beside the old ones (a fixed host port other than the router\'s)',
      }),
    ),
    maxSurge: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_INSTANCES, default: ROLLOUT_DEFAULTS.maxSurge, description: 'new instances started at once beside the old ones (default: all)' })),
    healthyDeadlineSeconds: Type.Optional(
      Type.Number({ minimum: 1, maximum: 86400, default: ROLLOUT_DEFAULTS.healthyDeadlineSeconds, description: 'each new instance must be healthy this long after it may start, or the deploy fails and the serving version keeps serving' }),
    ),
    minHealthySeconds: Type.Optional(
      Type.Number({ minimum: 0, maximum: 3600, default: ROLLOUT_DEFAULTS.minHealthySeconds, description: 'a new instance counts as healthy for the deploy only after it stayed healthy this long (like Nomad\'s min_healthy_time)' }),
    ),
    drainSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 3600, default: ROLLOUT_DEFAULTS.drainSeconds, description: 'how long old instances may finish in-flight requests' })),
    stopGraceSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 3600, default: ROLLOUT_DEFAULTS.stopGraceSeconds, description: 'SIGTERM to SIGKILL delay' })),
  },
  { additionalProperties: false },
);

/**
 * One JSON Schema (not anyOf) so a wrong value gets one clear message; what a secret object must hold beyond
 * this is checked by sealEnv (secret-env.ts).
 */
const EnvValue = Type.Unsafe<string | number | boolean | SecretInput>({
  type: ['string', 'number', 'boolean', 'object'],
  description:
    'string, number or boolean; or a secret: {"secret": "<value>"} sets it (stored sealed, never shown again), ' +
    '{"secret": true, "fingerprint": "<12 hex>"} keeps the one the service has (what GET shows)',
  properties: {
    secret: { type: ['string', 'boolean'], description: 'the value, or true with fingerprint to keep the current one' },
    fingerprint: { type: 'string', description: "12 hex digits, as GET shows a secret: keeps the service's current value" },
  },
  required: ['secret'],
  additionalProperties: false,
});

/** Config fields: what `PATCH …/config(/next)` may change, and what each deploy snapshots. */
const configFields = {
  publicFacing: Type.Optional(Type.Boolean({ description: 'also answer on <name>.<domain> (the cluster domain) through the router; every load-balanced service answers on <name>.paz (default false; takes effect at the next deploy)' })),
  numInstances: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_INSTANCES, description: 'instances to run (0 stops the service without deleting it)' })),
  ports: Type.Optional(Type.Array(PortSchema, { maxItems: 64 })),
  env: Type.Optional(Type.Record(Type.String(), EnvValue, { description: 'environment variables' })),
  volume: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'host path -> container path bind mounts' })),
  autoDeploy: Type.Optional(StringEnum(['always', 'never'], { description: 'deploy on every registry push of the repository (default always)' })),
  conflictsWith: Type.Optional(Type.String({ maxLength: 255, description: 'glob of service names whose instances must not share a host with this one' })),
  mustShareWith: Type.Optional(Type.String({ maxLength: 255, description: 'service whose host this one must run on' })),
  loadBalanced: Type.Optional(Type.Boolean({ description: 'route <name>.paz (and, if publicFacing, <name>.<domain>) through the router (default true); false: no router backend, clients use the instances\' own published ports, and a unit asking for the router\'s port still gets a free one' })),
  healthCheck: Type.Optional(HealthCheckSchema),
  resources: Type.Optional(ResourcesSchema),
  command: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 256, description: 'arguments that replace the image command' })),
  rollout: Type.Optional(RolloutSchema),
};

export const ConfigPatchSchema = Type.Object(configFields, { additionalProperties: false, $id: 'ConfigPatch' });
export type ConfigPatch = Static<typeof ConfigPatchSchema>;

export const CreateServiceSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255, description: 'DNS label, 3 to 50 characters: lowercase letters, digits, hyphens' }),
    description: Type.Optional(Type.String({ maxLength: 4096 })),
    dockerRepository: Type.Optional(Type.String({ maxLength: 512, description: 'image to run, e.g. 127.0.0.1:5000/team/app:1.2' })),
    dockerImage: Type.Optional(Type.String({ maxLength: 512, description: 'alias of dockerRepository (the seed README spelling)' })),
    ...configFields,
  },
  { additionalProperties: false, $id: 'CreateService' },
);
export type CreateServiceBody = Static<typeof CreateServiceSchema>;

export interface ServiceConfig {
  publicFacing: boolean;
  numInstances: number;
  ports: Port[];
  /** plain values, and secrets as stored (sealed, see secret-env.ts) */
  env: Record<string, string | number | boolean | SealedSecret>;
  volume: Record<string, string>;
  autoDeploy?: 'always' | 'never';
  conflictsWith?: string;
  mustShareWith?: string;
  loadBalanced?: boolean;
  healthCheck?: HealthCheck;
  resources?: { cpus?: number; memoryMb?: number };
  command?: string[];
  rollout?: Static<typeof RolloutSchema>;
}

export interface ServiceDoc {
  name: string;
  description: string;
  dockerRepository: string;
  config: ServiceConfig;
  createdTime: number;
  lastModifiedTime?: number;
}

export const DEFAULT_CONFIG: ServiceConfig = { publicFacing: false, numInstances: 1, ports: [], env: {}, volume: {} };

export const MIN_NAME = 3;
export const MAX_NAME = 50;

/** Why a service name is unusable, or undefined. Names become DNS labels (`<name>.paz`) and unit names. */
export function serviceNameProblem(name: string): string | undefined {
  if (name.length < MIN_NAME) return `name "${name}" is too short: use at least ${MIN_NAME} characters`;
  if (name.length > MAX_NAME) return `name is ${name.length} characters long: use at most ${MAX_NAME}`;
  if (/[A-Z]/.test(name)) return `name "${name}" has uppercase letters: service names are DNS labels, use "${name.toLowerCase()}"`;
  if (!/^[a-z0-9-]+$/.test(name)) return `name "${name}" may contain only lowercase letters, digits and hyphens (it becomes <name>.paz)`;
  if (name.startsWith('-') || name.endsWith('-')) return `name "${name}" must start and end with a letter or digit`;
  if (name === 'paz' || name.startsWith('paz-')) return `name "${name}" is reserved: names starting with "paz-" belong to Paz's own components`;
  return undefined;
}

/** A health path the router can also put into its HAProxy check (one configuration word). */
const HEALTH_PATH = /^\/[A-Za-z0-9\-._~/?=&%+:]*$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A `conflictsWith` glob: service-name characters and `*` (matched in linear time, see placement.ts). */
const CONFLICTS_GLOB = /^[a-z0-9*-]*$/;
/** C0 controls and DEL except tab; CR and LF included: they split headers, config lines and log lines. */
const CONTROL_EXCEPT_TAB = /[\u0000-\u0008\u000a-\u001f\u007f]/;
/** NUL and the C0 controls other than tab, CR and LF: what a displayed text (a description) may not hold. */
const CONTROL_EXCEPT_LAYOUT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Names the first control character of `text` for a message, e.g. `a line feed (\n) at position 3`. */
function controlCharAt(text: string, re: RegExp): string | undefined {
  const m = re.exec(text);
  if (!m) return undefined;
  const c = m[0];
  const named: Record<string, string> = { '\u0000': 'a NUL', '\n': 'a line feed (\\n)', '\r': 'a carriage return (\\r)', '\u007f': 'a DEL' };
  const what = named[c] ?? `a control character (U+${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()})`;
  return `${what} at position ${m.index}`;
}

/** Why a displayed text (a service description) is refused, or undefined: newlines and tabs are fine there. */
export function descriptionProblem(text: string): string | undefined {
  const where = controlCharAt(text, CONTROL_EXCEPT_LAYOUT);
  return where ? `description has ${where}: only printable text, tabs and newlines` : undefined;
}

function invalid(message: string, field?: string): PazError {
  return new PazError('VALIDATION', message, field ? { field } : undefined);
}

/** Why an env value (plain, or a secret's before it is sealed) is refused, or undefined. */
export function envValueProblem(key: string, value: string): string | undefined {
  const where = controlCharAt(value, CONTROL_EXCEPT_TAB);
  return where ? `env ${key} has ${where}: values are one line of text (encode multi-line values, e.g. as base64)` : undefined;
}

/** Cross-field checks of a complete config; throws VALIDATION with a message naming the field. */
export function checkConfig(config: ServiceConfig): void {
  for (const [key, value] of Object.entries(config.env)) {
    if (!ENV_KEY.test(key)) throw invalid(`env key ${JSON.stringify(key)} is not a valid variable name: start with a letter or _, then letters, digits or _`, 'env');
    // a secret is sealed before the config is checked (sealEnv checked its value): anything else that is an
    // object would be stored as sent, plain text included
    if (typeof value === 'object' && !isSealedSecret(value)) throw invalid(`env ${key}: a secret is {"secret": "<value>"}`, `env.${key}`);
    const why = typeof value === 'string' ? envValueProblem(key, value) : undefined;
    if (why) throw invalid(why, `env.${key}`);
  }
  // An argument reaches execve as one string, never a line-based format: newlines are data there (`sh -c` and
  // `node -e` scripts), NUL can't be passed at all, and other controls make no sense.
  for (const [i, arg] of (config.command ?? []).entries()) {
    const where = controlCharAt(arg, CONTROL_EXCEPT_LAYOUT);
    if (where) throw invalid(`command[${i}] has ${where}: arguments are text (tabs and newlines are fine)`, `command[${i}]`);
  }
  for (const [hostPath, containerPath] of Object.entries(config.volume)) {
    for (const path of [hostPath, containerPath]) {
      const where = controlCharAt(path, CONTROL_EXCEPT_TAB) ?? (/\t/.test(path) ? `a tab at position ${path.indexOf('\t')}` : undefined);
      if (where) throw invalid(`volume path ${JSON.stringify(path)} has ${where}: paths are printable text`, 'volume');
      if (path.split('/').includes('..')) throw invalid(`volume path "${path}" has a ".." segment: write the path it resolves to`, 'volume');
    }
    if (!hostPath.startsWith('/')) throw invalid(`volume host path "${hostPath}" must be absolute (start with /)`, 'volume');
    if (!containerPath.startsWith('/')) throw invalid(`volume "${hostPath}" maps to "${containerPath}", which must be an absolute path in the container`, 'volume');
    if (hostPath.includes(':') || containerPath.includes(':')) throw invalid(`volume paths may not contain ":" ("${hostPath}" -> "${containerPath}")`, 'volume');
  }
  const seenContainer = new Set<string>();
  const seenHost = new Set<string>();
  for (const p of config.ports) {
    const proto = p.protocol ?? 'tcp';
    const c = `${p.container}/${proto}`;
    if (seenContainer.has(c)) throw invalid(`container port ${c} is listed twice in ports`, 'ports');
    seenContainer.add(c);
    if (p.host !== undefined) {
      const h = `${p.host}/${proto}`;
      if (seenHost.has(h)) throw invalid(`host port ${h} is listed twice in ports`, 'ports');
      seenHost.add(h);
    }
  }
  const hc = config.healthCheck;
  if (hc) {
    if (hc.path !== undefined && !hc.path.startsWith('/')) throw invalid(`healthCheck.path "${hc.path}" must start with /`, 'healthCheck.path');
    if (hc.path !== undefined && hc.path.startsWith('/') && !HEALTH_PATH.test(hc.path)) {
      throw invalid(`healthCheck.path "${hc.path}" may contain only letters, digits and - . _ ~ / ? = & % + : (percent-encode the rest)`, 'healthCheck.path');
    }
    if (hc.path !== undefined && hc.type === 'tcp') throw invalid('healthCheck.path is an HTTP path: drop it, or use type "http"', 'healthCheck.path');
    if (config.ports.length === 0) throw invalid('healthCheck needs a port to probe: add one to ports', 'healthCheck');
    if (hc.port !== undefined && !config.ports.some((p) => p.container === hc.port)) {
      throw invalid(`healthCheck.port ${hc.port} is not one of the service's container ports (${config.ports.map((p) => p.container).join(', ')})`, 'healthCheck.port');
    }
  }
  const r = config.rollout;
  if (r?.minHealthySeconds !== undefined || r?.healthyDeadlineSeconds !== undefined) {
    const min = r.minHealthySeconds ?? ROLLOUT_DEFAULTS.minHealthySeconds;
    const deadline = r.healthyDeadlineSeconds ?? ROLLOUT_DEFAULTS.healthyDeadlineSeconds;
    if (min >= deadline) throw invalid(`rollout.minHealthySeconds (${min}) must be less than rollout.healthyDeadlineSeconds (${deadline}): no instance could ever count as healthy in time`, 'rollout.minHealthySeconds');
  }
  if (config.conflictsWith !== undefined && !CONFLICTS_GLOB.test(config.conflictsWith)) {
    throw invalid(`conflictsWith ${JSON.stringify(config.conflictsWith)} may contain only lowercase letters, digits, - and * (a glob of service names, e.g. "web-*")`, 'conflictsWith');
  }
  if (config.mustShareWith !== undefined && serviceNameProblem(config.mustShareWith)) {
    throw invalid(`mustShareWith "${config.mustShareWith}" is not a service name`, 'mustShareWith');
  }
}

function pickConfig(body: ConfigPatch): Partial<ServiceConfig> {
  const out: Partial<ServiceConfig> = {};
  for (const key of Object.keys(configFields) as Array<keyof ConfigPatch>) {
    if (body[key] !== undefined) (out as Record<string, unknown>)[key] = body[key];
  }
  return out;
}

/** Turns a (schema-valid) create body into a stored service document, or throws what to fix. */
export function normalizeCreate(body: CreateServiceBody, now: number): ServiceDoc {
  const nameProblem = serviceNameProblem(body.name);
  if (nameProblem) throw new PazError(body.name.startsWith('paz') && /reserved/.test(nameProblem) ? 'NAME_RESERVED' : 'VALIDATION', nameProblem, { field: 'name' });
  if (body.dockerRepository !== undefined && body.dockerImage !== undefined && body.dockerRepository !== body.dockerImage) {
    throw invalid('dockerRepository and dockerImage name different images: send only dockerRepository', 'dockerRepository');
  }
  const repo = body.dockerRepository ?? body.dockerImage;
  if (repo === undefined) throw invalid('dockerRepository is required: the image to run, e.g. "127.0.0.1:5000/team/app:1.2"', 'dockerRepository');
  const repoProblem = imageRefProblem(repo);
  if (repoProblem) throw invalid(`dockerRepository "${repo}" ${repoProblem}`, 'dockerRepository');
  const descWhy = body.description === undefined ? undefined : descriptionProblem(body.description);
  if (descWhy) throw invalid(descWhy, 'description');
  const config: ServiceConfig = { ...structuredClone(DEFAULT_CONFIG), ...pickConfig(body) };
  checkConfig(config);
  return { name: body.name, description: body.description ?? '', dockerRepository: repo, config, createdTime: now };
}

/** Shallow merge as in Paz (sending `env` replaces the whole env map); the result is checked whole. */
export function applyConfigPatch(config: ServiceConfig, patch: ConfigPatch): ServiceConfig {
  const merged: ServiceConfig = { ...config, ...pickConfig(patch) };
  checkConfig(merged);
  return merged;
}
