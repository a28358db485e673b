/**
 * The first admin token: with auth on, a start whose store holds no admin token makes one named "admin"
 * and writes it to DATA_DIR/admin-token (mode 0600), where the local CLI finds it. A store that has admin
 * tokens while the file is missing gets no new one (that would hand out admin silently): the log says
 * how to get one instead.
 */
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { PazError } from '../core/errors.js';
import type { Tokens } from '../state/tokens.js';

export const ADMIN_TOKEN_FILE = 'admin-token';

export function adminTokenPath(dataDir: string): string {
  return join(dataDir, ADMIN_TOKEN_FILE);
}

/** Makes the first admin token if the store has none; returns the file's path when it wrote one. */
export async function ensureAdminToken(tokens: Tokens, dataDir: string, logger: Logger): Promise<string | undefined> {
  const file = adminTokenPath(dataDir);
  if (await tokens.hasAdmin()) {
    if (!existsSync(file)) {
      const how =
        `auth is on and the store already has admin tokens, but ${file} is missing, so no new one is made: ` +
        'use an admin token you have (PAZ_TOKEN=... paz token create NAME --role admin), or copy admin-token from the data dir of the host where Paz first started';
      logger.warn(how);
      console.error(`paz: ${how}`);
    }
    return undefined;
  }
  let created;
  try {
    created = await tokens.create('admin', 'admin', 'paz');
  } catch (err) {
    // another server of the cluster made it at the same moment: it wrote its own file
    if (err instanceof PazError && err.code === 'TOKEN_EXISTS' && (await tokens.hasAdmin())) return undefined;
    throw err;
  }
  // a file left from an earlier store holds a token this store does not know
  if (existsSync(file)) unlinkSync(file);
  writeFileSync(file, `${created.token}\n`, { mode: 0o600, flag: 'wx' });
  logger.info({ file }, 'made the first admin token');
  return file;
}
