import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointTree } from './endpoint-tree.js';

test('announce keys become the nested tree Paz kept; component keys stay flat', () => {
  assert.deepEqual(
    endpointTree([
      { key: '/paz/services/demo-api/1/1', value: '10.0.0.2:49160' },
      { key: '/paz/services/demo-api/2/1', value: '10.0.0.3:49161' },
      { key: '/paz/services/paz-orchestrator', value: '10.0.0.1:9000' },
      { key: '/paz/other', value: 'x' },
    ]),
    { 'demo-api': { '1': { '1': '10.0.0.2:49160' }, '2': { '1': '10.0.0.3:49161' } }, 'paz-orchestrator': '10.0.0.1:9000' },
  );
});
