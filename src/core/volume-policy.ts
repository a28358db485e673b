/**
 * Which host paths a service may bind-mount. A bind mount of the Docker socket, of `/` or of a system
 * directory gives the container the host: so host volumes must lie under one allowed root (a directory
 * the host's admin chose, by default `DATA_DIR/volumes`), and some paths are refused whatever the root.
 * Pure: paths are judged as written (the API) or after the agent resolved their symlinks (realpath on the
 * host, src/agent/volume-guard.ts), with the same rules.
 */
import { posix } from 'node:path';

/**
 * Directories whose whole tree is refused: the kernel's interfaces, the system's programs and
 * configuration, the runtime sockets (/run holds docker.sock, containerd.sock …), the engines' state.
 */
export const SYSTEM_TREES = [
  '/proc',
  '/sys',
  '/dev',
  '/boot',
  '/etc',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/run',
  '/var/run',
  '/var/lib/docker',
  '/var/lib/containerd',
] as const;

/** Directories refused themselves (they hold everyone's files), though a root may lie below them. */
export const SYSTEM_DIRS = ['/', '/root', '/home', '/var', '/var/lib', '/srv', '/opt', '/tmp', '/mnt', '/media'] as const;

/** `a` is `b` or lies below it (both normalized, absolute). */
export function isWithin(path: string, dir: string): boolean {
  return path === dir || dir === '/' || path.startsWith(`${dir}/`);
}

/** The path written differently than its normal form (`//`, `/./`, a trailing `/`), or undefined. */
function notNormal(path: string): string | undefined {
  const normal = posix.normalize(path);
  const trimmed = normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
  return trimmed === path ? undefined : trimmed;
}

/**
 * Why `path` may never be mounted, whatever the root, or undefined: the Docker socket (or any socket
 * file, by its name), `/`, a system directory or anything below a system tree. `path` is absolute.
 */
export function forbiddenHostPath(path: string): string | undefined {
  const base = posix.basename(path);
  if (base === 'docker.sock' || base === 'containerd.sock') return `"${path}" is the container engine's socket: whoever holds it is root on the host`;
  if (base.endsWith('.sock')) return `"${path}" is a socket: sockets are never mounted into a service`;
  if (path === '/') return '"/" is the whole host';
  const tree = SYSTEM_TREES.find((t) => isWithin(path, t));
  if (tree) return `"${path}" is ${path === tree ? 'a system directory' : `under the system directory ${tree}`}`;
  if ((SYSTEM_DIRS as readonly string[]).includes(path)) return `"${path}" is a system directory`;
  return undefined;
}

/**
 * Why a service may not bind-mount `hostPath` from the host when volumes must lie under `root`, or
 * undefined. `root` undefined: no root is configured, so no host volume is allowed. The message names the
 * allowed root, so it says what to fix.
 */
export function hostVolumeProblem(hostPath: string, root: string | undefined): string | undefined {
  if (!hostPath.startsWith('/')) return `volume host path "${hostPath}" must be absolute (start with /)`;
  if (hostPath.split('/').includes('..')) return `volume host path "${hostPath}" has a ".." segment: write the path it resolves to`;
  const normal = notNormal(hostPath);
  if (normal !== undefined) return `volume host path "${hostPath}" is not in its plain form: write "${normal}"`;
  const forbidden = forbiddenHostPath(hostPath);
  if (forbidden) return `volume ${forbidden}; host volumes must lie under ${root ? `the volume root ${root}` : 'the volume root (--volume-root)'}`;
  if (root === undefined) return `volume "${hostPath}" refused: no volume root is configured (start paz server and the agents with --volume-root DIR)`;
  // "host path" and "the key": a user who wrote {"/data": "/srv/x"} (container first) sees which side is which
  if (!isWithin(hostPath, root)) return `volume host path "${hostPath}" (a key of volume; its value is the path inside the container) is outside the volume root ${root}: host volumes must lie under ${root} (e.g. "${posix.join(root, posix.basename(hostPath) || 'data')}"), the directory the host's admin set with --volume-root`;
  return undefined;
}

/**
 * Why `root` cannot be the volume root, or undefined: it must be an absolute, plain path that is not a
 * system path, and must not hold the data dir (whose secrets key and store a volume would expose).
 */
export function volumeRootProblem(root: string, dataDir?: string): string | undefined {
  if (!root.startsWith('/')) return `--volume-root "${root}" must be an absolute path`;
  if (root.split('/').includes('..')) return `--volume-root "${root}" has a ".." segment: write the path it resolves to`;
  const normal = notNormal(root);
  if (normal !== undefined) return `--volume-root "${root}" is not in its plain form: write "${normal}"`;
  const forbidden = forbiddenHostPath(root);
  if (forbidden) return `--volume-root ${forbidden}: choose a directory of its own, e.g. /srv/paz-volumes`;
  if (dataDir !== undefined && isWithin(dataDir, root)) return `--volume-root ${root} holds the data dir ${dataDir} (its secrets key and store): choose a directory beside it, e.g. ${posix.join(dataDir, 'volumes')}`;
  return undefined;
}
