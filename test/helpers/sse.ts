/** Reads a Paz event stream (GET /events, Server-Sent Events) in tests. */
import assert from 'node:assert/strict';
import { SseFrames } from '../../src/client/sse-frames.js';

export interface Received {
  id: number;
  event: string;
  data: any;
}

/** Reads SSE frames until `until` says stop or the time is up. */
export async function collect(url: string, headers: Record<string, string>, until: (events: Received[]) => boolean, timeoutMs = 15_000): Promise<Received[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const res = await fetch(url, { headers, signal: controller.signal });
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const events: Received[] = [];
  const frames = new SseFrames();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      for (const f of frames.push(Buffer.from(chunk).toString())) if (f.event) events.push({ id: Number(f.id), event: f.event, data: JSON.parse(f.data) });
      if (until(events)) break;
    }
  } catch (e) {
    if (!controller.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}
