/**
 * etcd3's connection pool closes every gRPC client of a member whenever one call to that member fails with what
 * it counts as recoverable: a deadline exceeded, a cancel, an unavailable. Once no client uses the connection,
 * grpc-js closes it (its pool looks every 10 s) and the streams still open on it (the watches) are dropped at the
 * next keepalive ping. One slow call then cost every stream: under load a lease keep-alive past its 2 s deadline
 * dropped every watch of its process ("14 UNAVAILABLE: Connection dropped") and they all reopened at once,
 * adding to the load that had made the call slow (bench/scheduling with 1,000 hosts on etcd: about 940 such
 * resets and 6-42 dropped watch streams a run). A slow disk's fsync stall on a real etcd would do the same to a
 * server's or an agent's watches.
 *
 * Paz has no use for the reset: grpc-js finds a dead connection by itself (keepalive pings, etcd-store.ts) and
 * connects again, and etcd-store.ts chooses members and retries on its own. This turns the reset off for one
 * client, and keeps it where the pool closes for good (`close()`).
 */
import type { Etcd3 } from 'etcd3';

/** what this reaches into: etcd3 1.1's ConnectionPool (`pool`) and its Host objects */
interface PoolHost {
  resetAllServices(): void;
  close(): void;
  closed: boolean;
}

/**
 * Keeps `client`'s channels (and their streams) open when a call fails; false when etcd3's pool no longer looks
 * as this expects (a new etcd3 version: `pool-resets.test.ts` fails then, so the upgrade is looked at).
 */
export function keepChannelsOnCallErrors(client: Etcd3): boolean {
  const hosts = (client as unknown as { pool?: { hosts?: unknown } }).pool?.hosts;
  if (!Array.isArray(hosts) || hosts.length === 0) return false;
  const poolHosts = hosts as PoolHost[];
  if (poolHosts.some((h) => typeof h.resetAllServices !== 'function' || typeof h.close !== 'function')) return false;
  for (const host of poolHosts) {
    const reset = host.resetAllServices.bind(host);
    host.resetAllServices = () => undefined;
    host.close = () => {
      reset();
      host.closed = true;
    };
  }
  return true;
}
