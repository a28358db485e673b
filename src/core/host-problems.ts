/**
 * The problems an agent reports with its heartbeat (HostRecord.problems), folded from one check to the
 * next (pure): a problem still there keeps the time it was first seen, so health can say "since when".
 */
import type { HostProblem } from './records.js';

export interface FoundProblem {
  component: HostProblem['component'];
  message: string;
}

/** This check's problems, each with `since` carried over from the previous check when it is the same problem. */
export function nextProblems(previous: HostProblem[], found: FoundProblem[], now: number): HostProblem[] {
  return found.map((p) => {
    const same = previous.find((q) => q.component === p.component && q.message === p.message);
    return { component: p.component, message: p.message, since: same?.since ?? now };
  });
}
