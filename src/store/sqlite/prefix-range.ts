/**
 * Turns a string prefix into bounds for an indexed range scan: every key starting with `prefix`
 * satisfies `start <= key < end` and nothing else does. SQLite compares TEXT byte-wise (UTF-8), which
 * is Unicode code-point order, so `end` is the prefix with its last code point incremented; a last
 * code point that cannot be incremented is dropped and the previous one incremented instead.
 * `end` is undefined when no upper bound exists (empty prefix, or only U+10FFFF characters).
 */
export interface KeyBounds {
  start: string;
  end: string | undefined;
}

const MAX_CODE_POINT = 0x10ffff;
const SURROGATE_FIRST = 0xd800;
const SURROGATE_LAST = 0xdfff;

export function prefixBounds(prefix: string): KeyBounds {
  const codePoints = Array.from(prefix, (ch) => ch.codePointAt(0) as number);
  while (codePoints.length > 0) {
    const last = codePoints.pop() as number;
    if (last === MAX_CODE_POINT) continue;
    let next = last + 1;
    // surrogate code points are not characters; the next character after U+D7FF is U+E000
    if (next >= SURROGATE_FIRST && next <= SURROGATE_LAST) next = SURROGATE_LAST + 1;
    codePoints.push(next);
    return { start: prefix, end: String.fromCodePoint(...codePoints) };
  }
  return { start: prefix, end: undefined };
}
