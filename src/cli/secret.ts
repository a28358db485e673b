/**
 * `paz secret set|unset|ls`: env values marked secret, through the same config change as `paz config` (the
 * next config; a deploy rolls it out as a new version). Values are sent once and never printed: the server
 * answers with fingerprints only.
 */
import { readFileSync } from 'node:fs';
import { PazClient } from '../client/paz-client.js';
import { parse } from './options.js';
import { clientOf, connectionOptions } from './connect.js';
import { printTable } from './table.js';
import { UsageError, unknownVerb } from './usage-error.js';
import { requireService } from './known-service.js';
import { rollsItOut } from './serving-image.js';
import { print } from './print.js';

const usage = `usage:
  paz secret set SERVICE KEY=VALUE...   set secret env values (KEY=- reads the value from standard input)
  paz secret unset SERVICE KEY...       remove secret env values
  paz secret ls SERVICE                 secret env values: names and fingerprints
Changes go to the next config: 'paz deploy SERVICE' rolls them out as a new version. Takes --url URL.
example: echo "$DB_PASSWORD" | paz secret set hello-web DB_PASSWORD=- && paz deploy hello-web`;

type EnvMap = Record<string, unknown>;

function isSecretShown(v: unknown): v is { secret: true; fingerprint: string } {
  return typeof v === 'object' && v !== null && (v as { secret?: unknown }).secret === true;
}

/** `KEY=VALUE` arguments as a map; a value `-` is standard input without its final line break. */
function assignments(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  let stdinUsed = false;
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UsageError(`"${arg.includes('=') ? arg.split('=')[0] : arg}..." is not KEY=VALUE`);
    const key = arg.slice(0, eq);
    let value = arg.slice(eq + 1);
    if (value === '-') {
      if (stdinUsed) throw new Error('only one KEY=- can read standard input');
      stdinUsed = true;
      value = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
    }
    out[key] = value;
  }
  return out;
}

async function currentEnv(client: PazClient, service: string): Promise<EnvMap> {
  const config = (await client.getService(service)).config as { env?: EnvMap } | undefined;
  return { ...(config?.env ?? {}) };
}

export async function secretCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...connectionOptions, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  const [verb, service, ...rest] = positionals;
  if (values.help || !verb) {
    (values.help ? console.log : console.error)(usage);
    return values.help ? 0 : 2;
  }
  if (!['set', 'unset', 'ls'].includes(verb)) throw unknownVerb('secret', verb, ['set', 'unset', 'ls']);
  if (!service) throw new UsageError(`paz secret ${verb} needs a SERVICE`);
  const client = clientOf(values);
  if (['ls', 'set', 'unset'].includes(verb)) await requireService(client, service);
  switch (verb) {
    case 'ls': {
      const env = await currentEnv(client, service);
      const secrets = Object.entries(env).filter(([, v]) => isSecretShown(v)) as Array<[string, { fingerprint: string }]>;
      if (values.json) return console.log(JSON.stringify(Object.fromEntries(secrets.map(([k, v]) => [k, v.fingerprint])), null, 2)), 0;
      printTable(['NAME', 'FINGERPRINT'], secrets.map(([k, v]) => [k, v.fingerprint]), `${service} has no secret env values (\`paz secret set ${service} KEY=-\` adds one)`);
      return 0;
    }
    case 'set': {
      const wanted = assignments(rest);
      if (Object.keys(wanted).length === 0) throw new UsageError(`paz secret set needs KEY=VALUE`);
      const before = await currentEnv(client, service);
      const env: EnvMap = { ...before };
      for (const [k, v] of Object.entries(wanted)) env[k] = { secret: v };
      const after = ((await client.patchConfig(service, { env })).env ?? {}) as EnvMap;
      for (const k of Object.keys(wanted)) {
        const was = before[k];
        const now = after[k] as { fingerprint?: string } | undefined;
        const same = isSecretShown(was) && was.fingerprint === now?.fingerprint;
        print(`${k}: ${same ? 'unchanged' : isSecretShown(was) ? 'changed' : 'set'} (fingerprint ${now?.fingerprint ?? '?'})`);
      }
      print(`next config of ${service} changed; ${await rollsItOut(client, service)}`);
      return 0;
    }
    case 'unset': {
      if (rest.length === 0) throw new UsageError(`paz secret unset needs a KEY`);
      const env = await currentEnv(client, service);
      for (const k of rest) {
        if (!(k in env)) throw new Error(`${service} has no env ${k}`);
        if (!isSecretShown(env[k])) throw new Error(`${service}'s env ${k} is not a secret: remove it with 'paz config unset ${service} env.${k}'`);
        delete env[k];
      }
      await client.patchConfig(service, { env });
      print(`removed ${rest.join(', ')} from the next config of ${service}; ${await rollsItOut(client, service)}`);
      return 0;
    }
  }
  throw new UsageError(`unknown verb "${verb}"`);
}
