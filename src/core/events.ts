/**
 * Live events: store changes as the events Paz's UI listened to (`service.create`, `service.modifyConfig`,
 * `service.del`, `unit.add`, `unit.remove`) plus Paz's own (`unit.status`, `host.add`, `host.change` (its
 * problems changed), `host.remove`, `host.drain` / `host.undrain` (paz host drain),
 * `endpoint.add`, `endpoint.remove`, `journal` for deploy progress). Pure.
 */
import { keys, parseEndpointKey, SERVICES_PREFIX } from './keys.js';
import { redactSecrets } from './secret-env.js';

export interface PazEvent {
  event: string;
  data: unknown;
  /** the store revision: clients resume from it (SSE Last-Event-ID) */
  revision: number;
}

export interface StoreChange {
  type: 'put' | 'delete';
  key: string;
  value: string;
  revision: number;
  prevValue?: string;
}

function json(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const lastSegment = (key: string) => key.slice(key.lastIndexOf('/') + 1);

/** The event a store change is, with every stored secret shown as {secret, fingerprint} (secret-env.ts). */
export function toPazEvent(c: StoreChange): PazEvent | undefined {
  const e = rawEvent(c);
  return e && { ...e, data: redactSecrets(e.data) };
}

function rawEvent(c: StoreChange): PazEvent | undefined {
  const { key, revision } = c;
  const put = c.type === 'put';
  if (key.startsWith(keys.servicesPrefix())) {
    const name = lastSegment(key);
    if (!put) return { event: 'service.del', data: name, revision };
    if (c.prevValue === undefined) return { event: 'service.create', data: json(c.value), revision };
    const doc = json(c.value) as { config?: unknown; lastModifiedTime?: number } | undefined;
    // lastModifiedTime too, so a client that loaded the service can apply the change and hold what GET shows
    const data = { name, config: doc?.config, ...(doc?.lastModifiedTime !== undefined ? { lastModifiedTime: doc.lastModifiedTime } : {}) };
    return { event: 'service.modifyConfig', data, revision };
  }
  if (key.startsWith(keys.desiredUnitsPrefix())) {
    if (!put) return { event: 'unit.remove', data: lastSegment(key), revision };
    return { event: c.prevValue === undefined ? 'unit.add' : 'unit.change', data: json(c.value), revision };
  }
  if (key.startsWith(keys.unitStatusPrefix())) {
    return put ? { event: 'unit.status', data: json(c.value), revision } : undefined;
  }
  if (key.startsWith(keys.hostsPrefix())) {
    if (!put) return { event: 'host.remove', data: lastSegment(key), revision };
    // heartbeats rewrite the record every few seconds: only a new host is news, or a change in what its
    // agent finds wrong (its health)
    if (c.prevValue === undefined) return { event: 'host.add', data: json(c.value), revision };
    const problems = (text: string) => JSON.stringify((json(text) as { problems?: unknown } | undefined)?.problems ?? []);
    return problems(c.value) !== problems(c.prevValue) ? { event: 'host.change', data: json(c.value), revision } : undefined;
  }
  if (key.startsWith(keys.hostDrainsPrefix())) {
    // paz host drain / undrain: the host's eligibility changed
    return { event: put ? 'host.drain' : 'host.undrain', data: put ? json(c.value) : lastSegment(key), revision };
  }
  if (key.startsWith(keys.journalPrefix())) {
    return put ? { event: 'journal', data: json(c.value), revision } : undefined;
  }
  if (key.startsWith(SERVICES_PREFIX)) {
    const ep = parseEndpointKey(key);
    if (!ep) return undefined;
    if (put && c.prevValue === c.value) return undefined;
    return { event: put ? 'endpoint.add' : 'endpoint.remove', data: { ...ep, address: put ? c.value : c.prevValue }, revision };
  }
  return undefined;
}

/** One event in the text/event-stream format. */
export function sseFrame(e: PazEvent): string {
  return `id: ${e.revision}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}
