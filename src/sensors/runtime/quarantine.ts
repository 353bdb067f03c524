// The quarantine: a content-addressed store for everything attackers fetch or upload. Each distinct
// content is written once, read-only, as DATA_DIR/quarantine/<sha256> (no extension, never
// executable), so the same malware seen a thousand times takes the space of one. Shared by every
// sensor (SSH/Telnet shell, SMB, HTTP, FTP, MySQL): give it bytes, get back its hashes and whether it
// was new.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface QuarantineOptions {
  /** The directory (created if missing). */
  dir: string;
  /** Largest single item kept; longer content is cut to this size and reported truncated. */
  maxFileBytes: number;
  /** Space all items together may take; past it, new items are hashed and recorded but not kept. */
  maxTotalBytes: number;
}

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
  /** Why it was not stored. */
  reason?: 'quota_full' | 'write_failed';
}

const SHA256_RE = /^[0-9a-f]{64}$/;

export class Quarantine {
  private total = 0;
  private readonly known = new Set<string>();

  constructor(readonly opts: QuarantineOptions) {
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

  /** Hashes DATA and keeps it once. Never throws for attacker content; disk errors are reported. */
  store(data: Buffer): QuarantineResult {
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
    return { ...base, duplicate: false, stored: true };
  }
}
