/**
 * `paz down`: stops everything a data dir's Paz runs on this host. Stopping `paz up` (SIGTERM) alone stops
 * the control plane, the agent and the router but leaves the units running for the next start to adopt (as
 * Nomad's clients do); this also stops the units and whatever a killed Paz left behind:
 *   1. the role process recorded in <data dir>/paz.pid: SIGTERM, SIGKILL after the grace period;
 *   2. HAProxy processes of <data dir>/router (a router left by a kill -9);
 *   3. process-driver units under <data dir>/process-driver (stopped with their grace, then removed,
 *      cgroups included; launches that were never recorded are killed too);
 *   4. Docker containers of the units placed on this data dir's host (from the store), stopped and removed.
 * The desired state stays in the store: the next `paz up` starts the services again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runningRole } from './pid-file.js';
import { ProcReader } from '../agent/drivers/process/proc-reader.js';
import { ProcessDriver } from '../agent/drivers/process/process-driver.js';
import { UnitFiles } from '../agent/drivers/process/unit-files.js';
import { DockerDriver } from '../agent/drivers/docker/docker-driver.js';
import { stopLeftoverHaproxy } from '../router/haproxy-process.js';
import { openStore, type StoreTlsFiles } from '../store/index.js';
import { rangeJson } from '../store/json.js';
import { keys } from '../core/keys.js';
import type { DesiredUnit } from '../core/records.js';

export interface StopEverythingOptions {
  dataDir: string;
  storeUrl: string;
  /** etcd over TLS: --store-ca/--store-cert/--store-key */
  storeTls?: StoreTlsFiles;
  cgroupParent?: string;
  /** how long the Paz process and each unit get between SIGTERM and SIGKILL */
  graceSeconds: number;
  say: (line: string) => void;
}

export interface StopReport {
  paz?: { pid: number; role: string; killed: boolean };
  haproxy: number[];
  processUnits: string[];
  containers: string[];
}

async function stopRole(o: StopEverythingOptions): Promise<StopReport['paz']> {
  const role = runningRole(o.dataDir);
  if (!role) return undefined;
  const proc = new ProcReader();
  const alive = () => proc.isAlive(role.pid, role.startTicks);
  o.say(`stopping paz ${role.role} (pid ${role.pid})`);
  process.kill(role.pid, 'SIGTERM');
  // the role stops its own units' probes, router and API; give it the units' grace plus its own
  const deadline = Date.now() + (o.graceSeconds + 20) * 1000;
  while (alive() && Date.now() < deadline) await sleep(100);
  if (!alive()) return { pid: role.pid, role: role.role, killed: false };
  o.say(`paz ${role.role} (pid ${role.pid}) did not stop in time: SIGKILL`);
  process.kill(role.pid, 'SIGKILL');
  while (alive()) await sleep(50);
  return { pid: role.pid, role: role.role, killed: true };
}

async function stopProcessUnits(o: StopEverythingOptions): Promise<string[]> {
  const stateDir = join(o.dataDir, 'process-driver');
  if (!existsSync(join(stateDir, 'units'))) return [];
  // the cgroup parent the agent used (--cgroup-parent), as its driver recorded it, unless given here
  const cgroupParent = o.cgroupParent ?? new UnitFiles(stateDir).cgroupParent();
  const driver = new ProcessDriver(stateDir, { ...(cgroupParent ? { cgroupParent } : {}), logger: { info: () => {}, warn: (m) => o.say(m) } });
  const stopped: string[] = [];
  try {
    for (const u of await driver.list()) {
      if (u.state === 'running') o.say(`stopping unit ${u.unit} (pid ${u.id})`);
      await driver.stop(u.unit, o.graceSeconds);
      await driver.remove(u.unit);
      stopped.push(u.unit);
    }
  } finally {
    await driver.close();
  }
  return stopped;
}

async function stopContainers(o: StopEverythingOptions): Promise<string[]> {
  const hostIdFile = join(o.dataDir, 'host-id');
  if (!existsSync(hostIdFile)) return [];
  const hostId = readFileSync(hostIdFile, 'utf8').trim();
  const store = await openStore(o.storeUrl, { tls: o.storeTls });
  let units: DesiredUnit[];
  try {
    units = (await rangeJson<DesiredUnit>(store, keys.desiredUnitsPrefix())).entries.map((e) => e.value).filter((d) => d.host === hostId);
  } finally {
    await store.close();
  }
  if (units.length === 0) return [];
  const docker = new DockerDriver();
  const removed: string[] = [];
  try {
    await docker.ping();
  } catch {
    return []; // no Docker here: the units ran on the process driver
  }
  try {
    for (const d of units) {
      if (!(await docker.inspect(d.unit))) continue;
      o.say(`stopping container ${d.unit}`);
      await docker.stop(d.unit, d.spec.stopGraceSeconds ?? o.graceSeconds);
      await docker.remove(d.unit);
      removed.push(d.unit);
    }
  } finally {
    await docker.close();
  }
  return removed;
}

export async function stopEverything(o: StopEverythingOptions): Promise<StopReport> {
  const paz = await stopRole(o);
  const haproxy = await stopLeftoverHaproxy(join(o.dataDir, 'router', 'haproxy.cfg'));
  if (haproxy.length > 0) o.say(`stopped a leftover router (HAProxy pid ${haproxy.join(', ')})`);
  const processUnits = await stopProcessUnits(o);
  const containers = await stopContainers(o);
  return { ...(paz ? { paz } : {}), haproxy, processUnits, containers };
}
