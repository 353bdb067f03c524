// Capturing attacker files for the web, FTP and TFTP sensors, on the shared quarantine and fetch
// policy (quarantine.ts, fetch.ts): uploads streamed into a bounded buffer, payload URLs fetched,
// and one `file.upload` / `file.download` event per file in the same form the shell records.
import { createHash, type Hash } from 'node:crypto';
import type { FetchConfig, QuarantineConfig } from '../../config/schema.js';
import type { Payload } from '../../events/catalogue.js';
import { DEFAULT_FETCH_POLICY, Fetcher } from './fetch.js';
import { BufferBudget, type ByteAccount } from './framed-input.js';
import { openQuarantine, type Quarantine, type QuarantineResult } from './quarantine.js';

export interface Capture {
  quarantine: Quarantine;
  fetcher: Fetcher;
}

/** The quarantine under DATA_DIR/quarantine and a fetcher with the configured policy. */
export function createCapture(dataDir: string, fetch: FetchConfig, quarantine: QuarantineConfig): Capture {
  return {
    quarantine: openQuarantine(dataDir, quarantine),
    fetcher: new Fetcher({
      ...DEFAULT_FETCH_POLICY,
      enabled: fetch.enabled,
      maxBytes: fetch.max_bytes,
      timeoutMs: fetch.timeout_s * 1000,
      perSourcePerMinute: fetch.per_source_per_minute,
      allowCidrs: fetch.allow_cidrs,
    }),
  };
}

/**
 * Memory all uploads in progress may hold together (HTTP bodies, FTP and TFTP uploads, files written
 * over SMB; the quarantine takes whole buffers), each source at most MAX_SOURCE_SHARE of it.
 */
export const MAX_UPLOAD_MEMORY_BYTES = 128 * 1024 * 1024;
/** The upload memory budget; an upload charges its bytes to its source's account in it. */
export const UPLOAD_MEMORY = new BufferBudget(MAX_UPLOAD_MEMORY_BYTES);

/** Pieces shorter than this are copied into a shared slab instead of each kept as its own Buffer. */
const SLAB_BYTES = 16 * 1024;

/**
 * An upload arriving in chunks from one source: kept up to MAX bytes, the rest counted. When the
 * source's share of the upload memory is full the upload is dropped: what it held is given back, and
 * the bytes up to MAX are only hashed, so the upload can still be recorded by its SHA-256.
 */
export class UploadBuffer {
  private chunks: Buffer[] = [];
  /** The last of chunks while small pieces are being copied into it, and how much of it is filled. */
  private slab: Buffer | undefined;
  private slabUsed = 0;
  private kept = 0;
  /** Bytes up to MAX received (kept, or hashed once dropped). */
  private accepted = 0;
  /** Set once the upload is dropped for memory: the hash of the bytes up to MAX. */
  private hash: Hash | undefined;
  private readonly memory: ByteAccount;
  offered = 0;

  constructor(
    private readonly max: number,
    /** The client's address: the upload counts against its source's share of the upload memory (and of the quarantine). */
    readonly source: string,
  ) {
    this.memory = UPLOAD_MEMORY.account(source);
  }

  write(chunk: Buffer): void {
    this.offered += chunk.length;
    const room = this.max - this.accepted;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.accepted += part.length;
    if (!this.hash && !this.memory.take(part.length)) this.drop();
    if (this.hash) {
      this.hash.update(part);
      return;
    }
    this.kept += part.length;
    // A body in 1-byte chunks (chunked encoding allows it) would otherwise be one Buffer object per byte.
    if (part.length < SLAB_BYTES / 4) {
      if (!this.slab || this.slabUsed + part.length > this.slab.length) {
        this.sealSlab();
        this.slab = Buffer.allocUnsafe(SLAB_BYTES);
        this.chunks.push(this.slab);
      }
      part.copy(this.slab, this.slabUsed);
      this.slabUsed += part.length;
      return;
    }
    this.sealSlab();
    // A copy: a view would keep the whole socket read it came from alive.
    this.chunks.push(Buffer.from(part));
  }

  /** Stops keeping: hashes what was kept, gives its memory back; later bytes are hashed only. */
  private drop(): void {
    this.sealSlab();
    const hash = createHash('sha256');
    for (const c of this.chunks) hash.update(c);
    this.release();
    this.hash = hash;
  }

  /** Cuts the open slab to what it holds. */
  private sealSlab(): void {
    if (!this.slab) return;
    this.chunks[this.chunks.length - 1] = this.slab.subarray(0, this.slabUsed);
    this.slab = undefined;
    this.slabUsed = 0;
  }

  /** Gives the bytes' share of the memory budget back (after storing, or when the upload is dropped). */
  release(): void {
    this.memory.give(this.kept);
    this.kept = 0;
    this.chunks = [];
    this.slab = undefined;
    this.slabUsed = 0;
  }

