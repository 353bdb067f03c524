// The sensor's durable spool: every event is appended to a segment file and fdatasync'd before it
// counts as recorded (group commit every few milliseconds), and stays until the collector confirms
// it committed the segment. Records are "CRC32 JSON\n" lines; a torn tail left by a crash is cut at
// the next start. Past the size cap the drop policy decides what goes, counted and alerted, never silently.
import { closeSync, fdatasyncSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { unlink } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { ApiaryEvent } from '../events/catalogue.js';
import type { EventSink } from '../events/emitter.js';

export type DropPolicy = 'oldest' | 'newest';

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  dropPolicy: DropPolicy;
  /** Events per segment (= per shipped batch) at most. */
  segmentEvents: number;
  /** Group commit: the longest an event waits to be written and fdatasync'd. */
  syncIntervalMs: number;
  /** Told at the first drop and then at most once per DROP_ALERT_INTERVAL_MS, with what was dropped so far. */
  onDrop?: (info: { policy: DropPolicy; dropped: number }) => void;
}

export interface SpoolStats {
  /** Events on disk (fdatasync'd) since this process started. */
  recorded: number;
  /** Events dropped by the size cap since this process started. */
  dropped: number;
  /** Events on disk not yet confirmed by the collector. */
  depth: number;
  bytes: number;
  /** Torn records cut at start-up (a crash mid-write). */
  recoveredTorn: number;
}

interface Segment {
  seq: number;
  events: number;
  bytes: number;
}

/** Shortest time between two drop alerts while the spool stays full (the count goes on meanwhile). */
export const DROP_ALERT_INTERVAL_MS = 60_000;

const SEGMENT_RE = /^seg-(\d{16})\.log$/;
const segName = (seq: number): string => `seg-${String(seq).padStart(16, '0')}.log`;

/** Splits a segment file's bytes into its valid records' JSON texts; stops at the first torn or corrupt one. */
export function decodeSegment(buf: Buffer): { records: string[]; validBytes: number } {
  const records: string[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0 || nl - pos < 10 || buf[pos + 8] !== 0x20) break;
    const want = Number.parseInt(buf.toString('latin1', pos, pos + 8), 16);
    const body = buf.subarray(pos + 9, nl);
    if (!Number.isFinite(want) || crc32(body) !== want) break;
    records.push(body.toString('utf8'));
    pos = nl + 1;
  }
  return { records, validBytes: pos };
}

