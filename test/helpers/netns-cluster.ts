/**
 * A real cluster on one machine, for the cluster tests: hosts that are network namespaces on one bridge,
 * each able to run its own dockerd, etcd member, `paz agent` (with its HAProxy router) and `paz server`;
 * a registry on the bridge serving the test environment's images; and the test process itself attached
 * to the bridge, so a test talks to every host's address directly.
 *
 *   const c = new NetnsCluster({ hosts: 3, docker: true });
 *   await c.up();                              // namespaces, bridge, registry, dockerds
 *   await c.startEtcd();                       // a three-member etcd, one member on each of h1..h3
 *   await c.startServer(c.hosts[0]);           // paz server on h1 (auth on: c.token is its admin token)
 *   for (const h of c.hosts) c.startAgent(h);  // an agent + router on every host
 *   ...
 *   c.powerCut(c.hosts[1]);                    // link down, every process of the host SIGKILLed at once
 *   await c.down();                            // everything removed, pass or fail (call it in after())
 *
 * Needs root and the test environment of scripts/run-tests.mjs (it reuses that registry's storage, and runs
 * inside that environment's namespace). Every address (10.<a>.<b>.x) exists only inside the namespaces made
 * here, and `down()` removes the namespaces, the processes (by PID: the ones started here and every process
 * left in a host's namespace or in its containers' cgroups), the dockerds' mounts and the temp dir.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pazBin } from './paz-server.js';
import { tmpDir } from './env.js';
import { waitFor } from './wait.js';
import { cgroupTreeProcs, removeCgroupParent } from './procs.js';
import { findEtcdBinary } from '../../src/store/etcd/local-etcd.js';
import { newClusterToken } from '../../src/core/cluster-token.js';

export interface ClusterOptions {
  /** how many hosts (network namespaces h1..hN) */
  hosts: number;
  /** start a dockerd on every host (needs the test environment's registry) */
  docker?: boolean;
}

export interface ClusterHost {
  /** h1, h2, ... */
  name: string;
  /** the network namespace's name */
  netns: string;
  /** the host's address on the bridge */
  ip: string;
  /** the host's own temp dir (paz data dirs, docker data, logs) */
  dir: string;
  /** DOCKER_HOST of the host's dockerd, when the cluster has Docker */
  dockerHost?: string;
}

/** A process started inside a host's namespace, with its output kept in a log file. */
export interface ClusterProcess {
  name: string;
  host: ClusterHost;
  child: ChildProcess;
  log: string;
  /** resolves when it has exited */
  exited: Promise<void>;
}

const CGROUP_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'devices', 'freezer', 'cpuset', 'systemd'];

function run(cmd: string, args: string[], opts: { input?: string } = {}): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], input: opts.input });
}

function ip(...args: string[]): void {
  run('ip', args);
}

function alive(c: ChildProcess): boolean {
  return c.exitCode === null && c.signalCode === null;
}

/** a second, third... cluster in one test run gets other names and addresses */
let clusters = 0;

/** 8 × 250 /24s: 10.232.0.0 - 10.239.249.0 */
const SUBNETS = 2000;

/**
 * A /24 for a new cluster, 10.232-239.x, that no other cluster of this test run holds: test files run side
 * by side in lanes (scripts/lib/test-lanes.mjs), and two clusters on one subnet would fight over the route in
 * the test namespace. Claimed as an exclusive directory under the environment's temp dir (released by
 * down()); it also holds cluster.json, the namespaces and cgroups to remove should the test be stopped before
 * down() (scripts/lib/test-env.mjs removes them at teardown). Without that dir, derived from the PID.
 */
