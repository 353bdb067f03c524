// The quarantine: a content-addressed store for everything attackers fetch or upload. Each distinct
// content is written once, read-only, as DATA_DIR/quarantine/<sha256> (no extension, never
// executable), so the same malware seen a thousand times takes the space of one. Shared by every
// sensor (SSH/Telnet shell, SMB, HTTP, FTP, MySQL): give it bytes, get back its hashes and whether it
// was new.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { QuarantineConfig } from '../../config/schema.js';
import { SourceCounts } from '../../events/source-key.js';

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
}

/** The part of the quarantine one source may fill unless `quarantine.max_source_bytes` says otherwise. */
export const DEFAULT_SOURCE_QUARANTINE_SHARE = 1 / 8;

export interface QuarantineResult {
  sha256: string;
  md5: string;
  /** Bytes hashed and (when stored) kept. */
  size: number;
  /** Bytes the caller offered, before any cut. */
  originalSize: number;
  /** Content was cut to maxFileBytes (the hashes are of the kept part). */
  truncated: boolean;
  /** This content was already in quarantine. */
  duplicate: boolean;
  /** Whether the content is on disk now (false only when the total quota is full). */
  stored: boolean;
  /** Why it was not stored: the total quota, the source's quota, or the disk. */
  reason?: 'quota_full' | 'source_quota_full' | 'write_failed';
}

const SHA256_RE = /^[0-9a-f]{64}$/;

export class Quarantine {
  private total = 0;
  private readonly known = new Set<string>();
  /** Bytes each source's items take (those stored since start). */
  private readonly bySource = new SourceCounts();
  readonly maxSourceBytes: number;

  constructor(readonly opts: QuarantineOptions) {
    this.maxSourceBytes = opts.maxSourceBytes ?? Math.floor(opts.maxTotalBytes * DEFAULT_SOURCE_QUARANTINE_SHARE);
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

  /** Bytes currently kept. */
  get usedBytes(): number {
    return this.total;
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
   * no quota). Never throws for attacker content; disk errors are reported.
   */
  store(data: Buffer, source: string): QuarantineResult {
    const truncated = data.length > this.opts.maxFileBytes;
    const kept = truncated ? data.subarray(0, this.opts.maxFileBytes) : data;
    const sha256 = createHash('sha256').update(kept).digest('hex');
    const md5 = createHash('md5').update(kept).digest('hex');
    const base = { sha256, md5, size: kept.length, originalSize: data.length, truncated };
    if (this.known.has(sha256) || existsSync(join(this.opts.dir, sha256))) {
      this.known.add(sha256);
      return { ...base, duplicate: true, stored: true };
    }
    if (this.total + kept.length > this.opts.maxTotalBytes) return { ...base, duplicate: false, stored: false, reason: 'quota_full' };
    if (this.bySource.of(source) + kept.length > this.maxSourceBytes) return { ...base, duplicate: false, stored: false, reason: 'source_quota_full' };
    const tmp = join(this.opts.dir, `.tmp-${sha256}-${process.pid}`);
    try {
      const fd = openSync(tmp, 'wx', 0o400);
      try {
        writeSync(fd, kept);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, join(this.opts.dir, sha256));
    } catch {
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
      return { ...base, duplicate: false, stored: false, reason: 'write_failed' };
    }
    this.known.add(sha256);
    this.total += kept.length;
    this.bySource.add(source, kept.length);
    return { ...base, duplicate: false, stored: true };
  }
}

/** The process's quarantine, DATA_DIR/quarantine, with the configured quotas. */
export function openQuarantine(dataDir: string, cfg: QuarantineConfig): Quarantine {
  return new Quarantine({ dir: join(dataDir, 'quarantine'), maxFileBytes: cfg.max_file_bytes, maxTotalBytes: cfg.max_total_bytes, maxSourceBytes: cfg.max_source_bytes });
}
