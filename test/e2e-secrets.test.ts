// Issue 9, secrets: an env value marked secret reaches the container (docker) or process (process driver) when
// it starts, and nowhere else shows it: every GET route of the three APIs' OpenAPI documents, the event stream,
// the journal and history, the CLI's output, the server's log, and the store's files read as raw bytes. A
// changed secret is a new version, rolled out; an agent with another key fails the unit with a readable reason.
// test-lane: docker light slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PazProcess, request, pazBin } from './helpers/paz-server.js';
import { startPazUp, type PazUp } from './helpers/paz-up.js';
import { skipUnlessDocker } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';

const run = promisify(execFile);

/** A value no other test or text would hold. */
const uniqueSecret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;

/** Runs the CLI against `paz`, with `stdin` as its standard input; resolves with what it printed. */
function cli(paz: PazProcess, args: string[], stdin = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [pazBin, ...args], { env: { ...process.env, PAZ_URL: paz.orchestrator, PAZ_SCHEDULER_URL: paz.scheduler }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.stdin.end(stdin);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`paz ${args.join(' ')} exited with ${code}: ${out}`))));
  });
}

/** Every file under `dir` (the store's db, WAL and shm among them), as raw bytes. */
function filesUnder(dir: string, skip: (path: string) => boolean = () => false): Array<{ path: string; bytes: Buffer }> {
  const out: Array<{ path: string; bytes: Buffer }> = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (skip(path)) continue;
    const st = statSync(path, { throwIfNoEntry: false });
    if (st?.isDirectory()) out.push(...filesUnder(path, skip));
    else if (st?.isFile()) out.push({ path, bytes: readFileSync(path) });
  }
  return out;
}

/**
 * The event stream from the first revision on, collected as it comes. `through(marker)` waits until an event
 * naming the marker arrived: every change written before it has then been delivered too (ids are revisions).
 */
class EventLog {
  text = '';
  private readonly abort = new AbortController();
  constructor(url: string) {
    void (async () => {
      const res = await fetch(`${url}/events?since=0`, { signal: this.abort.signal });
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) this.text += decoder.decode(chunk, { stream: true });
    })().catch(() => undefined);
  }
  through(marker: string): Promise<string> {
    return waitFor(`the event stream to deliver ${marker}`, async () => this.text.includes(marker) && this.text);
  }
  close(): void {
    this.abort.abort();
  }
}

/** Every GET route of the three APIs' OpenAPI documents, with each path parameter filled with every value known for it. */
async function everyGetAnswer(paz: PazProcess, fill: Record<string, string[]>): Promise<Array<{ url: string; status: number; text: string }>> {
  const answers: Array<{ url: string; status: number; text: string }> = [];
  for (const base of [paz.orchestrator, paz.directory, paz.scheduler]) {
    const doc = (await request('GET', `${base}/openapi.json`)).body as { paths: Record<string, { get?: { parameters?: Array<{ in: string; name: string; schema?: { type?: string } }> } }> };
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!ops.get || path === '/events') continue;
      let urls = [path];
      for (const m of path.match(/\{\w+\}/g) ?? []) {
        const values = fill[m.slice(1, -1)];
        assert.ok(values, `no values to fill ${m} of ${path} with: add them to this test`);
        urls = urls.flatMap((u) => values.map((v) => u.replace(m, encodeURIComponent(v))));
      }
      // booleans on: the answers that show the most (all journal kinds, system units)
      const flags = (ops.get.parameters ?? []).filter((p) => p.in === 'query' && p.schema?.type === 'boolean' && p.name !== 'follow').map((p) => `${p.name}=true`);
      for (const u of urls) {
        for (const url of [`${base}${u}`, ...(flags.length ? [`${base}${u}?${flags.join('&')}`] : [])]) {
          const res = await fetch(url, { signal: AbortSignal.timeout(20_000) });
          answers.push({ url, status: res.status, text: await res.text() });
        }
      }
    }
  }
  return answers;
}

interface LeakCheck {
  paz: PazProcess;
  events: EventLog;
  service: string;
  /** the secrets that must be nowhere */
  secrets: string[];
  /** the fingerprints that must be shown instead, the current one last */
  fingerprints: string[];
  /** files under the data dir that may hold the value (a driver's own state, as Docker's container config does) */
  skipFiles?: (path: string) => boolean;
}

