/**
 * V8 settings for a lone agent (`paz agent`), made from bin/paz.js before anything else loads. An agent is an
 * idle daemon most of its life (a reconcile pass, probes and a heartbeat every few seconds; the router is
 * HAProxy, not Node), and on every host of a cluster: its memory counts more than its peak speed.
 *
 * - The young generation stays at its starting size (1 MiB per semi-space) instead of growing to 16 MiB per
 *   semi-space: start-up allocations made it grow, and an idle agent then kept about 15 MiB of RSS for it
 *   (measured with `node --max-semi-space-size=1`: 98 -> 83 MiB with nothing else changed). Why the growth
 *   factor and not --max-semi-space-size: V8 reads the maximum only when the heap is made, so it would need
 *   NODE_OPTIONS or a second node process; the growth factor is read at each growth, so setting it at run
 *   time works (checked with v8.getHeapSpaceStatistics).
 * - No TurboFan (`--no-opt`): its optimised code and the feedback it keeps cost an idle agent about 4 MiB
 *   (58 -> 54 MiB, three runs each, process driver, SQLite store). The agent's JavaScript still runs in V8's
 *   baseline compiler (Sparkplug); its heavy work is in C++ anyway (JSON, the HTTP parser, SQLite, zlib).
 *
 * Not for `paz up`/`paz server`: their APIs' request handling allocates much more and runs hot code paths, and
 * a bigger young generation and optimised code serve them better.
 */
import { setFlagsFromString } from 'node:v8';

export function leanAgentHeap(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--no-opt');
}
