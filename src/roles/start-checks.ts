/**
 * What `paz up|server|agent` checks before it claims the data dir or listens anywhere, so a mistake stops
 * the start with one clear message and leaves nothing behind: certificate files, the volume root, the
 * process driver's unit user, and --no-auth only on loopback. (The addresses other hosts use are settled just
 * before, asynchronously, in roles/routable-address.ts: a loopback one with a remote store is refused there.)
 */
import type { RoleConfig } from '../cli/options.js';
import type { RouterTlsOptions } from '../router/index.js';
import { authOffProblem } from '../core/loopback.js';
import { volumeRootProblem } from '../core/volume-policy.js';
import { hostUnitUser } from '../agent/drivers/process/host-unit-user.js';
import { loadTlsPair, readCertificateDir } from './tls-files.js';

export interface StartChecked {
  /** the APIs' certificate and key, read */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** the router's HTTPS: port, certificate dir and the certificates read from it */
  routerTls?: RouterTlsOptions;
}

/**
 * Throws on unreadable or mismatched files and unknown users (exit 1, as any failed start); answers
 * `{ refused }` for a start the flags themselves forbid (exit 2, a usage error).
 */
export function checkBeforeStart(cfg: RoleConfig, runs: { controlPlane: boolean; agent: boolean }): StartChecked | { refused: string } {
  if (cfg.auth === 'off') {
    const binds = [...(runs.controlPlane ? [{ flag: '--bind', address: cfg.bind }] : []), ...(runs.agent ? [{ flag: '--agent-bind', address: cfg.agent.bind }] : [])];
    const why = authOffProblem(binds);
    if (why) return { refused: why };
  }
  const rootProblem = volumeRootProblem(cfg.volumeRoot, cfg.dataDir);
  if (rootProblem) throw new Error(rootProblem);
  const tls = runs.controlPlane && cfg.tls ? loadTlsPair(cfg.tls.cert, cfg.tls.key) : undefined;
  const wanted = runs.agent ? cfg.agent.router?.tls : undefined;
  const routerTls = wanted ? { port: wanted.port, certDir: wanted.dir, certificates: readCertificateDir(wanted.dir) } : undefined;
  // the driver resolves it again when made; here an unknown user stops the start before anything listens
  if (runs.agent && cfg.agent.driver !== 'docker') hostUnitUser(cfg.agent.unitUser);
  return { ...(tls ? { tls } : {}), ...(routerTls ? { routerTls } : {}) };
}
