import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cliTerms } from './api-error-terms.js';

const api = (code: string, message: string, details?: Record<string, unknown>) => ({ code, message, body: { statusCode: 404, code, message, ...(details ? { details } : {}) } });

test('API errors in CLI terms: no HTTP method or path, the paz command to run instead', () => {
  const cases: Array<[ReturnType<typeof api>, RegExp]> = [
    [api('PAZ_SERVICE_NOT_FOUND', 'no service named "web": create it with POST /services, or list services with GET /services', { name: 'web' }), /^no service named web; create it with `paz create FILE` \(`paz services` lists them\)$/],
    [api('PAZ_SERVICE_EXISTS', 'a service named "web" already exists: change it with PATCH /services/web/config', { name: 'web' }), /`paz config set web KEY=VALUE`.*`paz delete web`/],
    [api('PAZ_NOT_DEPLOYED', 'deploy it with POST /hooks/deploy', { name: 'web' }), /^web has not been deployed yet: deploy it with `paz deploy web`$/],
    [api('PAZ_NOT_DEPLOYED', 'no version of service "web" serves (version 1 failed): there is nothing to restart; deploy a version that starts', { name: 'web', latest: 1 }), /^no version of web serves \(version 1 failed, `paz rollout web` says why\): deploy one that starts with `paz deploy web`$/],
    [api('PAZ_CONFLICT', 'service "web" is deploying version 3 right now: restart it once that rollout ends (GET /services/web/rollout follows it)', { name: 'web', deploying: 3 }), /^web is deploying version 3 right now: restart it once that rollout ends \(`paz rollout web` shows it\)$/],
    [api('PAZ_HOST_NOT_FOUND', 'no host with id "h1": list hosts with GET /cluster/hosts', { id: 'h1' }), /^no host with id "h1" \(`paz hosts` lists them\)$/],
    [api('PAZ_HOST_NOT_FOUND', 'no down host with id "h1": list hosts with GET /cluster/health', { id: 'h1' }), /`paz health`/],
    [api('PAZ_UNIT_NOT_FOUND', 'no unit named "web-1": … list them with GET /cluster/units', { unit: 'web-1' }), /^no unit named "web-1": .*\(`paz units` lists them\)$/],
    [api('PAZ_UNIT_NOT_FOUND', 'service "web" has no unit "x": list them with GET /services/web/units', { service: 'web', unit: 'x' }), /^web has no unit "x" \(`paz units web` lists them\)$/],
    [api('PAZ_TOKEN_NOT_FOUND', 'no token … (GET /auth/tokens)', { token: 'ci' }), /^no token with the id or name "ci" \(`paz token ls` lists them\)$/],
    [api('PAZ_VERSION_NOT_FOUND', 'service "web" has no version before version 3 (which serves) whose deploy succeeded (2 failed, 1 failed): to deploy one of them again, name it ({"version": 2})', { name: 'web', serving: 3, earlier: [2, 1] }), /^service "web" has no version before version 3 \(which serves\) whose deploy succeeded \(2 failed, 1 failed\): to deploy one of them again, name it \(`paz rollback web --version 2`\)$/],
  ];
  for (const [err, re] of cases) {
    const text = cliTerms(err);
    assert.match(text, re, err.code);
    assert.doesNotMatch(text, /\b(GET|POST|PATCH|DELETE) \//, err.code);
  }
});

test('an error it does not know, or one without the details it needs, keeps the API message', () => {
  assert.equal(cliTerms(api('PAZ_VALIDATION', 'numInstances must be at most 1000')), 'numInstances must be at most 1000');
  assert.equal(cliTerms(api('PAZ_SERVICE_NOT_FOUND', 'no service named "web"')), 'no service named "web"');
  assert.equal(cliTerms({ code: 'HTTP_502', message: 'Bad Gateway' }), 'Bad Gateway');
});

test("the request validator's words about HTTP become the document's", () => {
  assert.equal(
    cliTerms(api('PAZ_VALIDATION', 'the request body has an unknown field "bogus": remove it (see /docs for the fields this endpoint takes)')),
    'the document has an unknown field "bogus": remove it (every field is in the API reference: /docs on the orchestrator)',
  );
  assert.equal(cliTerms(api('PAZ_VALIDATION', 'field "ports" must be array')), 'field "ports" must be array');
});
