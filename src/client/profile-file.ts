/**
 * The CLI's profile file: $PAZ_CONFIG, else $XDG_CONFIG_HOME/paz/config.json, else ~/.config/paz/config.json.
 * It holds tokens, so it is written with mode 0600 (its directory 0700), through a temporary file and a
 * rename so a crash mid-write never leaves half a file.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../fs/atomic-file.js';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseProfileConfig, type ProfileConfig } from './connection.js';
import { fileErrorWords } from '../core/file-errors.js';

export function profileFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PAZ_CONFIG) return resolve(env.PAZ_CONFIG);
  const base = env.XDG_CONFIG_HOME ? resolve(env.XDG_CONFIG_HOME) : join(homedir(), '.config');
  return join(base, 'paz', 'config.json');
}

/** The profiles; none when the file does not exist. */
export function readProfiles(path: string): ProfileConfig {
  if (!existsSync(path)) return { profiles: {} };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${path}: ${fileErrorWords(e)}`);
  }
  return parseProfileConfig(text, path);
}

export function writeProfiles(path: string, config: ProfileConfig): void {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, durable: true });
}
