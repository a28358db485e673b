/** CLI: services, their configs, deploys and history. */
import { readFileSync } from 'node:fs';
import { PazClient } from '../client/paz-client.js';
import { parse } from './options.js';
import { clientOf, connectionOptions } from './connect.js';
import { printTable, table } from './table.js';
import { deployProgress } from './deploy-progress.js';
import { requireService } from './known-service.js';
import { UsageError } from './usage-error.js';
import { flatten, type Config } from './config-keys.js';
import { scaleLine } from './scale-line.js';
import { tagChangeNote } from './tag-note.js';
import { servingImage } from './serving-image.js';
import { HISTORY_HEADER, historyRows, type HistoryRecord } from './history-rows.js';
import { progressLine } from './progress-line.js';
import { restartUnit } from './unit-restart.js';
import { colourOn, paint } from './colour.js';
import { MAX_INSTANCES } from '../core/rollout-defaults.js';
import { fileErrorWords } from '../core/file-errors.js';
import { terminalSafe } from './terminal-safe.js';
import { print } from './print.js';

/** A service document's file, with the file named when it cannot be read. */
function readFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${path}: ${fileErrorWords(e)}`);
  }
}

function readJsonArg(arg: string | undefined): Record<string, unknown> {
  if (!arg) throw new UsageError('give a JSON file, "-" for standard input, or inline JSON');
  const text = arg === '-' ? readFileSync(0, 'utf8') : arg.trim().startsWith('{') ? arg : readFile(arg);
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    const source = arg === '-' ? 'standard input' : arg.trim().startsWith('{') ? 'the JSON given' : arg;
    throw new Error(`${source} is not a valid service document: not JSON (${(e as Error).message}); see \`paz create --help\` and examples/ for the shape`);
  }
}

/** The note a deploy without --tag prints when it would change the serving version's tag (tag-note.ts). */
async function servingTagNote(client: PazClient, name: string): Promise<string | undefined> {
  const serving = await servingImage(client, name);
  return serving && tagChangeNote(name, serving.repository, serving);
}

/** Whether a deploy or rollback is followed to its end: yes, as `kamal deploy` and `fly deploy` do, unless --detach. */
function followDeploy(values: { wait?: boolean; detach?: boolean }): boolean {
  if (values.wait && values.detach) throw new UsageError('--wait and --detach contradict each other (following the deploy is the default; --detach returns once it is accepted)');
  return values.detach !== true;
}

/**
 * What a deploy or rollback prints once accepted, then its progress unless detached. With --json, stdout gets the
 * deploy record alone (progress and outcome go to stderr); the exit code says how the deploy ended either way.
 */
async function accepted(client: PazClient, rec: { service: string; version: number }, line: string, follow: boolean, json: boolean): Promise<number> {
  if (json) console.log(JSON.stringify(rec, null, 2));
  else print(follow ? line : `${line}; \`paz rollout ${rec.service}\` shows how it goes`);
  if (!follow) return 0;
  if (!json && process.stdout.isTTY) console.log('following it until the old instances are stopped (Ctrl-C stops following, not the deploy)');
  return waitForRollout(client, rec.service, rec.version, json ? process.stderr : process.stdout);
}

/**
 * Waits, like kamal-proxy, until the deploy has succeeded and the old instances are drained and stopped,
 * or failed (then at once, with the reason). Shows progress: plain lines when `out` is not a terminal,
 * one redrawn line when it is.
 */
async function waitForRollout(client: PazClient, name: string, version: number, out: NodeJS.WriteStream): Promise<number> {
  const progress = progressLine(out);
  const say = (text: string) => out.write(`${text}\n`);
  for (let first = true; ; first = false) {
    const r = await client.rollout(name);
    if (first && r.version === version && r.strategy === 'recreate') say(terminalSafe(`strategy recreate: ${r.strategyReason ?? 'rollout.strategy says so'}`));
    const p = deployProgress(name, version, r);
    if (p.outcome === 'wait') {
      progress.show(p.line);
      await new Promise((res) => setTimeout(res, 300));
      continue;
    }
    progress.end();
    if (p.outcome === 'done') {
      say(paint(colourOn(out), 'green', p.line));
      return 0;
    }
    console.error(paint(colourOn(process.stderr), 'red', p.line));
    return 1;
  }
}

