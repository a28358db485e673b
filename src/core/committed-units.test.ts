import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { committedUnits, isCommittedUnit, isCommittedUnitKey } from './committed-units.js';

const latest = new Map([['web', 3], ['api-2', 1]]);

describe('committed units', () => {
  it('a unit of the latest version or older is committed; a newer (staged) one is not', () => {
    assert.equal(isCommittedUnit({ service: 'web', version: 3 }, latest), true);
    assert.equal(isCommittedUnit({ service: 'web', version: 2 }, latest), true);
    assert.equal(isCommittedUnit({ service: 'web', version: 4 }, latest), false);
  });

  it('a service never committed has no visible units', () => {
    assert.equal(isCommittedUnit({ service: 'new', version: 1 }, latest), false);
  });

  it('filters a list, keeping order', () => {
    const units = [{ service: 'web', version: 4 }, { service: 'web', version: 3 }, { service: 'api-2', version: 2 }, { service: 'api-2', version: 1 }];
    assert.deepEqual(committedUnits(units, latest), [units[1], units[3]]);
  });

  it('reads the rule from a key, also for service names ending in digits', () => {
    assert.equal(isCommittedUnitKey('/paz/units/desired/web/web-3-12', latest), true);
    assert.equal(isCommittedUnitKey('/paz/units/desired/web/web-4-1', latest), false);
    assert.equal(isCommittedUnitKey('/paz/units/desired/api-2/api-2-1-7', latest), true);
    assert.equal(isCommittedUnitKey('/paz/units/desired/api-2/api-2-2-7', latest), false);
    assert.equal(isCommittedUnitKey('/paz/units/desired/web/not-a-unit', latest), false);
  });
});
