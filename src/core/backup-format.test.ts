import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACKUP_VERSION,
  BackupFileError,
  formatBackup,
  isTransient,
  makeBackup,
  parseBackup,
  RESTORE_MARKER_KEY,
  sealedKeyIdsIn,
  secretsKeyProblem,
  type BackupSource,
} from './backup-format.js';
import { keys } from './keys.js';
import { newSecretKey, seal } from './secret-box.js';

const key = newSecretKey();
const sealed = seal(key, 'hunter2', 'env:web:DB_PASSWORD');

const source = (): BackupSource => ({
  pazVersion: '9.9.9',
  createdAt: new Date('2026-01-02T03:04:05Z'),
  revision: 42,
  store: 'sqlite',
  kvs: [
    { key: keys.service('web'), value: JSON.stringify({ name: 'web', config: { env: { DB_PASSWORD: { sealed } } } }), lease: 0 },
    { key: keys.deploy('web', 1), value: '{"version":1}', lease: 0 },
    { key: keys.deploy('web', 2), value: '{"version":2}', lease: 0 },
    { key: keys.journal(1, 'web', 1, 'deploy'), value: '{}', lease: 0 },
    { key: keys.token('abc'), value: '{"hash":"00"}', lease: 0 },
    { key: keys.registryLogin('reg.example'), value: '{"password":"x"}', lease: 0 },
    { key: keys.desiredUnit('web', 'web-2-1'), value: '{}', lease: 0 },
    { key: keys.knownHost('h1'), value: '{}', lease: 0 },
    { key: keys.pendingWrite('web'), value: '{}', lease: 0 },
    // transient: each under a lease, or under a prefix only live processes write
    { key: keys.host('h1'), value: '{}', lease: 7 },
    { key: keys.component('paz-orchestrator'), value: '127.0.0.1:9000', lease: 7 },
    { key: keys.endpoint('web', 2, 1), value: '127.0.0.1:4000', lease: 7 },
    { key: keys.unitStatus('web-2-1'), value: '{}', lease: 7 },
    { key: keys.election('control'), value: 'leader-1', lease: 8 },
    { key: keys.writeLock('web'), value: 'w', lease: 9 },
    { key: keys.router('h1'), value: '{}', lease: 7 },
  ],
});

describe('backup format', () => {
  it('keeps lasting state and leaves out what only live processes write', () => {
    const b = makeBackup(source());
    assert.deepEqual(
      b.entries.map((e) => e.key),
      [keys.token('abc'), keys.service('web'), keys.knownHost('h1'), keys.registryLogin('reg.example'), keys.deploy('web', 1), keys.deploy('web', 2), keys.journal(1, 'web', 1, 'deploy'), keys.pendingWrite('web'), keys.desiredUnit('web', 'web-2-1')].sort(),
    );
    assert.deepEqual(b.header.counts, { keys: 9, services: 1, versions: 2, journal: 1, desiredUnits: 1, tokens: 1, registryLogins: 1 });
    assert.deepEqual(b.header.secretsKeyIds, [key.id]);
    assert.equal(b.header.revision, 42);
    assert.equal(b.header.version, BACKUP_VERSION);
  });

  it('leaves out any leased key and the restore marker, wherever they are', () => {
    assert.equal(isTransient('/paz/config/something-new', 3), true);
    assert.equal(isTransient(RESTORE_MARKER_KEY, 0), true);
    assert.equal(isTransient('/paz/services/paz-scheduler', 0), true, 'announcements go even if written without a lease');
    assert.equal(isTransient(keys.knownHost('h1'), 0), false);
  });

  it('round-trips through its text, values byte for byte', () => {
    const b = makeBackup(source());
    const text = formatBackup(b);
    assert.deepEqual(parseBackup(text), b);
    assert.ok(text.includes(sealed), 'the sealed value is copied as it is');
    assert.ok(!text.includes('hunter2'));
  });

  it('finds the ids of the keys that sealed values', () => {
    const other = newSecretKey();
    assert.deepEqual(sealedKeyIdsIn(['{"a":"plain"}', sealed, JSON.stringify({ x: seal(other, 'y', 'c'), z: sealed })]), [key.id, other.id].sort());
    assert.deepEqual(sealedKeyIdsIn(['paz:v1:nothex!!:x']), []);
  });

  const refused = (text: string, message: RegExp) => assert.throws(() => parseBackup(text), (e: unknown) => e instanceof BackupFileError && message.test(e.message));

  it('refuses a file cut short, wherever it is cut', () => {
    const text = formatBackup(makeBackup(source()));
    const lines = text.split('\n');
    refused(lines.slice(0, 1).join('\n'), /ends early/);
    refused(lines.slice(0, 4).join('\n') + '\n', /ends early.*cut short/);
    refused(text.slice(0, -1), /ends early/);
    refused(text.slice(0, text.length - 10), /ends early/);
    refused('', /empty/);
  });

  it('refuses a changed file: an edited value, a dropped line, a foreign key', () => {
    const text = formatBackup(makeBackup(source()));
    assert.ok(text.includes('\\"version\\":2'));
    refused(text.replace('\\"version\\":2', '\\"version\\":3'), /checksum/);
    const lines = text.split('\n');
    refused([...lines.slice(0, 2), ...lines.slice(3)].join('\n'), /holds 8 keys but says 9/);
    refused(text.replace(keys.deploy('web', 1), '/etc/passwd'), /a key no paz backup holds/);
    refused(text.replace(keys.deploy('web', 1), keys.host('h9')), /a key no paz backup holds/);
    refused(text.replace('{"k":', '{"key":'), /not a key line/);
  });

  it('refuses what is not a backup, and a newer format with the version to use', () => {
    refused('hello\n', /not a paz backup header/);
    refused('{"format":"tar"}\n', /not a paz backup header/);
    const b = makeBackup(source());
    const newer = formatBackup({ ...b, header: { ...b.header, version: BACKUP_VERSION + 1, pazVersion: '12.0.0' } });
    refused(newer, new RegExp(`format version ${BACKUP_VERSION + 1}, written by paz 12.0.0.*restore it with paz 12.0.0 or newer`));
    refused(formatBackup({ ...b, header: { ...b.header, version: 0 } }), /not a backup format version/);
  });

  it('says when the target secrets key cannot open the backup, and how to fix it', () => {
    const file = { id: undefined, from: '/d/secrets.key' };
    assert.equal(secretsKeyProblem([], file), undefined);
    assert.equal(secretsKeyProblem(['aaaa1111'], { ...file, id: 'aaaa1111' }), undefined);
    assert.match(secretsKeyProblem(['aaaa1111'], file)!, /sealed with key aaaa1111 and the target has no secrets key: copy .* to \/d\/secrets.key, or give it with --secrets-key FILE/);
    assert.match(secretsKeyProblem(['aaaa1111'], { ...file, id: 'bbbb2222' })!, /sealed with key aaaa1111 but the target's secrets key is bbbb2222/);
    assert.match(secretsKeyProblem(['aaaa1111'], { id: 'bbbb2222', from: 'env' })!, /target's secrets key \(PAZ_SECRETS_KEY\) is bbbb2222.*set PAZ_SECRETS_KEY to the source's key/);
    assert.match(secretsKeyProblem(['aaaa1111', 'bbbb2222'], { ...file, id: 'aaaa1111' })!, /2 different keys/);
  });
});
