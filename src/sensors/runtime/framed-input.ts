// Buffers a client's bytes and cuts them into whole protocol messages with a pure decoder: the one
// receive loop the database sessions and SMB (NetBIOS frames, RPC pipes) share (bounded buffer,
// "need more bytes" as a normal result).
import { SourceCounts } from '../../events/source-key.js';
import type { Decoded } from '../../wire/reader.js';

/** Bytes all sessions of a process (database, SMB) may hold in partly received messages together. */
export const MAX_BUFFERED_BYTES_ALL_SESSIONS = 256 * 1024 * 1024;
/** Below this a session's buffer is never refused for the shared budget (handshakes, small statements). */
export const SMALL_BUFFER_BYTES = 64 * 1024;
/**
 * The part of a shared budget one source (an address, or an IPv6 /64) may hold: without it one source's
 * connections could take all of it, and every other source's large messages and uploads were refused.
 */
export const MAX_SOURCE_SHARE = 1 / 4;

/** What a buffer charges its bytes to: a budget, or one source's account in one. */
export interface ByteAccount {
  /** Takes N bytes; false (and nothing taken) when that would go past the limit. */
  take(n: number): boolean;
  give(n: number): void;
  /** Bytes that could be taken now. */
  room(): number;
}

/**
 * A byte budget shared by sessions, so many connections each sending large messages cannot exhaust
 * memory; bytes taken for a source also count against that source's share (MAX_SOURCE_SHARE of the limit).
 */
export class BufferBudget implements ByteAccount {
  private readonly bySource = new SourceCounts();
  /** Bytes one source may hold. */
  readonly sourceLimit: number;

  constructor(
    readonly limit = MAX_BUFFERED_BYTES_ALL_SESSIONS,
    /** Bytes already in use when the budget is made. */
    private used = 0,
    share = MAX_SOURCE_SHARE,
  ) {
    this.sourceLimit = Math.floor(limit * share);
  }
  get inUse(): number {
    return this.used;
  }
  /** Bytes the source of ADDRESS holds. */
  heldBy(address: string): number {
    return this.bySource.of(address);
  }
  /** Bytes that could be taken now, for the source of ADDRESS when given (within its share). */
  room(address?: string): number {
    const left = this.limit - this.used;
    return Math.max(0, address === undefined ? left : Math.min(left, this.sourceLimit - this.bySource.of(address)));
  }
  /** Takes N bytes (for the source of ADDRESS when given); false (and nothing taken) when the budget or the source's share would be exceeded. */
  take(n: number, address?: string): boolean {
    if (n > this.room(address)) return false;
    this.used += n;
    if (address !== undefined) this.bySource.add(address, n);
    return true;
  }
  give(n: number, address?: string): void {
    this.used = Math.max(0, this.used - n);
    if (address !== undefined) this.bySource.remove(address, n);
  }
  /** The budget as the source of ADDRESS sees it: what is taken through it counts against that source's share too. */
  account(address: string): ByteAccount {
    return { take: (n) => this.take(n, address), give: (n) => this.give(n, address), room: () => this.room(address) };
  }
}

/** The process-wide budget the sensors' receive buffers share, each source's through its account. */
export const SHARED_BUFFER_BUDGET = new BufferBudget();

export class FramedInput<T> {
  // Bytes live in a backing store that grows by doubling, so a statement of megabytes arriving in
  // small chunks is copied a few times in all, not once per chunk.
  private store: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** Bytes of this buffer counted against the shared budget. */
  private charged = 0;

  constructor(
    /** The buffer limit now (sessions allow less before login than after). */
    private readonly maxBuffered: () => number,
    private readonly decode: (buf: Buffer) => Decoded<T>,
    /** Where buffered bytes past SMALL_BUFFER_BYTES are charged: the client's account in SHARED_BUFFER_BUDGET, or a budget of its own. */
    private readonly budget: ByteAccount,
  ) {}

  /** What is buffered and not yet a whole message (for malformed samples). */
  get pending(): Buffer {
    return this.store.subarray(this.start, this.end);
  }

  clear(): void {
    this.store = Buffer.alloc(0);
    this.start = this.end = 0;
    this.settle();
  }

  private append(chunk: Buffer): void {
    const len = this.end - this.start;
    if (this.end + chunk.length > this.store.length) {
      const need = len + chunk.length;
      // Decoded messages are subarrays of the store, so a new store is made rather than moving bytes in place.
      const next = Buffer.allocUnsafe(Math.max(need, Math.min(2 * this.store.length, need + this.maxBuffered()), 4096));
      this.store.copy(next, 0, this.start, this.end);
      this.store = next;
      this.start = 0;
      this.end = len;
    }
    chunk.copy(this.store, this.end);
    this.end += chunk.length;
  }

  /** Brings the budget charge in line with what is buffered; false when the budget refuses it. */
  private settle(): boolean {
    const size = this.end - this.start;
    const want = size > SMALL_BUFFER_BYTES ? size : 0;
    if (want > this.charged) {
      if (!this.budget.take(want - this.charged)) return false;
    } else this.budget.give(this.charged - want);
    this.charged = want;
    return true;
  }

  /**
   * Appends CHUNK and hands every whole message to ON_MESSAGE while GOING() holds. CHECK may refuse
   * the buffer before decoding (a reason string). Returns the reason when the input is malformed.
   */
  push(chunk: Buffer, onMessage: (m: T) => void, going: () => boolean, check?: (buf: Buffer) => string | undefined): string | undefined {
    if (this.end - this.start + chunk.length > this.maxBuffered()) return 'client buffered more than the limit';
    this.append(chunk);
    if (!this.settle()) return 'sensor buffer budget exhausted';
    while (going() && this.end > this.start) {
      const buf = this.store.subarray(this.start, this.end);
      const refused = check?.(buf);
      if (refused) return refused;
      const r = this.decode(buf);
      if (r.status === 'incomplete') return undefined;
      if (r.status === 'malformed') return r.reason;
      this.start += r.consumed;
      if (this.start === this.end) {
        // Nothing left: start a new store next time. The old one is never written again, so a
        // decoded message (a view into it) stays intact however long its handler keeps it.
        this.store = Buffer.alloc(0);
        this.start = this.end = 0;
      }
      this.settle();
      onMessage(r.value);
    }
    return undefined;
  }
}
