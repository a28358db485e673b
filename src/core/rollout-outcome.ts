/**
 * What a deploy's outcome means for what runs, in words the CLI and the dashboard share. Pure and free of Node
 * imports: the dashboard bundles it (rollout-policy.ts, which decides outcomes, reaches node:crypto).
 */

/**
 * A deploy that failed while no earlier version serves: nothing of the service runs (a failed version's instances
 * are removed at once), which the CLI and the dashboard must not present as "never deployed" or "scaled to 0".
 */
export function failedWithNothingServing(r: { state: string; serving?: number }): boolean {
  return r.state === 'failed' && !r.serving;
}
