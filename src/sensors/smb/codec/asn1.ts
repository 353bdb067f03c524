// A minimal DER reader and writer for SPNEGO: definite lengths only, bounded size and depth (X.690 8.1).
import { ByteWriter } from '../../../wire/reader.js';

/** Largest DER element read (a GSS token is a few KiB). */
export const MAX_DER_BYTES = 64 * 1024;
/** Deepest nesting a caller may walk. */
export const MAX_DER_DEPTH = 8;

export interface Tlv {
  /** The identifier octet (class, constructed bit and tag number below 31). */
  tag: number;
  value: Uint8Array;
  /** Offset just past this element in the buffer it was read from. */
  end: number;
}

/** Reads one element at `at`; undefined when it is truncated, uses the long tag form or an indefinite length. */
export function readTlv(buf: Uint8Array, at = 0): Tlv | undefined {
  if (at < 0 || at + 2 > buf.length || buf.length > MAX_DER_BYTES * 4) return undefined;
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) return undefined;
  let len = buf[at + 1]!;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || p + n > buf.length) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (len > MAX_DER_BYTES || p + len > buf.length) return undefined;
  return { tag, value: buf.subarray(p, p + len), end: p + len };
}

/** Every element inside a constructed value, or undefined if any is bad (at most `max`). */
export function readChildren(value: Uint8Array, max = 32): Tlv[] | undefined {
  const out: Tlv[] = [];
  let at = 0;
  while (at < value.length) {
    if (out.length >= max) return undefined;
    const t = readTlv(value, at);
    if (!t) return undefined;
    out.push(t);
    at = t.end;
  }
  return out;
}

/** Dotted form of an OBJECT IDENTIFIER's contents (X.690 8.19), bounded to 32 arcs. */
export function decodeOid(v: Uint8Array): string | undefined {
  if (v.length === 0 || v.length > 64) return undefined;
  const arcs: number[] = [];
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    n = n * 128 + (v[i]! & 0x7f);
    if (n > Number.MAX_SAFE_INTEGER / 256) return undefined;
    if (!(v[i]! & 0x80)) {
      if (arcs.length === 0) arcs.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
      else arcs.push(n);
      n = 0;
    }
  }
  if (v[v.length - 1]! & 0x80) return undefined;
  return arcs.join('.');
}

export function encodeOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map(Number);
  const w = new ByteWriter(64);
  const first = arcs[0]! * 40 + arcs[1]!;
  for (const a of [first, ...arcs.slice(2)]) {
    const parts: number[] = [];
    let x = a;
    do {
      parts.unshift(x & 0x7f);
      x = Math.floor(x / 128);
    } while (x > 0);
    parts.forEach((p, i) => w.u8(i < parts.length - 1 ? p | 0x80 : p));
  }
  return w.finish();
}

/** One DER element with a definite length. */
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const len = content.reduce((s, c) => s + c.length, 0);
  const w = new ByteWriter(len + 8);
  w.u8(tag);
  if (len < 0x80) w.u8(len);
  else if (len < 0x100) w.u8(0x81).u8(len);
  else if (len < 0x10000) w.u8(0x82).u16be(len);
  else w.u8(0x83).u8(len >>> 16).u16be(len & 0xffff);
  for (const c of content) w.bytes(c);
  return w.finish();
}
