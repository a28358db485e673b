import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY_FORM, createBody, fieldOfError, parseEnvLines, parsePorts } from './create-service-form.js';

describe('createBody', () => {
  it('sends only what was filled in, with secrets as {secret}', () => {
    const body = createBody({
      ...EMPTY_FORM,
      name: ' web ',
      dockerRepository: '127.0.0.1:5000/paz/hello:1',
      numInstances: '2',
      ports: '9000, 8080:9001, 53/udp',
      env: 'A=1\n\nB=x=y',
      secretEnv: 'DB_PASSWORD=hunter2',
      publicFacing: true,
      loadBalanced: false,
      healthPath: '/health',
    });
    assert.deepEqual(body, {
      name: 'web',
      dockerRepository: '127.0.0.1:5000/paz/hello:1',
      numInstances: 2,
      ports: [{ container: 9000 }, { container: 9001, host: 8080 }, { container: 53, protocol: 'udp' }],
      env: { A: '1', B: 'x=y', DB_PASSWORD: { secret: 'hunter2' } },
      publicFacing: true,
      loadBalanced: false,
      healthCheck: { path: '/health' },
    });
  });
  it('sends numbers it cannot read as typed, for the API to name the field', () => {
    assert.equal(createBody({ ...EMPTY_FORM, name: 'a', numInstances: 'two' }).numInstances, 'two');
    assert.deepEqual(parsePorts('abc'), [{ container: 'abc' }]);
  });
  it('an empty form sends the name alone', () => {
    assert.deepEqual(createBody({ ...EMPTY_FORM, numInstances: '' }), { name: '' });
  });
  it('reads env lines', () => {
    assert.deepEqual(parseEnvLines('A=1\r\nB\n'), [['A', '1'], ['B', '']]);
  });
});

describe('fieldOfError', () => {
  it('uses the field the error names', () => {
    assert.equal(fieldOfError({ message: 'x', field: 'healthCheck.path' }), 'healthPath');
    assert.equal(fieldOfError({ message: 'x', field: 'env.DB' }, ['DB']), 'secretEnv');
    assert.equal(fieldOfError({ message: 'x', field: 'env.A' }, ['DB']), 'env');
  });
  it('reads the field from schema messages', () => {
    assert.equal(fieldOfError({ message: 'field "numInstances" must be integer' }), 'numInstances');
    assert.equal(fieldOfError({ message: 'field "ports[0].container" must be integer' }), 'ports');
    assert.equal(fieldOfError({ message: 'the request body is missing the required field "name"' }), 'name');
    assert.equal(fieldOfError({ message: 'name "A" has uppercase letters' }), 'name');
    assert.equal(fieldOfError({ code: 'PAZ_SERVICE_EXISTS', message: 'service "a" exists' }), 'name');
  });
  it('answers undefined for errors about the whole request', () => {
    assert.equal(fieldOfError({ message: 'the request body is not valid JSON' }), undefined);
  });
});
