import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressLine } from './progress-line.js';

const sink = (isTTY: boolean) => {
  const out = { isTTY, text: '', write: (t: string) => void (out.text += t) };
  return out;
};

test('on a terminal one line is redrawn in place, and ended with a newline', () => {
  const out = sink(true);
  const p = progressLine(out);
  p.show('1 of 3 healthy');
  p.show('1 of 3 healthy');
  p.show('3 of 3 healthy');
  p.end();
  assert.equal(out.text, '\r\x1b[K1 of 3 healthy\r\x1b[K3 of 3 healthy\n');
});

test('elsewhere each new state is a plain line of its own, with no control characters', () => {
  const out = sink(false);
  const p = progressLine(out);
  p.show('1 of 3 healthy');
  p.show('1 of 3 healthy');
  p.show('3 of 3 healthy');
  p.end();
  assert.equal(out.text, '1 of 3 healthy\n3 of 3 healthy\n');
});

test('on a terminal a line longer than its width is cut to fit (a wrapped line would not be redrawn whole)', () => {
  const out = Object.assign(sink(true), { columns: 20 });
  const p = progressLine(out);
  p.show('web version 2: healthy 0 of 2; web-2-1 and web-2-2 unplaced: no host');
  p.show('short');
  assert.equal(out.text, '\r\x1b[Kweb version 2: hea…\r\x1b[Kshort');
});

test('what a server put in a line (a reason, a name) is shown with its escape codes spelled out, on a terminal or not', () => {
  for (const isTTY of [true, false]) {
    const out = sink(isTTY);
    const p = progressLine(out);
    p.show('host h1: 1 unit left; stuck: \u001b[2J\u001b]0;pwned\u0007');
    p.end();
    assert.match(out.text, /stuck: \\x1b\[2J\\x1b\]0;pwned\\x07\n$/);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(out.text.replace('\r\x1b[K', ''), /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  }
});
