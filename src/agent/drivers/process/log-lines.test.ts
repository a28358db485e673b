import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { logLineStream } from './log-lines.js';

const dir = mkdtempSync(join(tmpdir(), 'paz-log-lines-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function collect(stream: Readable): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of stream) lines.push(line as string);
  return lines;
}

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

test('all lines, one chunk per line, without line ends', async () => {
  const path = file('all.out', 'one\ntwo\nthree\n');
  assert.deepEqual(await collect(logLineStream(path)), ['one', 'two', 'three']);
});

test('an unterminated last line is delivered too', async () => {
  const path = file('partial.out', 'one\ntwo');
  assert.deepEqual(await collect(logLineStream(path)), ['one', 'two']);
});

test('tail returns the last N lines, with or without a final newline', async () => {
  const a = file('tail-a.out', 'l1\nl2\nl3\nl4\n');
  assert.deepEqual(await collect(logLineStream(a, { tail: 2 })), ['l3', 'l4']);
  const b = file('tail-b.out', 'l1\nl2\nl3\nl4');
  assert.deepEqual(await collect(logLineStream(b, { tail: 2 })), ['l3', 'l4']);
  assert.deepEqual(await collect(logLineStream(a, { tail: 10 })), ['l1', 'l2', 'l3', 'l4']);
  assert.deepEqual(await collect(logLineStream(a, { tail: 0 })), []);
});

test('tail finds line starts across 64 KiB read chunks', async () => {
  const long = 'x'.repeat(70_000);
  const path = file('big.out', `first\n${long}\nlast\n`);
  const lines = await collect(logLineStream(path, { tail: 2 }));
  assert.deepEqual(lines, [long, 'last']);
});

test('multi-byte characters split across reads stay intact', async () => {
  const line = 'é'.repeat(40_000); // 80 000 bytes: crosses a chunk boundary inside a character
  const path = file('utf8.out', line + '\n');
  assert.deepEqual(await collect(logLineStream(path)), [line]);
});

test('a missing file is an empty stream', async () => {
  assert.deepEqual(await collect(logLineStream(join(dir, 'missing.out'))), []);
});

test('follow sees appended lines and ends after the writer stops', async () => {
  const path = file('follow.out', 'before\n');
  let writerRunning = true;
  const stream = logLineStream(path, { follow: true, isWriterRunning: () => writerRunning, pollMs: 20 });
  const seen: string[] = [];
  const done = (async () => {
    for await (const line of stream) {
      seen.push(line as string);
      if (line === 'before') appendFileSync(path, 'after 1\naft');
      if (line === 'after 1') {
        appendFileSync(path, 'er 2\nunterminated');
        writerRunning = false;
      }
    }
  })();
  await done;
  assert.deepEqual(seen, ['before', 'after 1', 'after 2', 'unterminated']);
});

test('destroying a following stream stops it', async () => {
  const path = file('destroy.out', 'a\n');
  const stream = logLineStream(path, { follow: true, isWriterRunning: () => true, pollMs: 20 });
  const it = stream[Symbol.asyncIterator]();
  assert.deepEqual(await it.next(), { done: false, value: 'a' });
  stream.destroy();
  // closes (its timer and file are released) instead of polling on
  await new Promise<void>((resolve) => (stream.closed ? resolve() : stream.once('close', () => resolve())));
  assert.equal(stream.destroyed, true);
});

test('from: one run\'s output only, the earlier runs\' left out; tail still applies within it', async () => {
  const first = 'run 1\nbye 1\n';
  const path = file('runs.out', `${first}run 2\nworking\nbye 2\n`);
  const from = Buffer.byteLength(first);
  assert.deepEqual(await collect(logLineStream(path, { from })), ['run 2', 'working', 'bye 2']);
  assert.deepEqual(await collect(logLineStream(path, { from, tail: 2 })), ['working', 'bye 2']);
  assert.deepEqual(await collect(logLineStream(path, { from, tail: 10 })), ['run 2', 'working', 'bye 2'], 'tail never reaches before the run');
  // a file shorter than the offset (truncated since): nothing before its end
  assert.deepEqual(await collect(logLineStream(path, { from: 10_000 })), []);
});

test('rotated: the older part the log cap kept comes first, and tail counts across both', async () => {
  const current = file('cap.out', 'c1\nc2\n');
  const rotated = file('cap.out.1', 'r1\nr2\nr3\n');
  assert.deepEqual(await collect(logLineStream(current, { rotated })), ['r1', 'r2', 'r3', 'c1', 'c2']);
  assert.deepEqual(await collect(logLineStream(current, { rotated, tail: 4 })), ['r2', 'r3', 'c1', 'c2']);
  assert.deepEqual(await collect(logLineStream(current, { rotated, tail: 2 })), ['c1', 'c2'], 'the current file has them all');
  assert.deepEqual(await collect(logLineStream(current, { rotated, tail: 100 })), ['r1', 'r2', 'r3', 'c1', 'c2']);
  assert.deepEqual(await collect(logLineStream(current, { rotated, tail: 0 })), []);
  // one run of the current file: the older part is not part of it
  assert.deepEqual(await collect(logLineStream(current, { rotated, from: 3 })), ['c2']);
  // right after a rotation the current file may be empty, or hold only part of a line
  const empty = file('empty.out', '');
  assert.deepEqual(await collect(logLineStream(empty, { rotated, tail: 2 })), ['r2', 'r3']);
  const partial = file('partial.out', 'c1 partly');
  assert.deepEqual(await collect(logLineStream(partial, { rotated, tail: 2 })), ['r3', 'c1 partly']);
  // an unterminated last line of the older part is a line of its own, not glued to the file's first
  const unterminated = file('cut.out.1', 'r1\nr2');
  assert.deepEqual(await collect(logLineStream(current, { rotated: unterminated })), ['r1', 'r2', 'c1', 'c2']);
  assert.deepEqual(await collect(logLineStream(current, { rotated: unterminated, tail: 3 })), ['r2', 'c1', 'c2']);
  // no older part (never rotated)
  assert.deepEqual(await collect(logLineStream(current, { rotated: join(dir, 'never.out.1'), tail: 3 })), ['c1', 'c2']);
});

test('rotated: a large older part is read in order at the consumer\'s pace, then the file is followed', async () => {
  const count = 50_000;
  const rotated = file('big.out.1', Array.from({ length: count }, (_, i) => `old ${i}`).join('\n') + '\n');
  const current = file('big.out', 'new 0\n');
  let writerRunning = true;
  const stream = logLineStream(current, { rotated, follow: true, isWriterRunning: () => writerRunning, pollMs: 20 });
  const lines: string[] = [];
  for await (const line of stream) {
    lines.push(line as string);
    if (line === 'new 0') {
      appendFileSync(current, 'new 1\n');
      writerRunning = false;
    }
  }
  assert.equal(lines.length, count + 2);
  assert.ok(lines.slice(0, count).every((l, i) => l === `old ${i}`), 'the older part whole and in order');
  assert.deepEqual(lines.slice(count), ['new 0', 'new 1']);
});

test('rotated: a follower whose file is moved aside reads what was written since its last read from the copy, then the new file', async () => {
  const current = file('moving.out', 'a1\na2\n');
  const rotated = join(dir, 'moving.out.1');
  let writerRunning = true;
  const stream = logLineStream(current, { rotated, follow: true, isWriterRunning: () => writerRunning, pollMs: 20 });
  const lines: string[] = [];
  for await (const line of stream) {
    lines.push(line as string);
    if (line === 'a2') {
      // between two polls: a3 written, then the log cap's copy and truncation, then b1 into the emptied file
      appendFileSync(current, 'a3\n');
      copyFileSync(current, rotated);
      truncateSync(current, 0);
      appendFileSync(current, 'b1\n');
    }
    if (line === 'b1') {
      appendFileSync(current, 'b2\n');
      writerRunning = false;
    }
  }
  assert.deepEqual(lines, ['a1', 'a2', 'a3', 'b1', 'b2']);
  // a copy shorter than what was read (replaced since) gives nothing past its end
  rmSync(rotated);
  const again = file('moving2.out', 'c1 long enough\nc2 long enough\n');
  let running = true;
  const second = logLineStream(again, { rotated, follow: true, isWriterRunning: () => running, pollMs: 20 });
  const seen: string[] = [];
  for await (const line of second) {
    seen.push(line as string);
    if (line === 'c2 long enough') {
      writeFileSync(rotated, 'x\n');
      truncateSync(again, 0);
      appendFileSync(again, 'd1\n');
    }
    if (line === 'd1') running = false;
  }
  assert.deepEqual(seen, ['c1 long enough', 'c2 long enough', 'd1']);
});

test('rotated with from: a run that began in the rotated copy is read from its start there, tail counting across both', async () => {
  const rotated = file('run.out.1', 'old run\nrun 1\nrun 2\n');
  const current = file('run.out', 'run 3\nrun 4\n');
  const rotatedFrom = Buffer.byteLength('old run\n');
  assert.deepEqual(await collect(logLineStream(current, { rotated, from: 0, rotatedFrom })), ['run 1', 'run 2', 'run 3', 'run 4']);
  assert.deepEqual(await collect(logLineStream(current, { rotated, from: 0, rotatedFrom, tail: 3 })), ['run 2', 'run 3', 'run 4']);
  assert.deepEqual(await collect(logLineStream(current, { rotated, from: 0, rotatedFrom, tail: 10 })), ['run 1', 'run 2', 'run 3', 'run 4'], 'never before the run');
  assert.deepEqual(await collect(logLineStream(current, { rotated, from: 0 })), ['run 3', 'run 4'], 'a run that began in the file itself');
});
