import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cpuFraction,
  environHas,
  isFinishedProcState,
  parseCgroupProcs,
  parseMemoryLimit,
  parseMemoryStatValue,
  parseOomKillCount,
  parseProcPidStat,
  parseUptimeSeconds,
  parseVmRssBytes,
  processTree,
} from './proc-parse.js';

// a real line from this machine's /proc/<pid>/stat (a node process)
const NODE_STAT =
  '4242 (node) S 4200 4242 4200 0 -1 4194560 5380 0 0 0 37 12 0 0 20 0 11 0 49031 1070538752 11606 18446744073709551615 ' +
  '94330793308160 94330840465317 140726327546032 0 0 0 0 4096 134234626 0 0 0 17 1 0 0 0 0 0 94330845437344 94330845601784 ' +
  '94331000733696 140726327553327 140726327553395 140726327553395 140726327554023 0';

test('parseProcPidStat reads pid, state, group, cpu times and start time', () => {
  const s = parseProcPidStat(NODE_STAT);
  assert.deepEqual(s, {
    pid: 4242,
    comm: 'node',
    state: 'S',
    ppid: 4200,
    pgrp: 4242,
    utimeTicks: 37,
    stimeTicks: 12,
    startTicks: 49031,
  });
});

test('parseProcPidStat survives spaces and parentheses in the command name', () => {
  const line = NODE_STAT.replace('(node)', '(my (weird) prog) )');
  const s = parseProcPidStat(line);
  assert.equal(s.comm, 'my (weird) prog) ');
  assert.equal(s.state, 'S');
  assert.equal(s.startTicks, 49031);
});

test('parseProcPidStat rejects text that is not a stat line', () => {
  assert.throws(() => parseProcPidStat('garbage'), /not a \/proc/);
  assert.throws(() => parseProcPidStat('12 (x) S 1 2'), /truncated/);
});

test('zombies and dead processes count as finished', () => {
  assert.equal(isFinishedProcState('Z'), true);
  assert.equal(isFinishedProcState('X'), true);
  for (const s of ['R', 'S', 'D', 'T', 'I']) assert.equal(isFinishedProcState(s), false);
});

test('parseVmRssBytes converts kB to bytes and is undefined for kernel threads', () => {
  const status = 'Name:\tnode\nVmPeak:\t  100 kB\nVmRSS:\t   46424 kB\nRssAnon:\t 1 kB\n';
  assert.equal(parseVmRssBytes(status), 46424 * 1024);
  assert.equal(parseVmRssBytes('Name:\tkthreadd\nState:\tS (sleeping)\n'), undefined);
});

test('parseUptimeSeconds reads the first number', () => {
  assert.equal(parseUptimeSeconds('490.32 888.55\n'), 490.32);
  assert.throws(() => parseUptimeSeconds(''), /bad \/proc\/uptime/);
});

test('cpuFraction is cpu seconds per wall second, never negative or NaN', () => {
  assert.equal(cpuFraction(0.5, 2), 0.25);
  assert.equal(cpuFraction(3, 1.5), 2);
  assert.equal(cpuFraction(1, 0), 0);
  assert.equal(cpuFraction(-1, 1), 0);
  assert.equal(cpuFraction(Number.NaN, 1), 0);
});

test('parseOomKillCount reads memory.oom_control', () => {
  assert.equal(parseOomKillCount('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n'), 3);
  assert.equal(parseOomKillCount('oom_kill_disable 0\nunder_oom 0\n'), 0);
});

test('parseMemoryStatValue finds one key, not a key with the same suffix', () => {
  const stat = 'cache 100\ninactive_file 5\ntotal_inactive_file 4096\n';
  assert.equal(parseMemoryStatValue(stat, 'total_inactive_file'), 4096);
  assert.equal(parseMemoryStatValue(stat, 'inactive_file'), 5);
  assert.equal(parseMemoryStatValue(stat, 'rss'), undefined);
});

test('parseMemoryLimit maps the kernel "unlimited" value to undefined', () => {
  assert.equal(parseMemoryLimit('67108864\n'), 67108864);
  assert.equal(parseMemoryLimit('9223372036854771712\n'), undefined);
  assert.equal(parseMemoryLimit('junk'), undefined);
});

test('parseCgroupProcs lists pids', () => {
  assert.deepEqual(parseCgroupProcs('12\n345\n\n'), [12, 345]);
  assert.deepEqual(parseCgroupProcs(''), []);
});

test('environHas matches one whole NAME=value entry', () => {
  const env = 'PATH=/bin\0PAZ_LAUNCH_ID=abc\0PAZ_UNIT=x-1-1\0';
  assert.equal(environHas(env, 'PAZ_LAUNCH_ID', 'abc'), true);
  assert.equal(environHas(env, 'PAZ_LAUNCH_ID', 'ab'), false);
  assert.equal(environHas('PAZ_LAUNCH_ID=abcd', 'PAZ_LAUNCH_ID', 'abc'), false);
  assert.equal(environHas('', 'PAZ_LAUNCH_ID', 'abc'), false);
});

test('a process tree: the root, then every process below it, whatever order /proc lists them in', () => {
  const pairs: Array<[number, number]> = [[1, 0], [50, 1], [60, 50], [61, 50], [70, 60], [80, 1], [90, 70]];
  assert.deepEqual(processTree(50, pairs), [50, 60, 61, 70, 90]);
  assert.deepEqual(processTree(80, pairs), [80]);
  assert.deepEqual(processTree(999, pairs), [999], 'gone meanwhile: only itself');
  assert.deepEqual(processTree(1, [[1, 1], [2, 1]]), [1, 2], 'a pid that is its own parent does not loop');
});
