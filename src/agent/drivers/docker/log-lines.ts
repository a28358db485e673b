/**
 * Turns Docker's log stream into text lines. Without a TTY (Paz never allocates one) Docker multiplexes
 * stdout and stderr into frames: an 8-byte header [stream, 0, 0, 0, size as uint32 big-endian] followed
 * by `size` bytes of output. Frames do not follow line boundaries, and a chunk from the socket may hold
 * part of a frame or several, so both frames and lines are reassembled here.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { LineSplitter } from './line-splitter.js';

const HEADER_BYTES = 8;

export type LogStreamName = 'stdout' | 'stderr';

export interface LogLine {
  stream: LogStreamName;
  text: string;
}

/**
 * Pure frame parser: feed it chunks, get back the lines they complete. Falls back to treating the
 * input as plain text when a header is not a valid frame header (a container created with a TTY).
 */
export class DockerLogDemuxer {
  private buffer: Buffer = Buffer.alloc(0);
  private raw = false;
  private readonly splitters: Record<LogStreamName, LineSplitter>;

  /** `maxLineChars`: longer lines come in pieces (LineSplitter) */
  constructor(maxLineChars?: number) {
    this.splitters = { stdout: new LineSplitter(maxLineChars), stderr: new LineSplitter(maxLineChars) };
  }

  push(chunk: Buffer): LogLine[] {
    if (this.raw) return this.lines('stdout', chunk);
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: LogLine[] = [];
    while (this.buffer.length >= HEADER_BYTES) {
      const type = this.buffer[0];
      if (type > 2 || this.buffer[1] !== 0 || this.buffer[2] !== 0 || this.buffer[3] !== 0) {
        this.raw = true;
        const rest = this.buffer;
        this.buffer = Buffer.alloc(0);
        out.push(...this.lines('stdout', rest));
        return out;
      }
      const size = this.buffer.readUInt32BE(4);
      if (this.buffer.length < HEADER_BYTES + size) break;
      const payload = this.buffer.subarray(HEADER_BYTES, HEADER_BYTES + size);
      this.buffer = this.buffer.subarray(HEADER_BYTES + size);
      // type 0 is stdin, which Docker only echoes for attached TTYs; count it as stdout
      out.push(...this.lines(type === 2 ? 'stderr' : 'stdout', payload));
    }
    return out;
  }

  /** unterminated last lines, and a truncated frame's bytes if the stream was cut mid-frame */
  end(): LogLine[] {
    const out: LogLine[] = [];
    if (this.buffer.length > 0) {
      const cut = this.raw ? this.buffer : this.buffer.subarray(Math.min(HEADER_BYTES, this.buffer.length));
      out.push(...this.lines('stdout', cut));
      this.buffer = Buffer.alloc(0);
    }
    for (const stream of ['stdout', 'stderr'] as const) {
      out.push(...this.splitters[stream].end().map((text) => ({ stream, text })));
    }
    return out;
  }

  private lines(stream: LogStreamName, bytes: Buffer): LogLine[] {
    return this.splitters[stream].push(bytes).map((text) => ({ stream, text }));
  }
}

/**
 * Object-mode Transform: Docker's raw log bytes in, one string per line out (no line end), stdout and
 * stderr interleaved in arrival order.
 */
export class DockerLogLines extends Transform {
  private readonly demuxer = new DockerLogDemuxer();

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const line of this.demuxer.push(chunk)) this.push(line.text);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    for (const line of this.demuxer.end()) this.push(line.text);
    callback();
  }
}
