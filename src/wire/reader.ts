// A bounds-checked byte reader and a bounded writer for codecs: reads return undefined instead of
// throwing past the end; writes past the writer's cap are refused (the writer reports overflow).

export class ByteReader {
  private pos: number;
  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = Math.max(0, Math.min(start, end));
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Moves to an absolute offset inside the reader's window; false (and no move) when outside. */
  seek(offset: number): boolean {
    if (!Number.isInteger(offset) || offset < 0 || offset > this.end) return false;
    this.pos = offset;
    return true;
  }

  advance(n: number): boolean {
    if (!Number.isInteger(n) || n < 0 || this.pos + n > this.end) return false;
    this.pos += n;
    return true;
  }

  /** Skips to the next multiple of `n` counted from `base` (NDR and SMB2 alignment). */
  align(n: number, base = 0): boolean {
    const rel = (this.pos - base) % n;
    return rel === 0 ? true : this.advance(n - rel);
  }

  u8(): number | undefined {
    if (this.pos + 1 > this.end) return undefined;
    return this.buf[this.pos++];
  }

  u16le(): number | undefined {
    if (this.pos + 2 > this.end) return undefined;
    const v = this.buf[this.pos]! | (this.buf[this.pos + 1]! << 8);
    this.pos += 2;
    return v;
  }

