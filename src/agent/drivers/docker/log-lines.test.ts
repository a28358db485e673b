import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { LineSplitter } from './line-splitter.js';
import { DockerLogDemuxer, DockerLogLines } from './log-lines.js';

/** one frame of Docker's multiplexed log stream */
function frame(stream: 1 | 2, text: string | Buffer): Buffer {
  const payload = typeof text === 'string' ? Buffer.from(text) : text;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

test('LineSplitter keeps partial lines and multi-byte characters across chunks', () => {
  const s = new LineSplitter();
  const euro = Buffer.from('€'); // 3 bytes
  assert.deepEqual(s.push(Buffer.from('a\nb')), ['a']);
  assert.deepEqual(s.push(Buffer.concat([Buffer.from('c'), euro.subarray(0, 1)])), []);
  assert.deepEqual(s.push(Buffer.concat([euro.subarray(1), Buffer.from('\r\nd')])), ['bc€']);
  assert.deepEqual(s.end(), ['d']);
  assert.deepEqual(s.end(), []);
});

test('frames are demultiplexed into stdout and stderr lines', () => {
  const d = new DockerLogDemuxer();
  const lines = d.push(Buffer.concat([frame(1, 'out one\nout two\n'), frame(2, 'err one\n')]));
  assert.deepEqual(lines, [
    { stream: 'stdout', text: 'out one' },
    { stream: 'stdout', text: 'out two' },
    { stream: 'stderr', text: 'err one' },
  ]);
});

test('a frame split across chunks, and a line split across frames', () => {
  const d = new DockerLogDemuxer();
  const bytes = Buffer.concat([frame(1, 'hel'), frame(2, 'oops\n'), frame(1, 'lo\n')]);
  const out = [];
  // feed one byte at a time: every header and payload boundary gets cut somewhere
  for (let i = 0; i < bytes.length; i++) out.push(...d.push(bytes.subarray(i, i + 1)));
  out.push(...d.end());
  assert.deepEqual(out, [
    { stream: 'stderr', text: 'oops' },
    { stream: 'stdout', text: 'hello' },
  ]);
});

test('an unterminated last line is flushed at the end', () => {
  const d = new DockerLogDemuxer();
  assert.deepEqual(d.push(frame(1, 'no newline')), []);
  assert.deepEqual(d.end(), [{ stream: 'stdout', text: 'no newline' }]);
});

test('input that is not framed (a TTY container) is passed through as stdout text', () => {
  const d = new DockerLogDemuxer();
  assert.deepEqual(d.push(Buffer.from('plain text line\nmore')), [{ stream: 'stdout', text: 'plain text line' }]);
  assert.deepEqual(d.end(), [{ stream: 'stdout', text: 'more' }]);
});

test('DockerLogLines is an object-mode stream of strings', async () => {
  const source = Readable.from([frame(1, 'Your server is listening at http://localhost:9000/\n'), frame(2, 'x: url:/\n')]);
  const lines: string[] = [];
  for await (const line of source.pipe(new DockerLogLines())) lines.push(line as string);
  assert.deepEqual(lines, ['Your server is listening at http://localhost:9000/', 'x: url:/']);
});

test('LineSplitter with a bound gives a line longer than it in pieces, and keeps lines whole without one', () => {
  const bounded = new LineSplitter(4);
  assert.deepEqual(bounded.push('abcdefghij'), ['abcd', 'efgh'], 'no line end yet: the pieces that are full');
  assert.deepEqual(bounded.push('k\nxy\n'), ['ijk', 'xy']);
  assert.deepEqual(bounded.end(), []);
  const whole = new LineSplitter();
  assert.deepEqual(whole.push('x'.repeat(100_000)), []);
  assert.deepEqual(whole.push('\n'), ['x'.repeat(100_000)]);
  const demuxed = new DockerLogDemuxer(3);
  const frame = Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, 7]), Buffer.from('abcdefg')]);
  assert.deepEqual(demuxed.push(frame), [{ stream: 'stdout', text: 'abc' }, { stream: 'stdout', text: 'def' }]);
  assert.deepEqual(demuxed.end(), [{ stream: 'stdout', text: 'g' }]);
});
