/**
 * The data dir holds what must stay the agent's alone: the store, secrets.key, the tokens, the units' state.
 * Units of the process driver run as another user (--unit-user), so the directory is made 0700: they cannot
 * even look inside. A shared directory (world-writable and sticky, like /tmp) is refused: it is not ours to close.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';

export function makePrivateDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if ((st.mode & 0o1002) === 0o1002) {
    throw new Error(`--data-dir ${dir} is a shared directory (world-writable, sticky): give Paz a directory of its own, e.g. ${dir.replace(/\/$/, '')}/paz`);
  }
  if ((st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) chmodSync(dir, 0o700);
}
