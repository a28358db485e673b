/**
 * A lone agent (`paz agent`) keeps V8's young generation at its starting size (1 MiB per semi-space)
 * instead of letting it grow to 16 MiB per semi-space: start-up allocations made it grow, and an idle
 * agent then kept about 15 MiB of RSS for it (measured with `node --max-semi-space-size=1`, the same cap
 * given on the command line: 98 -> 83 MiB with nothing else changed).
 * The agent allocates little once started, so more frequent, smaller scavenges cost nothing visible.
 *
 * Why this flag and not --max-semi-space-size: V8 reads the maximum only when the heap is made, so it
 * would need NODE_OPTIONS or a second node process; the growth factor is read at each growth, so setting
 * it at run time works (checked with v8.getHeapSpaceStatistics). Not for `paz up`/`paz server`: the APIs'
 * request handling allocates much more, and a bigger young generation serves it better.
 */
import { setFlagsFromString } from 'node:v8';

export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
