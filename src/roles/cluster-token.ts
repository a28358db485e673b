/**
 * Where the cluster token comes from: --cluster-token / PAZ_CLUSTER_TOKEN, else `cluster-token` in the
 * data dir. A server (`paz up`, `paz server`) makes that file (mode 0600) on its first start; an agent on
 * another host never makes one, since a token of its own would match no server's: it must be given the
 * cluster's, and refuses to start without it.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterTokenError, newClusterToken, parseClusterToken } from '../core/cluster-token.js';

export const CLUSTER_TOKEN_FILE = 'cluster-token';

export interface ClusterTokenSource {
  dataDir: string;
  /** --cluster-token or PAZ_CLUSTER_TOKEN, when given */
  given?: string;
  /** servers make the file on first start; agents only read it */
  create: boolean;
}

export function loadClusterToken(source: ClusterTokenSource): string {
  if (source.given !== undefined && source.given !== '') {
    try {
      return parseClusterToken(source.given);
    } catch (err) {
      throw new ClusterTokenError(`--cluster-token (PAZ_CLUSTER_TOKEN): ${(err as Error).message}`);
    }
  }
  const file = join(source.dataDir, CLUSTER_TOKEN_FILE);
  if (existsSync(file)) return readTokenFile(file);
  if (!source.create) {
    throw new ClusterTokenError(
      `this agent has no cluster token, so the servers could not reach its API and it will not start. ` +
        `Run \`cat DATA_DIR/${CLUSTER_TOKEN_FILE}\` on a Paz server (DATA_DIR is its --data-dir, default ~/.paz) ` +
        `and give the agent the value with --cluster-token or PAZ_CLUSTER_TOKEN, or put it in ${file} (mode 0600)`,
    );
  }
  const token = newClusterToken();
  // wx: two processes starting at once must not each write their own token
  try {
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readTokenFile(file);
    throw err;
  }
  chmodSync(file, 0o600);
  return token;
}

function readTokenFile(file: string): string {
  try {
    return parseClusterToken(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ClusterTokenError(`${file}: ${(err as Error).message}`);
  }
}
