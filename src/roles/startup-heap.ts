/**
 * V8 settings for `paz server` and `paz up` while they start, made from bin/paz.js before anything else loads.
 *
 * Start-up (loading the modules, compiling every route's schemas, opening the store) allocates quickly and
 * briefly, and V8 grows the young generation for it, from 1 MiB per semi-space to 16: an idle server then kept
 * about 25 MiB of RSS it never used again (a `paz server` on SQLite 5-7 s after it started: 121-123 MiB with the
 * default, 94-96 MiB with its young generation held at 1 MiB while it started; the memory benchmark's target is
 * 120). Unlike a lone agent's (agent-heap.ts), the growth is held back only until the role is up: serving its
 * APIs under load, a server grows the young generation as it always did (a small one would cost throughput).
 * The growth factor, not --max-semi-space-size: V8 reads the maximum only when the heap is made, and the growth
 * factor at each growth (agent-heap.ts says how that was checked).
 */
import { setFlagsFromString } from 'node:v8';

/** V8's default growth factor of the young generation (--semi-space-growth-factor) */
const DEFAULT_GROWTH_FACTOR = 2;
let held = false;

/** The young generation keeps its starting size until startupDone(). */
export function holdYoungGenerationWhileStarting(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  held = true;
}

/** The role is up: the young generation may grow again as the load asks (a no-op when it was not held). */
export function startupDone(): void {
  if (!held) return;
  held = false;
  setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
}
