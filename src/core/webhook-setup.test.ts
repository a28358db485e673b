import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { webhookSetup } from './webhook-setup.js';
import { newWebhookSecret, signBody } from './webhook-proof.js';

test('the signed example computes the same signature Paz checks (openssl, as pasted into a shell)', () => {
  const secret = newWebhookSecret();
  const setup = webhookSetup(secret, 'http://10.0.0.5:9002/', 'web');
  const lines = setup.signed.shell.split('\n');
  assert.match(lines[3]!, /^curl .* 'http:\/\/10\.0\.0\.5:9002\/hooks\/deploy'$/);
  // everything but the curl line, then print what it would send
  const sig = execFileSync('bash', ['-c', `${lines.slice(0, 3).join('\n')}\nprintf '%s' "$sig"`], { encoding: 'utf8' });
  assert.equal(sig, signBody(secret, '{"serviceName":"web"}'));
});

test('Docker Hub gets the secret in the URL, a registry as a bearer header', () => {
  const setup = webhookSetup('s3cret/+x', 'http://paz.example:9002');
  assert.equal(setup.dockerhub.url, 'http://paz.example:9002/hooks/dockerhub?token=s3cret%2F%2Bx');
  assert.deepEqual(setup.registry.headers, { Authorization: ['Bearer s3cret/+x'] });
  assert.match(setup.registry.config, /url: http:\/\/paz\.example:9002\/hooks\/registry\n/);
  assert.match(setup.registry.config, /Authorization: \[Bearer s3cret\/\+x\]/);
});
