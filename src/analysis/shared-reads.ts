// The incident tracker and the attack runner fold the same events, each from its own watermark, which
// are usually equal. Each gets a view of the store from one SharedCommittedReads, which keeps recent
// readCommitted answers so that each chunk of events is read and decoded once for both: an answer is
// handed to the other reader when it asks for the same cursor and limit, until both have had it or it
// is SHARED_READ_MS old. The enrichment each looks up for a chunk's sources is shared the same way.
//
// The attack runner folds a chunk faster than the tracker, which also looks up the sources' open
// incidents and saves them; left alone it would run far ahead through a backlog and every answer
// would expire before the tracker came to it. So a reader that is MAX_LEAD answers ahead of an active reader behind it waits
// for that reader to catch up, at most LEAD_WAIT_MS per read (the other may have moved elsewhere, for
// example after losing a watermark race). Any answer is a prefix of what follows its cursor, so a
// shared one is never wrong, at most a beat behind.
import { overrideMethods } from '../store/override.js';
import { cursorAfter, type EventStore } from '../store/store.js';

/** How long one read's answer is kept for the other reader. */
export const SHARED_READ_MS = 2000;
/** Answers one reader may hold that the other has not had yet, before it waits. */
export const MAX_LEAD = 2;
/** Longest a reader waits for the other before it reads on by itself. */
export const LEAD_WAIT_MS = 250;
/** A reader that asked for nothing for this long is not waited for (its run has ended). */
const ACTIVE_MS = 1000;

type Answer = ReturnType<EventStore['readCommitted']> | ReturnType<EventStore['getEnrichment']>;

interface Kept {
  at: number;
  answer: Answer;
  /** The reader that read it from the store. */
  by: number;
  /** A chunk of events (counted for the lead), or enrichment. */
  chunk: boolean;
}

interface Reader {
  cursor: string | undefined;
  at: number;
}

export class SharedCommittedReads {
  private readonly kept = new Map<string, Kept>();
  private readonly readers: Reader[] = [];
  private wake: (() => void)[] = [];

  constructor(
    private readonly store: EventStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** A view of the store for one more reader: readCommitted and getEnrichment are shared, everything else goes to the store. */
  view(): EventStore {
    const id = this.readers.push({ cursor: undefined, at: -Infinity }) - 1;
    return overrideMethods(this.store, {
      readCommitted: (cursor, limit) => this.read(id, cursor, limit),
      getEnrichment: (ips) => this.enrichment(id, ips),
    });
  }

  private async read(id: number, cursor: string | undefined, limit: number): ReturnType<EventStore['readCommitted']> {
    const me = this.readers[id]!;
    me.cursor = cursor;
    me.at = this.now();
    const key = `${cursor ?? ''}|${limit}`;
    const hit = this.take(id, key) as ReturnType<EventStore['readCommitted']> | undefined;
    if (hit) return hit;
    const waitUntil = performance.now() + LEAD_WAIT_MS;
    while (this.mustWait(id, cursor) && performance.now() < waitUntil) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, waitUntil - performance.now()));
        this.wake.push(() => (clearTimeout(t), r()));
      });
      // The other reader may have read this very chunk meanwhile.
      const late = this.take(id, key) as ReturnType<EventStore['readCommitted']> | undefined;
      if (late) return late;
    }
    return this.keep(key, id, true, this.store.readCommitted(cursor, limit));
  }

  /** Enrichment of IPS: the other reader's answer for the same addresses, or the store's. */
  private enrichment(id: number, ips: readonly string[] | undefined): ReturnType<EventStore['getEnrichment']> {
    if (ips === undefined) return this.store.getEnrichment(ips);
    const key = `enrichment|${ips.join(',')}`;
    const hit = this.take(id, key) as ReturnType<EventStore['getEnrichment']> | undefined;
    return hit ?? this.keep(key, id, false, this.store.getEnrichment(ips));
  }

  private keep<T extends Answer>(key: string, by: number, chunk: boolean, answer: T): T {
    this.kept.set(key, { at: this.now(), answer, by, chunk });
    // A failed read is not shared: the next caller asks the store again.
    answer.catch(() => {
      if (this.kept.get(key)?.answer === answer) this.kept.delete(key);
    });
    return answer;
  }

  /** A kept answer for KEY that reader ID did not read itself, taken out of the keep. */
  private take(id: number, key: string): Answer | undefined {
    const t = this.now();
    for (const [k, v] of this.kept) if (t - v.at >= SHARED_READ_MS) this.kept.delete(k);
    const k = this.kept.get(key);
    if (!k || k.by === id) return undefined;
    this.kept.delete(key);
    this.wake.splice(0).forEach((w) => w());
    return k.answer;
  }

  /** Reader ID holds MAX_LEAD answers no other reader has had, and another active reader is behind CURSOR. */
  private mustWait(id: number, cursor: string | undefined): boolean {
    let lead = 0;
    for (const k of this.kept.values()) if (k.by === id && k.chunk) lead++;
    if (lead < MAX_LEAD || cursor === undefined) return false;
    const t = this.now();
    return this.readers.some((r, i) => i !== id && t - r.at < ACTIVE_MS && (r.cursor === undefined || cursorAfter(cursor, r.cursor)));
  }
}
