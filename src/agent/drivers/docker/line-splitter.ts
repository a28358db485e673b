/**
 * Splits a byte stream into text lines, keeping the unfinished tail for the next chunk. Pure; used for
 * container logs (one splitter per stdout/stderr) and Docker's newline-delimited JSON streams.
 */
import { StringDecoder } from 'node:string_decoder';

export class LineSplitter {
  // a multi-byte UTF-8 character may be cut between two chunks; the decoder keeps its first bytes
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  /**
   * `maxLineChars`: a line longer than this comes in pieces of this length (as Docker's json-file log splits lines
   * at 16 KiB), so output without line ends (a binary file sent to stdout) is never held whole. Without it,
   * lines are kept whole: the NDJSON streams this splits must not be cut.
   */
  constructor(private readonly maxLineChars = Infinity) {}

  /** complete lines in this chunk (plus what was pending), without their line ends */
  push(chunk: Buffer | string): string[] {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    const out = parts.map(stripCarriageReturn);
    while (this.partial.length > this.maxLineChars) {
      out.push(this.partial.slice(0, this.maxLineChars));
      this.partial = this.partial.slice(this.maxLineChars);
    }
    return out;
  }

  /** the last line when the input did not end with a newline */
  end(): string[] {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    return rest === '' ? [] : [stripCarriageReturn(rest)];
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
