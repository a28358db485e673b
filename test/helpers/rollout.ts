/**
 * A service's rollout as the orchestrator shows it (`GET /services/:name/rollout`), and waiting for a version
 * to serve alone: its deploy succeeded and no other version's unit is left. A failed deploy ends the wait
 * at once with its reason.
 */
import { request } from './paz-server.js';
import { waitFor } from './wait.js';

export async function rolloutOf(orchestrator: string, name: string, headers: Record<string, string> = {}) {
  return (await request('GET', `${orchestrator}/services/${name}/rollout`, undefined, headers)).body.doc;
}

export function servesAlone(orchestrator: string, name: string, version: number, timeoutMs?: number, headers: Record<string, string> = {}) {
  return waitFor(
    `${name} version ${version} to serve alone`,
    async () => {
      const r = await rolloutOf(orchestrator, name, headers);
      if (r.version === version && r.state === 'failed') throw new Error(`deploy failed: ${r.reason}`);
      return r.version === version && r.state === 'succeeded' && r.units.every((u: { version: number }) => u.version === version) ? r : undefined;
    },
    timeoutMs,
  );
}
