/**
 * `paz config`: show a service's config (the next deploy's, the serving one, or version N), change the
 * next one by key (set/unset) or in $EDITOR (edit), and compare two (diff). Changes go to the next config;
 * `paz deploy` rolls them out, except numInstances, which the API also applies to the running version.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PazApiError, type PazClient } from '../client/paz-client.js';
import { clientOf, connectionOptions } from './connect.js';
import { assignmentFor, configDiff, editPatch, flatten, setPatch, splitKey, unsetPatch, valueAt, type Config } from './config-keys.js';
import { requireService } from './known-service.js';
import { rollsItOut } from './serving-image.js';
import { parse } from './options.js';
import { UsageError } from './usage-error.js';
import { print, printError } from './print.js';

export const configUsage = `usage:
  paz config [show] SERVICE [KEY...] [--version N|next|last] [--json]   show a config, or only its KEYs
                                        (default next: what the next deploy uses; last: the version
                                        that serves; N: deployed version N)
  paz config set SERVICE KEY=VALUE...   change keys of the next config; KEY may be dotted (env.FOO,
                                        healthCheck.path); VALUE is JSON when it parses (3, true, [..]),
                                        else text; env and volume entries are always text
  paz config unset SERVICE KEY...       env.FOO removes FOO; a whole key goes back to its default
  paz config edit SERVICE               the next config as JSON in $VISUAL or $EDITOR (default vi); what you
                                        save is applied; an unchanged file changes nothing; JSON that does
                                        not parse is refused (exit 1) and kept in a file named in the message
  paz config diff SERVICE [A [B]]       key-level differences from A to B (each N, next or last;
                                        default A last, B next): "- key = old", "+ key = new"
Keys: publicFacing numInstances ports env volume autoDeploy conflictsWith mustShareWith loadBalanced
healthCheck resources command rollout. Secret env values show as fingerprints; set them with paz secret.
Changes go to the next config: 'paz deploy SERVICE' rolls them out (numInstances also scales the
running version at once). Each takes --url, --token, --profile (see paz profile --help).
examples:
  paz config hello-web --version last --json
  paz config show hello-web env healthCheck.path
  paz config set hello-web numInstances=3 env.GREETING=hi healthCheck.path=/health
  paz config unset hello-web env.GREETING healthCheck
  EDITOR=nano paz config edit hello-web
  paz config diff hello-web 3 next`;

const VERBS = ['show', 'set', 'unset', 'edit', 'diff'];

type Selector = 'next' | 'last' | number;

function selector(text: string): Selector {
  if (text === 'next' || text === 'last') return text;
  if (/^[1-9][0-9]{0,9}$/.test(text)) return Number(text);
  throw new UsageError(`version "${text}" is not N, next or last`);
}

const describe = (v: Selector) => (v === 'next' ? 'the next config' : v === 'last' ? 'the serving config' : `version ${v}`);

async function configAt(client: PazClient, service: string, v: Selector): Promise<Config> {
  const s = encodeURIComponent(service);
  const path = v === 'next' ? `/services/${s}/config/next` : v === 'last' ? `/services/${s}/config/last` : `/services/${s}/config/history/${v}`;
  try {
    return (await client.call<{ doc: Config }>('GET', path)).doc;
  } catch (e) {
    if (e instanceof PazApiError && e.status === 404 && v === 'last') throw new Error(`${service} has never been deployed, so there is no serving config: deploy it with \`paz deploy ${service}\`, or show the next one`);
    throw e;
  }
}

/** `key = value` lines; the values are the server's text, so what prints them spells out control characters (terminal-safe.ts) */
const lines = (config: Config) => flatten(config).map(([k, v]) => `${k} = ${v}`);

async function apply(client: PazClient, service: string, before: Config, patch: Config): Promise<number> {
  if (Object.keys(patch).length === 0) {
    print(`no change to the next config of ${service}`);
    return 0;
  }
  const after = (await client.call<{ doc: Config }>('PATCH', `/services/${encodeURIComponent(service)}/config/next`, patch)).doc;
  const diff = configDiff(before, after);
  if (diff.length > 0) print(diff.join('\n'));
  print(`next config of ${service} changed; ${await rollsItOut(client, service)}${'numInstances' in patch && patch.numInstances !== before.numInstances ? ' (numInstances also scales a deployed service at once)' : ''}`);
  return 0;
}