function claimSubnet(n: number): { subnet: string; dir?: string; release(): void } {
  const first = (process.pid * 8 + n) % SUBNETS;
  const name = (k: number) => `10.${232 + Math.floor(k / 250)}.${k % 250}`;
  const base = process.env.PAZ_TEST_TMP;
  if (!base || !existsSync(base)) return { subnet: `10.${232 + (n % 8)}.${process.pid % 250}`, release: () => undefined };
  const claims = join(base, 'netns-cluster-subnets');
  mkdirSync(claims, { recursive: true });
  for (let i = 0; i < SUBNETS; i++) {
    const k = (first + i) % SUBNETS;
    const dir = join(claims, name(k));
    try {
      mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    let held = true; // down() may run twice: the second must not free a claim another cluster made since
    return {
      subnet: name(k),
      dir,
      release: () => {
        if (held) rmSync(dir, { recursive: true, force: true });
        held = false;
      },
    };
  }
  throw new Error(`all ${SUBNETS} cluster subnets are claimed under ${claims}`);
}

export class NetnsCluster {
  readonly hosts: ClusterHost[];
  readonly dir: string;
  /** the bridge's address, where the registry listens */
  readonly gateway: string;
  /** the test process's own address on the bridge */
  readonly clientIp: string;
  /** host:port of the registry on the bridge (images: `${registry}/paz/hello:1`) */
  readonly registry: string;
  /** the secret every server and agent of this cluster shares */
  readonly clusterToken = newClusterToken();
  /** the admin token of the first server (auth is on: nothing here is loopback) */
  token = '';
  /** etcd://… of the members started by startEtcd() */
  etcdUrl = '';
  readonly processes: ClusterProcess[] = [];
  private readonly tag: string;
  private readonly swNetns: string;
  private readonly clientLink: string;
  private readonly subnet: string;
  private readonly releaseSubnet: () => void;
  private readonly etcdMembers = new Map<string, ClusterProcess>();
  private readonly dockerds = new Map<string, ClusterProcess>();
  private upStarted = false;

  constructor(private readonly opts: ClusterOptions) {
    if (opts.hosts < 1 || opts.hosts > 40) throw new Error('hosts: 1..40');
    const n = clusters++;
    this.tag = `nc${process.pid % 10000}${n}`;
    this.swNetns = `${this.tag}-sw`;
    this.clientLink = `${this.tag}-c`;
    // one /24 per cluster in 10.232-239.x, inside namespaces made here only
    const claim = claimSubnet(n);
    this.subnet = claim.subnet;
    this.releaseSubnet = claim.release;
    this.gateway = `${this.subnet}.254`;
    this.clientIp = `${this.subnet}.250`;
    this.registry = `${this.gateway}:5000`;
    this.dir = tmpDir('paz-netns-cluster-');
    this.hosts = Array.from({ length: opts.hosts }, (_, i) => {
      const name = `h${i + 1}`;
      const dir = join(this.dir, name);
      mkdirSync(dir, { recursive: true });
      return { name, netns: `${this.tag}-${name}`, ip: `${this.subnet}.${i + 1}`, dir };
    });
    if (claim.dir) {
      const record = { netns: [...this.hosts.map((h) => h.netns), this.swNetns], cgroups: this.hosts.map((h) => this.cgroupParent(h)) };
      writeFileSync(join(claim.dir, 'cluster.json'), `${JSON.stringify(record)}\n`);
    }
  }

  /** why a cluster can't be built here, or undefined when it can */
  static unavailableReason(opts: { docker?: boolean; etcd?: boolean } = {}): string | undefined {
    if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
    if (!process.env.PAZ_TEST_NETNS || !process.env.PAZ_TEST_TMP) return 'needs the test environment of scripts/run-tests.mjs';
    if (opts.etcd && !findEtcdBinary()) return 'needs etcd';
    if (opts.docker && !existsSync(join(process.env.PAZ_TEST_TMP, 'registry-data'))) return 'needs the test registry';
    return undefined;
  }

  /** `${registry}/paz/hello:<n>`: the hello images as every host's dockerd pulls them */
  image(n: 1 | 2): string {
    return `${this.registry}/paz/hello:${n}`;
  }

  /** Namespaces on a bridge, the test process on it too, then the registry and dockerds when asked. */
  async up(): Promise<void> {
    this.upStarted = true;
    ip('netns', 'add', this.swNetns);
    ip('-n', this.swNetns, 'link', 'set', 'lo', 'up');
    ip('-n', this.swNetns, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', this.swNetns, 'addr', 'add', `${this.gateway}/24`, 'dev', 'br0');
    ip('-n', this.swNetns, 'link', 'set', 'br0', 'up');
    for (const h of this.hosts) {
      ip('netns', 'add', h.netns);
      ip('-n', h.netns, 'link', 'set', 'lo', 'up');
      this.plug(`${h.netns}-v`, h.netns, 'eth0', h.ip);
    }
    // the test process's namespace joins the bridge, so tests reach every host without curl-in-nsenter
    ip('link', 'add', this.clientLink, 'type', 'veth', 'peer', 'name', `${this.clientLink}p`);
    ip('link', 'set', `${this.clientLink}p`, 'netns', this.swNetns);
    ip('-n', this.swNetns, 'link', 'set', `${this.clientLink}p`, 'master', 'br0', 'up');
    ip('addr', 'add', `${this.clientIp}/24`, 'dev', this.clientLink);
    ip('link', 'set', this.clientLink, 'up');
    if (this.opts.docker) {
      await this.startRegistry();
      await Promise.all(this.hosts.map((h) => this.startDockerd(h)));
    }
  }

  /** one end of a veth pair in `netns` as `ifname` with `address`, the other on the bridge */
  private plug(outer: string, netns: string, ifname: string, address: string): void {
    ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', ifname, 'netns', netns);
    ip('link', 'set', outer, 'netns', this.swNetns);
    ip('-n', this.swNetns, 'link', 'set', outer, 'master', 'br0', 'up');
    ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', ifname);
    ip('-n', netns, 'link', 'set', ifname, 'up');
  }

  /** Starts `argv` inside `host`'s network namespace (only the network one: dockerd needs the cgroup mounts). */
  start(host: ClusterHost, name: string, argv: string[], env: Record<string, string> = {}): ClusterProcess {
    return this.startIn(`/run/netns/${host.netns}`, host, name, argv, env);
  }

  private startIn(netnsPath: string, host: ClusterHost, name: string, argv: string[], env: Record<string, string>): ClusterProcess {
    const log = join(host.dir, `${name}.log`);
    const out = createWriteStream(log, { flags: 'a' });
    const child = spawn('nsenter', [`--net=${netnsPath}`, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    child.stdout!.pipe(out, { end: false });
    child.stderr!.pipe(out, { end: false });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    exited.then(() => out.end());
    const p: ClusterProcess = { name, host, child, log, exited };
    this.processes.push(p);
    return p;
  }

  /** The test registry's storage served on the bridge (read only: the images are pushed by the test environment). */
  private async startRegistry(): Promise<void> {
    const root = join(process.env.PAZ_TEST_TMP!, 'registry-data');
    const config = join(this.dir, 'registry.yml');
    writeFileSync(config, ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${root}`, '  maintenance:', '    readonly:', '      enabled: true', 'http:', `  addr: ${this.registry}`, ''].join('\n'));
    const pseudo: ClusterHost = { name: 'sw', netns: this.swNetns, ip: this.gateway, dir: this.dir };
    this.startIn(`/run/netns/${this.swNetns}`, pseudo, 'registry', ['docker-registry', 'serve', config], {});
    await waitFor('the registry on the bridge', async () => (await this.get(`http://${this.registry}/v2/`)).status === 200, 30_000);
  }

  private async startDockerd(h: ClusterHost): Promise<void> {
    const d = join(h.dir, 'docker');
    mkdirSync(d, { recursive: true });
    sharedMountAt(d);
    const sock = join(d, 'docker.sock');
    h.dockerHost = `unix://${sock}`;
    // each host's containers bridge gets its own range; containers' cgroups sit under a parent named for the
    // host, so a power cut can kill them too (a live container would keep answering through Docker's DNAT)
    const index = Number(h.name.slice(1));
    const p = this.start(h, 'dockerd', [
      'dockerd', '--data-root', join(d, 'data'), '--exec-root', join(d, 'exec'), '--pidfile', join(d, 'dockerd.pid'), '-H', h.dockerHost,
      '--bip', `10.${240 + (index % 10)}.${process.pid % 250}.1/24`, '--insecure-registry', this.registry, '--cgroup-parent', this.cgroupParent(h),
      // PAZ_DOCKERD_LOG_LEVEL=info (with PAZ_KEEP_CLUSTER_LOGS) shows what a host's dockerd and containerd did
      '--log-level', process.env.PAZ_DOCKERD_LOG_LEVEL ?? 'warn',
      // what it and its containerd write to the temp dir (containerd's stack dumps) goes with the host's dir
    ], { TMPDIR: d });
    this.dockerds.set(h.name, p);
    await waitFor(`dockerd on ${h.name}`, async () => {
      if (!alive(p.child)) throw new Error(`dockerd on ${h.name} exited: ${readFileSync(p.log, 'utf8').slice(-2000)}`);
      try {
        run('docker', ['-H', h.dockerHost!, 'version', '--format', '{{.Server.Version}}']);
        return true;
      } catch {
        return false;
      }
    }, 60_000, 300);
  }

  /** the cgroup parent of a host's containers */
  cgroupParent(h: ClusterHost): string {
    return `${this.tag}-${h.name}-containers`;
  }

  /** A `count`-member etcd, one member on each of the first `count` hosts; sets `etcdUrl`. */
  async startEtcd(count = Math.min(3, this.hosts.length)): Promise<void> {
    const bin = findEtcdBinary();
    if (!bin) throw new Error('etcd is not installed');
    const members = this.hosts.slice(0, count);
    const initial = members.map((h) => `${h.name}=http://${h.ip}:2380`).join(',');
    for (const h of members) this.etcdMembers.set(h.name, this.startEtcdMember(h, initial, 'new'));
    this.etcdUrl = `etcd://${members.map((h) => `${h.ip}:2379`).join(',')}`;
    await waitFor('etcd quorum', async () => (await Promise.all(members.map((h) => this.get(`http://${h.ip}:2379/health`)))).every((r) => r.status === 200 && /"health":"true"/.test(r.body)), 60_000, 300);
  }

  private startEtcdMember(h: ClusterHost, initial: string, state: 'new' | 'existing'): ClusterProcess {
    return this.start(h, 'etcd', [
      findEtcdBinary()!, '--name', h.name, '--data-dir', join(h.dir, 'etcd'),
      '--listen-client-urls', `http://${h.ip}:2379`, '--advertise-client-urls', `http://${h.ip}:2379`,
      '--listen-peer-urls', `http://${h.ip}:2380`, '--initial-advertise-peer-urls', `http://${h.ip}:2380`,
      '--initial-cluster', initial, '--initial-cluster-state', state, '--initial-cluster-token', this.tag,
      // pre-vote (etcd 3.5's default, off in 3.4): a member back from a partition does not depose the leader
      '--heartbeat-interval', '100', '--election-timeout', '1000', '--pre-vote', '--log-level', 'warn',
    ]);
  }

  /** the etcd member process of a host, if one runs there */
  etcdMember(h: ClusterHost): ClusterProcess | undefined {
    return this.etcdMembers.get(h.name);
  }

  /** etcd's status of `h`'s member (its JSON gateway): its own id and the id of the member it follows; undefined when it does not answer */
  async etcdStatus(h: ClusterHost): Promise<{ memberId: string; leaderId: string } | undefined> {
    const r = await this.request('POST', `http://${h.ip}:2379/v3/maintenance/status`, '{}', { 'content-type': 'application/json' });
    if (r.status !== 200) return undefined;
    try {
      const status = JSON.parse(r.body) as { header: { member_id: string }; leader: string };
      return { memberId: status.header.member_id, leaderId: status.leader };
    } catch {
      return undefined;
    }
  }

  /** the host whose etcd member leads, as the members that answer say */
  async etcdLeader(): Promise<ClusterHost | undefined> {
    for (const name of this.etcdMembers.keys()) {
      const h = this.hosts.find((x) => x.name === name)!;
      const status = await this.etcdStatus(h);
      if (status && status.memberId === status.leaderId) return h;
    }
    return undefined;
  }

  /** Makes `to`'s etcd member the leader (etcd's MoveLeader, sent to the current leader); resolves once it leads. */
  async moveEtcdLeader(to: ClusterHost): Promise<void> {
    await waitFor(`${to.name}'s etcd member leading`, async () => {
      const leader = await this.etcdLeader();
      if (leader === to) return true;
      const target = await this.etcdStatus(to);
      if (!leader || !target) return false;
      await this.request('POST', `http://${leader.ip}:2379/v3/maintenance/transfer-leadership`, JSON.stringify({ targetID: target.memberId }), { 'content-type': 'application/json' });
      return false;
    }, 30_000, 500);
  }

  /** Starts (again, after a kill) the etcd member of `h` with its data dir as it is. */
  restartEtcdMember(h: ClusterHost): ClusterProcess {
    const initial = [...this.etcdMembers.keys()].map((n) => `${n}=http://${this.hosts.find((x) => x.name === n)!.ip}:2380`).join(',');
    const p = this.startEtcdMember(h, initial, 'new');
    this.etcdMembers.set(h.name, p);
    return p;
  }

  /** `paz server` on `h`, on the cluster's etcd; the first one's admin token becomes `token`. */
  async startServer(h: ClusterHost, extra: string[] = [], name = 'server'): Promise<ClusterProcess> {
    if (!this.etcdUrl) throw new Error('start etcd first');
    const dataDir = join(h.dir, name);
    const p = this.start(h, name, [
      process.execPath, pazBin, 'server', '--store', this.etcdUrl, '--bind', h.ip, '--advertise', h.ip, '--data-dir', dataDir,
      '--cluster-token', this.clusterToken, '--log-level', 'info', ...extra,
    ]);
    await waitFor(`paz server on ${h.name}`, async () => {
      if (!alive(p.child)) throw new Error(`paz server on ${h.name} exited: ${readFileSync(p.log, 'utf8').slice(-2000)}`);
      return (await this.get(`http://${h.ip}:9000/health`)).status === 200;
    }, 60_000, 300);
    if (!this.token && existsSync(join(dataDir, 'admin-token'))) this.token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    return p;
  }

  /** `paz agent` on `h` with its router (Docker when the cluster has it, else the process driver). */
  startAgent(h: ClusterHost, extra: string[] = [], name = 'agent'): ClusterProcess {
    if (!this.etcdUrl) throw new Error('start etcd first');
    const driver = this.opts.docker ? ['--driver', 'docker'] : ['--driver', 'process', '--cgroup-parent', this.cgroupParent(h)];
    return this.start(h, name, [
      process.execPath, pazBin, 'agent', '--store', this.etcdUrl, ...driver, '--address', h.ip, '--agent-bind', h.ip,
      '--data-dir', join(h.dir, name), '--label', `name=${h.name}`, '--cluster-token', this.clusterToken, '--log-level', 'info', ...extra,
    ], h.dockerHost ? { DOCKER_HOST: h.dockerHost } : {});
  }

  /** The orchestrator's URL on `h` */
  orchestrator(h: ClusterHost = this.hosts[0]): string {
    return `http://${h.ip}:9000`;
  }

  /** A JSON API call with the admin token; never throws for a network error (status 0). */
  /**
   * Waits until `count` hosts (default: every host) are registered with the control plane, and returns them as
   * their announced host records (the agents write their host ids under their data dirs' agent/host-id).
   */
  async registeredHosts(count = this.hosts.length, timeoutMs = 60_000): Promise<Array<{ ID: string; PublicIP: string }>> {
    return waitFor(`${count} hosts registered`, async () => {
      const r = await this.api('GET', `${this.orchestrator()}/cluster/hosts`);
      return r.status === 200 && r.body.length === count ? (r.body as Array<{ ID: string; PublicIP: string }>) : undefined;
    }, timeoutMs);
  }

  /** host id -> its host, read from each agent's data dir (after the agents registered) */
  hostIds(): Map<string, ClusterHost> {
    const ids = new Map<string, ClusterHost>();
    for (const h of this.hosts) {
      const file = join(h.dir, 'agent', 'host-id');
      if (existsSync(file)) ids.set(readFileSync(file, 'utf8').trim(), h);
    }
    return ids;
  }

  async api(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
    const r = await this.request(method, url, body === undefined ? undefined : JSON.stringify(body), { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) });
    let parsed: unknown = r.body;
    try {
      parsed = r.body ? JSON.parse(r.body) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: r.status, body: parsed };
  }

  /** A GET, bounded; status 0 when nothing answered. */
  get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
    return this.request('GET', url, undefined, headers);
  }

  private async request(method: string, url: string, body: string | undefined, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    try {
      const res = await fetch(url, { method, body, headers: body === undefined ? Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'content-type')) : headers, signal: AbortSignal.timeout(10_000) });
      return { status: res.status, body: await res.text() };
    } catch {
      return { status: 0, body: '' };
    }
  }

  /** PIDs of every process in `h`'s network namespace, and of its containers (by their cgroup parent). */
  pidsOf(h: ClusterHost): number[] {
    const pids = new Set<number>();
    try {
      for (const p of run('ip', ['netns', 'pids', h.netns]).split('\n').filter(Boolean)) pids.add(Number(p));
    } catch {
      /* namespace gone */
    }
    for (const c of CGROUP_CONTROLLERS) {
      const parent = `/sys/fs/cgroup/${c}/${this.cgroupParent(h)}`;
      for (const pid of cgroupTreeProcs(parent)) pids.add(pid);
    }
    pids.delete(process.pid);
    return [...pids];
  }

  /**
   * A power cut: the host's link goes down and every process of the host (agent, router, dockerd and its
   * containerd and shims, containers, etcd member, server) gets SIGKILL at once. Returns when they are gone.
   */
  async powerCut(h: ClusterHost): Promise<void> {
    try {
      ip('-n', h.netns, 'link', 'set', 'eth0', 'down');
    } catch {
      /* already down */
    }
    for (let round = 0; round < 20; round++) {
      const pids = this.pidsOf(h);
      if (pids.length === 0) break;
      for (const pid of pids) killQuietly(pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * The host's dockerd stopped as a package upgrade or `systemctl restart docker` stops it (SIGTERM: it stops
   * every container, no live-restore) and started again on the same data; the rest of the host runs on.
   * `downMs`: how long it stays down. Returns when it answers again.
   */
  async restartDockerd(h: ClusterHost, downMs = 0): Promise<void> {
    const p = this.dockerds.get(h.name);
    if (!p) throw new Error(`${h.name} has no dockerd`);
    if (alive(p.child)) {
      p.child.kill('SIGTERM');
      await Promise.race([p.exited, new Promise((r) => setTimeout(r, 60_000))]);
      if (alive(p.child)) throw new Error(`dockerd on ${h.name} did not stop within 60 s`);
    }
    await new Promise((r) => setTimeout(r, downMs));
    rmSync(join(h.dir, 'docker', 'dockerd.pid'), { force: true });
    await this.startDockerd(h);
  }

  /** After a power cut: the link comes back and, with Docker, the host's dockerd starts again (same data). */
  async powerOn(h: ClusterHost): Promise<void> {
    ip('-n', h.netns, 'link', 'set', 'eth0', 'up');
    if (this.opts.docker) {
      unmountUnder(join(h.dir, 'docker'));
      rmSync(join(h.dir, 'docker', 'exec'), { recursive: true, force: true });
      await this.startDockerd(h);
    }
  }

  /** Runs `iptables` inside `h`'s namespace (e.g. to partition it); the rules go with the namespace. */
  iptables(h: ClusterHost, args: string[]): void {
    run('nsenter', [`--net=/run/netns/${h.netns}`, 'iptables', ...args]);
  }

  /**
   * The iptables rules (for `iptables(cut, ['-I', ...rule])`, and `-D` to heal) that cut `cut` off from every
   * other host: its etcd member, servers, agents and routers, while the bridge itself stays up.
   */
  partitionRules(cut: ClusterHost): string[][] {
    return this.hosts.filter((h) => h !== cut).flatMap((h) => [
      ['INPUT', '-s', h.ip, '-j', 'DROP'],
      ['OUTPUT', '-d', h.ip, '-j', 'DROP'],
    ]);
  }

  /** Everything made here removed, in order; safe to call more than once and after a failed up(). */
  async down(): Promise<void> {
    if (!this.upStarted) {
      rmSync(this.dir, { recursive: true, force: true });
      this.releaseSubnet();
      return;
    }
    // paz first (it stops its routers), gently, so a failing test's logs end cleanly
    for (const p of [...this.processes].reverse()) {
      if (alive(p.child) && p.name !== 'dockerd' && p.name !== 'registry') p.child.kill('SIGTERM');
    }
    await Promise.race([Promise.all(this.processes.map((p) => p.exited)), new Promise((r) => setTimeout(r, 8_000))]);
    for (const h of this.hosts) await this.powerCut(h);
    for (const p of this.processes) if (alive(p.child)) p.child.kill('SIGKILL');
    await Promise.race([Promise.all(this.processes.map((p) => p.exited)), new Promise((r) => setTimeout(r, 5_000))]);
    for (const h of this.hosts) {
      unmountUnder(h.dir);
      await removeCgroupParent(this.cgroupParent(h));
    }
    try {
      ip('link', 'delete', this.clientLink);
    } catch {
      /* went with the switch */
    }
    for (const n of [...this.hosts.map((h) => h.netns), this.swNetns]) {
      try {
        ip('netns', 'delete', n);
      } catch {
        /* not made */
      }
    }
    // PAZ_KEEP_CLUSTER_LOGS=DIR keeps every process's log (the environment's temp dir goes at teardown)
    const keep = process.env.PAZ_KEEP_CLUSTER_LOGS;
    if (keep) {
      for (const h of [...this.hosts, { name: 'sw', dir: this.dir }]) {
        mkdirSync(join(keep, h.name), { recursive: true });
        for (const f of readdirSync(h.dir).filter((f) => f.endsWith('.log'))) cpSync(join(h.dir, f), join(keep, h.name, f));
      }
      console.log(`cluster logs kept in ${keep}`);
    }
    rmSync(this.dir, { recursive: true, force: true });
    this.releaseSubnet(); // last: the routes and namespaces on it are gone
  }

  /** The last `chars` of a process's log, for a failing assertion's message. */
  tail(p: ClusterProcess, chars = 3000): string {
    try {
      return readFileSync(p.log, 'utf8').slice(-chars);
    } catch {
      return '';
    }
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* gone */
  }
}

/** The mount points at or under `dir`, as this process's mount namespace lists them (a path twice if stacked). */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(`${dir}/`)));
}

