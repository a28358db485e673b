/**
 * A process unit writes its output straight into its log file (the driver does not stand between them, so that a
 * unit outlives its agent), and nothing bounded that file: a chatty app filled its host's disk. As Docker's
 * json-file does for the Docker driver (10 MB, docker-mapping.ts), each unit's log is kept under a size: past it,
 * the file is copied to `<log>.1` (the previous copy replaced) and truncated, logrotate's copytruncate. The unit's
 * descriptor is opened O_APPEND (spawn-unit.ts), so it writes on at the file's new end, with no hole of zeros
 * before it. A line written between the copy and the truncation is lost; `paz logs` reads the current file.
 */
import { copyFileSync, statSync, truncateSync } from 'node:fs';

/** as the Docker driver's json-file max-size */
export const LOG_MAX_BYTES = 10 * 1024 * 1024;
/** how often the logs' sizes are looked at: an app writing 10 MB/s overshoots by this much at most */
export const LOG_CHECK_MS = 1000;

/** `<log>.1`: the previous part of a unit's log, kept beside it */
export function rotatedLogPath(file: string): string {
  return `${file}.1`;
}

/**
 * Copies `file` to its `.1` and truncates it when it is larger than `maxBytes` and `mayTruncate()` (asked only
 * then: the answer may cost a read); true when it did.
 */
export function capLogFile(file: string, maxBytes: number, mayTruncate: () => boolean = () => true): boolean {
  const size = statSync(file, { throwIfNoEntry: false })?.size;
  if (size === undefined || size <= maxBytes || !mayTruncate()) return false;
  copyFileSync(file, rotatedLogPath(file));
  truncateSync(file, 0);
  return true;
}

export interface UnitLogCapOptions {
  /** the units whose logs to look at now, with their log files */
  logs: () => Array<{ unit: string; file: string }>;
  /** whether a unit's log, past the size, may be truncated under it; asked only of logs past the size */
  mayTruncate?: (unit: string) => boolean;
  /** told after a unit's log was truncated (its readers' offsets into it are stale) */
  onRotated: (unit: string) => void;
  /** a unit's log that could not be capped, or (unit undefined) the units that could not be listed */
  onError: (unit: string | undefined, err: unknown) => void;
  maxBytes?: number;
  intervalMs?: number;
}

/** Looks at every unit's log once a LOG_CHECK_MS and caps the ones past LOG_MAX_BYTES. */
export class UnitLogCap {
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly opts: UnitLogCapOptions) {
    this.timer = setInterval(() => this.check(), opts.intervalMs ?? LOG_CHECK_MS);
    this.timer.unref();
  }

  check(): void {
    // a timer's callback: nothing it meets (a state dir removed under the agent) may throw out of it
    let logs: Array<{ unit: string; file: string }>;
    try {
      logs = this.opts.logs();
    } catch (err) {
      this.opts.onError(undefined, err);
      return;
    }
    for (const { unit, file } of logs) {
      try {
        if (capLogFile(file, this.opts.maxBytes ?? LOG_MAX_BYTES, () => this.opts.mayTruncate?.(unit) ?? true)) this.opts.onRotated(unit);
      } catch (err) {
        this.opts.onError(unit, err);
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