/** Opens `file` in the user's editor; the editor command may carry arguments (`code --wait`). */
function runEditor(file: string): void {
  const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
  const r = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'sh', file], { stdio: 'inherit' });
  if (r.error) throw new Error(`cannot run the editor (${editor}): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`the editor (${editor}) exited with ${r.status ?? r.signal}; nothing changed`);
}

async function edit(client: PazClient, service: string): Promise<number> {
  const before = await configAt(client, service, 'next');
  const dir = mkdtempSync(join(tmpdir(), 'paz-config-'));
  const file = join(dir, `${service}.json`);
  const text = `${JSON.stringify(before, null, 2)}\n`;
  writeFileSync(file, text, { mode: 0o600 });
  let keep = false;
  try {
    runEditor(file);
    const edited = readFileSync(file, 'utf8');
    if (edited === text) {
      print(`no change to the next config of ${service}`);
      return 0;
    }
    let after: unknown;
    try {
      after = JSON.parse(edited);
    } catch (e) {
      keep = true;
      printError(`paz: the edited config is not valid JSON (${(e as Error).message}); nothing changed. Your edit is kept in ${file}: fix it and run paz config edit again, or apply it with paz config set`);
      return 1;
    }
    if (typeof after !== 'object' || after === null || Array.isArray(after)) {
      keep = true;
      printError(`paz: the edited config must be a JSON object; nothing changed. Your edit is kept in ${file}`);
      return 1;
    }
    // someone else changed it meanwhile: applying our copy would silently undo their change
    const now = await configAt(client, service, 'next');
    if (JSON.stringify(now) !== JSON.stringify(before)) {
      keep = true;
      printError(`paz: the next config of ${service} changed while you edited it; nothing applied. Your edit is kept in ${file}; run paz config edit again`);
      return 1;
    }
    return await apply(client, service, before, editPatch(before, after as Config));
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

export async function configCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...connectionOptions, version: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) return console.log(configUsage), 0;
  const verb = VERBS.includes(positionals[0]) ? positionals[0] : undefined;
  const [service, ...rest] = verb ? positionals.slice(1) : positionals;
  if (!service) throw new UsageError(verb ? `paz config ${verb} needs a SERVICE` : 'paz config needs a SERVICE');
  if (verb !== undefined && verb !== 'show' && values.version !== undefined) throw new UsageError(`--version is for showing a config; paz config ${verb} works on the next config`);
  // `paz config SERVICE '{"numInstances": 3}'`: the earlier form, a JSON patch, still works
  const jsonPatch = verb === undefined && rest.length === 1 && rest[0].trim().startsWith('{') ? rest[0] : undefined;
  // `paz config SERVICE KEY...` is `paz config show SERVICE KEY...`; the keys are checked before asking the server
  const shownKeys = verb === 'show' || (verb === undefined && jsonPatch === undefined) ? rest : [];
  for (const k of shownKeys) splitKey(k);
  if (verb === 'diff' && rest.length > 2) throw new UsageError(`paz config diff takes at most two versions`);
  if (verb === 'edit' && rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]}`);
  // bad version arguments are usage errors before anything is asked of the server
  const shown = selector(values.version ?? 'next');
  const [a, b] = verb === 'diff' ? [selector(rest[0] ?? 'last'), selector(rest[1] ?? 'next')] : [shown, shown];
  const client = clientOf(values);
  await requireService(client, service);
  switch (verb) {
    case undefined:
    case 'show': {
      if (jsonPatch !== undefined) {
        let patch: Config;
        try {
          patch = JSON.parse(jsonPatch) as Config;
        } catch (e) {
          throw new UsageError(`the patch is not valid JSON (${(e as Error).message})`);
        }
        return apply(client, service, await configAt(client, service, 'next'), patch);
      }
      const config = await configAt(client, service, shown);
      if (shownKeys.length === 0) {
        if (values.json) console.log(JSON.stringify(config, null, 2));
        else print([`# ${service}: ${describe(shown)}`, ...lines(config)].join('\n'));
        return 0;
      }
      const missing = shownKeys.filter((k) => valueAt(config, k) === undefined);
      if (missing.length > 0) throw new Error(`${describe(shown)} of ${service} has no ${missing.join(', ')} (paz config ${service} shows every key)`);
      if (values.json) return console.log(JSON.stringify(Object.fromEntries(shownKeys.map((k) => [k, valueAt(config, k)])), null, 2)), 0;
      const all = lines(config);
      print(shownKeys.flatMap((k) => all.filter((l) => l.startsWith(`${k} = `) || l.startsWith(`${k}.`))).join('\n'));
      return 0;
    }
    case 'set': {
      const before = await configAt(client, service, 'next');
      try {
        return await apply(client, service, before, setPatch(before, rest));
      } catch (e) {
        // which of the assignments the API refused, as typed: `numInstances=abc` is read as the text "abc"
        if (!(e instanceof PazApiError) || e.status !== 400) throw e;
        const given = assignmentFor(rest, e.message);
        if (given === undefined) throw e;
        throw new PazApiError(e.status, e.code, `${e.message} (from ${given}); nothing changed`, e.body);
      }
    }
    case 'unset': {
      const before = await configAt(client, service, 'next');
      return apply(client, service, before, unsetPatch(before, rest));
    }
    case 'edit':
      return edit(client, service);
    case 'diff': {
      const [left, right] = [await configAt(client, service, a), await configAt(client, service, b)];
      const diff = configDiff(left, right);
      if (values.json) return console.log(JSON.stringify({ from: a, to: b, changes: diff }, null, 2)), 0;
      print(`--- ${service} ${describe(a)}\n+++ ${service} ${describe(b)}`);
      print(diff.length > 0 ? diff.join('\n') : '(no differences)');
      return 0;
    }
  }
  return 2;
}
