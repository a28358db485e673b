/**
 * The query of the agent's `GET /units/:unit/logs` (and of the orchestrator's route in front of it):
 * follow, tail, since, timestamps. Pure. Query values are strings on the wire; they are read as the
 * orchestrator's validation reads them (booleans `true`/`false`, integers in range), and anything else is
 * a VALIDATION error naming the field and what to send. Unknown parameters are ignored.
 */
import { PazError } from '../core/errors.js';
import type { LogOptions } from './drivers/driver.js';

/** the largest `tail` taken */
export const LOG_TAIL_MAX = 100_000;
/** the largest `since` taken: unix seconds of 9999-12-31T23:59:59Z */
export const LOG_SINCE_MAX = 253_402_300_799;

type Query = Record<string, string | string[] | undefined>;

function single(query: Query, field: string): string | undefined {
  const v = query[field];
  if (Array.isArray(v)) throw new PazError('VALIDATION', `querystring field "${field}" must be given once (it was given ${v.length} times)`);
  return v;
}

function booleanOf(query: Query, field: string): boolean | undefined {
  const v = single(query, field);
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new PazError('VALIDATION', `querystring field "${field}" must be boolean (true or false)`);
}

function integerOf(query: Query, field: string, max: number): number | undefined {
  const v = single(query, field);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n)) throw new PazError('VALIDATION', `querystring field "${field}" must be integer`);
  if (n < 0) throw new PazError('VALIDATION', `querystring field "${field}" must be >= 0 (got an out-of-range number)`);
  if (n > max) throw new PazError('VALIDATION', `querystring field "${field}" must be <= ${max} (got an out-of-range number)`);
  return n;
}

/** The driver's log options from a parsed query string; throws PazError('VALIDATION') on a bad value. */
export function parseLogQuery(query: Query): LogOptions {
  const opts: LogOptions = {};
  const follow = booleanOf(query, 'follow');
  const tail = integerOf(query, 'tail', LOG_TAIL_MAX);
  const since = integerOf(query, 'since', LOG_SINCE_MAX);
  const timestamps = booleanOf(query, 'timestamps');
  if (follow !== undefined) opts.follow = follow;
  if (tail !== undefined) opts.tail = tail;
  if (since !== undefined) opts.since = since;
  if (timestamps !== undefined) opts.timestamps = timestamps;
  return opts;
}
