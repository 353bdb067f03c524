// The last few batches this connection committed, by commit-order number (seq), so that analysis
// reading in commit order right after a commit gets the events it was just given instead of reading
// them back and decoding their JSON. Only whole batches are kept (every event new, none an import's
// with its original record), so the seq numbers of a kept batch are exactly after+1 .. after+n and an
// answer from here is the one the table would give. No I/O.
import type { ApiaryEvent } from '../../events/catalogue.js';

/** Events kept at most; older batches are dropped first. */
export const RECENT_EVENTS = 5000;
/** Batches older than this are dropped: a reader that far behind reads the table. */
export const RECENT_MS = 1000;

interface Kept {
  /** The seq before the batch's first event. */
  after: number;
  events: readonly ApiaryEvent[];
  at: number;
}

export class RecentCommits {
  private kept: Kept[] = [];
  private count = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Keeps EVENTS, committed with seq AFTER+1 .. AFTER+n; any other batch (some skipped as duplicates) is passed as undefined. */
  remember(after: number, events: readonly ApiaryEvent[] | undefined): void {
    if (events === undefined || events.length > RECENT_EVENTS || events.some((e) => e.source !== undefined)) {
      this.clear();
      return;
    }
    this.kept.push({ after, events, at: this.now() });
    this.count += events.length;
    this.trim();
  }

  private clear(): void {
    this.kept = [];
    this.count = 0;
  }

  /**
   * Up to LIMIT events with seq after CURSOR, in seq order, when the kept batches hold the one right
   * after CURSOR; stops where the kept batches stop being consecutive. `last` is the seq of the last
   * event returned. Undefined when the next event is not kept.
   */
  take(cursor: number, limit: number): { events: ApiaryEvent[]; last: number } | undefined {
    this.trim();
    let i = this.kept.findIndex((k) => cursor >= k.after && cursor < k.after + k.events.length);
    if (i < 0) return undefined;
    const out: ApiaryEvent[] = [];
    let at = cursor;
    for (; i < this.kept.length && out.length < limit; i++) {
      const k = this.kept[i]!;
      if (k.after > at) break;
      const from = at - k.after;
      const part = k.events.slice(from, from + (limit - out.length));
      for (const e of part) out.push(e);
      at += part.length;
    }
    return { events: out, last: at };
  }

  private trim(): void {
    const old = this.now() - RECENT_MS;
    while (this.kept.length > 0 && (this.count > RECENT_EVENTS || this.kept[0]!.at < old)) this.count -= this.kept.shift()!.events.length;
  }
}
