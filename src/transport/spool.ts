// The sensor's durable spool: every event is appended to a segment file and fdatasync'd before it
// counts as recorded (group commit every few milliseconds), and stays until the collector confirms
// it committed the segment. Records are "CRC32 JSON\n" lines; a torn tail left by a crash is cut at
// the next start. Past the size cap the drop policy decides what goes, counted and alerted, never silently.
// The writes and syncs of the group commit run off the event loop (libuv's thread pool), one at a
// time: a sensor serving attackers never waits for its disk.
import { closeSync, fdatasync, fdatasyncSync, fsync, fsyncSync, ftruncate, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlink, unlinkSync, write, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { ApiaryEvent } from '../events/catalogue.js';
import type { EventSink } from '../events/emitter.js';

export type DropPolicy = 'oldest' | 'newest';

/**
 * The spool's file of drops not yet reported to the collector: a run killed before its next heartbeat
 * reached the collector hands them to the next run, which reports them. Written at most every
 * DROPS_SAVE_INTERVAL_MS while dropping, and at close.
 */
export const DROPS_FILE = 'unreported-drops.json';
export const DROPS_SAVE_INTERVAL_MS = 1000;

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
  /** Told when a write or sync fails (the events stay pending and are tried again). */
  onError?: (err: Error) => void;
  /** The group commit's file calls (node's by default; a test gives failing ones). */
  io?: SpoolIo;
}

/** The asynchronous file calls of the group commit. */
export interface SpoolIo {
  write(fd: number, buf: Buffer, offset: number, length: number, done: (err: Error | null, written: number) => void): void;
  fdatasync(fd: number, done: (err: Error | null) => void): void;
}

const NODE_IO: SpoolIo = {
  write: (fd, buf, offset, length, done) => write(fd, buf, offset, length, null, done),
  fdatasync: (fd, done) => fdatasync(fd, done),
};

