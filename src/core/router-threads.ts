/**
 * How many threads the router's HAProxy runs on a host (`nbthread`). Here, not in router/, because the CLI
 * checks `--router-threads` against the same bound and must not load the router's modules to do so.
 */

/** HAProxy 2.6 runs at most 64 threads (MAX_THREADS on 64-bit builds) */
export const MAX_ROUTER_THREADS = 64;

/**
 * The router's HAProxy threads on a host with `cpus` usable CPUs: half of them, at least one (so one on a
 * 2-CPU host), not HAProxy's default of one per CPU. The router shares its host with the applications it
 * routes to, which need CPU for the same requests; HAProxy threads on every CPU compete with them and with
 * each other. Measured on this project's 2-CPU machine (bench/README.md, "Threads"): one thread handles all
 * connections' events in turn and used about a quarter less CPU per request than two (in the suite 0.83-0.86x
 * nginx's against 1.14x with two threads), which leaves more CPU to the load generator and the backend: on the
 * quiet machine the suite's requests/s went from 0.92-0.93x nginx's (two threads) to 1.04-1.15x; while other
 * work loaded it, 0.89-0.97x (as with two threads), one thread waiting whenever it is descheduled. Larger
 * hosts keep a thread per two CPUs, so the router is not held to one core where the traffic needs more (only
 * 2 CPUs were measured; `--router-threads` overrides it).
 */
export function routerThreadsFor(cpus: number): number {
  return Math.min(MAX_ROUTER_THREADS, Math.max(1, Math.floor(cpus / 2)));
}
