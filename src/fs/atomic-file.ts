/**
 * Small files Paz keeps on disk (the process driver's unit state and launch intents, the agent's pulled
 * repositories, CLI profiles, pid files) are replaced whole: a reader, or a process starting after a crash,
 * sees the old file or the new one, never half of one.
 */
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface AtomicWriteOptions {
  /** the file's mode, whatever the umask (default: 0666 less the umask) */
  mode?: number;
  /**
   * also survive a power cut: the data is synced before the rename and the directory after it. Without it a
   * crash of the process is survived but a power cut may leave the file empty or the old one (a rename is
   * not ordered after the data it names on every file system).
   */
  durable?: boolean;
}

/** Replaces `path` with `text`: written to a temp file beside it (removed on failure), then renamed over it. */
export function writeFileAtomic(path: string, text: string, opts: AtomicWriteOptions = {}): void {
  const tmp = `${path}.${process.pid}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w', opts.mode ?? 0o666);
    // the mode given to open is masked by the umask; fchmod is not
    if (opts.mode !== undefined) fchmodSync(fd, opts.mode);
    const bytes = Buffer.from(text, 'utf8');
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    if (opts.durable) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  if (opts.durable) syncDirectory(dirname(path));
}

/** Makes the directory's entries (a rename into it) survive a power cut. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
