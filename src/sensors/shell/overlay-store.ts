// Keeps each attacker's changes to the fake filesystem, keyed by source (the address, or its /64 for
// IPv6, as every per-source limit counts), so a file written in one session is there in the next (a
// check attackers use against Cowrie). Sessions from the same source share one overlay while any is open; it is saved to DATA_DIR/shell/overlays when
// the last one ends, dropped after reset_after_s, and the store keeps at most max_attackers files.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sourceKey } from '../../events/source-key.js';
import { Overlay, type OverlayQuota } from './vfs.js';

/** The share of maxAttackers a prune leaves: a tenth of the cap's saves go by before the next one. */
export const PRUNE_TO = 0.9;

export interface OverlayStoreOptions {
  dir: string;
  quota: OverlayQuota;
  /** Seconds after an overlay's creation when it is discarded; 0 never. */
  resetAfterS: number;
  maxAttackers: number;
  now?: () => number;
}

/** A file name for the source of address SRC that never carries attacker text (the source is hashed). */
function fileFor(src: string): string {
  return `${createHash('sha256').update(sourceKey(src)).digest('hex').slice(0, 32)}.json`;
}

export class OverlayStore {
  private readonly open = new Map<string, { overlay: Overlay; refs: number }>();
  private readonly now: () => number;

  /**
   * Names of the overlay files on disk: listed once here, then kept by this store, the only writer.
   * A session from an address with no file (nearly every one) then costs no failed read: SSH opens a
   * channel per exec, and a read failing with ENOENT, its error built and thrown, was a tenth of the
   * CPU of a five-command session.
   */
  private readonly onDisk: Set<string>;

  constructor(readonly opts: OverlayStoreOptions) {
    this.now = opts.now ?? Date.now;
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    this.onDisk = new Set(readdirSync(opts.dir).filter((f) => f.endsWith('.json')));
  }

  private expired(o: Overlay): boolean {
    return this.opts.resetAfterS > 0 && this.now() - o.createdMs > this.opts.resetAfterS * 1000;
  }

  /**
   * The overlay for address SRC's source (shared with other open sessions from it); release it when
   * the session ends. An IPv6 attacker rotating through its /64 keeps one overlay, one quota.
   */
  acquire(src: string): Overlay {
    const key = sourceKey(src);
    const live = this.open.get(key);
    if (live && !this.expired(live.overlay)) {
      live.refs++;
      return live.overlay;
    }
    let overlay: Overlay | undefined;
    const name = fileFor(src);
    if (this.onDisk.has(name)) {
      const path = join(this.opts.dir, name);
      try {
        const text = readFileSync(path, 'utf8');
        overlay = Overlay.fromJSON(JSON.parse(text), this.opts.quota);
        if (overlay && this.expired(overlay)) {
          overlay = undefined;
          this.remove(name);
        }
      } catch {
        overlay = undefined;
      }
    }
    overlay ??= new Overlay(this.now());
    this.open.set(key, { overlay, refs: (live?.refs ?? 0) + 1 });
    return overlay;
  }

  /** Ends one session's use of SRC's overlay; saves it when the last session from its source ends. */
  release(src: string): void {
    const key = sourceKey(src);
    const live = this.open.get(key);
    if (!live) return;
    if (--live.refs > 0) return;
    this.open.delete(key);
    if (live.overlay.dirty) this.save(key, live.overlay);
  }

  private save(src: string, overlay: Overlay): void {
    const name = fileFor(src);
    if (overlay.nodes.size === 0 && overlay.logins.length === 0) {
      this.remove(name);
      return;
    }
    const path = join(this.opts.dir, name);
    try {
      const tmp = `${path}.tmp`;
      writeFileSync(tmp, JSON.stringify(overlay.toJSON()), { mode: 0o600 });
      renameSync(tmp, path);
      this.onDisk.add(name);
      overlay.dirty = false;
      this.prune();
    } catch {
      /* a full disk loses this attacker's files, never the session */
    }
  }

  /** Deletes the file NAME, if there is one. */
  private remove(name: string): void {
    this.onDisk.delete(name);
    try {
      unlinkSync(join(this.opts.dir, name));
    } catch {
      /* already gone */
    }
  }

  /**
   * Past maxAttackers files, drops the oldest down to PRUNE_TO of it. Pruning reads the directory and
   * every file's age, so it must not follow every save: pruning to the cap exactly made each save of a
   * new attacker's files at the cap cost 42 ms (5,000 files) once the store was full.
   */
  private prune(): void {
    if (this.onDisk.size <= this.opts.maxAttackers) return;
    const files = readdirSync(this.opts.dir).filter((f) => f.endsWith('.json'));
    this.onDisk.clear();
    for (const f of files) this.onDisk.add(f);
    if (files.length <= this.opts.maxAttackers) return;
    const keep = Math.max(1, Math.floor(this.opts.maxAttackers * PRUNE_TO));
    const aged = files.map((f) => ({ f, t: statSync(join(this.opts.dir, f)).mtimeMs })).sort((a, b) => a.t - b.t);
    for (const { f } of aged.slice(0, files.length - keep)) this.remove(f);
  }
}

/** Deletes the kept files of address SRC's source (or of every attacker); returns how many were removed. */
export function resetOverlays(dir: string, src?: string): number {
  let n = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const f of names) {
    if (!f.endsWith('.json')) continue;
    if (src !== undefined && f !== fileFor(src)) continue;
    unlinkSync(join(dir, f));
    n++;
  }
  return n;
}
