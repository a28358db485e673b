/**
 * `paz config set/unset/edit/diff` as pure functions over config documents: dotted keys, the patch the
 * API takes, and key-level differences.
 *
 * The API's config change (PATCH …/config/next) is a shallow merge of top-level keys, so a dotted key
 * (`env.FOO`, `healthCheck.path`) becomes its whole top-level value with one entry changed. A key cannot be
 * deleted through it, so unsetting a key sends its default: the value that means the same as not setting it.
 */
import { closest } from './closest.js';
import { UsageError } from './usage-error.js';

export type Config = Record<string, unknown>;

/**
 * Every key of the config (service-spec.ts's configFields; config-keys.test.ts checks they agree) and the
 * value that unsets it. numInstances has none: a service always has a count.
 */
export const CONFIG_KEYS: Record<string, { reset?: unknown; sub?: string[] }> = {
  publicFacing: { reset: false },
  numInstances: {},
  ports: { reset: [] },
  // entries named by the user (env names, host paths): completion offers the service's own
  env: { reset: {}, sub: [] },
  volume: { reset: {}, sub: [] },
  autoDeploy: { reset: 'always' },
  conflictsWith: { reset: '' },
  mustShareWith: { reset: '' },
  loadBalanced: { reset: true },
  // the schema's fields (HealthCheckSchema, ResourcesSchema, RolloutSchema; config-keys.test.ts checks)
  healthCheck: { reset: {}, sub: ['type', 'path', 'port', 'intervalSeconds', 'timeoutSeconds', 'healthyThreshold', 'unhealthyThreshold', 'gracePeriodSeconds'] },
  resources: { reset: {}, sub: ['cpus', 'memoryMb'] },
  command: { reset: [] },
  rollout: { reset: {}, sub: ['strategy', 'maxSurge', 'healthyDeadlineSeconds', 'minHealthySeconds', 'drainSeconds', 'stopGraceSeconds'] },
};

/**
 * What completion offers for a key of `paz config set|unset|show SERVICE`, given the service's next config
 * (undefined when it could not be read): top-level keys (set: `key=`, and `key.` for those with entries),
 * and, once the word has a dot, that key's entries: the schema's fields and the config's own (env names).
 * unset offers only what can be unset: resettable keys and entries the config has.
 */
export function keyCandidates(config: Config | undefined, verb: 'set' | 'unset' | 'show', typed: string): string[] {
  const dot = typed.indexOf('.');
  if (dot < 0) {
    const out: string[] = [];
    for (const [k, info] of Object.entries(CONFIG_KEYS)) {
      if (verb === 'unset' && !('reset' in info)) continue;
      out.push(verb === 'set' ? `${k}=` : k);
      if (info.sub !== undefined) out.push(`${k}.`);
    }
    return out;
  }
  const top = typed.slice(0, dot);
  const info = Object.hasOwn(CONFIG_KEYS, top) ? CONFIG_KEYS[top] : undefined;
  if (info?.sub === undefined) return [];
  const value = config?.[top];
  const own = value && typeof value === 'object' && !Array.isArray(value) && (value as { secret?: unknown }).secret !== true ? Object.keys(value) : [];
  const entries = verb === 'set' ? [...new Set([...info.sub, ...own])] : own;
  return entries.map((e) => (verb === 'set' ? `${top}.${e}=` : `${top}.${e}`));
}

/** The value at KEY (dotted: one entry) of a config; undefined when it has none. */
export function valueAt(config: Config, key: string): unknown {
  const [top, sub] = splitKey(key);
  if (sub === undefined) return config[top];
  const v = config[top];
  return v && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, sub) ? (v as Record<string, unknown>)[sub] : undefined;
}

/** Keys whose entries are names chosen by the user (env names, host paths): their values stay strings. */
const STRING_MAPS = new Set(['env', 'volume']);

/** `healthCheck.path` → ['healthCheck', 'path']; split at the first dot only (a volume's host path may hold dots). */
export function splitKey(key: string): [string, string | undefined] {
  const dot = key.indexOf('.');
  const top = dot < 0 ? key : key.slice(0, dot);
  const sub = dot < 0 ? undefined : key.slice(dot + 1);
  if (!Object.hasOwn(CONFIG_KEYS, top)) {
    const near = closest(top, Object.keys(CONFIG_KEYS));
    throw new UsageError(`unknown config key ${top} ${near ? `(did you mean ${near}?)` : `(the keys: ${Object.keys(CONFIG_KEYS).join(', ')})`}`);
  }
  if (sub === '') throw new UsageError(`"${key}" names no key after the dot`);
  return [top, sub];
}

