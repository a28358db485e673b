import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigPatchSchema, HealthCheckSchema, ResourcesSchema, RolloutSchema } from '../core/service-spec.js';
import { CONFIG_KEYS, assignmentFor, configDiff, editPatch, flatten, keyCandidates, setPatch, unsetPatch, valueAt } from './config-keys.js';
import { UsageError } from './usage-error.js';

const config = { numInstances: 1, ports: [{ container: 9000 }], env: { A: '1', S: { secret: true, fingerprint: 'abcdef012345' } }, volume: {}, publicFacing: false, healthCheck: { path: '/health' } };

test('the CLI knows exactly the keys the API takes', () => {
  assert.deepEqual(Object.keys(CONFIG_KEYS).sort(), Object.keys(ConfigPatchSchema.properties).sort());
});

test('set: dotted keys change one entry and send the whole top-level value; values parse as JSON when they can', () => {
  assert.deepEqual(setPatch(config, ['numInstances=3', 'env.B=two', 'env.C=3']), { numInstances: 3, env: { A: '1', S: { secret: true, fingerprint: 'abcdef012345' }, B: 'two', C: '3' } });
  assert.deepEqual(setPatch(config, ['healthCheck.intervalSeconds=5']), { healthCheck: { path: '/health', intervalSeconds: 5 } });
  assert.deepEqual(setPatch(config, ['ports=[{"container":80}]', 'conflictsWith=web-*']), { ports: [{ container: 80 }], conflictsWith: 'web-*' });
  assert.deepEqual(setPatch(config, ['volume./data/x.y=/srv']), { volume: { '/data/x.y': '/srv' } });
  assert.deepEqual(setPatch({}, ['resources.memoryMb=64']), { resources: { memoryMb: 64 } });
});

test('set and unset refuse unknown keys with the nearest one, and bad arguments, as usage errors', () => {
  assert.throws(() => setPatch(config, ['numInstance=3']), (e: Error) => e instanceof UsageError && /unknown config key numInstance \(did you mean numInstances\?\)/.test(e.message));
  assert.throws(() => setPatch(config, ['numInstances']), UsageError);
  assert.throws(() => setPatch(config, []), UsageError);
  assert.throws(() => setPatch(config, ['ports.container=1']), /ports is not an object/);
  assert.throws(() => unsetPatch(config, ['numInstances']), /numInstances cannot be unset/);
  assert.throws(() => unsetPatch(config, ['env.NOPE']), /no env.NOPE/);
});

test('unset removes an entry, or resets a key to the value that means unset', () => {
  assert.deepEqual(unsetPatch(config, ['env.A', 'env.S']), { env: {} });
  assert.deepEqual(unsetPatch(config, ['healthCheck', 'ports', 'loadBalanced']), { healthCheck: {}, ports: [], loadBalanced: true });
});

test('edit: changed and added keys are sent; removed ones reset; nothing changed sends nothing', () => {
  assert.deepEqual(editPatch(config, structuredClone(config)), {});
  const edited: Record<string, unknown> = { ...structuredClone(config), numInstances: 2, autoDeploy: 'never' };
  delete edited.healthCheck;
  assert.deepEqual(editPatch(config, edited), { numInstances: 2, autoDeploy: 'never', healthCheck: {} });
  const noCount: Record<string, unknown> = structuredClone(config);
  delete noCount.numInstances;
  assert.throws(() => editPatch(config, noCount), /numInstances cannot be removed/);
});

test('flatten and diff: dotted lines, secrets by fingerprint only, key by key', () => {
  assert.deepEqual(flatten(config), [
    ['env.A', '1'],
    ['env.S', '(secret, fingerprint abcdef012345)'],
    ['healthCheck.path', '/health'],
    ['numInstances', '1'],
    ['ports', '[{"container":9000}]'],
    ['publicFacing', 'false'],
    ['volume', '{}'],
  ]);
  assert.deepEqual(configDiff(config, config), []);
  assert.deepEqual(configDiff(config, { ...config, numInstances: 2, env: { A: '1' }, command: ['x'] }), ['+ command = ["x"]', '- env.S = (secret, fingerprint abcdef012345)', '- numInstances = 1', '+ numInstances = 2']);
});

