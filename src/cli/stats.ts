/**
 * CLI: `paz stats [SERVICE | --host ID] [--json]`: CPU, memory and network now, of a service's units (GET
 * /services/NAME/stats), of one host and its units (GET /cluster/hosts/ID/stats), or of every host. The agents
 * sample every 5 s; each row says how old its sample is.
 */
import { parse } from './options.js';
import { clientOf, connectionOptions } from './connect.js';
import { UsageError } from './usage-error.js';
import { requireService } from './known-service.js';
import { hostStatsLines, serviceStatsLines, unitTotals, type HostSample, type ServiceStatsDoc, type UnitSample } from './stats-lines.js';

interface HostStatsDoc {
  host: string;
  latest: HostSample | null;
  units: Record<string, UnitSample | null>;
}

/** its options beyond the connection ones */
export const STATS_OPTIONS = { json: { type: 'boolean' }, host: { type: 'string' } } as const;

export async function statsCommand(_cmd: string, args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...connectionOptions, ...STATS_OPTIONS }, true);
  if (positionals.length > 1 || (positionals.length === 1 && values.host !== undefined)) throw new UsageError('usage: paz stats [SERVICE | --host ID] [--json]   (one service or one host; neither: every host)');
  const client = clientOf(values);
  const print = (lines: string[], empty: string) => (lines.length > 0 ? console.log(lines.join('\n')) : console.error(empty));
  const name = positionals[0];
  if (name !== undefined) {
    await requireService(client, name);
    const doc = await client.call<ServiceStatsDoc>('GET', `/services/${encodeURIComponent(name)}/stats`);
    if (values.json) return console.log(JSON.stringify(doc, null, 2)), 0;
    print(serviceStatsLines(doc, Date.now()), `${name} has no placed units: \`paz units ${name}\` says why`);
    return 0;
  }
  if (values.host !== undefined) {
    const doc = await client.call<HostStatsDoc>('GET', `/cluster/hosts/${encodeURIComponent(values.host)}/stats`);
    if (values.json) return console.log(JSON.stringify(doc, null, 2)), 0;
    const hosts = (await client.hosts()).filter((h) => h.ID === doc.host);
    const lines = hostStatsLines([{ id: doc.host, hostname: String(hosts[0]?.hostname ?? '-'), latest: doc.latest, units: Object.keys(doc.units).length }], Date.now());
    const units = serviceStatsLines({ totals: unitTotals(Object.values(doc.units)), units: Object.fromEntries(Object.entries(doc.units).map(([u, latest]) => [u, { latest }])) }, Date.now());
    print([...lines, ...(units.length > 0 ? ['', ...units] : [])], `host ${values.host} has no figures yet`);
    return 0;
  }
  // every host the cluster knows, asked at once; one that does not answer (down, or its agent busy) is said so
  const hosts = await client.hosts();
  const rows = await Promise.all(
    hosts.map(async (h) => {
      const id = String(h.ID);
      try {
        const doc = await client.call<HostStatsDoc>('GET', `/cluster/hosts/${encodeURIComponent(id)}/stats`);
        return { id, hostname: String(h.hostname), latest: doc.latest, units: Object.keys(doc.units).length, doc };
      } catch (err) {
        return { id, hostname: String(h.hostname), error: (err as Error).message, doc: undefined };
      }
    }),
  );
  if (values.json) return console.log(JSON.stringify(rows.map((r) => r.doc ?? { host: r.id, error: r.error }), null, 2)), 0;
  print(hostStatsLines(rows, Date.now()), 'no hosts: start an agent on each host (`paz agent`, or `paz up` on one)');
  return 0;
}
