import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { settleAfter } from './store-loop.js';

describe('settleAfter', () => {
  it('pauses four times as long as the pass took, so passes take at most a fifth of a burst', () => {
    assert.equal(settleAfter(40), 160);
    assert.equal(settleAfter(12.2), 49);
  });

  it('pauses a little after a cheap pass, so a burst still collapses', () => {
    assert.equal(settleAfter(0), 10);
    assert.equal(settleAfter(2), 10);
  });

  it('never pauses longer than the loop allows', () => {
    assert.equal(settleAfter(1000), 250);
    assert.equal(settleAfter(100, 150), 150);
  });
});
