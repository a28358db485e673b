/**
 * "Is the app listening?" seen from inside its own network namespace, without entering it: /proc/<pid>/net/tcp
 * and /proc/<pid>/net/tcp6 list the sockets of the namespace that process <pid> is in. A LISTEN socket (state
 * 0A) on the port means the app itself accepts connections, unlike a connect to a published port, which
 * Docker's userland proxy accepts while nothing listens in the container. Parsing is pure; `isListening`
 * reads the two files.
 */
import { readFile } from 'node:fs/promises';

const TCP_LISTEN = '0A';

/** Local ports with a socket in LISTEN state, from the text of /proc/<pid>/net/tcp or tcp6. */
export function listeningPorts(procNetTcp: string): Set<number> {
  const ports = new Set<number>();
  for (const line of procNetTcp.split('\n')) {
    // "  0: 00000000:1F90 00000000:0000 0A ..." (tcp6: 32 hex digits before the colon)
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4 || !/^\d+:$/.test(fields[0])) continue;
    if (fields[3].toUpperCase() !== TCP_LISTEN) continue;
    const port = /^[0-9A-Fa-f]+:([0-9A-Fa-f]{4})$/.exec(fields[1]);
    if (port) ports.add(parseInt(port[1], 16));
  }
  return ports;
}

export type ListenCheck = { listening: boolean } | { unreadable: string };

/** Whether a socket listens on `port` in the network namespace of `pid`; `unreadable` when /proc has no answer. */
export async function isListening(pid: number, port: number, procRoot = '/proc'): Promise<ListenCheck> {
  const texts = await Promise.all(['tcp', 'tcp6'].map((f) => readFile(`${procRoot}/${pid}/net/${f}`, 'utf8').catch((e: NodeJS.ErrnoException) => e)));
  const readable = texts.filter((t): t is string => typeof t === 'string');
  if (readable.length === 0) return { unreadable: `/proc/${pid}/net/tcp: ${(texts[0] as NodeJS.ErrnoException).code ?? 'unreadable'}` };
  return { listening: readable.some((t) => listeningPorts(t).has(port)) };
}
