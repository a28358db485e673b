/**
 * What the agent checks on its host at each heartbeat, for the host's health (HostRecord.problems): that
 * its driver's runtime answers (dockerd), that its router runs and took its last configuration, and that no
 * retired unit's instance stays behind because the driver refuses to remove it.
 */
import type { Driver } from '../drivers/driver.js';
import type { FoundProblem } from '../../core/host-problems.js';

/** a ping slower than this counts as no answer: the heartbeat must not wait on a hung daemon */
const PING_TIMEOUT_MS = 3000;

export interface HostChecks {
  driver: Driver;
  /** the router was asked for but could not start (why), or undefined */
  routerStartError?: string;
  /** the running router's current problem, if any */
  routerProblem?: () => string | undefined;
  /** why the host's units have not started yet (their start waits for the driver), or undefined */
  unitsWaitFor?: string;
  /** retired units whose instance the driver keeps refusing to remove (Reconciler.leftovers()) */
  leftovers?: () => Array<{ unit: string; why: string }>;
}

export async function checkHost(c: HostChecks): Promise<FoundProblem[]> {
  const found: FoundProblem[] = [];
  if (c.driver.ping) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.driver.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS / 1000} s`)), PING_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      found.push({ component: 'driver', message: `does not answer: ${(err as Error).message}` });
    } finally {
      clearTimeout(timer);
    }
  }
  // the driver answers a ping but the units' start still failed (its last attempt was before the answer,
  // or listing the instances failed): said until the start goes through
  if (c.unitsWaitFor && !found.some((p) => p.component === 'driver')) found.push({ component: 'driver', message: `units not started yet: ${c.unitsWaitFor}` });
  if (c.routerStartError) found.push({ component: 'router', message: `could not start: ${c.routerStartError}; units bind their host ports themselves` });
  const rp = c.routerProblem?.();
  if (rp) found.push({ component: 'router', message: rp });
  // one problem per leftover, each with its own "since"; the reason is the driver's, stable from one try to the next
  for (const l of c.leftovers?.() ?? []) {
    found.push({ component: 'leftover', message: `${l.unit}: retired, but its instance cannot be removed (the agent keeps trying): ${l.why}` });
  }
  return found;
}