  /** Memory held by all uploads in progress (for tests and diagnostics). */
  static get memoryInUse(): number {
    return UPLOAD_MEMORY.inUse;
  }

  get truncated(): boolean {
    return this.offered > this.accepted;
  }

  /** Whether the upload was dropped because its source's share of the upload memory was full (bytes() is then empty). */
  get dropped(): boolean {
    return this.hash !== undefined;
  }

  /** The SHA-256 of the bytes up to MAX of a dropped upload (once: the hash is finished by it). */
  droppedSha256(): string {
    return this.hash?.digest('hex') ?? '';
  }

  /** The kept bytes as one Buffer; it replaces the pieces, so a store in progress holds one copy (charged until release()). */
  bytes(): Buffer {
    this.sealSlab();
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [all];
    return all;
  }
}

interface Emits {
  emit(type: 'file.upload', p: Payload<'file.upload'>): unknown;
  emit(type: 'file.download', p: Payload<'file.download'>): unknown;
  /** SessionEmitter.hold: the connection's close waits for this work's events. */
  hold?(work: Promise<unknown>): void;
}

/** Starts WORK as work of EMITTER's session (its connection's close waits for it) and returns it. */
function held<T>(emitter: Emits, work: Promise<T>): Promise<T> {
  emitter.hold?.(work);
  return work;
}

/**
 * Stores an upload and records `file.upload` once the quarantine has it (size is what the client
 * sent, hashes are of what was kept); the upload's memory is given back then. A dropped upload is
 * recorded as `dropped`, by the hash of what arrived, and nothing is stored. Never rejects.
 */
export function storeUpload(capture: Capture, emitter: Emits, filename: string, upload: UploadBuffer): Promise<QuarantineResult | undefined> {
  return held(emitter, keepUpload(capture, emitter, filename, upload));
}

async function keepUpload(capture: Capture, emitter: Emits, filename: string, upload: UploadBuffer): Promise<QuarantineResult | undefined> {
  if (upload.dropped) {
    emitter.emit('file.upload', { filename: filename.slice(0, 1024), sha256: upload.droppedSha256(), size: upload.offered, outcome: 'dropped' });
    return undefined;
  }
  const truncated = upload.truncated;
  const q = await capture.quarantine.store(upload.bytes(), upload.source);
  upload.release();
  emitter.emit('file.upload', {
    filename: filename.slice(0, 1024),
    sha256: q.sha256,
    size: upload.offered,
    outcome: !q.stored ? 'refused' : truncated || q.truncated ? 'truncated' : q.duplicate ? 'duplicate' : 'stored',
  });
  return q;
}

/**
 * URLs taken from one request or statement: fetched, or recorded as not fetched. Past it one more
 * `file.download` counts the rest: an attacker names URLs for free, and each taken is a record.
 */
export const MAX_URLS_PER_REQUEST = 16;

/** The first MAX_URLS_PER_REQUEST of URLS; the rest recorded as one refused `file.download` naming the first of them. */
export function takeUrls(emitter: Emits, urls: readonly string[]): readonly string[] {
  if (urls.length <= MAX_URLS_PER_REQUEST) return urls;
  const more = urls.length - MAX_URLS_PER_REQUEST - 1;
  emitter.emit('file.download', { url: urls[MAX_URLS_PER_REQUEST]!.slice(0, 2048), outcome: 'refused', reason: `not fetched, nor ${more} more: past the first ${MAX_URLS_PER_REQUEST} URLs named in one request` });
  return urls.slice(0, MAX_URLS_PER_REQUEST);
}

/** Fetches each URL for the attacker at SOURCE and records one `file.download` per URL. Never throws. */
export function fetchAndRecord(capture: Capture, emitter: Emits, urls: readonly string[], source: string): Promise<void> {
  return held(emitter, fetchAll(capture, emitter, urls, source));
}

async function fetchAll(capture: Capture, emitter: Emits, urls: readonly string[], source: string): Promise<void> {
  await Promise.all(
    urls.map(async (raw) => {
      const url = raw.slice(0, 2048);
      const r = await capture.fetcher.fetch(url, source);
      if (!r.ok) {
        const outcome = r.error === 'disabled' ? 'disabled' : r.error === 'refused' || r.error === 'rate' ? 'refused' : 'failed';
        emitter.emit('file.download', { url, outcome, reason: r.detail.slice(0, 300) });
        return;
      }
      const q = await capture.quarantine.store(r.data, source);
      emitter.emit('file.download', {
        url,
        sha256: q.sha256,
        md5: q.md5,
        size: q.size,
        path: capture.quarantine.pathOf(q.sha256),
        outcome: r.truncated || q.truncated ? 'truncated' : !q.stored ? 'failed' : q.duplicate ? 'duplicate' : 'stored',
        ...(q.reason ? { reason: `quarantine: ${q.reason}` } : {}),
      });
    }),
  );
}
