/**
 * A TCP proxy for tests that put something between a client and a real server (a slow registry, a lagging or
 * partitioned etcd link, a dockerd that never answers one call). The plumbing is here: each client connection
 * gets its own connection to the target, either side closing or failing closes the other, and close() ends
 * every connection and the server. What flows between the two is the test's: `wire` (default: piped both ways).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** the port on 127.0.0.1, or the unix socket path, it listens on */
  where: number | string;
  /** the connections open now, both sides */
  readonly sockets: ReadonlySet<Socket>;
  close(): Promise<void>;
}

export async function tcpProxy(
  target: { host: string; port: number } | { path: string },
  opts: {
    /** a unix socket path (default: a free port on 127.0.0.1) */
    listen?: string;
    /** what flows between a new client and its upstream (default: everything, both ways, at once) */
    wire?: (client: Socket, upstream: Socket) => void;
  } = {},
): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const wire = opts.wire ?? ((client, upstream) => client.pipe(upstream).pipe(client));
  const server: Server = createServer((client) => {
    const upstream = createConnection(target as { path: string });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => (s === client ? upstream : client).destroy());
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    wire(client, upstream);
  });
  await new Promise<void>((resolve) => (opts.listen === undefined ? server.listen(0, '127.0.0.1', resolve) : server.listen(opts.listen, resolve)));
  return {
    where: opts.listen ?? (server.address() as { port: number }).port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A proxy to 127.0.0.1:`port` that can be cut (its connections dropped, new ones refused: a host partitioned
 * from the store) and healed.
 */
export async function cuttableProxy(port: number): Promise<TcpProxy & { cut(): void; heal(): void }> {
  let cut = false;
  const proxy = await tcpProxy({ host: '127.0.0.1', port }, {
    wire: (client, upstream) => (cut ? client.destroy() : void client.pipe(upstream).pipe(client)),
  });
  return {
    ...proxy,
    cut: () => {
      cut = true;
      for (const s of proxy.sockets) s.destroy();
    },
    heal: () => {
      cut = false;
    },
  };
}
