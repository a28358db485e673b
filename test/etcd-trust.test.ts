// Paz on an etcd that trusts only who proves it: (a) etcd's own auth (a user and password), (b) TLS with
// client certificates made here with openssl. With the right credentials a service runs (process driver);
// without them, or with wrong ones, Paz refuses to start with a message that says what to fix, and the
// password never shows in its output.
// test-lane: light slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EtcdMember, findEtcdBinary } from '../src/store/etcd/local-etcd.js';
import { PazProcess, pazBin, request } from './helpers/paz-server.js';
import { freePort, tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';
import { makeTestCerts, type TestCerts } from './helpers/test-certs.js';
import { deployEchoService, retireService } from './helpers/process-service.js';

const run = promisify(execFile);
const skip = findEtcdBinary() === undefined && process.env.CI !== 'true' ? 'etcd is not installed (apt-get install etcd-server etcd-client)' : false;

/** characters that must be URL-encoded in the store URL, to prove the decoding */
const PASSWORD = 'p@ss:w/rd%42-trust';
const ENCODED = encodeURIComponent(PASSWORD);

async function startEtcd(label: string, tls?: TestCerts): Promise<EtcdMember> {
  const dir = tmpDir(`paz-etcd-${label}-`);
  const member = EtcdMember.start({
    name: label, dataDir: join(dir, 'data'), logFile: join(dir, 'etcd.log'), clientPort: await freePort(), peerPort: await freePort(),
    ...(tls ? { tls: { certFile: tls.serverCert, keyFile: tls.serverKey, trustedCaFile: tls.ca, clientCertAuth: true, clientCertFile: tls.clientCert, clientKeyFile: tls.clientKey } } : {}),
  });
  await member.waitUntilHealthy();
  return member;
}

/** `paz server` that must fail to start: resolves with its output */
async function failedStart(extraArgs: string[]): Promise<string> {
  const paz = new PazProcess({ extraArgs });
  try {
    await paz.start();
  } catch (err) {
    return (err as Error).message;
  } finally {
    await paz.close();
  }
  throw new Error(`paz server started with ${extraArgs.join(' ')}`);
}

function assertClearFailure(output: string, expected: RegExp): void {
  assert.match(output, /exited with 1/, output);
  assert.match(output, expected, output);
  assert.doesNotMatch(output, /\n\s+at /, `a message, not a stack trace:\n${output}`);
  assert.ok(!output.includes(PASSWORD) && !output.includes(ENCODED), `the password shows in:\n${output}`);
}

describe('Paz on etcd with auth enabled', { skip }, () => {
  let etcd: EtcdMember;
  let server: PazProcess;
  let agent: ChildProcess | undefined;
  let agentOutput = '';
  let storeUrl: string;
  const cgroupParent = `paz-etcd-auth-test-${process.pid}`;
  let agentMetrics: string;
  let token: string;

  before(async () => {
    etcd = await startEtcd('auth');
    const etcdctl = (...args: string[]) => run('etcdctl', [`--endpoints=${etcd.endpoint}`, ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
    await etcdctl('user', 'add', 'root', `--new-user-password=${PASSWORD}`);
    await etcdctl('auth', 'enable');
    storeUrl = `etcd://root:${ENCODED}@${etcd.endpoint}`;
  });
  after(async () => {
    if (agentMetrics) await retireService(server.orchestrator, 'guarded', agentMetrics, { authorization: `Bearer ${token}` }).catch(() => undefined);
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await server?.close();
    await etcd?.stop();
  });

  it('a server and an agent of their own, with the user and password, run a service', async () => {
    server = new PazProcess({ extraArgs: ['--store', storeUrl] });
    await server.start();
    token = readFileSync(join(server.dataDir, 'cluster-token'), 'utf8').trim();
    // the agent has a data dir of its own, as on another host: it gets the token from the environment
    const agentPort = await freePort();
    agent = spawn(process.execPath, [
      pazBin, 'agent', '--store', storeUrl, '--data-dir', tmpDir('paz-etcd-auth-agent-'), '--driver', 'process', '--no-router',
      '--agent-port', String(agentPort), '--cgroup-parent', cgroupParent, '--log-level', 'warn',
    ], { env: { ...process.env, PAZ_CLUSTER_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (d) => (agentOutput += d));
    agent.stderr!.on('data', (d) => (agentOutput += d));
    await waitFor('the agent registered', async () => {
      if (agent!.exitCode !== null) throw new Error(`paz agent exited: ${agentOutput}`);
      return (await request('GET', `${server.orchestrator}/cluster/hosts`)).body.length === 1;
    }, 30_000);
    agentMetrics = `http://127.0.0.1:${agentPort}/metrics`;

    const unit = await deployEchoService(server.orchestrator, 'guarded');
    assert.equal(await (await fetch(`http://${unit.endpoint}/`)).text(), `hello from guarded ${unit.instance}\n`);
    // through the orchestrator, which shows the agent (another process) the cluster token
    assert.match(await (await fetch(`${server.orchestrator}/services/guarded/units/${unit.name}/logs`)).text(), /listening on \d+/);
    const { stdout } = await run(process.execPath, [pazBin, 'kv', 'get', '/paz/services/paz-orchestrator', '--store', storeUrl]);
    assert.equal(stdout.trim(), `127.0.0.1:${server.ports.orchestrator}`);
    for (const out of [server.output, agentOutput]) assert.ok(!out.includes(PASSWORD) && !out.includes(ENCODED), `the password shows in:\n${out}`);
    assert.match(server.output, /store etcd:\/\/root@127\.0\.0\.1:\d+/);
  });

  it('without a user and password, paz server refuses to start and says etcd wants them', async () => {
    assertClearFailure(await failedStart(['--store', `etcd://${etcd.endpoint}`]), /has authentication enabled: give a user and password, --store etcd:\/\/user:password@host/);
  });

  it('with a wrong password, paz server refuses to start, saying so without showing it', async () => {
    const wrong = `etcd://root:${ENCODED}x@${etcd.endpoint}`;
    const out = await failedStart(['--store', wrong]);
    assertClearFailure(out, /etcd:\/\/root@127\.0\.0\.1:\d+ refused the user name or password/);
    assert.ok(!out.includes(`${ENCODED}x`));
    // paz kv too
    const kv = await run(process.execPath, [pazBin, 'kv', 'ls', '--store', wrong]).then(() => undefined, (err: { code: number; stderr: string }) => err);
    assert.equal(kv?.code, 1);
    assert.match(kv!.stderr, /refused the user name or password/);
    assert.ok(!kv!.stderr.includes(PASSWORD) && !kv!.stderr.includes(ENCODED));
  });
});

describe('Paz on etcd with TLS client certificates', { skip }, () => {
  let certs: TestCerts;
  let etcd: EtcdMember;
  let paz: PazProcess | undefined;
  const cgroupParent = `paz-etcd-tls-test-${process.pid}`;

  before(async () => {
    certs = makeTestCerts(tmpDir('paz-etcd-certs-'));
    etcd = await startEtcd('tls', certs);
  });
  after(async () => {
    if (paz) {
      await retireService(paz.orchestrator, 'sealed', `${paz.orchestrator}/metrics`).catch(() => undefined);
      await paz.close();
    }
    await etcd?.stop();
  });

  it('paz up with the client certificate runs a service', async () => {
    const tlsArgs = ['--store-ca', certs.ca, '--store-cert', certs.clientCert, '--store-key', certs.clientKey];
    paz = new PazProcess({ role: 'up', extraArgs: ['--store', `etcds://${etcd.endpoint}`, ...tlsArgs, '--driver', 'process', '--no-router', '--agent-port', '0', '--cgroup-parent', cgroupParent] });
    await paz.start();
    const unit = await deployEchoService(paz.orchestrator, 'sealed');
    assert.equal(await (await fetch(`http://${unit.endpoint}/`)).text(), `hello from sealed ${unit.instance}\n`);
    assert.match(paz.output, /store etcds:\/\/127\.0\.0\.1:\d+/);
    // the same flags as environment variables, for paz kv
    const { stdout } = await run(process.execPath, [pazBin, 'kv', 'get', '/paz/services/paz-orchestrator', '--store', `etcd://${etcd.endpoint}`], {
      env: { ...process.env, PAZ_STORE_CA: certs.ca, PAZ_STORE_CERT: certs.clientCert, PAZ_STORE_KEY: certs.clientKey },
    });
    assert.equal(stdout.trim(), `127.0.0.1:${paz.ports.orchestrator}`);
  });

  it('without the client certificate, paz server refuses to start with a clear message', async () => {
    assertClearFailure(await failedStart(['--store', `etcds://${etcd.endpoint}`, '--store-ca', certs.ca]), /etcds:\/\/127\.0\.0\.1:\d+ refused this client's TLS certificate .*give --store-cert and --store-key/);
  });

  it("without the CA that signed etcd's certificate, paz server refuses to start and asks for --store-ca", async () => {
    assertClearFailure(await failedStart(['--store', `etcds://${etcd.endpoint}`, '--store-cert', certs.clientCert, '--store-key', certs.clientKey]), /showed a TLS certificate this client does not trust .*give --store-ca/);
  });

  it('without TLS at all, paz server refuses to start and points at the TLS flags', async () => {
    assertClearFailure(await failedStart(['--store', `etcd://${etcd.endpoint}`]), /etcds:\/\/, --store-ca, --store-cert, --store-key/);
  });
});
