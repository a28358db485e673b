import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_ROUTES, matchAgentRoute } from './agent-api.js';
import { PazError } from '../core/errors.js';

describe('matchAgentRoute', () => {
  it('matches every route of the table, with its unit', () => {
    for (const route of AGENT_ROUTES) {
      const path = route.replace(':unit', 'web-1-0');
      assert.deepEqual(matchAgentRoute(path), route.includes(':unit') ? { route, unit: 'web-1-0' } : { route });
    }
  });

  it('decodes the unit and matches nothing else', () => {
    assert.deepEqual(matchAgentRoute('/units/a%20b/logs'), { route: '/units/:unit/logs', unit: 'a b' });
    for (const path of ['/', '/units', '/units//logs', '/units/a/b/logs', '/units/a/log', '/stats/', '/HEALTH', '/units/:unit/logs/x']) assert.equal(matchAgentRoute(path), undefined, path);
  });

  it('refuses a unit that is not valid URL encoding with VALIDATION', () => {
    assert.throws(() => matchAgentRoute('/units/%E0%A4%A/stats'), (err: unknown) => err instanceof PazError && err.code === 'VALIDATION');
  });
});
