import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rolloutCommand, tagChangeNote } from './tag-note.js';

test('a deploy without --tag that would change the serving tag says which, and how to keep it', () => {
  assert.equal(
    tagChangeNote('web', '127.0.0.1:5000/paz/hello', { version: 2, image: '127.0.0.1:5000/paz/hello:1' }),
    'note: version 2 of web, which serves, runs :1; this deploy runs :latest (its dockerRepository names no tag). To deploy :1 again: paz deploy web --tag 1',
  );
  assert.match(tagChangeNote('web', 'acme/web:2', { version: 7, image: 'acme/web:1.9' })!, /runs :1\.9; this deploy runs :2 \(its dockerRepository names :2\)\. To deploy :1\.9 again: paz deploy web --tag 1\.9$/);
});

test('nothing to say: same tag, nothing serving, another repository, or a digest', () => {
  assert.equal(tagChangeNote('web', 'acme/web', { version: 2, image: 'acme/web:latest' }), undefined);
  assert.equal(tagChangeNote('web', 'acme/web:3', { version: 2, image: 'acme/web:3' }), undefined);
  assert.equal(tagChangeNote('web', 'acme/web', undefined), undefined);
  assert.equal(tagChangeNote('web', 'acme/api', { version: 2, image: 'acme/web:1' }), undefined);
  assert.equal(tagChangeNote('web', 'acme/web', { version: 2, image: `acme/web@sha256:${'a'.repeat(64)}` }), undefined);
});

test('a changed config is rolled out on the image that serves: --tag when it is not the one the repository names', () => {
  assert.equal(rolloutCommand('web', '127.0.0.1:5000/paz/hello', '127.0.0.1:5000/paz/hello:1'), 'paz deploy web --tag 1');
  assert.equal(rolloutCommand('web', 'acme/web:2', 'acme/web:2'), 'paz deploy web');
  assert.equal(rolloutCommand('web', 'acme/web', 'acme/web:latest'), 'paz deploy web');
  assert.equal(rolloutCommand('web', 'acme/web', undefined), 'paz deploy web', 'nothing serves');
  assert.equal(rolloutCommand('web', undefined, 'acme/web:1'), 'paz deploy web');
});
