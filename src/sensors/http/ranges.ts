// Byte ranges (RFC 9110 14) on the decoys' static files, as nginx's range filter and Apache's
// byterange filter answer them: which Range values give 206, which 416 and which the whole file, and
// the multipart/byteranges body for several ranges. Pure functions over the attacker's Range value.
import type { ProductName } from './products.js';

/** Longest Range value examined; longer ones are served the whole file (as a ranges-off server would). */
export const MAX_RANGE_CHARS = 1024;
/** Most ranges served in one multipart answer; more are served the whole file. */
export const MAX_RANGES = 64;

/** Inclusive byte offsets. */
export type ByteRange = [start: number, end: number];
export type RangeVerdict = { kind: 'full' } | { kind: 'unsatisfiable' } | { kind: 'partial'; ranges: ByteRange[] };

const FULL: RangeVerdict = { kind: 'full' };
const UNSATISFIABLE: RangeVerdict = { kind: 'unsatisfiable' };

const digit = (s: string, i: number): boolean => i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39;

/**
 * nginx 1.22's ngx_http_range_parse: `bytes=` then comma-separated `a-b`, `a-` or `-n` with optional
 * spaces; any other syntax, a start past the end, or a reversed range is 416; ranges adding up to
 * more than the file are served whole.
 */
export function nginxRanges(value: string, size: number): RangeVerdict {
  if (value.length > MAX_RANGE_CHARS || value.slice(0, 6).toLowerCase() !== 'bytes=') return FULL;
  const s = value.slice(6);
  const ranges: ByteRange[] = [];
  let total = 0;
  let p = 0;
  const spaces = (): void => {
    while (s.charAt(p) === ' ') p++;
  };
  const number = (): number | undefined => {
    if (!digit(s, p)) return undefined;
    let n = 0;
    while (digit(s, p)) {
      n = n * 10 + (s.charCodeAt(p++) - 0x30);
      if (n > Number.MAX_SAFE_INTEGER / 10) return undefined;
    }
    return n;
  };
  for (;;) {
    let start = 0;
    let end: number;
    spaces();
    if (s.charAt(p) !== '-') {
      const a = number();
      if (a === undefined) return UNSATISFIABLE;
      start = a;
      spaces();
      if (s.charAt(p++) !== '-') return UNSATISFIABLE;
      spaces();
      if (s.charAt(p) === ',' || p >= s.length) end = size;
      else {
        const b = number();
        if (b === undefined) return UNSATISFIABLE;
        spaces();
        if (s.charAt(p) !== ',' && p < s.length) return UNSATISFIABLE;
        end = b >= size ? size : b + 1;
      }
    } else {
      p++;
      const n = number();
      if (n === undefined) return UNSATISFIABLE;
      spaces();
      if (s.charAt(p) !== ',' && p < s.length) return UNSATISFIABLE;
      start = n < size ? size - n : 0;
      end = size;
    }
    if (start < end) {
      ranges.push([start, end - 1]);
      total += end - start;
      if (ranges.length > MAX_RANGES) return FULL;
    } else if (start === 0) return FULL;
    if (s.charAt(p++) !== ',') break;
  }
  if (ranges.length === 0) return UNSATISFIABLE;
  if (total > size) return FULL;
  return { kind: 'partial', ranges };
}

/** A whole decimal number as Apache's ap_parse_strict_length reads one, or undefined. */
function strictNumber(s: string): number | undefined {
  if (s.length === 0 || s.length > 15) return undefined;
  for (let i = 0; i < s.length; i++) if (!digit(s, i)) return undefined;
  return Number(s);
}

/**
 * Apache 2.4's ap_set_byterange: `bytes=` then comma-separated specs; one syntactically bad spec (no
 * dash, not a number, start after end) and the whole header is ignored (200). Specs past the end are
 * dropped, 416 when none is left; overlapping or adjacent neighbours merge; `0-` means the whole
 * file as one range; ranges adding up to more than the file are served whole.
 */
export function apacheRanges(value: string, size: number): RangeVerdict {
  if (value.length > MAX_RANGE_CHARS || value.slice(0, 6).toLowerCase() !== 'bytes=' || size <= 0) return FULL;
  const merged: ByteRange[] = [];
  let unsatisfiable = 0;
  let cur: ByteRange | undefined;
  for (const spec of value.slice(6).split(',')) {
    if (spec === '') break;
    const dash = spec.indexOf('-');
    if (dash < 0) return FULL;
    let start: number;
    let end: number;
    if (dash === 0) {
      const n = strictNumber(spec.slice(1));
      if (n === undefined || n < 1) return FULL;
      start = Math.max(size - n, 0);
      end = size - 1;
    } else {
      const a = strictNumber(spec.slice(0, dash));
      if (a === undefined) return FULL;
      start = a;
      const tail = spec.slice(dash + 1);
      if (tail === '') {
        end = size - 1;
        if (start === 0) {
          merged.length = 0;
          cur = [0, size - 1];
          break;
        }
      } else {
        const b = strictNumber(tail);
        if (b === undefined || a > b) return FULL;
        end = b;
      }
    }
    if (start >= size) {
      unsatisfiable++;
      continue;
    }
    if (end >= size) end = size - 1;
    if (cur === undefined) cur = [start, end];
    else if (start <= cur[1] + 1 && end >= cur[0] - 1) cur = [Math.min(start, cur[0]), Math.max(end, cur[1])];
    else {
      merged.push(cur);
      cur = [start, end];
    }
    if (merged.length > MAX_RANGES) return FULL;
  }
  if (cur !== undefined) merged.push(cur);
  else if (merged.length === 0) return unsatisfiable > 0 ? UNSATISFIABLE : FULL;
  let total = 0;
  for (const [a, b] of merged) total += b - a + 1;
  return total > size ? FULL : { kind: 'partial', ranges: merged };
}

export function rangesFor(product: ProductName, value: string, size: number): RangeVerdict {
  if (product === 'nginx') return nginxRanges(value, size);
  if (product === 'apache') return apacheRanges(value, size);
  return FULL; // mini_httpd 1.19 has no Range support
}

/**
 * The multipart/byteranges body for RANGES of BODY: each part opens with CRLF, `--boundary` and the
 * part's Content-Type and Content-Range (Apache spells them Content-type and Content-range), and the
 * body closes with CRLF `--boundary--` CRLF.
 */
export function multipartBody(product: ProductName, body: Buffer, ranges: ByteRange[], type: string, boundary: string): Buffer {
  const [ct, cr] = product === 'apache' ? ['Content-type', 'Content-range'] : ['Content-Type', 'Content-Range'];
  const parts: Buffer[] = [];
  for (const [a, b] of ranges) {
    parts.push(Buffer.from(`\r\n--${boundary}\r\n${ct}: ${type}\r\n${cr}: bytes ${a}-${b}/${body.length}\r\n\r\n`, 'latin1'), body.subarray(a, b + 1));
  }
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(parts);
}
