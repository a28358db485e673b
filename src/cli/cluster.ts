/** CLI: hosts and units, listed like `fleetctl list-machines` / `fleetctl list-units`. */
import { PazClient } from '../client/paz-client.js';
import { openStream, readText } from '../client/http-stream.js';
import { SseFrames } from '../client/sse-frames.js';
import { connectionErrorMessage, isConnectionError } from '../client/connection-error.js';
import { parse } from './options.js';
import { table } from './table.js';
import { requireService } from './known-service.js';
import { UsageError } from './usage-error.js';

/** `paz logs [-f] [--tail N] UNIT`: the unit's output, like `fleetctl journal -f UNIT.service`. */
async function logsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { url: { type: 'string' }, 'data-dir': { type: 'string' }, follow: { type: 'boolean', short: 'f' }, tail: { type: 'string', short: 'n' } }, true);
  const client = new PazClient({ url: values.url, dataDir: values['data-dir'] });
  const id = positionals[0]?.replace(/\.service$/, '');
  if (!id) throw new UsageError('usage: paz logs [-f] [--tail N] UNIT   (UNIT as listed by paz units, or <service>-<instance>)');
  // the server resolves `<service>-<instance>` (the seed README's contrived-service-1) to a unit
  const unit = await client.call<{ name: string; service: string }>('GET', `/cluster/units/${encodeURIComponent(id)}`);
  const q = new URLSearchParams();
  if (values.follow) q.set('follow', 'true');
  if (values.tail !== undefined) q.set('tail', values.tail);
  // node:http, not fetch: `-f` on a quiet unit must not end after fetch's 300 s body timeout
  const url = `${client.url}/services/${encodeURIComponent(unit.service)}/units/${encodeURIComponent(unit.name)}/logs?${q}`;
  const res = await openStream(url, { headers: client.authHeaders() }).catch((err: unknown) => {
    throw isConnectionError(err) ? new Error(connectionErrorMessage(url, err), { cause: err }) : err;
  });
  if (res.statusCode !== 200) {
    const text = await readText(res);
    let message = `HTTP ${res.statusCode}`;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not JSON: keep the status
    }
    throw new Error(message + client.authHint(res.statusCode ?? 0));
  }
  for await (const chunk of res) process.stdout.write(chunk as Buffer);
  return 0;
}

/** `paz events [--since REV]`: the live event stream, one line per event. */
async function eventsCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { url: { type: 'string' }, 'data-dir': { type: 'string' }, since: { type: 'string' } });
  const client = new PazClient({ url: values.url, dataDir: values['data-dir'] });
  const url = `${client.url}/events${values.since ? `?since=${encodeURIComponent(values.since)}` : ''}`;
  const res = await fetch(url, { headers: client.authHeaders() }).catch((err: unknown) => {
    throw isConnectionError(err) ? new Error(connectionErrorMessage(url, err), { cause: err }) : err;
  });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}: ${await res.text()}${client.authHint(res.status)}`);
  const frames = new SseFrames();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    for (const f of frames.push(Buffer.from(chunk).toString())) if (f.event) console.log(`${f.id}\t${f.event}\t${f.data}`);
  }
  return 0;
}

export async function clusterCommand(cmd: string, args: string[]): Promise<number> {
  if (cmd === 'logs') return logsCommand(args);
  if (cmd === 'events') return eventsCommand(args);
  const { values, positionals } = parse(args, { url: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' } }, true);
  const client = new PazClient({ url: values.url, dataDir: values['data-dir'] });
  if (cmd === 'units' || cmd === 'ps') {
    if (positionals[0]) await requireService(client, positionals[0]);
    const units = await client.units(positionals[0]);
    if (values.json) return console.log(JSON.stringify(units, null, 2)), 0;
    console.log(
      table(
        ['UNIT', 'MACHINE', 'ACTIVE', 'SUB', 'STATE', 'RESTARTS', 'ENDPOINT', 'REASON'],
        units.map((u) => {
          const m = u.machineState as { ID: string; PublicIP: string } | null;
          return [
            `${u.name}.service`,
            m ? `${m.ID.slice(0, 8)}.../${m.PublicIP}` : '-',
            String(u.activeState),
            String(u.subState),
            String(u.state),
            String(u.restarts ?? 0),
            String(u.endpoint ?? '-'),
            String(u.reason ?? ''),
          ];
        }),
      ),
    );
    return 0;
  }
  const hosts = await client.hosts();
  if (values.json) return console.log(JSON.stringify(hosts, null, 2)), 0;
  console.log(
    table(
      ['MACHINE', 'IP', 'HOSTNAME', 'CPUS', 'MEMORY', 'UNITS', 'HEALTHY', 'DRAIN'],
      hosts.map((h) => {
        const r = h.TotalResources as { Cores: number; Memory: number };
        // paz host drain: DRAINING while units move away, DRAINED once empty, STUCK when some cannot
        const drain = (h.drain as { state: string } | undefined)?.state;
        return [String(h.ID), String(h.PublicIP), String(h.hostname), String(r.Cores), `${r.Memory} MiB`, String((h.units as string[]).length), String(h.healthy), drain ? drain.toUpperCase() : '-'];
      }),
    ),
  );
  return 0;
}