/** Each command's own options besides the connection ones: --json only where there is something to show. */
export const OPTIONS = {
  services: { json: { type: 'boolean' } },
  create: { json: { type: 'boolean' } },
  service: { json: { type: 'boolean' } },
  delete: {},
  // --wait is the default (kept: scripts written when it was not); --detach returns once the deploy is accepted
  deploy: { tag: { type: 'string' }, wait: { type: 'boolean' }, detach: { type: 'boolean' }, json: { type: 'boolean' } },
  rollback: { version: { type: 'string' }, wait: { type: 'boolean' }, detach: { type: 'boolean' }, json: { type: 'boolean' } },
  restart: { unit: { type: 'string' }, cancel: { type: 'boolean' }, wait: { type: 'boolean' }, detach: { type: 'boolean' }, json: { type: 'boolean' } },
  scale: { json: { type: 'boolean' } },
  rollout: { json: { type: 'boolean' } },
  history: { json: { type: 'boolean' } },
  journal: { json: { type: 'boolean' } },
} as const;

/** How many positionals each takes at most (the name, scale's count). */
const MAX_ARGS: Record<string, number> = { services: 0, create: 1, service: 1, delete: 1, deploy: 1, rollback: 1, restart: 1, scale: 2, rollout: 1, history: 1, journal: 1 };

/** `paz service NAME` for a person: what it runs and its next config, one `key = value` a line. */
function serviceLines(doc: Record<string, unknown>): string[] {
  const config = (doc.config ?? {}) as Config;
  return [
    `name: ${String(doc.name)}`,
    `image: ${String(doc.dockerRepository)}`,
    ...(doc.description ? [`description: ${String(doc.description)}`] : []),
    'config (the next deploy\'s; paz config shows others):',
    ...flatten(config).map(([k, v]) => `  ${k} = ${v}`),
  ];
}

