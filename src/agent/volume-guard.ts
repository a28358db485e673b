/**
 * The agent's own check of a unit's host volumes, just before it starts the unit: the API checked the
 * paths as written against the cluster's volume root, but the agent's host decides what a path is. Each
 * path is resolved with realpath (a symlink inside the root pointing at `/` or the Docker socket resolves
 * out of it) and judged again by the same rules (core/volume-policy.ts) against this agent's own root.
 */
import { lstatSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { DriverError, type VolumeMount } from './drivers/driver.js';
import { hostVolumeProblem, volumeRootProblem } from '../core/volume-policy.js';

/**
 * The real path of `path` on this host: the realpath of its longest existing ancestor, with the missing
 * rest appended (Docker creates a missing bind source as a directory, below that ancestor).
 */
export function realPathOnHost(path: string): string {
  const missing: string[] = [];
  let existing = path;
  for (;;) {
    try {
      lstatSync(existing);
      break;
    } catch {
      if (existing === '/') break;
      missing.unshift(posix.basename(existing));
      existing = posix.dirname(existing);
    }
  }
  return posix.join(realpathSync(existing), ...missing);
}

/** Why the file at `real` may not be mounted by its kind (a socket or a device), or undefined. */
function fileKindProblem(real: string): string | undefined {
  let st;
  try {
    st = statSync(real);
  } catch {
    return undefined;
  }
  if (st.isSocket()) return 'a socket';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'a device';
  return undefined;
}

/** Makes the volume root (mode 0755: units' containers read their volumes) and checks it; returns its real path. */
export function prepareVolumeRoot(root: string, dataDir?: string): string {
  const problem = volumeRootProblem(root, dataDir);
  if (problem) throw new Error(problem);
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const real = realpathSync(root);
  const realProblem = real === root ? undefined : volumeRootProblem(real, dataDir && realPathOnHost(dataDir));
  if (realProblem) throw new Error(`--volume-root ${root} resolves to ${real}: ${realProblem}`);
  return real;
}

/**
 * Throws DriverError VOLUME_REFUSED, naming the path and the root, for the first volume this host refuses:
 * the path as written is judged against the root as configured, the path's real location against the root's.
 */
export function checkVolumesOnHost(volumes: readonly VolumeMount[], root: string | undefined): void {
  const realRoot = root === undefined ? undefined : realPathOnHost(root);
  for (const v of volumes) {
    const written = hostVolumeProblem(v.hostPath, root);
    if (written) throw new DriverError('VOLUME_REFUSED', written);
    const real = realPathOnHost(v.hostPath);
    const resolved = hostVolumeProblem(real, realRoot);
    if (resolved) throw new DriverError('VOLUME_REFUSED', `volume "${v.hostPath}" resolves to "${real}" on this host: ${resolved}`);
    const kind = fileKindProblem(real);
    if (kind) throw new DriverError('VOLUME_REFUSED', `volume "${v.hostPath}" is ${kind} on this host: only files and directories are mounted`);
  }
}
