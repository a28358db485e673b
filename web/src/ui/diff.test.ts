import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diffJson, diffLines, hasChanges, jsonLines } from './diff.js';

const ops = (d: ReturnType<typeof diffLines>) => d.map((l) => `${l.op === 'same' ? ' ' : l.op === 'added' ? '+' : '-'}${l.text}`);

describe('diffLines', () => {
  it('keeps common lines and marks the rest removed or added, in order', () => {
    assert.deepEqual(ops(diffLines(['a', 'b', 'c'], ['a', 'x', 'c', 'd'])), [' a', '-b', '+x', ' c', '+d']);
  });
  it('handles empty sides', () => {
    assert.deepEqual(ops(diffLines([], ['a'])), ['+a']);
    assert.deepEqual(ops(diffLines(['a'], [])), ['-a']);
    assert.deepEqual(diffLines([], []), []);
  });
  it('of identical texts has no changes', () => {
    assert.equal(hasChanges(diffLines(['a', 'b'], ['a', 'b'])), false);
  });
  it('every line of both sides appears exactly once', () => {
    const a = ['1', '2', '3', '2', '1'];
    const b = ['2', '1', '3', '3', '2'];
    const d = diffLines(a, b);
    assert.deepEqual(d.filter((l) => l.op !== 'added').map((l) => l.text), a);
    assert.deepEqual(d.filter((l) => l.op !== 'removed').map((l) => l.text), b);
  });
});

describe('diffJson', () => {
  it('ignores key order and shows the changed value', () => {
    const d = diffJson({ numInstances: 1, ports: [{ container: 9000 }] }, { ports: [{ container: 9000 }], numInstances: 2 });
    assert.deepEqual(
      d.filter((l) => l.op !== 'same').map((l) => `${l.op} ${l.text.trim()}`),
      ['removed "numInstances": 1,', 'added "numInstances": 2,'],
    );
  });
  it('does not count a comma added after a kept line as a change', () => {
    const d = diffJson({ env: { A: '1' } }, { env: { A: '1', B: '2' } });
    assert.deepEqual(
      d.filter((l) => l.op !== 'same').map((l) => `${l.op} ${l.text.trim()}`),
      ['added "B": "2"'],
    );
  });
  it('of nothing and something adds every line', () => {
    assert.ok(diffJson(undefined, { a: 1 }).every((l) => l.op === 'added'));
    assert.deepEqual(jsonLines(undefined), []);
  });
});
