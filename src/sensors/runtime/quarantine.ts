// The quarantine: a content-addressed store for everything attackers fetch or upload. Each distinct
// content is written once, read-only, as DATA_DIR/quarantine/<sha256> (no extension, never
// executable), so the same malware seen a thousand times takes the space of one. Shared by every
// sensor (SSH/Telnet shell, SMB, HTTP, FTP, MySQL): give it bytes, get back (later) its hashes and
// whether it was new. Storing never holds the event loop for long: content is hashed a slice per turn
// and written through the thread pool, so one attacker's 64 MiB upload does not stall every sensor.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { QuarantineConfig } from '../../config/schema.js';
import { SourceCounts } from '../../events/source-key.js';
import { BufferBudget } from './framed-input.js';

export interface QuarantineOptions {
  /** The directory (created if missing). */
  dir: string;
  /** Largest single item kept; longer content is cut to this size and reported truncated. */
  maxFileBytes: number;
  /** Space all items together may take; past it, new items are hashed and recorded but not kept. */
  maxTotalBytes: number;
  /**
   * Space the items one source (an address, or an IPv6 /64) stored since start may take, so one
   * source cannot fill the quarantine for everyone; DEFAULT_SOURCE_QUARANTINE_SHARE of maxTotalBytes
   * unless given. Items already there at start count toward the total only (their source is unknown).
   */
  maxSourceBytes?: number;
  /** Bytes stores in progress may hold together; MAX_PENDING_STORE_BYTES (or four of the largest item) unless given. */
  maxPendingBytes?: number;
}

/** The part of the quarantine one source may fill unless `quarantine.max_source_bytes` says otherwise. */
export const DEFAULT_SOURCE_QUARANTINE_SHARE = 1 / 8;

/**
 * Bytes hashed in one turn of the event loop; a longer item is hashed slice by slice with a turn
 * between (a 64 MiB item once held every sensor for the whole of its SHA-256 and MD5).
 */
export const HASH_SLICE_BYTES = 1024 * 1024;

/**
 * How long a stopping process waits for stores in flight (drain()), so a file already accepted from
 * an attacker is not lost; a disk that takes longer is not waited for.
 */
export const QUARANTINE_DRAIN_MS = 5000;

/**
 * Bytes the stores in progress may hold together (the callers' buffers, waiting to be hashed and
 * written), at least four of the largest item; one source (an address, or an IPv6 /64) at most
 * MAX_SOURCE_SHARE of it. A caller that does not wait for its store (a SQL session answers at once)
 * could otherwise pile up payloads faster than the disk takes them. Past it an item is hashed at once,
 * in one turn, and not kept (reason `busy`), so its buffer is let go.
 */
export const MAX_PENDING_STORE_BYTES = 256 * 1024 * 1024;

export interface QuarantineResult {
  sha256: string;
  md5: string;
  /** Bytes hashed and (when stored) kept. */
  size: number;
  /** Bytes the caller offered, before any cut. */
  originalSize: number;
  /** Content was cut to maxFileBytes (the hashes are of the kept part). */
  truncated: boolean;
  /** This content was already in quarantine (or being written for an earlier caller, who stored it). */
  duplicate: boolean;
  /** Whether the content is on disk now: written, synced and renamed into place. */
  stored: boolean;
  /**
   * Why it was not stored: the total quota, the source's quota, the disk, or too much being stored
   * at once (MAX_PENDING_STORE_BYTES).
   */
  reason?: 'quota_full' | 'source_quota_full' | 'write_failed' | 'busy';
}

/** How one write of new content ended (shared with callers of the same content that came meanwhile). */
type Outcome = Pick<QuarantineResult, 'duplicate' | 'stored' | 'reason'>;

const SHA256_RE = /^[0-9a-f]{64}$/;

