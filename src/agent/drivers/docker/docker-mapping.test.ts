import assert from 'node:assert/strict';
import { test } from 'node:test';
import type Dockerode from 'dockerode';
import type { UnitSpec } from '../driver.js';
import {
  cpuFraction,
  eventKey,
  memoryInUse,
  publishedPorts,
  pullError,
  toCreateOptions,
  toDriverEvent,
  toPullProgress,
  toUnitRuntime,
  toUnitStats,
  type DockerStats,
} from './docker-mapping.js';

const spec: UnitSpec = {
  unit: 'demo-api-3-1',
  service: 'demo-api',
  version: 3,
  instance: 1,
  image: '127.0.0.1:5000/paz/hello:1',
  ports: [{ container: 9000, host: 8080 }, { container: 9001 }, { container: 53, host: 5353, protocol: 'udp' }],
  env: { HELLO_N: '7', EMPTY: '' },
  volumes: [
    { hostPath: '/srv/data', containerPath: '/data' },
    { hostPath: '/srv/conf', containerPath: '/conf', readOnly: true },
  ],
  cpus: 0.5,
  memoryMb: 64,
};

test('spec -> create options: name, labels, env, ports, binds, limits, init, no restart policy', () => {
  const o = toCreateOptions(spec);
  assert.equal(o.name, 'demo-api-3-1');
  assert.equal(o.Image, '127.0.0.1:5000/paz/hello:1');
  assert.equal(o.Cmd, undefined, 'no command: the image CMD runs');
  assert.deepEqual(o.Labels, {
    'paz.managed': 'true',
    'paz.unit': 'demo-api-3-1',
    'paz.service': 'demo-api',
    'paz.version': '3',
    'paz.instance': '1',
  });
  assert.deepEqual(o.Env, ['HELLO_N=7', 'EMPTY=']);
  assert.deepEqual(o.ExposedPorts, { '9000/tcp': {}, '9001/tcp': {}, '53/udp': {} });
  const h = o.HostConfig!;
  assert.deepEqual(h.PortBindings, {
    '9000/tcp': [{ HostIp: '', HostPort: '8080' }],
    '9001/tcp': [{ HostIp: '', HostPort: '' }],
    '53/udp': [{ HostIp: '', HostPort: '5353' }],
  });
  assert.deepEqual(h.Binds, ['/srv/data:/data', '/srv/conf:/conf:ro']);
  assert.equal(h.Memory, 64 * 1024 * 1024);
  assert.equal(h.MemorySwap, 64 * 1024 * 1024);
  assert.equal(h.NanoCpus, 500_000_000);
  assert.equal(h.Init, true);
  assert.deepEqual(h.RestartPolicy, { Name: 'no' });
  assert.equal(h.LogConfig?.Type, 'json-file');
});

test('create options: never privileged, no new privileges, dangerous capabilities dropped, nothing added', () => {
  const h = toCreateOptions(spec, { bindAddress: '10.0.0.5' }).HostConfig!;
  assert.equal(h.Privileged, false);
  assert.deepEqual(h.SecurityOpt, ['no-new-privileges']);
  assert.deepEqual(h.CapDrop, ['NET_RAW', 'MKNOD']);
  assert.equal(h.CapAdd, undefined);
  assert.equal(h.Devices, undefined);
  assert.equal(h.NetworkMode, undefined, "the default bridge network, never the host's");
  assert.equal(h.PidMode, undefined, "never the host's pid namespace");
  // published ports bind to the host's address only
  for (const bindings of Object.values(h.PortBindings ?? {})) for (const b of bindings as Array<{ HostIp: string }>) assert.equal(b.HostIp, '10.0.0.5');
});

