/**
 * Finds the processes listening where the router wants to listen (see port-holders-parse.ts for why: HAProxy
 * binds with SO_REUSEPORT, so a bind that "succeeds" proves nothing). Reads /proc of this network namespace.
 */
import { readFile, readdir, readlink } from 'node:fs/promises';
import { cmdlineText, listenerInodes, parseProcNetTcp, socketInodeOf, type PortHolder, type SocketEntry } from './port-holders-parse.js';

async function readOr(path: string, fallback: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return fallback;
  }
}

/**
 * Processes with a listening socket that overlaps `bindAddress:port`. An empty list with `unowned > 0` means
 * a listener exists whose process could not be found (another user's, or one in the middle of exiting).
 */
export async function findPortHolders(port: number, bindAddress: string, procRoot = '/proc'): Promise<{ holders: PortHolder[]; unowned: number }> {
  const entries: SocketEntry[] = [
    ...parseProcNetTcp(await readOr(`${procRoot}/net/tcp`, '')),
    ...parseProcNetTcp(await readOr(`${procRoot}/net/tcp6`, '')),
  ];
  const inodes = listenerInodes(entries, port, bindAddress);
  if (inodes.size === 0) return { holders: [], unowned: 0 };
  const found = new Set<number>();
  const holders: PortHolder[] = [];
  let pids: string[] = [];
  try {
    pids = (await readdir(procRoot)).filter((d) => /^\d+$/.test(d));
  } catch {
    /* no /proc: nothing to name */
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`${procRoot}/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    let holds = false;
    for (const fd of fds) {
      const inode = socketInodeOf(await readlink(`${procRoot}/${pid}/fd/${fd}`).catch(() => ''));
      if (inode !== undefined && inodes.has(inode)) {
        found.add(inode);
        holds = true;
      }
    }
    if (!holds) continue;
    const raw = await readOr(`${procRoot}/${pid}/cmdline`, '');
    holders.push({ pid: Number(pid), ...(raw ? { cmdline: cmdlineText(raw) } : {}) });
  }
  return { holders, unowned: [...inodes].filter((i) => !found.has(i)).length };
}
