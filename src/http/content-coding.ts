/**
 * HTTP representation of a kept answer: which content coding a client gets (Accept-Encoding), the answer's
 * strong ETag, whether the client already holds it (If-None-Match), and the compressed bytes themselves.
 *
 * Why: the big lists (1,000 units are ~570 KB of JSON) are polled by dashboards and `--watch` loops; on a
 * small host the bytes on the wire, not the server, set the rate. JSON compresses about 10×, and a poller
 * that already holds the answer needs no body at all (304).
 *
 * Measured on a 1,000-unit answer (575 KB) on this project's 2-core machine, once per answer, not per
 * request: gzip level 6 → 53 KB in 6.7 ms; brotli quality 4 → 50 KB in 3.5 ms (quality 5: 46 KB in 9 ms;
 * the default quality 11: 35 KB in 2.2 s, far too slow to make per change). So brotli at quality 4 when the
 * client takes it, gzip otherwise; both run on libuv's thread pool (async zlib), not the event loop.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import Negotiator from 'negotiator';

export type ContentCoding = 'br' | 'gzip' | 'identity';
export type Compression = Exclude<ContentCoding, 'identity'>;

/** Below this an answer is sent as it is: compressing a few hundred bytes saves less than its headers cost. */
export const COMPRESS_MIN_BYTES = 1024;

/** what Paz offers, and in which order it prefers them when the client likes several equally */
const OFFERED: readonly ContentCoding[] = ['br', 'gzip', 'identity'];
const PREFERRED: readonly ContentCoding[] = ['br', 'gzip', 'identity'];

/** negotiator 1.x takes the server's preference as a second argument; @types/negotiator (0.6) does not know it yet */
type EncodingsWithPreference = (available: readonly string[], options: { preferred: readonly string[] }) => string[];

/**
 * The coding to send for an Accept-Encoding header value (RFC 9110 §12.5.3, parsed by `negotiator`, the
 * parser Express's compression uses): q-values, `gzip;q=0`, `*`, and case-insensitive names. A coding
 * listed by name wins over `*` (`br;q=0, *` gets gzip). No header, garbage, or nothing acceptable that Paz
 * has (`identity;q=0` alone) gets identity: an answer the client may not like beats an error.
 */
export function chooseCoding(acceptEncoding: string | string[] | undefined): ContentCoding {
  if (acceptEncoding === undefined) return 'identity';
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(', ') : acceptEncoding;
  const known = chosen.get(header);
  if (known) return known;
  const negotiator = new Negotiator({ headers: { 'accept-encoding': header } });
  const encodings = (negotiator.encodings as unknown as EncodingsWithPreference).bind(negotiator);
  const best = (encodings(OFFERED, { preferred: PREFERRED })[0] as ContentCoding | undefined) ?? 'identity';
  if (header.length <= MEMO_KEY_MAX) {
    if (chosen.size >= MEMO_MAX) chosen.clear();
    chosen.set(header, best);
  }
  return best;
}

/**
 * The choice per header value, remembered: parsing costs ~2 µs, and the values clients send are a handful
 * (each browser and HTTP library sends one). Bounded in entries and key length, so odd values cost no memory.
 */
const chosen = new Map<string, ContentCoding>();
const MEMO_MAX = 64;
const MEMO_KEY_MAX = 256;

/** A strong ETag for these exact bytes: the same body always gets the same tag, across restarts and servers. */
export function strongEtag(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** The ETag of one coding of an answer: each coding is its own representation, so each has its own strong tag. */
export function etagFor(etag: string, coding: ContentCoding): string {
  return coding === 'identity' ? etag : `${etag.slice(0, -1)}-${coding}"`;
}

/**
 * Whether an If-None-Match value names `etag` (or is `*`): then the client's copy is current and gets a 304.
 * The weak comparison RFC 9110 §13.1.2 asks for (a `W/` prefix is ignored). Anything else, garbage
 * included, does not match, and the client gets the full answer.
 */
export function noneMatchHolds(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const value = Array.isArray(ifNoneMatch) ? ifNoneMatch.join(',') : ifNoneMatch;
  // our tags hold no comma, so a list split at commas finds them whatever else the list holds
  for (const part of value.split(',')) {
    const tag = part.trim();
    if (tag === '*' || tag === etag || (tag.startsWith('W/') && tag.slice(2) === etag)) return true;
  }
  return false;
}

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** The body in `coding`, on the thread pool. */
export function compress(body: Buffer, coding: Compression): Promise<Buffer> {
  return coding === 'br'
    ? brotli(body, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: 4,
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      })
    : gzipAsync(body, { level: 6 });
}