/** The next turn of the event loop (after pending I/O and timers get theirs). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** SHA-256 and MD5 of DATA, at most HASH_SLICE_BYTES of it per turn of the event loop. */
async function hashInSlices(data: Buffer): Promise<{ sha256: string; md5: string }> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  for (let at = 0; at < data.length; at += HASH_SLICE_BYTES) {
    if (at > 0) await nextTurn();
    const slice = data.subarray(at, at + HASH_SLICE_BYTES);
    sha.update(slice);
    md5.update(slice);
  }
  return { sha256: sha.digest('hex'), md5: md5.digest('hex') };
}

export class Quarantine {
  /** Bytes kept, and reserved by writes in progress. */
  private total = 0;
  private readonly known = new Set<string>();
  /** Bytes each source's items take (those stored since start, and its writes in progress). */
  private readonly bySource = new SourceCounts();
  /** Writes of new content in progress, by SHA-256: a second store of the same content waits for the first. */
  private readonly writing = new Map<string, Promise<Outcome>>();
  /** Every store() not yet settled (hashing or writing), for drain(). */
  private readonly active = new Set<Promise<QuarantineResult>>();
  /** The bytes stores in progress hold (MAX_PENDING_STORE_BYTES), per source too. */
  private readonly inFlight: BufferBudget;
  readonly maxSourceBytes: number;

