import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Rollout } from '../../../src/api/answer-types.js';
import { instanceRows, noInstancesText, nothingServesText, outcomeText } from './rollout-view.js';

const base: Rollout = { service: 'web', version: 2, serving: 1, state: 'deploying', units: [], stopping: [] };

describe('instanceRows', () => {
  it('lists the new version first, then the old, then the stopped', () => {
    const rows = instanceRows({
      ...base,
      units: [
        { name: 'web-1-1', version: 1, healthy: true, state: 'stopping' },
        { name: 'web-2-1', version: 2, healthy: false, state: 'pulling' },
        { name: 'web-1-3', version: 1, healthy: true, state: 'healthy', draining: true },
      ],
      stopping: ['web-1-2'],
    });
    assert.deepEqual(
      rows.map((r) => [r.name, r.phase, r.isNew]),
      [
        ['web-2-1', 'pulling', true],
        ['web-1-1', 'draining', false],
        ['web-1-3', 'draining', false],
        ['web-1-2', 'stopped', false],
      ],
    );
    assert.equal(rows[3].version, 1);
  });
});

describe('instanceRows of a failed deploy', () => {
  it('counts a stopped instance of the failed version as the deploy\'s own', () => {
    const rows = instanceRows({ ...base, state: 'failed', units: [{ name: 'web-1-1', version: 1, healthy: true, state: 'healthy' }], stopping: ['web-2-1'] });
    assert.deepEqual(rows.map((r) => [r.name, r.phase, r.isNew]), [['web-2-1', 'stopped', true], ['web-1-1', 'healthy', false]]);
  });
});

describe('outcomeText', () => {
  it('says succeeded, or failed with the reason, or how far the deploy is', () => {
    assert.equal(outcomeText({ ...base, state: 'succeeded' }), 'succeeded');
    assert.equal(outcomeText({ ...base, state: 'failed', reason: 'unit web-2-1 failed: image not found' }), 'failed: unit web-2-1 failed: image not found');
    assert.equal(outcomeText({ ...base, units: [{ name: 'web-2-1', version: 2, healthy: true, state: 'healthy' }, { name: 'web-2-2', version: 2, healthy: false, state: 'starting' }] }), 'deploying v2 (1 of 2 healthy)');
  });
});

it('an empty instance table after a failed first deploy says so, not "scaled to 0"', () => {
  assert.equal(noInstancesText({ version: 1, state: 'failed', serving: 0 }), 'No instances: the deploy of v1 failed and no earlier version serves.');
  assert.equal(noInstancesText({ version: 3, state: 'failed', serving: 2 }), 'No instances (scaled to 0, or all stopped).');
  assert.equal(noInstancesText({ version: 2, state: 'succeeded', serving: 2 }), 'No instances (scaled to 0, or all stopped).');
});

it('nothingServesText: says why no version serves, and nothing while one does', () => {
  assert.equal(nothingServesText({ version: 1, state: 'failed', serving: 0 }), 'Nothing serves: the deploy of v1 failed.');
  assert.equal(nothingServesText({ version: 1, state: 'deploying', serving: 0 }), 'Nothing serves yet: v1 is being deployed.');
  assert.equal(nothingServesText({ version: 3, state: 'failed', serving: 2 }), undefined);
});
