import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseLogQuery, LOG_SINCE_MAX, LOG_TAIL_MAX } from './log-query.js';
import { PazError } from '../core/errors.js';

function refused(query: Record<string, string | string[]>, message: RegExp): void {
  assert.throws(() => parseLogQuery(query), (err: unknown) => err instanceof PazError && err.code === 'VALIDATION' && message.test(err.message));
}

describe('parseLogQuery', () => {
  it('reads booleans and integers from their string forms', () => {
    assert.deepEqual(parseLogQuery({}), {});
    assert.deepEqual(parseLogQuery({ follow: 'true', tail: '10', since: '0', timestamps: 'false' }), { follow: true, tail: 10, since: 0, timestamps: false });
    assert.deepEqual(parseLogQuery({ tail: String(LOG_TAIL_MAX), since: String(LOG_SINCE_MAX) }), { tail: LOG_TAIL_MAX, since: LOG_SINCE_MAX });
  });

  it('ignores parameters it does not know', () => {
    assert.deepEqual(parseLogQuery({ lines: '5', tail: '1' }), { tail: 1 });
  });

  it('refuses what is not a boolean or an integer in range, naming the field', () => {
    refused({ follow: 'yes' }, /"follow" must be boolean/);
    refused({ timestamps: '' }, /"timestamps" must be boolean/);
    refused({ tail: 'ten' }, /"tail" must be integer/);
    refused({ tail: '' }, /"tail" must be integer/);
    refused({ tail: '1.5' }, /"tail" must be integer/);
    refused({ tail: '-1' }, /"tail" must be >= 0/);
    refused({ tail: String(LOG_TAIL_MAX + 1) }, /"tail" must be <= 100000/);
    refused({ since: '1e300' }, /"since" must be <= 253402300799/);
    refused({ tail: ['1', '2'] }, /"tail" must be given once/);
  });
});
