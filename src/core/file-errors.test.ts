import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileErrorWords } from './file-errors.js';

const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
};

test("Node's file errors in words: no code, no repeated path", () => {
  assert.equal(fileErrorWords(errorOf(() => readFileSync('/nonexistent/paz-file-errors'))), 'no such file or directory');
  assert.equal(fileErrorWords(errorOf(() => readFileSync('/'))), 'it is a directory');
  assert.equal(fileErrorWords(errorOf(() => readFileSync('/etc/hostname/x'))), 'a part of the path is not a directory');
  assert.equal(fileErrorWords({ code: 'EACCES' }), 'permission denied');
  assert.equal(fileErrorWords(new Error('something else')), 'something else');
});
