/**
 * Where the secrets key comes from: PAZ_SECRETS_KEY (base64 or hex), else `secrets.key` in the data dir,
 * made (mode 0600) on first start. Every server and agent of a cluster needs the same key: agents open
 * secrets when they start a unit, servers seal them when a config is written.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatSecretKey, newSecretKey, parseSecretKey, SecretKeyError, type SecretKey } from '../core/secret-box.js';

export const SECRETS_KEY_FILE = 'secrets.key';

export function loadSecretKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): SecretKey {
  const fromEnv = env.PAZ_SECRETS_KEY;
  if (fromEnv !== undefined && fromEnv !== '') {
    try {
      return parseSecretKey(fromEnv);
    } catch (err) {
      throw new SecretKeyError(`PAZ_SECRETS_KEY: ${(err as Error).message}`);
    }
  }
  const file = join(dataDir, SECRETS_KEY_FILE);
  if (existsSync(file)) {
    try {
      return parseSecretKey(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new SecretKeyError(`${file}: ${(err as Error).message}`);
    }
  }
  const key = newSecretKey();
  // wx: two processes starting at once must not each write their own key
  try {
    writeFileSync(file, `${formatSecretKey(key)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return parseSecretKey(readFileSync(file, 'utf8'));
    throw err;
  }
  chmodSync(file, 0o600);
  return key;
}
