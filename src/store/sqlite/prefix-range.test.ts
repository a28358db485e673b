import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { prefixBounds } from './prefix-range.js';

describe('prefixBounds', () => {
  it('increments the last character', () => {
    assert.deepEqual(prefixBounds('/a/b'), { start: '/a/b', end: '/a/c' });
    assert.deepEqual(prefixBounds('/a/'), { start: '/a/', end: '/a0' });
  });

  it('has no upper bound for the empty prefix', () => {
    assert.deepEqual(prefixBounds(''), { start: '', end: undefined });
  });

  it('skips the surrogate range and drops U+10FFFF', () => {
    assert.equal(prefixBounds('x\u{d7ff}').end, 'x\u{e000}');
    assert.equal(prefixBounds('x\u{10ffff}').end, 'y');
    assert.equal(prefixBounds('\u{10ffff}\u{10ffff}').end, undefined);
    assert.equal(prefixBounds('a\u{1f600}').end, 'a\u{1f601}');
  });

  it('selects exactly the keys with the prefix in SQLite', () => {
    const db = new Database(':memory:');
    try {
      db.exec('CREATE TABLE k (key TEXT PRIMARY KEY) WITHOUT ROWID');
      const keys = ['/a', '/a/b', '/a/b/', '/a/b/c', '/a/bc', '/a/c', '/a/b\u{ffff}', '/a/b\u{10ffff}', '/a/b\u{1f600}',
        '/a/a\u{10ffff}', '/b', '', 'é', 'é/x', 'ê'];
      const insert = db.prepare('INSERT INTO k VALUES (?)');
      for (const key of keys) insert.run(key);
      for (const prefix of ['/a/b', '/a/b/', '/a', '', 'é', '/a/b\u{10ffff}', '/a/a']) {
        const { start, end } = prefixBounds(prefix);
        const rows = (end === undefined
          ? db.prepare('SELECT key FROM k WHERE key >= ? ORDER BY key').all(start)
          : db.prepare('SELECT key FROM k WHERE key >= ? AND key < ? ORDER BY key').all(start, end)) as { key: string }[];
        const expected = keys.filter((key) => key.startsWith(prefix)).sort(compareCodePoints);
        assert.deepEqual(rows.map((r) => r.key), expected, `prefix ${JSON.stringify(prefix)}`);
      }
    } finally {
      db.close();
    }
  });
});

function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
