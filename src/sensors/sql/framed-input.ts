// Buffers a client's bytes and cuts them into whole protocol messages with a pure decoder: the one
// receive loop both database sessions share (bounded buffer, "need more bytes" as a normal result).

export type DecodeResult<T> = { status: 'ok'; value: T; consumed: number } | { status: 'incomplete' } | { status: 'malformed'; reason: string };

export class FramedInput<T> {
  private buf: Buffer = Buffer.alloc(0);

  constructor(
    /** The buffer limit now (sessions allow less before login than after). */
    private readonly maxBuffered: () => number,
    private readonly decode: (buf: Buffer) => DecodeResult<T>,
  ) {}

  /** What is buffered and not yet a whole message (for malformed samples). */
  get pending(): Buffer {
    return this.buf;
  }

  clear(): void {
    this.buf = Buffer.alloc(0);
  }

  /**
   * Appends CHUNK and hands every whole message to ON_MESSAGE while GOING() holds. CHECK may refuse
   * the buffer before decoding (a reason string). Returns the reason when the input is malformed.
   */
  push(chunk: Buffer, onMessage: (m: T) => void, going: () => boolean, check?: (buf: Buffer) => string | undefined): string | undefined {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.buf.length > this.maxBuffered()) return 'client buffered more than the limit';
    while (going()) {
      const refused = check?.(this.buf);
      if (refused) return refused;
      const r = this.decode(this.buf);
      if (r.status === 'incomplete') return undefined;
      if (r.status === 'malformed') return r.reason;
      this.buf = this.buf.subarray(r.consumed);
      if (this.buf.length === 0) this.buf = Buffer.alloc(0);
      onMessage(r.value);
    }
    return undefined;
  }
}