async function assertNowhere(c: LeakCheck): Promise<void> {
  const { paz, service } = c;
  const where: Array<[string, string]> = [];
  const units = ((await request('GET', `${paz.orchestrator}/services/${service}/units`)).body as Array<{ name: string; unit?: string }>).map((u) => u.unit ?? u.name);
  const hosts = ((await request('GET', `${paz.orchestrator}/cluster/hosts`)).body as Array<{ id: string }>).map((h) => h.id);
  const versions = ((await request('GET', `${paz.orchestrator}/services/${service}/versions`)).body.doc as Array<{ version: number }>).map((v) => String(v.version));
  assert.ok(units.length > 0 && hosts.length > 0 && versions.length > 0);
  const answers = await everyGetAnswer(paz, { name: [service], version: [...versions, 'latest'], id: [...units, ...hosts], unit: units });
  assert.ok(answers.length >= 30, `walked ${answers.length} answers`);
  for (const a of answers) where.push([`GET ${a.url} (${a.status})`, a.text]);

  // the stream up to a change made now: everything before it was delivered
  const marker = `marker-${randomBytes(4).toString('hex')}`;
  assert.equal((await request('PATCH', `${paz.orchestrator}/services/${service}/config/next`, { conflictsWith: marker })).status, 200);
  where.push(['GET /events', await c.events.through(marker)]);

  for (const args of [['services', '--json'], ['service', service], ['config', service], ['secret', 'ls', service], ['history', service, '--json'], ['journal', service, '--json'], ['units', service]]) {
    where.push([`paz ${args.join(' ')}`, await cli(paz, args)]);
  }
  where.push(['the server log', paz.output]);
  for (const f of filesUnder(paz.dataDir, c.skipFiles)) where.push([`file ${f.path}`, f.bytes.toString('latin1')]);
  assert.ok(where.some(([w]) => w.endsWith('paz.db')), 'the store file was read');
  assert.ok(where.some(([w, t]) => /paz\.db(-wal)?$/.test(w) && t.includes('paz:v1:')), 'the store holds the sealed value');
  assert.ok(where.some(([w, t]) => w.startsWith(`GET ${paz.orchestrator}/cluster/backup `) && t.includes('paz:v1:')), 'a backup keeps the sealed value, sealed');

  for (const [what, text] of where) {
    for (const s of c.secrets) assert.ok(!text.includes(s), `${what} shows a secret value`);
    // sealed values stay sealed in the store's files and in a backup (GET /cluster/backup, admin), nowhere else
    const holdsTheStore = what.startsWith('file ') || what.startsWith(`GET ${paz.orchestrator}/cluster/backup `);
    assert.ok(!text.includes('paz:v1:') || holdsTheStore, `${what} shows a sealed value`);
  }
  // and the fingerprints are what is shown (the checks above read real answers): every one in the events,
  // the current one (the last) in the next config
  const shows = (what: string, fp: string) => assert.ok(where.some(([w, t]) => w.startsWith(what) && t.includes(fp)), `${what} shows fingerprint ${fp}`);
  for (const fp of c.fingerprints) shows('GET /events', fp);
  for (const what of ['paz secret ls', `GET ${paz.orchestrator}/services/${service}/config/next`]) shows(what, c.fingerprints.at(-1)!);
}

async function fingerprintOf(paz: PazProcess, service: string, key: string): Promise<string> {
  const env = (await request('GET', `${paz.orchestrator}/services/${service}/config/next`)).body.doc.env as Record<string, { secret?: boolean; fingerprint?: string }>;
  assert.equal(env[key]?.secret, true, JSON.stringify(env));
  assert.match(env[key]!.fingerprint!, /^[0-9a-f]{12}$/);
  return env[key]!.fingerprint!;
}

