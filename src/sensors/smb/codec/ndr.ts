// NDR (C706 14) in the 32-bit little-endian form: the few shapes SRVSVC stubs use, bounded.
import { ByteReader, ByteWriter, sliceAt, stringToUtf16le, utf16leToString } from '../../../wire/reader.js';

/** Longest wide string decoded from a stub (characters); longer ones are kept only as raw bytes. */
export const MAX_NDR_STRING_CHARS = 32 * 1024;

/** Reads NDR from a stub; alignment is counted from the stub's start. */
export class NdrReader {
  readonly r: ByteReader;
  constructor(readonly stub: Uint8Array) {
    this.r = new ByteReader(stub);
  }

  u32(): number | undefined {
    if (!this.r.align(4)) return undefined;
    return this.r.u32le();
  }

  /** A unique/full pointer's referent id; 0 is NULL. */
  pointer(): number | undefined {
    return this.u32();
  }

  /**
   * A conformant varying string of UTF-16 units: max_count (4), offset (4), actual_count (4), units.
   * Returns the text and the raw bytes (exploit paths are kept as bytes, not text).
   */
  wstring(): { text: string; raw: Uint8Array; maxCount: number } | undefined {
    const maxCount = this.u32();
    const offset = this.u32();
    const actual = this.u32();
    if (maxCount === undefined || offset === undefined || actual === undefined) return undefined;
    if (actual > maxCount || offset > maxCount || actual * 2 > this.r.remaining) return undefined;
    const raw = this.r.bytes(actual * 2)!;
    return { text: utf16leToString(raw, MAX_NDR_STRING_CHARS), raw, maxCount };
  }

  /** A unique pointer to a wstring (NULL gives an empty result). */
  uniqueWstring(): { text: string; raw: Uint8Array; maxCount: number } | null | undefined {
    const p = this.pointer();
    if (p === undefined) return undefined;
    if (p === 0) return null;
    return this.wstring();
  }
}

/** Writes NDR32 little-endian with deferred pointees handled by the caller in order. */
export class NdrWriter {
  readonly w = new ByteWriter(1 << 20);
  private nextRef = 0x00020000;

  u32(v: number): this {
    this.w.align(4).u32le(v >>> 0);
    return this;
  }

  u16(v: number): this {
    this.w.align(2).u16le(v);
    return this;
  }

  /** A fresh non-NULL referent id, the way Windows numbers them. */
  ref(): this {
    this.u32(this.nextRef);
    this.nextRef += 4;
    return this;
  }

  /** A conformant varying string with its NUL terminator counted. */
  wstring(s: string): this {
    const n = s.length + 1;
    this.u32(n).u32(0).u32(n);
    this.w.bytes(stringToUtf16le(s)).u16le(0);
    this.w.align(4);
    return this;
  }

  bytes(b: Uint8Array): this {
    this.w.bytes(b);
    return this;
  }

  finish(): Uint8Array {
    this.w.align(4);
    return this.w.finish();
  }
}

/** Raw `len` bytes at `off` of a stub, for samples. */
export function stubSlice(stub: Uint8Array, off: number, len: number): Uint8Array {
  return sliceAt(stub, off, Math.min(len, stub.length - off)) ?? new Uint8Array(0);
}