test('the dotted keys completion offers are the schema\'s fields', () => {
  assert.deepEqual(CONFIG_KEYS.healthCheck.sub!.slice().sort(), Object.keys(HealthCheckSchema.properties).sort());
  assert.deepEqual(CONFIG_KEYS.resources.sub!.slice().sort(), Object.keys(ResourcesSchema.properties).sort());
  assert.deepEqual(CONFIG_KEYS.rollout.sub!.slice().sort(), Object.keys(RolloutSchema.properties).sort());
});

test('completion of keys: top-level ones, then a key\'s entries once the word has a dot', () => {
  const set = keyCandidates(config, 'set', '');
  assert.ok(set.includes('numInstances=') && set.includes('env=') && set.includes('env.') && set.includes('healthCheck.'), set.join(' '));
  assert.ok(!set.includes('numInstances.') && !set.includes('ports.'), 'only keys with entries get KEY.');
  assert.ok(!keyCandidates(config, 'unset', '').includes('numInstances'), 'numInstances cannot be unset');
  assert.ok(keyCandidates(undefined, 'show', '').includes('numInstances'));
  assert.deepEqual(keyCandidates(config, 'set', 'env.'), ['env.A=', 'env.S=']);
  assert.deepEqual(keyCandidates(config, 'unset', 'env.A'), ['env.A', 'env.S'], 'the caller filters by what was typed');
  assert.deepEqual(keyCandidates(config, 'show', 'env.'), ['env.A', 'env.S']);
  assert.deepEqual(keyCandidates(config, 'set', 'healthCheck.').slice(0, 3), ['healthCheck.type=', 'healthCheck.path=', 'healthCheck.port=']);
  assert.deepEqual(keyCandidates(config, 'unset', 'healthCheck.'), ['healthCheck.path'], 'unset: what the config has');
  assert.deepEqual(keyCandidates(undefined, 'set', 'resources.'), ['resources.cpus=', 'resources.memoryMb='], 'no config (server down): the schema\'s fields');
  assert.deepEqual(keyCandidates(undefined, 'unset', 'env.'), []);
  assert.deepEqual(keyCandidates(config, 'set', 'ports.'), [], 'ports has no entries');
  assert.deepEqual(keyCandidates(config, 'set', 'nope.'), []);
  assert.deepEqual(keyCandidates({ env: { secret: true, fingerprint: 'x' } }, 'set', 'env.'), [], 'a sealed value is no map');
});

test('valueAt: a key or one entry of it', () => {
  assert.deepEqual(valueAt(config, 'env'), config.env);
  assert.equal(valueAt(config, 'env.A'), '1');
  assert.equal(valueAt(config, 'env.NOPE'), undefined);
  assert.equal(valueAt(config, 'healthCheck.path'), '/health');
  assert.throws(() => valueAt(config, 'nope'), UsageError);
});

test('a refused value is traced to the assignment it came from: the field itself, inside it or around it', () => {
  const typed = ['env.GREETING=hi', 'numInstances=abc', 'healthCheck.intervalSeconds=fast', 'ports=[{"container":"x"}]', 'rollout={"maxSurge":-1}'];
  assert.equal(assignmentFor(typed, 'field "numInstances" must be integer'), 'numInstances=abc');
  assert.equal(assignmentFor(typed, 'field "healthCheck.intervalSeconds" must be number'), 'healthCheck.intervalSeconds=fast');
  // the API names the field inside a whole value set at once
  assert.equal(assignmentFor(typed, 'field "ports[0].container" must be integer'), 'ports=[{"container":"x"}]');
  assert.equal(assignmentFor(typed, 'field "rollout.maxSurge" must be at least 0'), 'rollout={"maxSurge":-1}');
  // a field around a dotted key: the value the key's entry made it
  assert.equal(assignmentFor(['healthCheck.path=/x'], 'field "healthCheck" is missing the required field "type"'), 'healthCheck.path=/x');
  // no field, or one no assignment made: nothing to add
  assert.equal(assignmentFor(typed, 'the request body must be object'), undefined);
  assert.equal(assignmentFor(typed, 'field "volume./data" must be string'), undefined);
  // a key that only begins like the field is another key
  assert.equal(assignmentFor(['env=1'], 'field "envFrom" must be object'), undefined);
});
