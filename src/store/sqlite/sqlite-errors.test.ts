import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StoreFullError, StoreUnavailableError } from '../store.js';
import { sqliteWriteError } from './sqlite-errors.js';

function sqliteError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('sqliteWriteError', () => {
  it('a full disk: StoreFullError that names the store and says to free space', () => {
    const err = sqliteWriteError(sqliteError('SQLITE_FULL', 'database or disk is full'), 'sqlite:/var/lib/paz/paz.db', 5000);
    assert.ok(err instanceof StoreFullError);
    assert.match(err.message, /^sqlite:\/var\/lib\/paz\/paz\.db refuses writes: the disk holding its file is full \(SQLite: database or disk is full\): free space on that disk$/);
  });

  it('a write lock held past the busy timeout: StoreUnavailableError (retry)', () => {
    const err = sqliteWriteError(sqliteError('SQLITE_BUSY', 'database is locked'), 'sqlite:/x.db', 5000);
    assert.ok(err instanceof StoreUnavailableError);
    assert.match(err.message, /more than 5 s .*nothing was written/);
  });

  it('anything else as it is', () => {
    const other = sqliteError('SQLITE_CONSTRAINT', 'UNIQUE constraint failed');
    assert.equal(sqliteWriteError(other, 'sqlite:/x.db', 5000), other);
    assert.equal(sqliteWriteError('text', 'sqlite:/x.db', 5000), 'text');
    assert.equal(sqliteWriteError(null, 'sqlite:/x.db', 5000), null);
  });
});
