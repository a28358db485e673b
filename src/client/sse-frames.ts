/**
 * Splits a text/event-stream (Paz's GET /events) into frames: `{id, event, data}` as sent. Comments are
 * dropped, or handed to `onComment` (Paz's first one says from which revision the stream runs).
 */
export class SseFrames {
  private buffer = '';

  constructor(private readonly onComment?: (text: string) => void) {}

  /** Takes the next chunk; returns the frames it completed. */
  push(chunk: string): Array<Record<string, string>> {
    this.buffer += chunk;
    const out: Array<Record<string, string>> = [];
    let end;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const frame = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const all = frame.split('\n');
      if (this.onComment) for (const l of all) if (l.startsWith(':')) this.onComment(l.slice(1).trim());
      const lines = all.filter((l) => !l.startsWith(':') && l.includes(':'));
      const fields = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).replace(/^ /, '')]));
      if (Object.keys(fields).length > 0) out.push(fields);
    }
    return out;
  }
}