test('create options: command, bind address, and no limits when none are asked for', () => {
  const o = toCreateOptions(
    { ...spec, command: ['sh', '-c', 'sleep 1'], cpus: undefined, memoryMb: undefined, ports: [{ container: 80 }] },
    { bindAddress: '127.0.0.1', logMaxSize: '1m', logMaxFiles: 2 },
  );
  assert.deepEqual(o.Cmd, ['sh', '-c', 'sleep 1']);
  assert.deepEqual(o.HostConfig!.PortBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
  assert.equal(o.HostConfig!.Memory, undefined);
  assert.equal(o.HostConfig!.NanoCpus, undefined);
  assert.deepEqual(o.HostConfig!.LogConfig?.Config, { 'max-size': '1m', 'max-file': '2' });
});

/** the parts of a real `docker inspect` (dockerd 20.10) the mapping reads */
function inspectInfo(over: {
  state?: Partial<Dockerode.ContainerInspectInfo['State']>;
  ports?: Dockerode.ContainerInspectInfo['NetworkSettings']['Ports'];
  bindings?: unknown;
  labels?: Record<string, string>;
}): Dockerode.ContainerInspectInfo {
  return {
    Id: 'aca2ad1f692c',
    Name: '/demo-api-3-1',
    Image: 'sha256:2756d7b5',
    State: {
      Status: 'running',
      Running: true,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: 12078,
      ExitCode: 0,
      Error: '',
      StartedAt: '2026-11-25T13:00:10.790781699Z',
      FinishedAt: '0001-01-01T00:00:00Z',
      ...over.state,
    },
    Config: {
      Image: '127.0.0.1:5000/paz/hello:1',
      Labels: over.labels ?? {
        'paz.managed': 'true',
        'paz.unit': 'demo-api-3-1',
        'paz.service': 'demo-api',
        'paz.version': '3',
        'paz.instance': '1',
      },
    },
    HostConfig: { PortBindings: over.bindings ?? { '9000/tcp': [{ HostIp: '', HostPort: '8080' }], '9001/tcp': [{ HostIp: '', HostPort: '' }] } },
    NetworkSettings: {
      Ports: over.ports ?? {
        '9000/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }, { HostIp: '::', HostPort: '8080' }],
        '9001/tcp': [{ HostIp: '0.0.0.0', HostPort: '49153' }],
      },
    },
  } as unknown as Dockerode.ContainerInspectInfo;
}

test('inspect of a running container -> UnitRuntime with the ports Docker picked', () => {
  assert.deepEqual(toUnitRuntime(inspectInfo({})), {
    unit: 'demo-api-3-1',
    id: 'aca2ad1f692c',
    state: 'running',
    ports: [
      { container: 9000, host: 8080, protocol: 'tcp' },
      { container: 9001, host: 49153, protocol: 'tcp' },
    ],
    image: '127.0.0.1:5000/paz/hello:1',
    service: 'demo-api',
    version: 3,
    instance: 1,
    startedAt: '2026-11-25T13:00:10.790781699Z',
    pid: 12078,
  });
});

test('inspect of an OOM-killed container: exit code, OOM flag, finish time, configured ports only', () => {
  const r = toUnitRuntime(inspectInfo({
    state: { Status: 'exited', Running: false, ExitCode: 137, OOMKilled: true, FinishedAt: '2026-11-25T13:01:00Z' },
    ports: {},
  }));
  assert.equal(r.state, 'exited');
  assert.equal(r.exitCode, 137);
  assert.equal(r.oomKilled, true);
  assert.equal(r.finishedAt, '2026-11-25T13:01:00Z');
  assert.deepEqual(r.ports, [{ container: 9000, host: 8080, protocol: 'tcp' }]);
});

test('states: created has no exit code; unknown Docker states map to unknown', () => {
  const created = toUnitRuntime(inspectInfo({ state: { Status: 'created', Running: false, StartedAt: '0001-01-01T00:00:00Z' } }));
  assert.equal(created.state, 'created');
  assert.equal(created.exitCode, undefined);
  assert.equal(created.startedAt, undefined);
  assert.equal(toUnitRuntime(inspectInfo({ state: { Status: 'paused' } })).state, 'unknown');
  assert.equal(toUnitRuntime(inspectInfo({ state: { Status: 'restarting' } })).state, 'running');
});

test('a container without Paz labels falls back to its name', () => {
  const r = toUnitRuntime(inspectInfo({ labels: {} }));
  assert.equal(r.unit, 'demo-api-3-1');
  assert.equal(r.service, '');
  assert.equal(r.version, 0);
});

test('publishedPorts ignores null bindings and unpublished ports', () => {
  assert.deepEqual(publishedPorts({ '9000/tcp': null }, null), []);
  assert.deepEqual(publishedPorts(undefined, { '53/udp': [{ HostPort: '5353' }] }), [{ container: 53, host: 5353, protocol: 'udp' }]);
});

// A one-shot stats answer of dockerd 20.10 on cgroup v1, trimmed.
const stats: DockerStats = {
  read: '2026-11-25T13:00:11.854911354Z',
  cpu_stats: {
    cpu_usage: { total_usage: 528_061_405, percpu_usage: [1, 2] },
    system_cpu_usage: 1_781_360_000_000,
    online_cpus: 2,
  },
  precpu_stats: {
    cpu_usage: { total_usage: 28_061_405, percpu_usage: [1, 2] },
    system_cpu_usage: 1_779_360_000_000,
    online_cpus: 2,
  },
  memory_stats: { usage: 819_200, limit: 67_108_864, stats: { total_inactive_file: 8192, inactive_file: 8192 } },
  networks: { eth0: { rx_bytes: 1097, tx_bytes: 668 }, eth1: { rx_bytes: 3, tx_bytes: 2 } },
};

test('cpu is a fraction of one core: container delta / host delta x CPUs', () => {
  // 0.5 s of CPU while the host's 2 CPUs accumulated 2 s in total -> half a core
  assert.equal(cpuFraction(stats), 0.5);
  assert.equal(cpuFraction({ ...stats, precpu_stats: undefined }), 0, 'no previous sample yet');
  assert.equal(cpuFraction({ ...stats, precpu_stats: stats.cpu_stats }), 0, 'no time passed');
});

test('memory excludes inactive page cache; network sums all interfaces', () => {
  assert.equal(memoryInUse(stats), 819_200 - 8192);
  assert.equal(memoryInUse({ memory_stats: { usage: 100, stats: { inactive_file: 500 } } }), 100);
  const s = toUnitStats('demo-api-3-1', stats);
  assert.deepEqual(s, {
    unit: 'demo-api-3-1',
    cpu: 0.5,
    memoryBytes: 811_008,
    memoryLimitBytes: 67_108_864,
    networkRxBytes: 1100,
    networkTxBytes: 670,
    at: '2026-11-25T13:00:11.854Z',
  });
});

test('Docker events of Paz containers -> DriverEvents', () => {
  const attrs = { 'paz.managed': 'true', 'paz.unit': 'demo-api-3-1', name: 'demo-api-3-1', image: 'x' };
  const die = { Type: 'container', Action: 'die', time: 1, timeNano: 1_000, Actor: { ID: 'c1', Attributes: { ...attrs, exitCode: '137' } } };
  assert.deepEqual(toDriverEvent(die), { type: 'die', unit: 'demo-api-3-1', exitCode: 137 });
  assert.deepEqual(toDriverEvent({ ...die, Action: 'start', Actor: { ID: 'c1', Attributes: attrs } }), { type: 'start', unit: 'demo-api-3-1' });
  assert.deepEqual(toDriverEvent({ ...die, Action: 'oom' }), { type: 'oom', unit: 'demo-api-3-1' });
  assert.deepEqual(toDriverEvent({ ...die, Action: 'destroy', Actor: { ID: 'c1', Attributes: attrs } }), { type: 'destroy', unit: 'demo-api-3-1' });
  assert.equal(toDriverEvent({ ...die, Action: 'exec_start: sh' }), undefined);
  assert.equal(toDriverEvent({ ...die, Type: 'image' }), undefined);
  assert.equal(toDriverEvent({ ...die, Actor: { ID: 'c1', Attributes: { name: 'foreign', exitCode: '0' } } }), undefined);
  assert.equal(eventKey(die), '1000|c1|die');
});

test('pull progress lines and in-stream errors', () => {
  assert.deepEqual(
    toPullProgress({ status: 'Downloading', id: '96c49bdddc55', progress: '[==>   ] 1MB/2MB', progressDetail: { current: 1, total: 2 } }),
    { status: '96c49bdddc55: Downloading [==>   ] 1MB/2MB', current: 1, total: 2 },
  );
  assert.deepEqual(toPullProgress({ status: 'Digest: sha256:5e77', progressDetail: {} }), { status: 'Digest: sha256:5e77' });
  assert.equal(pullError({ error: 'short', errorDetail: { message: 'long form' } }), 'long form');
  assert.equal(pullError({ status: 'Pull complete' }), undefined);
});