describe('secret env values with the docker driver', skipUnlessDocker, () => {
  const service = 'secret-web';
  let up: PazUp;
  let events: EventLog;

  before(async () => {
    // debug: the most the server ever logs
    up = await startPazUp(['--log-level', 'debug']);
    events = new EventLog(up.paz.orchestrator);
  });
  after(async () => {
    events?.close();
    await request('DELETE', `${up.paz.orchestrator}/services/${service}`).catch(() => undefined);
    await waitFor("the service's containers to be removed", async () => (await up.docker.listContainers({ all: true, filters: { label: [`paz.service=${service}`] } })).length === 0, 60_000).catch(() => undefined);
    await up?.close();
  });

  const containerEnv = async (version: number) => {
    const list = await up.docker.listContainers({ filters: { label: [`paz.service=${service}`, `paz.version=${version}`] } });
    assert.ok(list.length > 0, `a container of version ${version} runs`);
    return Promise.all(list.map(async (c) => (await up.docker.getContainer(c.Id).inspect()).Config.Env));
  };

  it('gives the container the value, shows it nowhere, and rolls out a changed one as a new version', async () => {
    const { paz } = up;
    const first = uniqueSecret('first');
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: service,
      dockerRepository: up.env.image1,
      ports: [{ container: 9000 }],
      env: { DB_PASSWORD: { secret: first }, MODE: 'plain-value' },
      rollout: { drainSeconds: 0, stopGraceSeconds: 2 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const fp1 = await fingerprintOf(paz, service, 'DB_PASSWORD');
    assert.deepEqual(created.body.doc.config.env, { DB_PASSWORD: { secret: true, fingerprint: fp1 }, MODE: 'plain-value' });

    const deployed = await request('POST', `${paz.orchestrator}/services/${service}/deploy`, {});
    assert.equal(deployed.status, 201);
    // answers to writes go through the same redaction as the GETs walked below
    assert.deepEqual(deployed.body.doc.config.env.DB_PASSWORD, { secret: true, fingerprint: fp1 });
    await up.settled(service, 1);
    for (const env of await containerEnv(1)) {
      assert.ok(env.includes(`DB_PASSWORD=${first}`), 'the container gets the plain value');
      assert.ok(env.includes('MODE=plain-value'));
    }
    await assertNowhere({ paz, events, service, secrets: [first], fingerprints: [fp1] });

    // a config sent back as GET shows it keeps the secret; a fingerprint that is not the current one is refused
    const shown = (await request('GET', `${paz.orchestrator}/services/${service}/config/next`)).body.doc;
    const kept = await request('PATCH', `${paz.directory}/services/${service}/config`, { env: shown.env });
    assert.equal(kept.status, 200, JSON.stringify(kept.body));
    assert.equal(await fingerprintOf(paz, service, 'DB_PASSWORD'), fp1);
    const stale = await request('PATCH', `${paz.orchestrator}/services/${service}/config/next`, { env: { DB_PASSWORD: { secret: true, fingerprint: '0123456789ab' } } });
    assert.equal(stale.status, 400);
    assert.equal(stale.body.code, 'PAZ_SECRET_NOT_KEPT');
    assert.match(stale.body.message, /send the value itself/);

    // the same value set again is no change
    const before = JSON.stringify((await request('GET', `${paz.orchestrator}/services/${service}/config/next`)).body.doc);
    assert.match(await cli(paz, ['secret', 'set', service, 'DB_PASSWORD=-'], `${first}\n`), /DB_PASSWORD: unchanged/);
    assert.equal(JSON.stringify((await request('GET', `${paz.orchestrator}/services/${service}/config/next`)).body.doc), before);

    // a changed value: a new fingerprint, a new version, rolled out, and the new container sees it
    const second = uniqueSecret('second');
    const setOut = await cli(paz, ['secret', 'set', service, 'DB_PASSWORD=-'], `${second}\n`);
    assert.match(setOut, /DB_PASSWORD: changed/);
    const fp2 = await fingerprintOf(paz, service, 'DB_PASSWORD');
    assert.notEqual(fp2, fp1);
    assert.match(await cli(paz, ['deploy', service]), /version 2/);
    await up.settled(service, 2);
    for (const env of await containerEnv(2)) assert.ok(env.includes(`DB_PASSWORD=${second}`) && !env.some((e) => e.includes(first)));
    const history = (await request('GET', `${paz.scheduler}/config/${service}/history`)).body.doc;
    assert.deepEqual([history['1'].env.DB_PASSWORD.fingerprint, history['2'].env.DB_PASSWORD.fingerprint], [fp1, fp2]);
    await assertNowhere({ paz, events, service, secrets: [first, second], fingerprints: [fp1, fp2] });
    assert.ok(!setOut.includes(second));

    // unset: gone from the next config
    await cli(paz, ['secret', 'unset', service, 'DB_PASSWORD']);
    assert.equal((await request('GET', `${paz.orchestrator}/services/${service}/config/next`)).body.doc.env.DB_PASSWORD, undefined);
  });
});

describe('secret env values with the process driver, and an agent with another key', () => {
  const service = 'secret-proc';
  const cgroupParent = `paz-secrets-test-${process.pid}`;
  // answers the SHA-256 of its secret, so the test can tell it got the value without the value being shown
  const program = `
const http = require('node:http');
const hash = require('node:crypto').createHash('sha256').update(process.env.API_TOKEN || '').digest('hex');
http.createServer((req, res) => res.end(hash)).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;
  const paz = new PazProcess({ role: 'up', extraArgs: ['--driver', 'process', '--no-router', '--agent-port', '0', '--cgroup-parent', cgroupParent, '--log-level', 'debug'] });
  let other: PazProcess | undefined;
  let events: EventLog;
  before(async () => {
    await paz.start();
    events = new EventLog(paz.orchestrator);
  });
  after(async () => {
    events?.close();
    const live = other ?? paz;
    await request('DELETE', `${live.orchestrator}/services/${service}`).catch(() => undefined);
    await waitFor('the agent to retire its units', async () => /paz_agent_units 0\b/.test(await (await fetch(`${live.orchestrator}/metrics`)).text())).catch(() => undefined);
    await other?.stop();
    await paz.close();
  });

  it('gives the process the value in its environment, shows it nowhere, and fails a unit another key cannot open without retrying', async () => {
    const token = uniqueSecret('token');
    const created = await request('POST', `${paz.orchestrator}/services`, {
      name: service,
      dockerRepository: 'local/secret-proc',
      command: [process.execPath, '-e', program],
      ports: [{ container: 9000 }],
      env: { API_TOKEN: { secret: token } },
      healthCheck: { path: '/', intervalSeconds: 0.5 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await request('POST', `${paz.orchestrator}/services/${service}/deploy`, {})).status, 201);
    const unit = await waitFor('the instance healthy', async () => {
      const us = (await request('GET', `${paz.orchestrator}/services/${service}/units`)).body as Array<{ healthy: boolean; endpoint: string }>;
      return us.length === 1 && us[0].healthy ? us[0] : undefined;
    });
    assert.equal(await (await fetch(`http://${unit.endpoint}/`)).text(), createHash('sha256').update(token).digest('hex'), 'the process got the plain value');
    // the driver's own state (units/*.json, mode 0600) keeps the env it started the process with, as Docker keeps a container's
    await assertNowhere({ paz, events, service, secrets: [token], fingerprints: [await fingerprintOf(paz, service, 'API_TOKEN')], skipFiles: (p) => p.startsWith(join(paz.dataDir, 'process-driver', 'units')) });

    // another key on this host: the running instance is adopted, a new one cannot open its secret and fails for good
    await paz.stop();
    other = new PazProcess({ role: 'up', dataDir: paz.dataDir, extraArgs: ['--driver', 'process', '--no-router', '--agent-port', '0', '--cgroup-parent', cgroupParent], env: { PAZ_SECRETS_KEY: randomBytes(32).toString('base64') } });
    await other.start();
    assert.equal((await request('POST', `${other.orchestrator}/services/${service}/scale`, { numInstances: 2 })).status, 200);
    const failed = await waitFor('the new instance to fail', async () => {
      const us = (await request('GET', `${other!.orchestrator}/services/${service}/units`)).body as Array<{ instance: number; state: string; reason?: string; restarts?: number }>;
      return us.find((u) => u.instance === 2 && u.state === 'failed');
    });
    assert.match(failed.reason ?? '', /^SECRET_UNREADABLE: env API_TOKEN \(fingerprint [0-9a-f]{12}\) cannot be opened: this secret was sealed with key \w+ but this host has key \w+/);
    assert.ok(!(failed.reason ?? '').includes(token));
    // and stays failed: no retry loop (a retry would report pulling or starting). Waited for by the host's own
    // heartbeats (every 5 s), well past the first restart backoff (1 s)
    const failedAt = (failed as { updatedAt?: number }).updatedAt;
    assert.ok(failedAt);
    await waitFor('two more heartbeats of the host', async () => {
      const hosts = (await request('GET', `${other!.orchestrator}/cluster/hosts`)).body as Array<{ heartbeatAt: number }>;
      return hosts[0].heartbeatAt > failedAt + 6000;
    });
    const later = ((await request('GET', `${other.orchestrator}/services/${service}/units`)).body as Array<{ instance: number; state: string; updatedAt?: number }>).find((u) => u.instance === 2);
    assert.deepEqual([later?.state, later?.updatedAt], ['failed', failedAt], 'not retried');
    // the first instance still runs and serves
    assert.equal(await (await fetch(`http://${unit.endpoint}/`)).text(), createHash('sha256').update(token).digest('hex'));
    assert.ok(!other.output.includes(token), 'the other server log shows no secret');
  });
});
