// A bounds-checked byte reader for codecs: reads return undefined instead of throwing past the end.

export class ByteReader {
  private pos: number;
  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number | undefined {
    if (this.pos + 1 > this.end) return undefined;
    return this.buf[this.pos++];
  }

  u32be(): number | undefined {
    if (this.pos + 4 > this.end) return undefined;
    const b = this.buf;
    const v = ((b[this.pos]! << 24) >>> 0) + (b[this.pos + 1]! << 16) + (b[this.pos + 2]! << 8) + b[this.pos + 3]!;
    this.pos += 4;
    return v;
  }

  bytes(n: number): Uint8Array | undefined {
    if (n < 0 || this.pos + n > this.end) return undefined;
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

/** Lowercase hex of at most `max` bytes, for samples in events. */
export function hexSample(buf: Uint8Array, max = 64): string {
  return Buffer.from(buf.subarray(0, max)).toString('hex');
}
