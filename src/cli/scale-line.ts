/** What `paz scale` says it changed, from the count before and the API's answer. Pure. */
import { listUnitNames } from '../core/unit-name.js';

/** how many names a scale line lists before "and N more" */
const NAMED = 5;

const instances = (n: number) => `${n} instance${n === 1 ? '' : 's'}`;

/**
 * `before`: the service's numInstances before the scale (undefined if unknown); `r`: the API's answer,
 * version 0 when the service was never deployed (then only the count for its first deploy changed).
 */
export function scaleLine(name: string, before: number | undefined, count: number, r: { version: number; added: string[]; draining: string[] }): string {
  const changed = before === undefined ? `numInstances is now ${count}` : before === count ? `numInstances was already ${count}` : `numInstances ${before} → ${count}`;
  if (r.version === 0) {
    return `${name} has never been deployed, so nothing was started or stopped: ${changed}; \`paz deploy ${name}\` starts ${instances(count)}`;
  }
  const moves = [r.added.length ? `adding ${listUnitNames(r.added, NAMED)}` : '', r.draining.length ? `draining ${listUnitNames(r.draining, NAMED)}` : ''].filter(Boolean);
  return `${name} version ${r.version}: ${changed}; ${moves.length ? moves.join('; ') : `no instance started or stopped (${instances(count)} already)`}`;
}