  u16be(): number | undefined {
    if (this.pos + 2 > this.end) return undefined;
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32le(): number | undefined {
    if (this.pos + 4 > this.end) return undefined;
    const b = this.buf;
    const v = (b[this.pos]! | (b[this.pos + 1]! << 8) | (b[this.pos + 2]! << 16)) + b[this.pos + 3]! * 0x1000000;
    this.pos += 4;
    return v;
  }

  u32be(): number | undefined {
    if (this.pos + 4 > this.end) return undefined;
    const b = this.buf;
    const v = ((b[this.pos]! << 24) >>> 0) + (b[this.pos + 1]! << 16) + (b[this.pos + 2]! << 8) + b[this.pos + 3]!;
    this.pos += 4;
    return v;
  }

  /** A little-endian 64-bit value as a bigint. */
  u64le(): bigint | undefined {
    const lo = this.u32le();
    if (lo === undefined) return undefined;
    const hi = this.u32le();
    if (hi === undefined) return undefined;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  bytes(n: number): Uint8Array | undefined {
    if (!Number.isInteger(n) || n < 0 || this.pos + n > this.end) return undefined;
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** An SSH `string` (uint32 length + bytes) of at most `max` bytes. */
  sshString(max: number): Uint8Array | undefined {
    const len = this.u32be();
    if (len === undefined || len > max) return undefined;
    return this.bytes(len);
  }
}

/** `len` bytes at `offset` of `buf`, or undefined when any part lies outside it. */
export function sliceAt(buf: Uint8Array, offset: number, len: number): Uint8Array | undefined {
  if (!Number.isInteger(offset) || !Number.isInteger(len) || offset < 0 || len < 0 || offset + len > buf.length) return undefined;
  return buf.subarray(offset, offset + len);
}

/**
 * B copied into a buffer of its own, so keeping it does not keep what it was cut from. (`slice()`
 * will not do: on a Buffer, which is what sockets deliver, it returns a view.)
 */
export function copyBytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

/** Decodes UTF-16LE of at most `maxChars` characters (an odd trailing byte is dropped), stopping at NUL. */
export function utf16leToString(b: Uint8Array, maxChars: number, stopAtNul = true): string {
  const n = Math.min(b.length >> 1, maxChars);
  let s = '';
  for (let i = 0; i < n; i++) {
    const c = b[2 * i]! | (b[2 * i + 1]! << 8);
    if (c === 0 && stopAtNul) break;
    s += String.fromCharCode(c);
  }
  return s;
}

export function stringToUtf16le(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[2 * i] = c & 0xff;
    out[2 * i + 1] = c >> 8;
  }
  return out;
}

/** Decodes bytes as Latin-1 up to the first NUL, at most `max` characters. */
export function latin1ToString(b: Uint8Array, max: number, stopAtNul = true): string {
  let s = '';
  const n = Math.min(b.length, max);
  for (let i = 0; i < n; i++) {
    if (b[i] === 0 && stopAtNul) break;
    s += String.fromCharCode(b[i]!);
  }
  return s;
}

/** Appends little- and big-endian fields into a growing buffer capped at `max` bytes. */
export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;
  /** Set once a write would pass the cap; the write is dropped. */
  overflow = false;

  constructor(
    private readonly max = 16 * 1024 * 1024,
    initial = 256,
  ) {
    this.buf = new Uint8Array(Math.min(initial, max));
  }

  get length(): number {
    return this.len;
  }

  private room(n: number): boolean {
    if (this.len + n > this.max) {
      this.overflow = true;
      return false;
    }
    if (this.len + n > this.buf.length) {
      const next = new Uint8Array(Math.min(this.max, Math.max(this.buf.length * 2, this.len + n)));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    return true;
  }

  u8(v: number): this {
    if (this.room(1)) this.buf[this.len++] = v & 0xff;
    return this;
  }

  u16le(v: number): this {
    if (this.room(2)) {
      this.buf[this.len++] = v & 0xff;
      this.buf[this.len++] = (v >>> 8) & 0xff;
    }
    return this;
  }

  u16be(v: number): this {
    if (this.room(2)) {
      this.buf[this.len++] = (v >>> 8) & 0xff;
      this.buf[this.len++] = v & 0xff;
    }
    return this;
  }

  u32le(v: number): this {
    if (this.room(4)) {
      for (let i = 0; i < 4; i++) this.buf[this.len++] = (v >>> (8 * i)) & 0xff;
    }
    return this;
  }

  u32be(v: number): this {
    if (this.room(4)) {
      for (let i = 3; i >= 0; i--) this.buf[this.len++] = (v >>> (8 * i)) & 0xff;
    }
    return this;
  }

  u64le(v: bigint): this {
    this.u32le(Number(v & 0xffffffffn));
    return this.u32le(Number((v >> 32n) & 0xffffffffn));
  }

  bytes(b: Uint8Array): this {
    if (this.room(b.length)) {
      this.buf.set(b, this.len);
      this.len += b.length;
    }
    return this;
  }

  zeros(n: number): this {
    if (n > 0 && this.room(n)) {
      this.buf.fill(0, this.len, this.len + n);
      this.len += n;
    }
    return this;
  }

  /** Pads with zeros to a multiple of `n` counted from `base`. */
  align(n: number, base = 0): this {
    const rel = (this.len - base) % n;
    return rel === 0 ? this : this.zeros(n - rel);
  }

  /** Overwrites a u16le/u32le already written (for lengths known only at the end). */
  patchU16le(at: number, v: number): void {
    if (at + 2 <= this.len) {
      this.buf[at] = v & 0xff;
      this.buf[at + 1] = (v >>> 8) & 0xff;
    }
  }

  patchU32le(at: number, v: number): void {
    if (at + 4 <= this.len) for (let i = 0; i < 4; i++) this.buf[at + i] = (v >>> (8 * i)) & 0xff;
  }

  patchU8(at: number, v: number): void {
    if (at < this.len) this.buf[at] = v & 0xff;
  }

  /** The bytes written so far (a copy-free view). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** Lowercase hex of at most `max` bytes, for samples in events. */
export function hexSample(buf: Uint8Array, max = 64): string {
  return Buffer.from(buf.subarray(0, max)).toString('hex');
}

/** The result every codec returns: never an exception for bad bytes. */
export type Decoded<T> = { status: 'ok'; value: T; consumed: number } | { status: 'incomplete' } | { status: 'malformed'; reason: string };

export const ok = <T>(value: T, consumed: number): Decoded<T> => ({ status: 'ok', value, consumed });
export const incomplete = <T>(): Decoded<T> => ({ status: 'incomplete' });
export const malformed = <T>(reason: string): Decoded<T> => ({ status: 'malformed', reason });
