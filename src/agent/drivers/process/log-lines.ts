/**
 * A unit's log file as a stream of lines. The process writes the file itself (so it keeps logging while the
 * agent restarts); readers therefore poll it: `follow` re-reads appended data every `pollMs` until the
 * writer has stopped and everything it wrote has been read, or until the stream is destroyed.
 *
 * The stream is in object mode: each chunk is one line as a string without its line end (an unterminated last
 * line included), the same shape the docker driver's logs have.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

const CHUNK = 64 * 1024;

/**
 * Where the last `lines` lines of the open file start, and how many lines that is: `lines`, or all the file
 * has when it has fewer (then the offset is 0).
 */
export function tailStart(fd: number, size: number, lines: number): { offset: number; found: number } {
  if (lines <= 0) return { offset: size, found: 0 };
  const buf = Buffer.alloc(CHUNK);
  let end = size;
  // a final '\n' ends the last line; it does not start another one
  let skipFinalNewline = true;
  let seen = 0;
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const n = readSync(fd, buf, 0, end - start, start);
    for (let i = n - 1; i >= 0; i--) {
      if (buf[i] !== 0x0a) {
        skipFinalNewline = false;
        continue;
      }
      if (skipFinalNewline && start + i === size - 1) {
        skipFinalNewline = false;
        continue;
      }
      seen++;
      if (seen === lines) return { offset: start + i + 1, found: lines };
    }
    end = start;
  }
  // every newline seen starts a line after the first one
  return { offset: 0, found: size === 0 ? 0 : seen + 1 };
}

export interface LogLineOptions {
  /** last N lines only; all when undefined */
  tail?: number;
  /** read from this byte offset on (the start of one run's output), before `tail` applies */
  from?: number;
  /**
   * The log's older part, moved aside by the log cap (`<log>.1`): its lines come before the file's, and `tail`
   * counts across both (not with `from`, which reads one run of the file itself). A follower whose file is moved
   * aside reads the end of the copy it had not read yet.
   */
  rotated?: string;
  /** with `from`: the run began in the rotated copy, at this offset: its lines there come first */
  rotatedFrom?: number;
  follow?: boolean;
  /** asked on each poll in follow mode: false ends the stream once the file is read to its end */
  isWriterRunning?: () => boolean;
  pollMs?: number;
}

function openIfThere(file: string): number | undefined {
  try {
    return openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return undefined;
  }
}

export function logLineStream(file: string, opts: LogLineOptions = {}): Readable {
  const pollMs = opts.pollMs ?? 200;
  let fd = openIfThere(file);
  let offset = 0;
  let found = 0;
  if (fd !== undefined && opts.tail !== undefined) ({ offset, found } = tailStart(fd, fstatSync(fd).size, opts.tail));
  if (fd !== undefined && opts.from !== undefined) offset = Math.max(offset, Math.min(opts.from, fstatSync(fd).size));
  // the older part first, read to its end once: all of it, or the lines `tail` still wants
  // (with `from`, only the run's part of it, when the run began there)
  let older: { fd: number; offset: number } | undefined;
  const olderFrom = opts.from === undefined ? 0 : opts.rotatedFrom;
  if (opts.rotated !== undefined && olderFrom !== undefined && (opts.tail === undefined || found < opts.tail)) {
    const olderFd = openIfThere(opts.rotated);
    if (olderFd !== undefined) {
      const tailAt = opts.tail === undefined ? 0 : tailStart(olderFd, fstatSync(olderFd).size, opts.tail - found).offset;
      older = { fd: olderFd, offset: Math.max(olderFrom, tailAt) };
    }
  }

  const decoder = new StringDecoder('utf8');
  const buf = Buffer.alloc(CHUNK);
  let partial = '';
  let timer: NodeJS.Timeout | undefined;
  let ended = false;

  const finish = (stream: Readable): void => {
    if (ended) return;
    ended = true;
    const rest = partial + decoder.end();
    partial = '';
    if (rest !== '') stream.push(rest);
    stream.push(null);
  };

  /**
   * The rotated copy from `at` on, when there is one. (A follower whose reader paused through two rotations would
   * read the later copy from that offset: the older one is gone, and nothing tells them apart.)
   */
  const rotatedFrom = (at: number): { fd: number; offset: number } | undefined => {
    const copy = opts.rotated === undefined ? undefined : openIfThere(opts.rotated);
    return copy === undefined ? undefined : { fd: copy, offset: at };
  };

  /** Pushes the whole lines `chunk` completes; false when the consumer wants no more for now. */
  const pushLines = (stream: Readable, chunk: Buffer): boolean => {
    const lines = (partial + decoder.write(chunk)).split('\n');
    partial = lines.pop() ?? '';
    let wantsMore = true;
    for (const line of lines) wantsMore = stream.push(line);
    return wantsMore;
  };

  /** Pushes the lines available now, then polls again (follow), ends, or waits for the consumer's next read(). */
  const pump = (stream: Readable): void => {
    timer = undefined;
    if (ended || stream.destroyed) return;
    // asked before reading: data written before the writer stopped is then surely read in this round
    const writerRunning = opts.follow ? (opts.isWriterRunning?.() ?? false) : false;
    // The file shrank under a follower: the log cap moved it aside (copied, then truncated it), and what was written
    // after the last read is at the end of the copy: read that first, then the file from its beginning. (A new start
    // of the unit also begins its log anew, and removes the copy.)
    if (fd !== undefined && !older && fstatSync(fd).size < offset) {
      older = rotatedFrom(offset);
      offset = 0;
    }
    while (older) {
      const n = readSync(older.fd, buf, 0, CHUNK, older.offset);
      if (n === 0) {
        // its unterminated last line, if any, is a line of its own: the file goes on after a copy, not mid-line
        const rest = partial + decoder.end();
        partial = '';
        closeSync(older.fd);
        older = undefined;
        if (rest !== '' && !stream.push(rest)) return;
        break;
      }
      older.offset += n;
      if (!pushLines(stream, buf.subarray(0, n))) return; // read() will call pump again
    }
    if (fd === undefined) {
      // the process has not created its log yet (or never will)
      if (writerRunning) timer = setTimeout(() => pump(stream), pollMs);
      else finish(stream);
      return;
    }
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, offset);
      if (n === 0) break;
      offset += n;
      if (!pushLines(stream, buf.subarray(0, n))) return; // read() will call pump again
    }
    if (writerRunning) timer = setTimeout(() => pump(stream), pollMs);
    else finish(stream);
  };

  return new Readable({
    objectMode: true,
    read() {
      if (timer === undefined) pump(this);
    },
    destroy(err, callback) {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      ended = true;
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      if (older) closeSync(older.fd);
      older = undefined;
      callback(err);
    },
  });
}
