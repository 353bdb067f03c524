// The decoy databases as attackers see them: one generated, read-only original and a private copy per
// source (an address, or an IPv6 /64) made on its first write, all dropped on a schedule so the decoy
// returns to its generated state.
import { sourceKey } from '../../events/source-key.js';
import { cloneDatabases, type Database, type DecoyData } from './decoy-data.js';
import type { DataView } from './engine.js';

/** Most per-source copies kept at once; the least recently used goes first. */
export const MAX_OVERLAYS = 512;
/** Bytes of rows, tables and databases one source may write into its copy before its statements fail as on a full disk. */
export const MAX_OVERLAY_WRITE_BYTES = 4 * 1024 * 1024;
/**
 * Bytes written into all copies together; past it the least recently used copies of other sources
 * go first. Without it MAX_OVERLAYS sources could hold MAX_OVERLAYS * MAX_OVERLAY_WRITE_BYTES (2 GiB).
 */
export const MAX_TOTAL_OVERLAY_WRITE_BYTES = 128 * 1024 * 1024;

export class DecoyState {
  private readonly overlays = new Map<string, Map<string, Database>>();
  private readonly spent = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  /** How many times the decoy went back to its generated state. */
  resets = 0;

  constructor(readonly decoy: DecoyData) {}

  /** Bytes charged to all copies now (the sum of `spent`). */
  private total = 0;

  /** The view one source address works in (shared with its IPv6 /64). */
  viewFor(address: string): DataView {
    const source = sourceKey(address);
    return {
      read: () => {
        const o = this.overlays.get(source);
        if (o) {
          // refresh LRU position
          this.overlays.delete(source);
          this.overlays.set(source, o);
          return o;
        }
        return this.decoy.databases;
      },
      write: () => {
        let o = this.overlays.get(source);
        if (!o) {
          if (this.overlays.size >= MAX_OVERLAYS) this.evictOldest(source);
          o = cloneDatabases(this.decoy.databases);
          this.overlays.set(source, o);
        }
        return o;
      },
      charge: (bytes) => {
        const now = (this.spent.get(source) ?? 0) + bytes;
        if (now > MAX_OVERLAY_WRITE_BYTES) return false;
        while (this.total + bytes > MAX_TOTAL_OVERLAY_WRITE_BYTES && this.evictOldest(source));
        this.spent.set(source, now);
        this.total += bytes;
        return true;
      },
    };
  }

  /** Drops the least recently used copy that is not KEEP's; false when there is none. */
  private evictOldest(keep: string): boolean {
    for (const key of this.overlays.keys()) {
      if (key === keep) continue;
      this.overlays.delete(key);
      this.total -= this.spent.get(key) ?? 0;
      this.spent.delete(key);
      return true;
    }
    return false;
  }

  get overlayCount(): number {
    return this.overlays.size;
  }

  /** Drops every attacker change. */
  reset(): void {
    this.overlays.clear();
    this.spent.clear();
    this.total = 0;
    this.resets++;
  }

  /** Resets every INTERVAL_MS (0: never). */
  schedule(intervalMs: number): void {
    this.stop();
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => this.reset(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
