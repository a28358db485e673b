/**
 * dockerd as an agent sees it when it cannot remove containers: a unix-socket proxy in front of the test
 * environment's dockerd that passes every call on, except that while `refusing` it answers each
 * `DELETE /containers/…` with the 500 dockerd gives for a container whose filesystem it cannot unmount
 * ("driver overlay2 failed to remove root filesystem: … device or resource busy", seen after a dockerd restart
 * under load). Point a driver (or paz up's DOCKER_HOST) at `unix://${where}`.
 */
import { dockerTestEnv } from './env.js';
import { tcpProxy } from './tcp-proxy.js';

/** the error dockerd answers such a remove with */
export const BUSY_MESSAGE = 'container 0123abcd: driver "overlay2" failed to remove root filesystem: unlinkat /var/lib/docker/overlay2/0123abcd/merged: device or resource busy';

export interface BusyRemoveProxy {
  /** the socket's path */
  where: string;
  /** while true, removes are refused */
  refusing: boolean;
  /** when each refused remove came, ms since the epoch */
  refusedAt: number[];
  close(): Promise<void>;
}

export async function busyRemoveProxy(listen: string): Promise<BusyRemoveProxy> {
  const body = JSON.stringify({ message: BUSY_MESSAGE });
  const state = { refusing: false, refusedAt: [] as number[] };
  const proxy = await tcpProxy({ path: dockerTestEnv().socketPath }, {
    listen,
    wire: (client, upstream) => {
      client.on('data', (chunk: Buffer) => {
        if (state.refusing && /^DELETE \S*\/containers\//.test(chunk.toString('latin1'))) {
          state.refusedAt.push(Date.now());
          client.write(`HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        } else {
          upstream.write(chunk);
        }
      });
      upstream.pipe(client);
    },
  });
  return Object.assign(state, { where: proxy.where as string, close: () => proxy.close() });
}