export async function servicesCommand(cmd: string, args: string[]): Promise<number> {
  const own: Record<string, { type: 'string' | 'boolean' }> = OPTIONS[cmd as keyof typeof OPTIONS];
  // `paz scale web -1`: a count, not an option
  const negative = cmd === 'scale' ? args.find((a) => /^-[0-9]+$/.test(a)) : undefined;
  if (negative !== undefined) throw new UsageError(`COUNT must be a whole number of instances from 0 to ${MAX_INSTANCES}, got "${negative}"`);
  const { values: v, positionals } = parse(args, { ...connectionOptions, ...own }, true);
  const values = v as { json?: boolean; wait?: boolean; detach?: boolean; tag?: string; version?: string; unit?: string; cancel?: boolean } & typeof v;
  if (positionals.length > MAX_ARGS[cmd]) throw new UsageError(`unexpected argument ${positionals[MAX_ARGS[cmd]]}`);
  const client = clientOf(values);
  const out = (v: unknown) => console.log(JSON.stringify(v, null, 2));
  const name = positionals[0];
  const need = (what: string) => {
    if (!name) throw new UsageError(`paz ${cmd} needs ${what}`);
    return name;
  };
  let known: Record<string, unknown> | undefined;
  if (name && cmd !== 'services' && cmd !== 'create') known = await requireService(client, name);
  switch (cmd) {
    case 'services': {
      const list = await client.listServices();
      if (values.json) return out(list), 0;
      if (list.length === 0) {
        console.error('no services yet: create one with `paz create FILE`');
        return 0;
      }
      console.log(
        table(
          ['NAME', 'IMAGE', 'INSTANCES', 'DESCRIPTION'],
          list.map((s) => [String(s.name), String(s.dockerRepository), String((s.config as { numInstances?: number } | undefined)?.numInstances ?? '-'), String(s.description ?? '')]),
        ),
      );
      return 0;
    }
    case 'create': {
      const doc = await client.createService(readJsonArg(name));
      if (values.json) return out(doc), 0;
      print(`created ${String(doc.name)} (${String(doc.dockerRepository)}); deploy it with \`paz deploy ${String(doc.name)}\``);
      return 0;
    }
    case 'service': {
      need('a service name');
      if (values.json) return out(known), 0;
      console.log(serviceLines(known!).join('\n'));
      return 0;
    }
    case 'delete':
      await client.deleteService(need('a service name'));
      print(`deleted ${name}`);
      return 0;
    case 'deploy': {
      const follow = followDeploy(values);
      // read before the deploy (after it, its own version may serve), said once it is accepted (not before a refusal)
      const note = values.tag ? undefined : await servingTagNote(client, need('a service name'));
      const rec = await client.deploy(need('a service name'), values.tag);
      if (note) console.error(note);
      return accepted(client, rec, `deploying ${rec.service} version ${rec.version} (${rec.image})`, follow, values.json === true);
    }
    case 'rollback': {
      const follow = followDeploy(values);
      const v = values.version;
      if (v !== undefined && !/^[1-9][0-9]{0,9}$/.test(v)) throw new UsageError(`--version takes a deployed version number (paz history lists them), got "${v}"`);
      const rec = await client.rollback(need('a service name'), v === undefined ? undefined : Number(v));
      return accepted(client, rec, `rolling back ${rec.service}: version ${rec.trigger.rollbackOf}'s snapshot deployed as version ${rec.version} (${rec.image})`, follow, values.json === true);
    }
    case 'restart': {
      const follow = followDeploy(values);
      if (values.cancel && !values.unit) throw new UsageError('--cancel withdraws the restart of one instance: paz restart NAME --unit UNIT --cancel');
      if (values.unit !== undefined) return restartUnit(client, need('a service name'), values.unit, { follow, json: values.json === true, cancel: values.cancel === true });
      const rec = await client.restart(need('a service name'));
      return accepted(client, rec, `restarting ${rec.service}: version ${rec.trigger.restartOf} started afresh as version ${rec.version} (${rec.image})`, follow, values.json === true);
    }
    case 'scale': {
      need('a service name');
      const raw = positionals[1];
      if (raw === undefined) throw new UsageError('paz scale needs a COUNT: paz scale NAME COUNT');
      const count = Number(raw);
      if (!/^[0-9]{1,9}$/.test(raw) || count > MAX_INSTANCES) throw new UsageError(`COUNT must be a whole number of instances from 0 to ${MAX_INSTANCES}, got "${raw}"`);
      const before = (known!.config as { numInstances?: number } | undefined)?.numInstances;
      const r = await client.scale(name, count);
      if (values.json) return out(r), 0;
      console.log(scaleLine(name, before, count, r));
      return 0;
    }
    case 'rollout': {
      const r = await client.rollout(need('a service name'));
      if (values.json) return out(r), 0;
      // the reasons are the server's text (terminal-safe.ts)
      print(`${name} version ${r.version}: ${r.state}${r.reason ? ` (${r.reason})` : ''}`);
      if (r.strategy === 'recreate') print(`strategy: recreate${r.strategyReason ? ` (${r.strategyReason})` : ''}`);
      if (r.serving !== undefined && r.serving !== r.version) print(`serving: ${r.serving ? `version ${r.serving}` : 'nothing'}`);
      console.log(table(['UNIT', 'STATE', 'HEALTHY', 'REASON'], r.units.map((u) => [String(u.name), String(u.state), String(u.healthy), String(u.reason ?? '')])));
      return 0;
    }
    case 'history': {
      const recs = await client.versions(need('a service name'));
      if (values.json) return out(recs), 0;
      // which version serves: marked in the table (none when the service never served, or the answer is missing)
      const serving = recs.length > 0 ? await client.rollout(name).then((r) => r.serving, () => undefined) : undefined;
      printTable(
        HISTORY_HEADER,
        historyRows(recs as unknown as HistoryRecord[], serving),
        `${name} has never been deployed: \`paz deploy ${name}\` deploys its next config as version 1`,
      );
      return 0;
    }
    case 'journal': {
      const entries = await client.journal(name);
      if (values.json) return out(entries), 0;
      printTable(
        ['TIME', 'EVENT', 'SERVICE', 'VERSION', 'MESSAGE'],
        entries.map((e) => [new Date(Number(e.timestamp)).toISOString(), String(e.event), String(e.serviceName), String(e.version), String(e.message ?? '')]),
        name ? `nothing in the journal for ${name} yet: deploys, scaling and rollbacks are written there` : 'the journal is empty: deploys, scaling and rollbacks are written there',
      );
      return 0;
    }
  }
  throw new Error(`unknown command ${cmd}`);
}