export interface SpoolStats {
  /** Events on disk (fdatasync'd) since this process started. */
  recorded: number;
  /**
   * Events dropped by the size cap since this process started, plus those an earlier run dropped and
   * never saw reported to the collector (DROPS_FILE).
   */
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

/**
 * Events waiting in memory for the disk (a sync in flight takes long): past this, new events are
 * dropped like in a full spool, counted and alerted, so a stalled disk cannot fill the sensor's memory.
 */
export const MAX_PENDING_BYTES = 32 * 1024 * 1024;

/** Pause before a failed write or sync of the spool is tried again. */
export const SYNC_RETRY_MS = 1000;

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
  /** Bytes of the pending events and of those in the sync in flight. */
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastDropAlert = Number.NEGATIVE_INFINITY;
  private lastDropSave = Number.NEGATIVE_INFINITY;
  /** The largest stats.dropped a heartbeat has reported, and the unreported count DROPS_FILE holds. */
  private reported = 0;
  private savedUnreported = 0;
  /** Segments the size cap removed (seq -> events), in case one of them was in flight and is confirmed. */
  private readonly droppedSegments = new Map<number, number>();
  private closed = false;
  /** A write and fdatasync of the active segment is in flight (at most one at a time). */
  private syncing = false;
  /** The active segment's directory entry is not fsync'd yet: done in the first sync of its events. */
  private dirPending = false;
  /** After a failed write or sync, no new one starts before this time (ms since the epoch). */
  private retryAt = 0;
  /** The active segment's length to cut back to before the next write (a failed cut after a failed write). */
  private cutTo: number | undefined;
  /** Events accepted (not dropped) and events made durable since start: flush() waits for the first to reach the second. */
  private accepted = 0;
  private durable = 0;
  private readonly waiters: { until: number; done: () => void }[] = [];

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
    this.stats.dropped = this.savedUnreported = readUnreported(join(opts.dir, DROPS_FILE));
    this.openActive(next);
  }

  /** The collector has been told of DROPPED (stats.dropped as a heartbeat sent it): only what is above it stays unreported. */
  dropsReported(dropped: number): void {
    this.reported = Math.max(this.reported, dropped);
    this.saveDrops();
  }

  /** Writes what is dropped and not reported to DROPS_FILE, when that changed (a small atomic rename; never throws). */
  private saveDrops(): void {
    const unreported = Math.max(0, this.stats.dropped - this.reported);
    if (unreported === this.savedUnreported) return;
    this.lastDropSave = Date.now();
    try {
      const path = join(this.opts.dir, DROPS_FILE);
      writeFileSync(`${path}.tmp`, JSON.stringify({ unreported }), { mode: 0o600 });
      renameSync(`${path}.tmp`, path);
      this.savedUnreported = unreported;
    } catch {
      /* a disk that refuses this refuses the spool too, which says so */
    }
  }

  private openActive(seq: number): void {
    this.active = { seq, events: 0, bytes: 0 };
    this.fd = openSync(join(this.opts.dir, segName(seq)), 'a', 0o600);
    this.dirPending = true;
  }

  /** fsyncs the spool directory (a new segment's entry) off the event loop. */
  private syncDir(done: (err: Error | null) => void): void {
    let dfd: number;
    try {
      dfd = openSync(this.opts.dir, 'r');
    } catch (err) {
      done(err as Error);
      return;
    }
    fsync(dfd, (err) => {
      closeSync(dfd);
      done(err);
    });
  }

  write(event: ApiaryEvent): void {
    if (this.closed) return;
    const rec = encodeRecord(JSON.stringify(event));
    const size = Buffer.byteLength(rec);
    if (this.pendingBytes + size > MAX_PENDING_BYTES) {
      this.noteDrop(1);
      return;
    }
    if (!this.makeRoom(size)) return;
    this.pending.push(rec);
    this.pendingBytes += size;
    this.accepted++;
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
    if (now - this.lastDropSave >= DROPS_SAVE_INTERVAL_MS) this.saveDrops();
    if (now - this.lastDropAlert >= DROP_ALERT_INTERVAL_MS) {
      this.lastDropAlert = now;
      this.opts.onDrop?.({ policy: this.opts.dropPolicy, dropped: this.stats.dropped });
    }
  }

  /**
   * Starts writing and fdatasyncing what is pending (at most what fills the active segment), off the
   * event loop; those events count as recorded when it ends. With a sync already in flight, what is
   * pending goes right after it.
   */
  sync(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.syncing || this.pending.length === 0 || this.fd < 0) return;
    const wait = this.retryAt - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => this.sync(), wait);
      return;
    }
    const { taken, chunk } = this.takePending();
    const take = taken.length;
    this.syncing = true;
    const fd = this.fd;
    const failed = (err: Error): void => {
      // Cut whatever part of the chunk reached the file, so no torn record sits before later ones;
      // should the cut itself fail, it is tried again before anything else is written.
      this.cutTo = this.active.bytes;
      ftruncate(fd, this.active.bytes, (cutErr) => {
        if (!cutErr) this.cutTo = undefined;
        this.syncing = false;
        this.pending = taken.concat(this.pending);
        this.retryAt = Date.now() + SYNC_RETRY_MS;
        this.opts.onError?.(err);
        if (!this.closed) this.sync();
        this.settleWaiters();
      });
    };
    const synced = (): void => {
      this.syncing = false;
      this.counted(take, chunk.length);
      if (this.active.events >= this.opts.segmentEvents && !this.closed) this.seal();
      for (const fn of this.synced) fn();
      if (this.pending.length > 0 && !this.closed) this.sync();
      this.settleWaiters();
    };
    const io = this.opts.io ?? NODE_IO;
    const write = (): void =>
      writeFully(io, fd, chunk, (err) => {
        if (err) return failed(err);
        io.fdatasync(fd, (err2) => {
          if (err2) return failed(err2);
          if (!this.dirPending) return synced();
          this.syncDir((err3) => {
            if (err3) return failed(err3);
            this.dirPending = false;
            synced();
          });
        });
      });
    const cut = this.cutTo;
    if (cut === undefined) return write();
    ftruncate(fd, cut, (err) => (err ? failed(err) : ((this.cutTo = undefined), write())));
  }

  /** The pending events that fit the active segment (at least one), taken off the pending list. */
  private takePending(): { taken: string[]; chunk: Buffer } {
    const take = Math.min(this.pending.length, Math.max(1, this.opts.segmentEvents - this.active.events));
    const taken = take === this.pending.length ? this.pending : this.pending.slice(0, take);
    this.pending = take === this.pending.length ? [] : this.pending.slice(take);
    return { taken, chunk: Buffer.from(taken.join(''), 'utf8') };
  }

  /** True when nothing waits to be written and no write is in flight. */
  get idle(): boolean {
    return this.pending.length === 0 && !this.syncing;
  }

  /** N events of BYTES bytes are durable in the active segment: from now on they count as recorded. */
  private counted(n: number, bytes: number): void {
    this.pendingBytes -= bytes;
    this.active.events += n;
    this.active.bytes += bytes;
    this.durable += n;
    this.stats.recorded += n;
    this.stats.depth += n;
    this.stats.bytes += bytes;
  }

  /** Resolves flush() waiters whose events are durable, and all of them once nothing is in flight. */
  private settleWaiters(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      // A failed sync leaves its events pending; the waiter is told the sync ended, not that they are safe.
      if (this.durable >= w.until || !this.syncing) {
        this.waiters.splice(i, 1);
        w.done();
      }
    }
  }

  /** Subscribes FN to new durable events; returns the unsubscribe function. */
  onSynced(fn: () => void): () => void {
    this.synced.add(fn);
    return () => this.synced.delete(fn);
  }

  /**
   * Resolves when every event accepted so far is durable, or when the syncs for them ended in an
   * error (they stay pending and are retried; onError was told).
   */
  async flush(): Promise<void> {
    const until = this.accepted;
    while (this.durable < until) {
      this.sync();
      if (!this.syncing) return;
      await new Promise<void>((done) => this.waiters.push({ until, done }));
      if (this.durable < until && this.retryAt > Date.now()) return;
    }
  }

  private seal(): void {
    // Not while a write is in flight, nor while a failed write's tail still waits to be cut from the file.
    if (this.active.events === 0 || this.syncing || this.cutTo !== undefined) return;
    closeSync(this.fd);
    this.sealed.push(this.active);
    this.openActive(this.active.seq + 1);
  }

  /**
   * The oldest unconfirmed segment not in BUSY (segments being shipped now), sealing the active one
   * when no other waits; undefined when there is nothing to ship.
   */
  next(busy: { has(seq: number): boolean } = new Set()): { seq: number; events: number; records: string[] } | undefined {
    this.sync();
    let s = this.sealed.find((x) => !busy.has(x.seq));
    // The active segment is sealed only between two syncs (its file is being written during one);
    // the shipper is woken again when the sync in flight ends.
    if (!s && this.active.events > 0 && !this.syncing && this.cutTo === undefined) {
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

  /**
   * Makes everything pending durable and closes the active segment: waits for the sync in flight,
   * then writes the rest at once, segment by segment (throwing if the disk refuses it: those events
   * were never recorded, and what reached the file of them is cut).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.saveDrops();
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.syncing) await new Promise<void>((done) => this.waiters.push({ until: Number.POSITIVE_INFINITY, done }));
    if (this.cutTo !== undefined) ftruncateSync(this.fd, this.cutTo);
    while (this.pending.length > 0) {
      if (this.active.events >= this.opts.segmentEvents) this.seal();
      const { taken, chunk } = this.takePending();
      try {
        for (let at = 0; at < chunk.length; ) {
          const n = writeSync(this.fd, chunk, at, chunk.length - at);
          if (n === 0) throw new Error('spool write made no progress');
          at += n;
        }
        fdatasyncSync(this.fd);
        if (this.dirPending) {
          const dfd = openSync(this.opts.dir, 'r');
          try {
            fsyncSync(dfd);
          } finally {
            closeSync(dfd);
          }
          this.dirPending = false;
        }
      } catch (err) {
        this.pending = taken.concat(this.pending);
        ftruncateSync(this.fd, this.active.bytes);
        throw err;
      }
      this.counted(taken.length, chunk.length);
    }
    closeSync(this.fd);
    this.fd = -1;
    if (this.active.events === 0) unlinkSync(join(this.opts.dir, segName(this.active.seq)));
  }
}

/** Writes all of BUF at FD's end (a regular file may take it in several writes). */
function writeFully(io: SpoolIo, fd: number, buf: Buffer, done: (err: Error | null) => void): void {
  const step = (from: number): void => {
    if (from >= buf.length) return done(null);
    io.write(fd, buf, from, buf.length - from, (err, n) => (err ? done(err) : n === 0 ? done(new Error('spool write made no progress')) : step(from + n)));
  };
  step(0);
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

/** The unreported drops DROPS_FILE at PATH holds (0 when there is none or it is unreadable). */
function readUnreported(path: string): number {
  try {
    const n = (JSON.parse(readFileSync(path, 'utf8')) as { unreported?: unknown }).unreported;
    return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}
