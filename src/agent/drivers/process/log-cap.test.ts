import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capLogFile, rotatedLogPath, UnitLogCap } from './log-cap.js';

test('a log past its size is copied to .1 and truncated; a writer with O_APPEND writes on at the start, with no hole', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-logcap-'));
  try {
    const file = join(dir, 'web-1-1.out');
    // as spawn-unit.ts opens it for the unit: the unit keeps this descriptor across the truncation
    const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_TRUNC, 0o666);
    try {
      writeSync(fd, 'x'.repeat(2000) + '\n');
      assert.equal(capLogFile(file, 4096), false, 'under the size: left alone');
      writeSync(fd, 'y'.repeat(3000) + '\n');
      assert.equal(capLogFile(file, 4096), true);
      assert.equal(statSync(file).size, 0);
      assert.equal(statSync(rotatedLogPath(file)).size, 5002);
      writeSync(fd, 'after the rotation\n');
      assert.equal(readFileSync(file, 'utf8'), 'after the rotation\n', 'no zeros before it');
      // a second rotation replaces the .1
      writeSync(fd, 'z'.repeat(5000) + '\n');
      assert.equal(capLogFile(file, 4096), true);
      assert.match(readFileSync(rotatedLogPath(file), 'utf8'), /^after the rotation\nz{5000}\n$/);
    } finally {
      closeSync(fd);
    }
    assert.equal(capLogFile(join(dir, 'missing.out'), 1), false, 'a unit without a log yet');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the cap looks at every unit, says which it rotated, and reports a failure without stopping', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paz-logcap-'));
  const cap = new UnitLogCap({
    logs: () => ['a', 'b', 'c'].map((unit) => ({ unit, file: join(dir, `${unit}.out`) })),
    onRotated: (unit) => rotated.push(unit),
    onError: (unit) => failed.push(unit ?? '(listing)'),
    maxBytes: 10,
    intervalMs: 60_000,
  });
  const rotated: string[] = [];
  const failed: string[] = [];
  try {
    writeFileSync(join(dir, 'a.out'), 'short\n');
    writeFileSync(join(dir, 'b.out'), 'longer than ten bytes\n');
    writeFileSync(join(dir, 'c.out'), 'longer than ten bytes\n');
    // c's copy cannot be made: its .1 is a directory
    mkdirSync(rotatedLogPath(join(dir, 'c.out')));
    cap.check();
    assert.deepEqual(rotated, ['b']);
    assert.deepEqual(failed, ['c']);
    assert.equal(readFileSync(join(dir, 'c.out'), 'utf8'), 'longer than ten bytes\n', 'not truncated without its copy');
  } finally {
    cap.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('units that cannot be listed (the state dir removed under the agent) are reported, not thrown out of the timer', () => {
  const errors: Array<string | undefined> = [];
  const cap = new UnitLogCap({
    logs: () => {
      throw new Error("ENOENT: no such file or directory, scandir '/gone/units'");
    },
    onRotated: () => assert.fail('nothing to rotate'),
    onError: (unit) => errors.push(unit),
    intervalMs: 60_000,
  });
  try {
    cap.check();
    assert.deepEqual(errors, [undefined]);
  } finally {
    cap.stop();
  }
});