/**
 * Lazily unmounts everything mounted under `dir` (a killed dockerd leaves its overlay and netns mounts). In
 * rounds: a mount can hide another at the same path (a mount left under a later bind mount of its parent),
 * which can be unmounted only once the one above it is gone.
 */
export function unmountUnder(dir: string): void {
  for (let round = 0; round < 5; round++) {
    const mounts = mountsUnder(dir);
    if (mounts.length === 0) return;
    for (const m of mounts.sort((a, b) => b.length - a.length)) {
      try {
        run('umount', ['-l', m]);
      } catch {
        /* gone with its parent, or hidden until the next round */
      }
    }
  }
}

/**
 * Makes `dir` a mount point of shared propagation, as every directory is on a systemd host (systemd makes `/`
 * rshared; this machine's `/` is private). On a private root each dockerd start bind-mounts its data root onto
 * itself to make it shared, and a container rootfs mount that a dockerd stopped under load leaks (a Docker race
 * at shutdown) ends up hidden under the next dockerd's bind: that dockerd can neither unmount nor remove it,
 * and the container stays "removal in progress" for good. On a shared mount the next dockerd unmounts a leaked
 * rootfs itself when it removes the container, as it does on a real host. Idempotent.
 */
function sharedMountAt(dir: string): void {
  if (!mountsUnder(dir).includes(dir)) run('mount', ['--bind', dir, dir]);
  run('mount', ['--make-rshared', dir]);
}
