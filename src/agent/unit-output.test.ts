import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OUTPUT_LINE_CHARS, OUTPUT_LINES, boundOutput, keptOutput, reasonWithOutput } from './unit-output.js';

test('keeps the last 10 non-blank lines, cut to a bounded length, without control characters', () => {
  const lines = Array.from({ length: 25 }, (_, i) => `line ${i}`);
  lines.push('', '   ', `\u001b[31mred\u001b[0m error`, 'x'.repeat(5000));
  const out = boundOutput(lines);
  assert.equal(out.length, OUTPUT_LINES);
  assert.equal(out.at(-2), '[31mred[0m error');
  assert.equal(out.at(-1)!.length, OUTPUT_LINE_CHARS);
  assert.ok(out.at(-1)!.endsWith('…'));
  assert.equal(out[0], 'line 17');
});

test('the reason quotes the last line, shortened; no output leaves the reason as it is', () => {
  assert.equal(reasonWithOutput('exited with code 3', ['starting', 'config.yml not found']), 'exited with code 3: config.yml not found');
  assert.equal(reasonWithOutput('exited with code 3', []), 'exited with code 3');
  assert.ok(reasonWithOutput('exited with code 1', ['y'.repeat(1000)]).length < 160);
});

test("the reason quotes the error's message, not what runtimes print after it", () => {
  const node = [
    'node:internal/fs/utils:347',
    '    throw err;',
    '    ^',
    '',
    "Error: EACCES: permission denied, open '/data/marker'",
    '    at Object.openSync (node:fs:573:18)',
    '    at Object.writeFileSync (node:fs:2322:35)',
    "  errno: -13,",
    "  code: 'EACCES',",
    '}',
    '',
    'Node.js v20.20.2',
  ];
  assert.equal(reasonWithOutput('exited with code 1', boundOutput(node, 40)), "exited with code 1: Error: EACCES: permission denied, open '/data/marker'");
  const python = ['Traceback (most recent call last):', '  File "/app/main.py", line 3, in <module>', "    raise ValueError('DATABASE_URL is not set')", 'ValueError: DATABASE_URL is not set'];
  assert.equal(reasonWithOutput('exited with code 1', python), 'exited with code 1: ValueError: DATABASE_URL is not set');
  const java = ['Exception in thread "main" java.lang.IllegalStateException: no config', '\tat App.main(App.java:5)'];
  assert.equal(reasonWithOutput('exited with code 1', java), 'exited with code 1: Exception in thread "main" java.lang.IllegalStateException: no config');
  const go = ['panic: open config.yml: no such file or directory', '', 'goroutine 1 [running]:', 'main.main()', '\t/app/main.go:12 +0x1d', 'exit status 2'];
  assert.equal(reasonWithOutput('exited with code 2', boundOutput(go, 40)), 'exited with code 2: panic: open config.yml: no such file or directory');
  // a shell whose child the kernel killed (the OOM killer picks the largest process, not always the container's
  // first) prints that it was killed, after the app's last words
  assert.equal(reasonWithOutput('killed for using more memory than its limit', ['burst starts', 'Killed']), 'killed for using more memory than its limit: burst starts');
  assert.equal(reasonWithOutput('killed for using more memory than its limit', ['loading 2 GB index', '/bin/sh: line 1:    42 Killed                  python app.py']), 'killed for using more memory than its limit: loading 2 GB index');
  assert.equal(reasonWithOutput('exited with code 1', ['building cache', 'signal: killed']), 'exited with code 1: building cache');
  assert.equal(reasonWithOutput('exited with code 1', ['worker 3', 'Killed by the user']), 'exited with code 1: Killed by the user', "an app's own words");
  // a plain last line is itself; output that is all indented, its last line
  assert.equal(reasonWithOutput('exited with code 3', ['listening', '  config: {', '  }', 'shutting down: disk full']), 'exited with code 3: shutting down: disk full');
  assert.equal(reasonWithOutput('exited with code 3', ['  a', '  b']), 'exited with code 3: b');
});

test("an exited unit's kept output starts at the error's message when its last lines are what the runtime printed after it", () => {
  const frames = Array.from({ length: 10 }, (_, i) => `    at f${i} (/app/server.js:${i + 1}:3)`);
  const node = ['starting', "Error: ENOENT: no such file or directory, open '/nonexistent/config.yml'", ...frames, '  errno: -2,', "  code: 'ENOENT',", '}', 'Node.js v20.20.2'];
  const kept = keptOutput(node);
  assert.equal(kept.length, OUTPUT_LINES);
  assert.equal(kept[0], "Error: ENOENT: no such file or directory, open '/nonexistent/config.yml'");
  assert.equal(kept.at(-1), '… 6 more lines (paz logs shows them)');
  // the message among the last ten lines, or plain output: the last ten as they are
  const short = ['Error: boom', '    at main (/app/a.js:1:1)', 'Node.js v20.20.2'];
  assert.deepEqual(keptOutput(short), short);
  const plain = Array.from({ length: 15 }, (_, i) => `line ${i}`);
  assert.deepEqual(keptOutput(plain), plain.slice(-10));
  assert.deepEqual(keptOutput([]), []);
});
