// test-lane: docker normal
// An agent with `--driver docker` whose Docker is not up yet (a host at boot) does not exit: its host is
// unhealthy, saying "Docker not reachable at <socket>: ...", through the API and the CLI; once dockerd
// answers, the agent starts its units and a deployed unit runs. The dockerd here is this test's own (own
// socket, data root, exec root, bridge and cgroup parent, no iptables), started after `paz up` and ended by
// PID with everything it made; the environment's shared dockerd is only the registry's neighbour.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PazProcess, freePort, request, runPaz } from './helpers/paz-server.js';
import { dockerTestEnv, skipUnlessDocker, type DockerTestEnv } from './helpers/env.js';
import { removeCgroupParent } from './helpers/procs.js';
import { unmountUnder } from './helpers/netns-cluster.js';
import { waitFor } from './helpers/wait.js';

describe('an agent started before its dockerd', skipUnlessDocker, () => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-late-docker-'));
  const socket = join(dir, 'docker.sock');
  // names of what this test makes in the environment's namespace, unique to this run
  const bridge = `pzlate${process.pid % 100_000}`;
  const bridgeCidr = `10.226.${process.pid % 250}.1/24`;
  const cgroupParent = `paz-late-docker-${process.pid}`;
  let env: DockerTestEnv;
  let paz: PazProcess | undefined;
  let dockerd: ChildProcess | undefined;
  let hostPort = 0;

  const hosts = async () => (await request('GET', `${paz!.orchestrator}/cluster/hosts`)).body;
  const hostHealth = async () => {
    const listed = await hosts();
    assert.equal(listed.length, 1);
    return (await request('GET', `${paz!.orchestrator}/cluster/hosts/${listed[0].ID}/health`)).body;
  };
  const docker = (...args: string[]) => execFileSync('docker', ['-H', `unix://${socket}`, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  before(async () => {
    env = dockerTestEnv();
    hostPort = await freePort();
    paz = new PazProcess({
      role: 'up',
      extraArgs: ['--driver', 'docker', '--agent-port', '0', '--no-router'],
      env: { DOCKER_HOST: `unix://${socket}` },
    });
    // before: the agent exited ("no Docker engine answers") and paz up with it, so start() threw
    await paz.start();
  });

  after(async () => {
    await paz?.close();
    if (dockerd?.pid !== undefined && dockerd.exitCode === null && dockerd.signalCode === null) {
      try {
        for (const id of docker('ps', '-aq').split('\n').filter(Boolean)) docker('rm', '-f', id);
      } catch {
        /* dockerd not answering: its containers die with the cgroup parent below */
      }
      const exited = new Promise((r) => dockerd!.once('exit', r));
      process.kill(dockerd.pid, 'SIGTERM');
      const timer = setTimeout(() => process.kill(dockerd!.pid!, 'SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    await removeCgroupParent(cgroupParent);
    unmountUnder(dir);
    try {
      execFileSync('ip', ['link', 'delete', bridge], { stdio: 'ignore' });
    } catch {
      /* not made */
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('stays up, unhealthy with the reason; runs its unit once dockerd starts', async () => {
    assert.equal(paz!.child!.exitCode, null, 'paz up is running');
    const sick = await waitFor('the host to report its driver', async () => {
      const h = await hostHealth();
      return h.problems.length > 0 ? h : undefined;
    }, 20_000);
    console.log(`# reasons: ${sick.reasons.join(' | ')}`);
    assert.equal(sick.healthy, false);
    assert.equal(sick.problems[0].component, 'driver');
    assert.ok(sick.reasons[0].includes(`Docker not reachable at ${socket}: `), sick.reasons[0]);
    // the CLI: `paz hosts` lists it unhealthy, `paz health --host ID` says why (exit 1: not healthy)
    const listed = await runPaz(['hosts', '--json'], '', paz!.cliEnv);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(JSON.parse(listed.stdout)[0].healthy, false);
    const health = await runPaz(['health', '--host', sick.id], '', paz!.cliEnv);
    assert.equal(health.code, 1, health.stderr);
    assert.ok(health.stdout.includes(`Docker not reachable at ${socket}: `), `paz health --host says why:\n${health.stdout}`);

    // the service is deployed while Docker is still away: its unit waits for it
    const created = await request('POST', `${paz!.directory}/services`, {
      name: 'late', description: 'waits for dockerd', dockerImage: env.image1.replace(/:1$/, ''), ports: [{ container: 9000, host: hostPort }], numInstances: 1,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const hook = await request('POST', `${paz!.scheduler}/hooks/deploy`, { serviceName: 'late', dockerRepository: env.image1, pushedAt: 0 });
    assert.equal(hook.status, 200, JSON.stringify(hook.body));

    // dockerd comes up (as at boot, after the agent)
    execFileSync('ip', ['link', 'add', bridge, 'type', 'bridge']);
    execFileSync('ip', ['addr', 'add', bridgeCidr, 'dev', bridge]);
    execFileSync('ip', ['link', 'set', bridge, 'up']);
    writeFileSync(join(dir, 'daemon.json'), '{}\n');
    const log = openSync(join(dir, 'dockerd.log'), 'a');
    dockerd = spawn('dockerd', [
      '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'dockerd.pid'), '-H', `unix://${socket}`,
      '--config-file', join(dir, 'daemon.json'), '--bridge', bridge, '--iptables=false', '--ip-forward=false', '--ip-masq=false',
      '--cgroup-parent', `/${cgroupParent}`, '--log-level', 'warn',
      // what it and its containerd write to the temp dir (containerd's stack dumps) goes with this test's dir
    ], { stdio: ['ignore', log, log], env: { ...process.env, TMPDIR: dir } });
    closeSync(log);
    await waitFor('our dockerd', async () => {
      if (dockerd!.exitCode !== null) throw new Error(`dockerd exited: ${readFileSync(join(dir, 'dockerd.log'), 'utf8').slice(-2000)}`);
      return existsSync(socket) && (() => { try { docker('version', '--format', '{{.Server.Version}}'); return true; } catch { return false; } })();
    }, 60_000, 300);
    const startedAt = Date.now();

    const unit = await waitFor('the unit running', async () => {
      const u = (await request('GET', `${paz!.orchestrator}/cluster/units/late-1-1`)).body;
      return u?.subState === 'running' ? u : undefined;
    }, 90_000, 500);
    console.log(`# unit running ${((Date.now() - startedAt) / 1000).toFixed(1)} s after dockerd answered (pull included)`);
    assert.equal(unit.subState, 'running');
    assert.ok(docker('ps', '--format', '{{.Names}}').split('\n').includes('late-1-1'), 'the container runs on our dockerd');
    const answer = await waitFor('the unit to answer', async () => {
      const res = await fetch(`http://127.0.0.1:${hostPort}/`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      return res?.ok ? res.text() : undefined;
    }, 30_000);
    assert.match(answer, /Hello World 1/);
    const healed = await waitFor('the host healthy', async () => {
      const h = await hostHealth();
      return h.healthy ? h : undefined;
    }, 20_000);
    assert.deepEqual(healed.reasons, []);
  });
});
