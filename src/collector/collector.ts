// The local collector: the EventSink that in-process sensors write to. It batches events into the
// store without blocking the sensors' event loop for long, retries store faults without losing
// events, and hands committed events to outputs.
import type { Logger } from 'pino';
import type { ApiaryEvent } from '../events/catalogue.js';
import type { EventSink } from '../events/emitter.js';
import type { EventStore } from '../store/store.js';
import type { EnrichmentStage } from './enrichment.js';

/** Queued events that trigger a write at once instead of after FLUSH_INTERVAL_MS. */
export const FLUSH_AT = 1000;
/**
 * Most events per transaction. A backlog (a flood, a store that was down) drains in large
 * transactions: SQLite's cost per event falls steeply with batch size, because an index keyed by
 * source address touches pages all over the file and each commit writes every page it touched.
 * At about 100,000 events a second a full batch holds the event loop for about 0.1 s.
 */
export const MAX_BATCH = 10_000;
/** How long an event may wait before its batch is written. Bounds what a crash can lose. */
export const FLUSH_INTERVAL_MS = 50;
/** Longest pause between retries after a store fault. */
export const MAX_RETRY_DELAY_MS = 5000;

export interface EventOutput {
  readonly name: string;
  /** Receives events after they are committed to the store. Must not throw. */
  write(events: readonly ApiaryEvent[]): void;
  close(): Promise<void>;
}

export interface CollectorStats {
  received: number;
  stored: number;
  duplicates: number;
  pending: number;
  storeFailures: number;
}

export class Collector implements EventSink {
  private queue: ApiaryEvent[] = [];
  /** When the oldest queued event arrived (performance.now()); a batch is due FLUSH_INTERVAL_MS later. */
  private oldestAt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The delay the pending timer was set with (a write at once is not set again per event). */
  private timerDelay = 0;
  private writing: Promise<void> | undefined;
  private retryDelay = 0;
  private readonly waiters: (() => void)[] = [];
  readonly stats: CollectorStats = { received: 0, stored: 0, duplicates: 0, pending: 0, storeFailures: 0 };
  private readonly listeners = new Set<(events: readonly ApiaryEvent[]) => void>();

  constructor(
    private readonly store: EventStore,
    private readonly log: Logger,
    private readonly outputs: readonly EventOutput[] = [],
    private readonly enrichment?: EnrichmentStage,
  ) {}

  write(event: ApiaryEvent): void {
    this.stats.received++;
    if (this.queue.length === 0) this.oldestAt = performance.now();
    this.queue.push(event);
    this.stats.pending = this.queue.length;
    if (this.queue.length >= FLUSH_AT) this.schedule(0);
    else this.schedule(FLUSH_INTERVAL_MS);
  }

  /** Subscribes to committed events (live views, analysis). Returns the unsubscribe function. */
  onCommitted(fn: (events: readonly ApiaryEvent[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async flush(): Promise<void> {
    if (this.queue.length === 0 && !this.writing) return;
    await new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      this.schedule(0);
    });
  }

  async close(): Promise<void> {
    await this.flush();
    await Promise.all(this.outputs.map((o) => o.close()));
  }

  private schedule(ms: number): void {
    if (this.writing) return;
    const delay = Math.max(ms, this.retryDelay);
    if (this.timer) {
      if (delay > 0 || this.timerDelay === 0) return;
      clearTimeout(this.timer);
    }
    this.timerDelay = delay;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.drain().finally(() => {
        this.writing = undefined;
        if (this.queue.length === 0) this.waiters.splice(0).forEach((w) => w());
        // Events that came in while the batch was written wait for their own interval: writing them at
        // once would commit a handful at a time, and SQLite's cost is per commit more than per event.
        // (schedule() waits at least retryDelay after a store fault.)
        else this.schedule(this.due() ? 0 : Math.max(0, this.oldestAt + FLUSH_INTERVAL_MS - performance.now()));
      });
    }, delay);
  }

  /** Whether what is queued is written at once rather than after its interval. */
  private due(): boolean {
    return this.queue.length >= FLUSH_AT || this.waiters.length > 0;
  }

  /**
   * Stores a batch from a remote sensor now (ids already stored are skipped), then enriches and
   * publishes it as a local batch; rejects when the store fails, so the sensor keeps and resends it.
   */
  async commit(batch: readonly ApiaryEvent[]): Promise<number> {
    this.stats.received += batch.length;
    await this.enrich(batch);
    const stored = await this.store.insertBatch(batch);
    this.stats.stored += stored;
    this.stats.duplicates += batch.length - stored;
    // A batch is stored in one statement or transaction, so a redelivered one is wholly a duplicate:
    // outputs and listeners see it once.
    if (stored === 0) return 0;
    this.publish(batch);
    return stored;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, MAX_BATCH);
      const started = performance.now();
      const olderLeft = this.queue.length > batch.length;
      try {
        await this.enrich(batch);
        const stored = await this.store.insertBatch(batch);
        // Unless the queue held more than a batch, what remains came in during the write.
        if (!olderLeft) this.oldestAt = started;
        this.queue.splice(0, batch.length);
        this.stats.stored += stored;
        this.stats.duplicates += batch.length - stored;
        this.stats.pending = this.queue.length;
        this.retryDelay = 0;
        this.publish(batch);
      } catch (err) {
        this.stats.storeFailures++;
        this.retryDelay = Math.min(MAX_RETRY_DELAY_MS, Math.max(50, this.retryDelay * 2));
        this.log.error({ err, pending: this.queue.length, retry_ms: this.retryDelay }, 'APIARY_STORE_WRITE: store write failed; events kept and retried');
        return;
      }
      // Fewer than FLUSH_AT events left and no flush() waiting: they wait for their interval.
      if (!this.due()) return;
      // Yield between batches so sensors keep serving during a large backlog.
      await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * Writes the enrichment of the batch's new sources, before the batch: analysis may fold the events as
   * soon as they are committed (in another thread or process), and a source it folds without a record
   * counts as external with no country. Enrichment failures never lose events: they are stored, and
   * `apiary enrich` can redo it.
   */
  private async enrich(batch: readonly ApiaryEvent[]): Promise<void> {
    if (!this.enrichment) return;
    try {
      await this.store.upsertEnrichment(this.enrichment.recordsFor(batch));
    } catch (err) {
      this.log.error({ err }, 'enrichment failed for a stored batch; run "apiary enrich" to redo it');
    }
  }

  private publish(batch: readonly ApiaryEvent[]): void {
    for (const o of this.outputs) {
      try {
        o.write(batch);
      } catch (err) {
        this.log.warn({ err, output: o.name }, 'output failed');
      }
    }
    for (const l of this.listeners) {
      try {
        l(batch);
      } catch (err) {
        this.log.warn({ err }, 'event listener failed');
      }
    }
  }
}
