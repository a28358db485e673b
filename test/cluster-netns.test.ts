// Two hosts, for real: network namespaces h1 and h2 on a bridge, etcd and the control plane on h1, an
// agent (process driver) on each. A service's instances spread over both hosts and answer across the
// network; when h2's agent dies, its unit is placed on h1 after the host-loss grace. h2's agents are given no
// address: they work out their 10.x address from their route to the store; 127.0.0.1 is refused, and a host
// name is resolved (through a hosts file of the agent's own mount namespace: no system file is touched).
// All traffic stays inside namespaces this test creates (addresses 10.231.<n>.x exist only there).
// test-lane: light slow
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pazBin } from './helpers/paz-server.js';
import { tmpDir } from './helpers/env.js';
import { waitFor } from './helpers/wait.js';
import { removeCgroupParent } from './helpers/procs.js';
import { findEtcdBinary } from '../src/store/etcd/local-etcd.js';
import { newClusterToken } from '../src/core/cluster-token.js';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot || !findEtcdBinary() ? (process.env.CI === 'true' ? false : 'needs root (network namespaces) and etcd') : false;

const tag = `pc${process.pid % 100000}`;
const ns = { sw: `${tag}-sw`, h1: `${tag}-h1`, h2: `${tag}-h2` };
const net = `10.231.${process.pid % 200}`;
const addr = { h1: `${net}.1`, h2: `${net}.2` };
/** the process driver's cgroup parent for this test alone, removed whole at the end */
const cgroupParent = `paz-cluster-test-${process.pid}`;

/** the admin token the control plane wrote to its data dir at first start (auth is on off loopback) */
let token = '';
const authHeader = (): string[] => (token ? ['-H', `authorization: Bearer ${token}`] : []);

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/** An HTTP GET made from inside a namespace (curl, bounded), so traffic never leaves our namespaces. */
function getFrom(host: 'h1' | 'h2', url: string): { status: number; body: string } {
  try {
    const out = execFileSync('nsenter', [`--net=/run/netns/${ns[host]}`, 'curl', '-s', '-m', '5', ...authHeader(), '-w', '\n%{http_code}', url], { encoding: 'utf8' });
    const i = out.lastIndexOf('\n');
    return { status: Number(out.slice(i + 1)), body: out.slice(0, i) };
  } catch {
    return { status: 0, body: '' };
  }
}

function postFrom(host: 'h1' | 'h2', url: string, body: unknown): { status: number; body: string } {
  const out = execFileSync('nsenter', [`--net=/run/netns/${ns[host]}`, 'curl', '-s', '-m', '10', ...authHeader(), '-X', 'POST', '-H', 'content-type: application/json', '-d', JSON.stringify(body), '-w', '\n%{http_code}', url], { encoding: 'utf8' });
  const i = out.lastIndexOf('\n');
  return { status: Number(out.slice(i + 1)), body: out.slice(0, i) };
}

const server = `
require('node:http').createServer((q, s) => s.end('hello from ' + require('node:os').hostname() + ' instance ' + process.env.PAZ_INSTANCE + '\\n'))
  .listen(Number(process.env.PORT), '0.0.0.0');
process.on('SIGTERM', () => process.exit(0));
`;

/** `paz agent` on h2 started inside a mount namespace of its own where /etc/hosts is `hosts` (the machine's stays as it is). */
function withHostsFile(hosts: string, args: string[]): string[] {
  return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, ...args];
}