  constructor(readonly opts: QuarantineOptions) {
    this.maxSourceBytes = opts.maxSourceBytes ?? Math.floor(opts.maxTotalBytes * DEFAULT_SOURCE_QUARANTINE_SHARE);
    this.inFlight = new BufferBudget(opts.maxPendingBytes ?? Math.max(MAX_PENDING_STORE_BYTES, 4 * opts.maxFileBytes));
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(opts.dir)) {
      if (!SHA256_RE.test(name)) {
        // A temp file left by a crash mid-write.
        if (name.startsWith('.tmp-')) unlinkSync(join(opts.dir, name));
        continue;
      }
      this.known.add(name);
      this.total += statSync(join(opts.dir, name)).size;
    }
  }

  /** Bytes currently kept, with those reserved by writes in progress. */
  get usedBytes(): number {
    return this.total;
  }

  /** Stores not yet settled (hashing or writing). */
  get pending(): number {
    return this.active.size;
  }

  has(sha256: string): boolean {
    return this.known.has(sha256);
  }

  /** Where an item lives (whether or not it exists). */
  pathOf(sha256: string): string {
    if (!SHA256_RE.test(sha256)) throw new Error('not a sha256');
    return join(this.opts.dir, sha256);
  }

  /**
   * Hashes DATA, sent by the attacker at address SOURCE, and keeps it once (content already kept costs
   * no quota). Resolves once the content is durable, or with why it is not kept. Never rejects: disk
   * errors are reported as write_failed. DATA must not change until it resolves.
   */
  store(data: Buffer, source: string): Promise<QuarantineResult> {
    const held = Math.min(data.length, this.opts.maxFileBytes);
    if (!this.inFlight.take(held, source)) return Promise.resolve(this.hashOnly(data));
    const p = this.hashAndKeep(data, source);
    this.active.add(p);
    const settled = (): void => {
      this.active.delete(p);
      this.inFlight.give(held, source);
    };
    p.then(settled, settled);
    return p;
  }

  /** The result for DATA when too much is being stored at once: hashed now, kept only if already there. */
  private hashOnly(data: Buffer): QuarantineResult {
    const { kept, truncated } = this.cut(data);
    const sha256 = createHash('sha256').update(kept).digest('hex');
    const md5 = createHash('md5').update(kept).digest('hex');
    const base = { sha256, md5, size: kept.length, originalSize: data.length, truncated };
    return this.known.has(sha256) ? { ...base, duplicate: true, stored: true } : { ...base, duplicate: false, stored: false, reason: 'busy' };
  }

  /**
   * Resolves once every store started so far, and those they lead to, has settled, or after
   * TIMEOUT_MS; true when none is left. What callers do with a result (their events) is done by then.
   */
  async drain(timeoutMs = QUARANTINE_DRAIN_MS): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), timeoutMs);
    });
    try {
      while (this.active.size > 0) {
        if ((await Promise.race([Promise.allSettled([...this.active]), expired])) === 'expired') return false;
        // The callers' continuations (their events, a next store) run before the next look.
        await nextTurn();
      }
      return true;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The part of DATA kept: at most maxFileBytes. */
  private cut(data: Buffer): { kept: Buffer; truncated: boolean } {
    const truncated = data.length > this.opts.maxFileBytes;
    return { kept: truncated ? data.subarray(0, this.opts.maxFileBytes) : data, truncated };
  }

  private async hashAndKeep(data: Buffer, source: string): Promise<QuarantineResult> {
    const { kept, truncated } = this.cut(data);
    const { sha256, md5 } = await hashInSlices(kept);
    const base = { sha256, md5, size: kept.length, originalSize: data.length, truncated };
    // The same content from another caller, being written: one file, counted once. When that write
    // was refused (its source's quota) or failed, this caller tries on its own account.
    for (let earlier = this.writing.get(sha256); earlier; earlier = this.writing.get(sha256)) {
      if ((await earlier).stored) return { ...base, duplicate: true, stored: true };
    }
    if (this.known.has(sha256)) return { ...base, duplicate: true, stored: true };
    const write = this.keep(sha256, kept, source).catch((): Outcome => ({ duplicate: false, stored: false, reason: 'write_failed' }));
    this.writing.set(sha256, write);
    try {
      return { ...base, ...(await write) };
    } finally {
      this.writing.delete(sha256);
    }
  }

  /** Writes new content under its SHA-256, its size reserved in the quotas until it is durable or has failed. */
  private async keep(sha256: string, kept: Buffer, source: string): Promise<Outcome> {
    const path = join(this.opts.dir, sha256);
    if (await exists(path)) {
      // Put there by another process (or another Quarantine on the same directory).
      this.known.add(sha256);
      return { duplicate: true, stored: true };
    }
    // Checked and reserved in one turn, so stores in progress together cannot pass the quotas.
    if (this.total + kept.length > this.opts.maxTotalBytes) return { duplicate: false, stored: false, reason: 'quota_full' };
    if (this.bySource.of(source) + kept.length > this.maxSourceBytes) return { duplicate: false, stored: false, reason: 'source_quota_full' };
    this.total += kept.length;
    this.bySource.add(source, kept.length);
    if (await writeDurably(this.opts.dir, sha256, kept)) {
      this.known.add(sha256);
      return { duplicate: false, stored: true };
    }
    this.total -= kept.length;
    this.bySource.remove(source, kept.length);
    return { duplicate: false, stored: false, reason: 'write_failed' };
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes DATA to DIR/NAME through a temp file: written, synced, then renamed into place, so the name
 * never shows a partial file. False (and no temp file left) when the disk refuses.
 */
async function writeDurably(dir: string, name: string, data: Buffer): Promise<boolean> {
  const tmp = join(dir, `.tmp-${name}-${process.pid}`);
  let made = false;
  try {
    const fh = await open(tmp, 'wx', 0o400);
    made = true;
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(dir, name));
    return true;
  } catch {
    // Only a temp file this call made (another writer's may have the name).
    if (made) {
      await unlink(tmp).catch(() => {
        /* already gone */
      });
    }
    return false;
  }
}

/** The process's quarantine, DATA_DIR/quarantine, with the configured quotas. */
export function openQuarantine(dataDir: string, cfg: QuarantineConfig): Quarantine {
  return new Quarantine({ dir: join(dataDir, 'quarantine'), maxFileBytes: cfg.max_file_bytes, maxTotalBytes: cfg.max_total_bytes, maxSourceBytes: cfg.max_source_bytes });
}
