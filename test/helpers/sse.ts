/** Reads a Paz event stream (GET /events, Server-Sent Events) in tests. */
import assert from 'node:assert/strict';

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
  let buffer = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += Buffer.from(chunk).toString();
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(frame.split('\n').filter((l) => !l.startsWith(':') && l.includes(': ')).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]));
        if (fields.event) events.push({ id: Number(fields.id), event: fields.event, data: JSON.parse(fields.data) });
      }
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