describe('two hosts in network namespaces, on etcd', { skip }, () => {
  const dir = isRoot ? tmpDir('paz-cluster-') : '';
  const children: ChildProcess[] = [];
  const agents: Record<string, ChildProcess> = {};
  const orchestrator = `http://${addr.h1}:9000`;
  const etcdUrl = `etcd://${addr.h1}:2379`;
  // the secret server and agents share: h2's agent has no data dir of the server's to read it from
  const clusterToken = newClusterToken();

  function start(host: 'h1' | 'h2', name: string, args: string[]): ChildProcess {
    const log = join(dir, `${name}.log`);
    const child = spawn('nsenter', [`--net=/run/netns/${ns[host]}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', () => {
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(log, out);
      } catch {
        /* dir gone */
      }
    });
    children.push(child);
    return child;
  }

  before(async () => {
    ip('netns', 'add', ns.sw);
    ip('-n', ns.sw, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', ns.sw, 'link', 'set', 'br0', 'up');
    for (const h of ['h1', 'h2'] as const) {
      ip('netns', 'add', ns[h]);
      ip('-n', ns[h], 'link', 'set', 'lo', 'up');
      ip('link', 'add', `${ns[h]}-v`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns[h]);
      ip('link', 'set', `${ns[h]}-v`, 'netns', ns.sw);
      ip('-n', ns.sw, 'link', 'set', `${ns[h]}-v`, 'master', 'br0', 'up');
      ip('-n', ns[h], 'addr', 'add', `${addr[h]}/24`, 'dev', 'eth0');
      ip('-n', ns[h], 'link', 'set', 'eth0', 'up');
    }
    start('h1', 'etcd', [
      findEtcdBinary()!, '--name', 'c1', '--data-dir', join(dir, 'etcd'),
      '--listen-client-urls', `http://${addr.h1}:2379,http://127.0.0.1:2379`, '--advertise-client-urls', `http://${addr.h1}:2379`,
      '--listen-peer-urls', 'http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380', '--initial-cluster', 'c1=http://127.0.0.1:2380',
    ]);
    await waitFor('etcd on h1', async () => getFrom('h1', `http://${addr.h1}:2379/health`).status === 200, 30_000);
    start('h1', 'server', [process.execPath, pazBin, 'server', '--store', etcdUrl, '--bind', addr.h1, '--advertise', addr.h1, '--host-loss-grace', '2', '--log-level', 'warn', '--data-dir', join(dir, 'server'), '--cluster-token', clusterToken]);
    await waitFor('the control plane on h1', async () => getFrom('h2', `${orchestrator}/health`).status === 200, 30_000);
    assert.equal(getFrom('h2', `${orchestrator}/services`).status, 401, 'off loopback, auth is on: no token, no answer');
    token = readFileSync(join(dir, 'server', 'admin-token'), 'utf8').trim();
    assert.equal(getFrom('h2', `${orchestrator}/services`).status, 200, 'the admin token is taken');
    for (const h of ['h1', 'h2'] as const) {
      // h1 names its address; h2 is given none and finds it from its route to the store
      agents[h] = start(h, `agent-${h}`, [
        process.execPath, pazBin, 'agent', '--store', etcdUrl, '--driver', 'process', '--no-router',
        ...(h === 'h1' ? ['--address', addr[h], '--agent-bind', addr[h]] : []), '--data-dir', join(dir, h), '--label', `name=${h}`, '--log-level', 'warn', '--cgroup-parent', cgroupParent,
        '--cluster-token', clusterToken,
      ]);
    }
    await waitFor('both hosts registered', async () => {
      const r = getFrom('h1', `${orchestrator}/cluster/hosts`);
      return r.status === 200 && JSON.parse(r.body).length === 2;
    }, 30_000);
  });

  after(async () => {
    for (const c of children.reverse()) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM');
        await Promise.race([new Promise((r) => c.once('exit', r)), new Promise((r) => setTimeout(r, 10_000))]);
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }
    }
    // Units outlive their agents on purpose (a restarted agent adopts them): end every process in this
    // test's cgroups, then remove the cgroups.
    await removeCgroupParent(cgroupParent);
    for (const n of [ns.h1, ns.h2, ns.sw]) {
      try {
        ip('netns', 'delete', n);
      } catch {
        /* not made */
      }
    }
  });

  it('spreads instances over both hosts; they answer across the network', async () => {
    assert.equal(postFrom('h2', `${orchestrator}/services`, { name: 'spread', dockerRepository: 'local/spread', command: [process.execPath, '-e', server], ports: [{ container: 9000 }], numInstances: 2 }).status, 201);
    assert.equal(postFrom('h2', `${orchestrator}/services/spread/deploy`, {}).status, 201);
    const units = await waitFor('both instances healthy', async () => {
      const us = JSON.parse(getFrom('h1', `${orchestrator}/services/spread/units`).body);
      return us.length === 2 && us.every((u: { healthy: boolean }) => u.healthy) ? us : undefined;
    }, 30_000);
    const ips = units.map((u: { endpoint: string }) => u.endpoint.split(':')[0]).sort();
    assert.deepEqual(ips, [addr.h1, addr.h2].sort(), 'one instance per host');
    for (const u of units) {
      const from = u.endpoint.startsWith(addr.h1) ? 'h2' : 'h1';
      assert.match(getFrom(from, `http://${u.endpoint}/`).body, new RegExp(`instance ${u.instance}`), `reachable from the other host`);
      // the orchestrator shows each host's agent the cluster token for the unit's logs and stats
      assert.equal(getFrom('h2', `${orchestrator}/services/spread/units/${u.name}/logs`).status, 200, `${u.name}'s logs through the orchestrator`);
      // and a command run in it, on its own host (its working directory is under that host's agent's data dir)
      const ran = postFrom('h2', `${orchestrator}/services/spread/exec`, { command: ['sh', '-c', 'echo "instance $PAZ_INSTANCE in $PWD"'], unit: u.name });
      assert.equal(ran.status, 200, ran.body);
      const frames = ran.body.trim().split('\n').map((l) => JSON.parse(l));
      const host = u.endpoint.startsWith(addr.h1) ? 'h1' : 'h2';
      assert.match(frames[0].line, new RegExp(`^instance ${u.instance} in ${join(dir, host)}/`), `${u.name}'s command ran beside it on ${host}`);
      assert.deepEqual(frames.at(-1), { type: 'exit', exitCode: 0 });
    }
    const stats = JSON.parse(getFrom('h2', `${orchestrator}/services/spread/stats`).body);
    for (const u of units) assert.equal(stats.units[u.name].error, undefined, JSON.stringify(stats.units[u.name]));
    // a stranger on the network gets nothing from an agent
    const h2Agent = JSON.parse(getFrom('h1', `${orchestrator}/cluster/hosts`).body).find((h: { PublicIP: string }) => h.PublicIP === addr.h2);
    assert.equal(getFrom('h1', `${h2Agent.agentUrl}/stats`).status, 401);
  });

  it("when h2's agent dies, its unit is placed on h1 and answers there", async () => {
    agents.h2.kill('SIGKILL');
    const moved = await waitFor('every instance on h1', async () => {
      const us = JSON.parse(getFrom('h1', `${orchestrator}/services/spread/units`).body);
      return us.length === 2 && us.every((u: { healthy: boolean; endpoint?: string }) => u.healthy && u.endpoint?.startsWith(addr.h1)) ? us : undefined;
    }, 60_000);
    for (const u of moved) assert.match(getFrom('h1', `http://${u.endpoint}/`).body, /hello from/);
    const hosts = JSON.parse(getFrom('h1', `${orchestrator}/cluster/hosts`).body);
    assert.deepEqual(hosts.map((h: { PublicIP: string }) => h.PublicIP), [addr.h1]);
  });

  it('refuses --address 127.0.0.1 with a store on another host (exit 2), before claiming anything', () => {
    const data = join(dir, 'refused');
    for (const flags of [['--address', '127.0.0.1'], ['--advertise', 'localhost']]) {
      let code = 0;
      let stderr = '';
      try {
        execFileSync('nsenter', [`--net=/run/netns/${ns.h2}`, process.execPath, pazBin, 'agent', '--store', etcdUrl, '--driver', 'process', '--no-router', '--cgroup-parent', cgroupParent, ...flags, '--data-dir', data, '--cluster-token', clusterToken], { encoding: 'utf8', stdio: 'pipe', timeout: 20_000 });
      } catch (err) {
        code = (err as { status: number }).status;
        stderr = String((err as { stderr: string }).stderr);
      }
      assert.equal(code, 2, `${flags.join(' ')}: ${stderr}`);
      assert.match(stderr, new RegExp(`paz agent: ${flags[0]} ${flags[1]}.* is loopback, but the store is on another host \\(${addr.h1.replace(/\./g, '\\.')}:2379\\)`));
      assert.equal(stderr.trim().split('\n').length, 1, 'one message');
    }
    assert.equal(existsSync(join(data, 'paz.pid')) || existsSync(join(data, 'host-id')), false, 'nothing claimed');
  });

  it('takes a host name as --address: instances are announced at its IP, and routes keep following deploys', async () => {
    const hostsFile = join(dir, 'hosts-h2');
    writeFileSync(hostsFile, `127.0.0.1 localhost\n${addr.h2} node-h2.paz-test\n`);
    // a router on h2 this time, serving every host's instances
    agents.h2b = start('h2', 'agent-h2-named', withHostsFile(hostsFile, [
      process.execPath, pazBin, 'agent', '--store', etcdUrl, '--driver', 'process', '--router-port', '8080',
      '--address', 'node-h2.paz-test', '--data-dir', join(dir, 'h2-named'), '--log-level', 'warn', '--cgroup-parent', cgroupParent, '--cluster-token', clusterToken,
    ]));
    await waitFor('h2 registered again, at its IP', async () => {
      const hosts = JSON.parse(getFrom('h1', `${orchestrator}/cluster/hosts`).body) as Array<{ PublicIP: string }>;
      return hosts.some((h) => h.PublicIP === addr.h2);
    }, 30_000);
    const versioned = server.replace(`' instance ' + process.env.PAZ_INSTANCE`, `' instance ' + process.env.PAZ_INSTANCE + ' version ' + process.env.PAZ_VERSION`);
    assert.equal(postFrom('h2', `${orchestrator}/services`, { name: 'named', dockerRepository: 'local/named', command: [process.execPath, '-e', versioned], ports: [{ container: 9000 }], numInstances: 2, conflictsWith: 'named' }).status, 201);
    for (const version of [1, 2]) {
      assert.equal(postFrom('h2', `${orchestrator}/services/named/deploy`, {}).status, 201);
      const units = await waitFor(`version ${version} healthy on both hosts`, async () => {
        const us = JSON.parse(getFrom('h1', `${orchestrator}/services/named/units`).body) as Array<{ healthy: boolean; version: number; endpoint: string }>;
        const mine = us.filter((u) => u.version === version);
        return mine.length === 2 && mine.every((u) => u.healthy) ? mine : undefined;
      }, 60_000);
      assert.deepEqual(units.map((u) => u.endpoint.split(':')[0]).sort(), [addr.h1, addr.h2].sort(), 'the name became its IP in the endpoint');
      // h2's router (port 8080 inside h2) answers from the new version: its routes were updated
      await waitFor(`h2's router serving version ${version} from both hosts`, async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 10; i++) {
          const out = execFileSync('nsenter', [`--net=/run/netns/${ns.h2}`, 'curl', '-s', '-m', '5', '-H', 'host: named.paz', 'http://127.0.0.1:8080/'], { encoding: 'utf8' });
          if (!out.includes(`version ${version}`)) return false;
          seen.add(/instance (\d+)/.exec(out)?.[1] ?? out);
        }
        return seen.size === 2;
      }, 30_000);
    }
  });
});
