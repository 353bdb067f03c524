// The decoy databases as attackers see them: one generated, read-only original and a private copy per
// source address made on its first write, all dropped on a schedule so the decoy returns to its
// generated state.
import { cloneDatabases, type Database, type DecoyData } from './decoy-data.js';
import type { DataView } from './engine.js';

/** Most per-source copies kept at once; the least recently used goes first. */
export const MAX_OVERLAYS = 512;
/** Bytes of rows one source may write into its copy before its statements fail as on a full disk. */
export const MAX_OVERLAY_WRITE_BYTES = 4 * 1024 * 1024;

export class DecoyState {
  private readonly overlays = new Map<string, Map<string, Database>>();
  private readonly spent = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  /** How many times the decoy went back to its generated state. */
  resets = 0;

  constructor(readonly decoy: DecoyData) {}

  /** The view one source address works in. */
  viewFor(source: string): DataView {
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
          if (this.overlays.size >= MAX_OVERLAYS) {
            const oldest = this.overlays.keys().next().value;
            if (oldest !== undefined) {
              this.overlays.delete(oldest);
              this.spent.delete(oldest);
            }
          }
          o = cloneDatabases(this.decoy.databases);
          this.overlays.set(source, o);
        }
        return o;
      },
      charge: (bytes) => {
        const now = (this.spent.get(source) ?? 0) + bytes;
        if (now > MAX_OVERLAY_WRITE_BYTES) return false;
        this.spent.set(source, now);
        return true;
      },
    };
  }

  get overlayCount(): number {
    return this.overlays.size;
  }

  /** Drops every attacker change. */
  reset(): void {
    this.overlays.clear();
    this.spent.clear();
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
