/**
 * `paz host drain ID [--wait]` and `paz host undrain ID`: like Nomad's node drain and node eligibility. A
 * drained host gets no new units and its units move to other hosts (each replaced before it stops, so no
 * request fails); undrain makes it eligible again, but units do not move back by themselves.
 */
import { unitsWhy } from '../core/unit-name.js';
import type { PazClient } from '../client/paz-client.js';
import { clientOf, connectionOptions } from './connect.js';
import { progressLine } from './progress-line.js';
import { parse } from './options.js';
import { UsageError, unknownVerb } from './usage-error.js';
import { print, printError } from './print.js';

export const hostUsage = `usage: paz host drain ID [--wait] | paz host undrain ID

  drain ID      no new units go to host ID, and its units move to other hosts: each gets a replacement
                elsewhere and stops once that is healthy (no failed request). A unit no other host can
                take keeps running, and the drain says it is stuck.
    --wait      print progress until the host is empty (exit 0), or stuck (exit 1)
  undrain ID    host ID is eligible for new units again; units that moved away stay where they are
  ID            a host id as paz hosts lists it, or a unique beginning of one
  (--url URL, --token T, --profile NAME, --data-dir DIR, --json as for every CLI command)
examples:
  paz host drain 3f2a9c --wait
  paz host undrain 3f2a9c`;

interface DrainView {
  state: 'draining' | 'drained' | 'stuck';
  remaining: number;
  stuck: Array<{ unit: string; reason: string }>;
}

/** A live host's full id from a unique beginning of it; anything else is passed on as it is (a down host's id). */
async function hostId(client: PazClient, given: string): Promise<string> {
  const ids = (await client.hosts()).map((h) => String(h.ID));
  if (ids.includes(given)) return given;
  const matches = ids.filter((id) => id.startsWith(given));
  if (matches.length > 1) throw new UsageError(`host "${given}" is ambiguous: it begins ${matches.join(', ')}`);
  return matches[0] ?? given;
}

function drainLine(id: string, d: DrainView): string {
  if (d.state === 'drained') return `host ${id}: drained, no units left`;
  const line = `host ${id}: ${d.remaining} unit${d.remaining === 1 ? '' : 's'} left`;
  // each reason starts "stuck: no other eligible host (why)"
  // units stuck for the same reason (every one, when no other host is eligible) are named together, the reason once
  return d.state === 'stuck' ? `${line}; ${unitsWhy(d.stuck.map((s) => ({ unit: s.unit, why: s.reason })))}` : `${line}, moving`;
}

export async function hostCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...connectionOptions, wait: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) return console.log(hostUsage), 0;
  const [verb, given, extra] = positionals;
  if (!verb) throw new UsageError('name what to do: paz host drain ID or paz host undrain ID');
  if (verb !== 'drain' && verb !== 'undrain') throw unknownVerb('host', verb, ['drain', 'undrain']);
  if (!given) throw new UsageError(`paz host ${verb} needs a host id (paz hosts lists them)`);
  if (extra !== undefined) throw new UsageError(`paz host ${verb} takes one host id, got also "${extra}"`);
  if (values.wait && verb === 'undrain') throw new UsageError('--wait is for paz host drain');
  const client = clientOf(values);
  const id = await hostId(client, given);
  const r = await client.call<{ host: string; drained: boolean; changed: boolean; drain?: DrainView }>('POST', `/cluster/hosts/${encodeURIComponent(id)}/${verb}`);
  if (values.json && !values.wait) return console.log(JSON.stringify(r, null, 2)), 0;
  if (verb === 'undrain') {
    print(`host ${id}: ${r.changed ? 'undrained' : 'was not drained'}; eligible for new units (units that moved away stay where they are)`);
    return 0;
  }
  print(`host ${id}: ${r.changed ? 'drained' : 'already drained'}; no new units go there, and its units move to other hosts`);
  if (!values.wait) {
    if (r.drain) print(drainLine(id, r.drain));
    return r.drain?.state === 'stuck' ? 1 : 0;
  }
  const progress = progressLine();
  for (;;) {
    const h = await client.call<{ drain?: DrainView }>('GET', `/cluster/hosts/${encodeURIComponent(id)}/health`);
    if (!h.drain) {
      progress.end();
      printError(`host ${id} is no longer drained (paz host undrain?)`);
      return 1;
    }
    progress.show(drainLine(id, h.drain));
    if (h.drain.state === 'drained' || h.drain.state === 'stuck') {
      progress.end();
      return h.drain.state === 'drained' ? 0 : 1;
    }
    await new Promise((res) => setTimeout(res, 500));
  }
}
