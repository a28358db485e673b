import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isJsonType } from './json-type.js';

test('one JSON document: application/json and +json types, with or without parameters', () => {
  for (const t of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/problem+json', 'application/vnd.api+json;charset=utf-8']) assert.equal(isJsonType(t), true, t);
});

test('not one JSON document: JSON Lines, text, nothing', () => {
  for (const t of ['application/x-ndjson; charset=utf-8', 'application/jsonl', 'application/json-seq', 'text/plain; charset=utf-8', 'text/event-stream', 'text/json-ish', '', undefined]) assert.equal(isJsonType(t), false, String(t));
});
