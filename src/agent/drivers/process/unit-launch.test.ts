import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import {
  buildUnitEnv,
  cgroupEnterScript,
  cgroupLimitValues,
  DEFAULT_PATH,
  exitCodeOf,
  inheritedEnv,
  isValidUnitName,
  programAndArgs,
  shellQuote,
} from './unit-launch.js';

const spec = { unit: 'demo-api-3-1', service: 'demo-api', version: 3, instance: 1 };

test('unit names must be safe as file and cgroup names', () => {
  for (const ok of ['demo-api-3-1', 'a', 'x_y.z-1']) assert.equal(isValidUnitName(ok), true, ok);
  for (const bad of ['', '../etc', 'a/b', '.hidden', 'a..b', 'a b', '-x', 'x'.repeat(201)]) {
    assert.equal(isValidUnitName(bad), false, bad);
  }
});

test('command[0] is the program when a command is given, else the image', () => {
  assert.deepEqual(programAndArgs({ image: 'node', command: undefined }), { program: 'node', args: [] });
  assert.deepEqual(programAndArgs({ image: 'demo/api:3', command: ['node', '-e', 'x'] }), {
    program: 'node',
    args: ['-e', 'x'],
  });
  assert.deepEqual(programAndArgs({ image: '/bin/true', command: [] }), { program: '/bin/true', args: [] });
});

test('a unit inherits only PATH, HOME, locale and time zone from the agent', () => {
  const env = inheritedEnv({ PATH: '/p', HOME: '/root', SECRET: 'x', NODE_OPTIONS: '--inspect', TZ: 'UTC' });
  assert.deepEqual(env, { PATH: '/p', HOME: '/root', TZ: 'UTC' });
  assert.deepEqual(inheritedEnv({}), { PATH: DEFAULT_PATH });
});

test('buildUnitEnv layers inherited < spec < ports < identity', () => {
  const env = buildUnitEnv(
    { ...spec, env: { GREETING: 'hi', PORT: '3000', PAZ_UNIT: 'spoofed', PATH: '/custom' } },
    [
      { container: 3000, host: 41000, protocol: 'tcp' },
      { container: 9229, host: 41001, protocol: 'tcp' },
    ],
    { PATH: '/usr/bin', HOME: '/root' },
  );
  assert.deepEqual(env, {
    PATH: '/custom',
    HOME: '/root',
    GREETING: 'hi',
    PORT: '41000',
    PORT_3000: '41000',
    PORT_9229: '41001',
    PAZ_SERVICE: 'demo-api',
    PAZ_VERSION: '3',
    PAZ_INSTANCE: '1',
    PAZ_UNIT: 'demo-api-3-1',
  });
});

test('buildUnitEnv leaves a spec PORT alone when there are no port mappings', () => {
  const env = buildUnitEnv({ ...spec, env: { PORT: '8080' } }, [], {});
  assert.equal(env.PORT, '8080');
});

test('shellQuote makes any string one literal shell word', () => {
  for (const s of ["it's", 'a b', '$HOME', '"q"', "'", '']) {
    const out = execFileSync('/bin/sh', ['-c', `printf %s ${shellQuote(s)}`], { encoding: 'utf8' });
    assert.equal(out, s);
  }
});

test('cgroupEnterScript writes its own pid to every cgroup.procs file, then execs the program', () => {
  const script = cgroupEnterScript(["/sys/fs/cgroup/memory/paz/u/cgroup.procs", "/x/it's/cgroup.procs"]);
  assert.equal(
    script,
    `echo $$ > '/sys/fs/cgroup/memory/paz/u/cgroup.procs' && echo $$ > '/x/it'\\''s/cgroup.procs' ` +
      `|| { echo "paz: cannot enter cgroup" >&2; exit 125; }; exec "$@"`,
  );
  assert.equal(cgroupEnterScript([]), 'exec "$@"');
});

test('the cgroup script fails with 125 when a cgroup cannot be entered and passes arguments intact', () => {
  const fail = (() => {
    try {
      execFileSync('/bin/sh', ['-c', cgroupEnterScript(['/nonexistent/dir/cgroup.procs']), 'x', '/bin/true'], {
        stdio: 'pipe',
      });
      return 0;
    } catch (err) {
      return (err as { status: number }).status;
    }
  })();
  assert.equal(fail, 125);
  const out = execFileSync('/bin/sh', ['-c', cgroupEnterScript([]), 'x', '/bin/echo', 'a b', '$c'], {
    encoding: 'utf8',
  });
  assert.equal(out, 'a b $c\n');
});

test('exitCodeOf reports signals as 128 + signal number', () => {
  assert.equal(exitCodeOf(0, null), 0);
  assert.equal(exitCodeOf(3, null), 3);
  assert.equal(exitCodeOf(null, 'SIGKILL'), 137);
  assert.equal(exitCodeOf(null, 'SIGTERM'), 143);
  assert.equal(exitCodeOf(null, null), undefined);
});

test('cgroupLimitValues maps MB and cores to v1 values', () => {
  assert.deepEqual(cgroupLimitValues({ memoryMb: 64, cpus: 0.5 }), {
    memoryLimitBytes: 64 * 1024 * 1024,
    cfsPeriodUs: 100_000,
    cfsQuotaUs: 50_000,
  });
  assert.deepEqual(cgroupLimitValues({}), {});
  assert.deepEqual(cgroupLimitValues({ cpus: 0.001 }, 100), { cfsPeriodUs: 100_000, cfsQuotaUs: 1000, pidsMax: 100 });
  assert.deepEqual(cgroupLimitValues({ memoryMb: 0, cpus: 0 }), {});
});