/** A value as typed: JSON when it parses (3, true, [..], {..}, "quoted"), else the text itself; env and volume entries stay text. */
export function parseValue(top: string, sub: string | undefined, text: string): unknown {
  if (sub !== undefined && STRING_MAPS.has(top)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function objectAt(config: Config, top: string): Record<string, unknown> {
  const v = config[top];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`${top} is not an object: set it whole (${top}=VALUE)`);
  return { ...(v as Record<string, unknown>) };
}

/** `KEY=VALUE` arguments applied to `config`: the patch to send (only the top-level keys they touch). */
export function setPatch(config: Config, assignments: string[]): Config {
  if (assignments.length === 0) throw new UsageError('paz config set needs KEY=VALUE');
  const patch: Config = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new UsageError(`"${a}" is not KEY=VALUE`);
    const [top, sub] = splitKey(a.slice(0, eq));
    const value = parseValue(top, sub, a.slice(eq + 1));
    if (sub === undefined) patch[top] = value;
    else patch[top] = { ...objectAt({ ...config, ...patch }, top), [sub]: value };
  }
  return patch;
}

/**
 * The `KEY=VALUE` argument an API validation message is about (`field "healthCheck.intervalSeconds" must be
 * number`): the one whose key is that field, inside it or around it; undefined when none is. Said beside the
 * message, so that of several assignments the user sees which one to fix and what it was read as.
 */
export function assignmentFor(assignments: string[], message: string): string | undefined {
  const field = /\bfield "([^"]+)"/.exec(message)?.[1];
  if (field === undefined) return undefined;
  return assignments.find((a) => {
    const key = a.slice(0, Math.max(0, a.indexOf('=')));
    return key !== '' && (key === field || field.startsWith(`${key}.`) || field.startsWith(`${key}[`) || key.startsWith(`${field}.`));
  });
}

/** KEY arguments reset to their defaults (a dotted key removes that entry): the patch to send. */
export function unsetPatch(config: Config, keys: string[]): Config {
  if (keys.length === 0) throw new UsageError('paz config unset needs a KEY');
  const patch: Config = {};
  for (const key of keys) {
    if (key.includes('=')) throw new UsageError(`"${key}": unset takes keys, not KEY=VALUE`);
    const [top, sub] = splitKey(key);
    if (sub === undefined) {
      if (!('reset' in CONFIG_KEYS[top])) throw new UsageError(`${top} cannot be unset: set it (paz config set SERVICE ${top}=N)`);
      patch[top] = structuredClone(CONFIG_KEYS[top].reset);
      continue;
    }
    const obj = objectAt({ ...config, ...patch }, top);
    if (!Object.hasOwn(obj, sub)) throw new Error(`the next config has no ${top}.${sub}`);
    delete obj[sub];
    patch[top] = obj;
  }
  return patch;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What an edited config changes: changed and added keys as edited; removed keys reset to their defaults. */
export function editPatch(before: Config, after: Config): Config {
  const patch: Config = {};
  for (const [k, v] of Object.entries(after)) if (!same(before[k], v)) patch[k] = v;
  for (const k of Object.keys(before)) {
    if (Object.hasOwn(after, k)) continue;
    if (!Object.hasOwn(CONFIG_KEYS, k) || !('reset' in CONFIG_KEYS[k])) throw new Error(`${k} cannot be removed: give it a value`);
    if (!same(before[k], CONFIG_KEYS[k].reset)) patch[k] = structuredClone(CONFIG_KEYS[k].reset);
  }
  return patch;
}

/** A leaf value for display: a secret by its fingerprint (its value is never sent back), the rest as JSON. */
function show(v: unknown): string {
  const s = v as { secret?: unknown; fingerprint?: unknown } | null;
  if (s && typeof s === 'object' && s.secret === true) return `(secret, fingerprint ${String(s.fingerprint)})`;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A config as dotted `key = value` lines, sorted: one level of objects is opened (env, healthCheck, …). */
export function flatten(config: Config): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(config)) {
    const isSecret = typeof v === 'object' && v !== null && (v as { secret?: unknown }).secret === true;
    if (v && typeof v === 'object' && !Array.isArray(v) && !isSecret && Object.keys(v).length > 0) {
      for (const [sk, sv] of Object.entries(v as Record<string, unknown>)) out.push([`${k}.${sk}`, show(sv)]);
    } else out.push([k, show(v)]);
  }
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Key-level differences from a to b: `- key = old`, `+ key = new`, a changed key as both. Empty when equal. */
export function configDiff(a: Config, b: Config): string[] {
  const left = new Map(flatten(a));
  const right = new Map(flatten(b));
  const keys = [...new Set([...left.keys(), ...right.keys()])].sort();
  const lines: string[] = [];
  for (const k of keys) {
    const [x, y] = [left.get(k), right.get(k)];
    if (x === y) continue;
    if (x !== undefined) lines.push(`- ${k} = ${x}`);
    if (y !== undefined) lines.push(`+ ${k} = ${y}`);
  }
  return lines;
}
