// test-lane: light
/**
 * Every dependency whose install scripts npm would run is reviewed in package.json's `allowScripts`: allowed
 * (better-sqlite3 must build its native module, or Paz cannot open its store) or denied. npm 11.16+ lists
 * unreviewed ones at every install and npm 12 skips them, which would leave a needed native module unbuilt on a
 * fresh machine; a new dependency with an install script fails this test until someone decides about it. Read
 * from package-lock.json, so it needs neither the network nor a particular npm.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// compiled to dist/test/, two levels below the package root
const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };

/** the package name of a lock entry's path (`node_modules/a/node_modules/@s/b` → `@s/b`) */
const nameOf = (path: string) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

const withScripts = [...new Set(Object.entries(lock.packages).filter(([path, p]) => path !== '' && p.hasInstallScript).map(([path]) => nameOf(path)))].sort();
const reviewed = pkg.allowScripts ?? {};

test('every dependency with install scripts is allowed or denied in package.json allowScripts', () => {
  const unreviewed = withScripts.filter((name) => !(name in reviewed));
  assert.deepEqual(unreviewed, [], `add these to package.json "allowScripts" (true: npm runs its install script; false: it never does): ${unreviewed.join(', ')}`);
});

test('allowScripts names only packages that have install scripts, and lets the native ones Paz needs build', () => {
  const stale = Object.keys(reviewed).filter((name) => !withScripts.includes(name));
  assert.deepEqual(stale, [], `no package of package-lock.json has an install script under these names: remove them from "allowScripts"`);
  assert.equal(reviewed['better-sqlite3'], true, 'better-sqlite3 must build its native module: Paz\'s SQLite store needs it');
});
