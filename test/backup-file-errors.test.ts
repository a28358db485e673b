// test-lane: normal
// `paz backup FILE` and `paz restore FILE` when the file is not what it should be, run as a user would
// (bin/paz.js): an existing target (never overwritten without --force, and left whole when refused), a
// directory, a file system that refuses the write, a backup file paz may not read, a truncated or compressed
// or foreign file. Each ends with exit 1 and a sentence in CLI terms, never Node's ENOENT/EISDIR/EACCES text
// or a stack trace, and leaves no FILE.tmp behind.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { pazBin, runPaz } from './helpers/paz-server.js';
import { tmpDir } from './helpers/env.js';
import { ok, refused as refusedWith, type CliResult } from './helpers/cli-result.js';
import { SqliteStore } from '../src/store/index.js';
import { keys } from '../src/core/keys.js';

/** refused (exit `code`, `message`, no stack trace), and none of Node's error codes or texts either */
function refused(r: CliResult, code: number, message: RegExp): void {
  refusedWith(r, code, message);
  assert.doesNotMatch(r.stderr, /ENOENT|EISDIR|EACCES|EPERM|EEXIST|illegal operation/, `a sentence, not Node's error: ${r.stderr}`);
}

describe('paz backup / paz restore: file errors in CLI terms', () => {
  const dir = tmpDir('paz-backup-files-');
  const db = join(dir, 'source.db');
  const store = `sqlite:${db}`;
  const target = join(dir, 'target');
  let latest = 0;
  /** one more write in the source store: a later backup differs from an earlier one */
  const write = async () => {
    const s = new SqliteStore(db);
    await s.put(keys.latest('svc'), String(++latest));
    await s.close();
  };
  const noTmpLeft = (where: string) => assert.deepEqual(readdirSync(where).filter((f) => f.endsWith('.tmp')), [], `no .tmp file left in ${where}`);

  before(write);
  after(() => {
    try {
      execFileSync('chattr', ['-i', join(dir, 'frozen')], { stdio: 'ignore' });
    } catch {
      /* not made */
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('an existing FILE is refused without --force and left as it was; --force replaces it whole', async () => {
    const file = join(dir, 'daily.jsonl');
    ok(await runPaz(['backup', file, '--store', store]), 'paz backup');
    const first = readFileSync(file, 'utf8');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    await write();
    refused(await runPaz(['backup', file, '--store', store]), 1, new RegExp(`^paz: ${file} already exists \\(a backup you may still need\\?\\): paz backup does not overwrite it; give another FILE, or --force to replace it\\n$`));
    assert.equal(readFileSync(file, 'utf8'), first, 'the earlier backup is untouched');
    noTmpLeft(dir);
    ok(await runPaz(['backup', file, '--store', store, '--force']), 'paz backup --force');
    const second = readFileSync(file, 'utf8');
    assert.notEqual(second, first, 'replaced by the newer backup');
    assert.match(second, new RegExp(`"v":"${latest}"`));
    noTmpLeft(dir);
    assert.match((await runPaz(['backup', '--help'])).stdout, /--force +replace FILE if it exists/);
  });

  it('a directory as FILE is refused, with a file name to give instead', async () => {
    const backups = join(dir, 'backups');
    mkdirSync(backups);
    for (const force of [[], ['--force']]) {
      refused(await runPaz(['backup', backups, '--store', store, ...force]), 1, new RegExp(`^paz: ${backups} is a directory: give the backup a file name, e\\.g\\. ${backups}/paz-\\d{4}-\\d\\d-\\d\\d\\.jsonl\\n$`));
    }
    assert.deepEqual(readdirSync(backups), []);
    noTmpLeft(dir);
  });

  it('a directory the file system will not write in: the reason in words', async () => {
    // chattr +i: even root may not create files there (the tests run as root, which file modes do not stop)
    const frozen = join(dir, 'frozen');
    mkdirSync(frozen);
    execFileSync('chattr', ['+i', frozen]);
    refused(await runPaz(['backup', join(frozen, 'x.jsonl'), '--store', store]), 1, new RegExp(`^paz: could not write ${frozen}/x\\.jsonl: permission denied\\n$`));
    execFileSync('chattr', ['-i', frozen]);
    assert.deepEqual(readdirSync(frozen), []);
  });

  it('restore: a backup file paz may not read, a directory, a missing file', async () => {
    const file = join(dir, 'private.jsonl');
    ok(await runPaz(['backup', file, '--store', store]), 'paz backup');
    // 0600 and root's: another user may not read it (run as nobody; root reads every file)
    chmodSync(dir, 0o755);
    const asNobody = spawnSync(process.execPath, [pazBin, 'restore', file, '--data-dir', target], { uid: 65534, gid: 65534, encoding: 'utf8', env: { ...process.env, HOME: '/nonexistent' } });
    refused({ code: asNobody.status, stdout: asNobody.stdout, stderr: asNobody.stderr }, 1, new RegExp(`^paz: ${file}: cannot read it: permission denied\\n$`));
    refused(await runPaz(['restore', dir, '--data-dir', target]), 1, new RegExp(`^paz: ${dir}: is a directory, not a backup file\\n$`));
    refused(await runPaz(['restore', join(dir, 'nope.jsonl'), '--data-dir', target]), 1, /: no such file\n$/);
    assert.equal(existsSync(join(target, 'paz.db')), false, 'nothing was restored');
  });

  it('restore: a truncated, a compressed and a foreign file are refused before anything is written', async () => {
    const good = join(dir, 'good.jsonl');
    ok(await runPaz(['backup', good, '--store', store]), 'paz backup');
    const text = readFileSync(good, 'utf8');
    const cases: Array<[string, string | Buffer, RegExp]> = [
      ['cut.jsonl', text.slice(0, Math.floor(text.length * 0.7)), /cut\.jsonl: the file ends early .*take the backup again \(paz backup FILE\) or use an intact copy/],
      ['good.jsonl.gz', gzipSync(text), /good\.jsonl\.gz is gzip-compressed: restore it with gunzip -c .*good\.jsonl\.gz \| paz restore -/],
      ['photo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), /photo\.png: the first line is not a paz backup header .*is this the right file\?/],
      ['empty.jsonl', '', /empty\.jsonl: the file is empty: it is not a paz backup/],
    ];
    for (const [name, content, message] of cases) {
      writeFileSync(join(dir, name), content);
      refused(await runPaz(['restore', join(dir, name), '--data-dir', target]), 1, message);
    }
    // the same from standard input
    const piped = spawnSync(process.execPath, [pazBin, 'restore', '-', '--data-dir', target], { input: gzipSync(text), encoding: 'utf8' });
    refused({ code: piped.status, stdout: piped.stdout, stderr: piped.stderr }, 1, /^paz: standard input is gzip-compressed: put gunzip -c before paz restore - in the pipe\n$/);
    assert.equal(existsSync(join(target, 'paz.db')), false, 'nothing was restored');
    // and the good one goes in
    ok(await runPaz(['restore', good, '--data-dir', target]), 'paz restore');
  });
});
