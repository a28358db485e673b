/**
 * A subscription to Docker's event stream for Paz's containers. Docker closes the stream when the
 * daemon restarts, so the subscription reconnects (with back-off) and asks for the events it missed
 * (`since` the last one it saw), dropping the duplicates that replay brings.
 */
import type { EngineClient } from './engine-client.js';
import type { DriverEvent } from '../driver.js';
import { LineSplitter } from './line-splitter.js';
import { backoffDelayMs } from '../../../core/backoff.js';
import { eventKey, MANAGED_FILTER, toDriverEvent, WATCHED_ACTIONS, type DockerEventMessage } from './docker-mapping.js';

const RECENT_KEYS = 256;
/** reconnect delays: 500 ms, doubled after each failed reconnect up to 10 s, back to 500 ms once events flow */
const RECONNECT_BACKOFF = { initialMs: 500, maxMs: 10_000 };

export interface EventSubscription {
  stop(): void;
}

/**
 * Resolves once the first connection is open, so events that happen after the caller's await are seen;
 * rejects if that first connection fails.
 */
export async function subscribeToEvents(
  docker: EngineClient,
  listener: (e: DriverEvent) => void,
  onConnectionError: (err: unknown) => void = () => {},
): Promise<EventSubscription> {
  const abort = new AbortController();
  const recent: string[] = [];
  let lastSeenSeconds: number | undefined;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  /** failed reconnects since events last flowed */
  let failedReconnects = 0;

  const handle = (msg: DockerEventMessage): void => {
    const key = eventKey(msg);
    if (recent.includes(key)) return;
    recent.push(key);
    if (recent.length > RECENT_KEYS) recent.shift();
    if (typeof msg.time === 'number') lastSeenSeconds = msg.time;
    const event = toDriverEvent(msg);
    if (event) {
      try {
        listener(event);
      } catch (err) {
        onConnectionError(err); // a throwing listener must not end the subscription
      }
    }
  };

  const connect = async (): Promise<NodeJS.ReadableStream> => {
    const stream = await docker.events(
      {
        ...(lastSeenSeconds !== undefined ? { since: lastSeenSeconds } : {}),
        filters: { type: ['container'], label: [MANAGED_FILTER], event: [...WATCHED_ACTIONS] },
      },
      abort.signal,
    );
    const lines = new LineSplitter();
    const parse = (line: string): void => {
      if (line.trim() === '') return;
      try {
        handle(JSON.parse(line) as DockerEventMessage);
      } catch {
        // not JSON: nothing Docker sends; ignore rather than end the subscription
      }
    };
    stream.on('data', (chunk: Buffer) => {
      failedReconnects = 0;
      for (const line of lines.push(chunk)) parse(line);
    });
    let ended = false;
    const onEnd = (err?: unknown): void => {
      if (ended) return;
      ended = true;
      for (const line of lines.end()) parse(line);
      if (stopped) return;
      if (err) onConnectionError(err);
      scheduleReconnect();
    };
    stream.on('error', (err: unknown) => onEnd(err));
    stream.on('end', () => onEnd());
    stream.on('close', () => onEnd());
    return stream;
  };

  const scheduleReconnect = (): void => {
    if (stopped) return;
    retryTimer = setTimeout(() => {
      connect().catch((err: unknown) => {
        if (stopped) return;
        onConnectionError(err);
        failedReconnects++;
        scheduleReconnect();
      });
    }, backoffDelayMs(failedReconnects, RECONNECT_BACKOFF));
    retryTimer.unref();
  };

  await connect();
  return {
    stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      abort.abort();
    },
  };
}