function encodeRecord(json: string): string {
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

export class Spool implements EventSink {
  readonly stats: SpoolStats = { recorded: 0, dropped: 0, depth: 0, bytes: 0, recoveredTorn: 0 };
  /** Sealed segments, oldest first; the active one is written to. */
  private readonly sealed: Segment[] = [];
  private active!: Segment;
  private fd = -1;
  private pending: string[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastDropAlert = Number.NEGATIVE_INFINITY;
  /** Segments the size cap removed (seq -> events), in case one of them was in flight and is confirmed. */
  private readonly droppedSegments = new Map<number, number>();
  private closed = false;

  /** Called after each sync that made events durable (the shipper wakes on it). */
  private readonly synced = new Set<() => void>();

  constructor(readonly opts: SpoolOptions) {
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    let next = 1;
    for (const name of readdirSync(opts.dir).sort()) {
      const m = SEGMENT_RE.exec(name);
      if (!m) continue;
      const seq = Number(m[1]);
      const path = join(opts.dir, name);
      const buf = readFileSync(path);
      const { records, validBytes } = decodeSegment(buf);
      if (validBytes < buf.length) {
        // A crash mid-write: the records after the last whole one were never counted as recorded.
        this.stats.recoveredTorn++;
        const fd = openSync(path, 'r+');
        ftruncateSync(fd, validBytes);
        fsyncSync(fd);
        closeSync(fd);
      }
      if (records.length === 0) unlinkSync(path);
      else this.sealed.push({ seq, events: records.length, bytes: validBytes });
      next = seq + 1;
    }
    for (const s of this.sealed) {
      this.stats.depth += s.events;
      this.stats.bytes += s.bytes;
    }
    this.openActive(next);
  }

  private openActive(seq: number): void {
    this.active = { seq, events: 0, bytes: 0 };
    this.fd = openSync(join(this.opts.dir, segName(seq)), 'a', 0o600);
    this.syncDir();
  }

  private syncDir(): void {
    const dfd = openSync(this.opts.dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }

  write(event: ApiaryEvent): void {
    if (this.closed) return;
    const rec = encodeRecord(JSON.stringify(event));
    const size = Buffer.byteLength(rec);
    if (!this.makeRoom(size)) return;
    this.pending.push(rec);
    this.pendingBytes += size;
    if (this.pending.length >= this.opts.segmentEvents) this.sync();
    else this.timer ??= setTimeout(() => this.sync(), this.opts.syncIntervalMs);
  }

  /** Frees space for SIZE more bytes by the drop policy; false when the new event itself is dropped. */
  private makeRoom(size: number): boolean {
    const over = (): boolean => this.stats.bytes + this.pendingBytes + size > this.opts.maxBytes;
    if (!over()) return true;
    if (this.opts.dropPolicy === 'oldest') {
      while (over() && this.sealed.length > 0) {
        const s = this.sealed.shift()!;
        unlinkSync(join(this.opts.dir, segName(s.seq)));
        this.droppedSegments.set(s.seq, s.events);
        this.stats.depth -= s.events;
        this.stats.bytes -= s.bytes;
        this.noteDrop(s.events);
      }
      if (!over()) return true;
    }
    this.noteDrop(1);
    return false;
  }

  private noteDrop(n: number): void {
    this.stats.dropped += n;
    const now = Date.now();
    if (now - this.lastDropAlert >= DROP_ALERT_INTERVAL_MS) {
      this.lastDropAlert = now;
      this.opts.onDrop?.({ policy: this.opts.dropPolicy, dropped: this.stats.dropped });
    }
  }

  /** Writes and fdatasyncs what is pending; from then on those events count as recorded. */
  sync(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0 || this.fd < 0) return;
    const chunk = this.pending.join('');
    const n = this.pending.length;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    writeSync(this.fd, chunk);
    fdatasyncSync(this.fd);
    this.active.events += n;
    this.active.bytes += bytes;
    this.stats.recorded += n;
    this.stats.depth += n;
    this.stats.bytes += bytes;
    if (this.active.events >= this.opts.segmentEvents) this.seal();
    for (const fn of this.synced) fn();
  }

  /** Subscribes FN to new durable events; returns the unsubscribe function. */
  onSynced(fn: () => void): () => void {
    this.synced.add(fn);
    return () => this.synced.delete(fn);
  }

  async flush(): Promise<void> {
    this.sync();
  }

  private seal(): void {
    if (this.active.events === 0) return;
    closeSync(this.fd);
    this.sealed.push(this.active);
    this.openActive(this.active.seq + 1);
  }

  /**
   * The oldest unconfirmed segment not in BUSY (segments being shipped now), sealing the active one
   * when no other waits; undefined when there is nothing to ship.
   */
  next(busy: ReadonlySet<number> = new Set()): { seq: number; events: number; records: string[] } | undefined {
    this.sync();
    let s = this.sealed.find((x) => !busy.has(x.seq));
    if (!s && this.active.events > 0) {
      this.seal();
      s = this.sealed[this.sealed.length - 1];
    }
    if (!s) return undefined;
    const { records } = decodeSegment(readFileSync(join(this.opts.dir, segName(s.seq))));
    return { seq: s.seq, events: s.events, records };
  }

  /** The collector committed segment SEQ: remove it. */
  ack(seq: number): void {
    const i = this.sealed.findIndex((s) => s.seq === seq);
    if (i < 0) {
      // Dropped by the size cap while it was being shipped, and committed after all: not lost.
      const events = this.droppedSegments.get(seq);
      if (events !== undefined) (this.stats.dropped -= events), this.droppedSegments.delete(seq);
      return;
    }
    const [s] = this.sealed.splice(i, 1);
    // Off the event loop: unlinking a large file takes milliseconds. Should the process die before it
    // is gone, the segment is shipped again at the next start and the collector skips its events.
    unlink(join(this.opts.dir, segName(seq)), () => {});
    this.stats.depth -= s!.events;
    this.stats.bytes -= s!.bytes;
  }

  /**
   * The collector refused segment SEQ's content (not its sender): it moves to DIR/rejected/ for the
   * operator to look at, out of the shipping queue, so one bad batch cannot block the ones after it.
   */
  reject(seq: number): string | undefined {
    const i = this.sealed.findIndex((s) => s.seq === seq);
    if (i < 0) return undefined;
    const [s] = this.sealed.splice(i, 1);
    const dir = join(this.opts.dir, 'rejected');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const to = join(dir, segName(seq));
    renameSync(join(this.opts.dir, segName(seq)), to);
    this.stats.depth -= s!.events;
    this.stats.bytes -= s!.bytes;
    return to;
  }

  close(): void {
    if (this.closed) return;
    this.sync();
    this.closed = true;
    closeSync(this.fd);
    this.fd = -1;
    if (this.active.events === 0) unlinkSync(join(this.opts.dir, segName(this.active.seq)));
  }
}

/** Every event record in the spool directory DIR (for tests and `apiary sensor` diagnostics). */
export function readSpool(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!SEGMENT_RE.test(name)) continue;
    const path = join(dir, name);
    if (statSync(path).size === 0) continue;
    out.push(...decodeSegment(readFileSync(path)).records);
  }
  return out;
}
