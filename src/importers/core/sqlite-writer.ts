// Stores an import's batches from a second thread when the store is SQLite: better-sqlite3 works
// synchronously, so in one thread reading and building events waited for every transaction and the
// other way round. Here the importing thread turns each batch into columns (JSON text included) and
// posts it; the writer thread, with its own connection to the same file, stores it. Batches are stored
// in the order sent; BatchWriter bounds how many are in flight (WRITER_THREAD_IN_FLIGHT), so memory
// stays flat.
import { Worker } from 'node:worker_threads';
import type { ApiaryEvent } from '../../events/catalogue.js';
import type { IpEnrichment } from '../../store/store.js';
import { eventValues, pushEventColumns } from '../../store/sqlite/event-insert.js';
import { BatchWriter } from './import-core.js';

/**
 * Events per batch sent to the writer thread: small, so a batch's columns are still young when posted
 * and die cheaply (5000 kept the garbage collector copying them: a fifth of this thread's time).
 */
export const WRITER_THREAD_BATCH = 1000;
/**
 * Batches the importing thread may have sent before it waits for the oldest to be stored. When the
 * writer thread falls behind, the batches queued meanwhile go into one transaction, so commits stay
 * large (each commit rewrites every page it touched, and the indexes by source and by session take
 * rows all over the file).
 */
export const WRITER_THREAD_IN_FLIGHT = 8;

export type WriterRequest = { kind: 'insert'; id: number; values: unknown[]; enrichment: readonly IpEnrichment[] } | { kind: 'close' };
export type WriterReply = { id: number; stored: number } | { id: number; error: string };

export class SqliteWriterThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (n: number) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failed: Error | undefined;

  /** Starts the thread on the store at PATH (which the caller has opened, so it exists and is migrated). */
  constructor(path: string) {
    this.worker = new Worker(new URL('./sqlite-writer-worker.js', import.meta.url), { workerData: { path } });
    this.worker.on('message', (m: WriterReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('error' in m) p.reject(new Error(m.error));
      else p.resolve(m.stored);
    });
    const fail = (err: Error): void => {
      this.failed ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the import's SQLite writer thread stopped (exit ${code})`)));
  }

  /**
   * Stores events already turned into columns by pushEventColumns (one transaction), after the
   * ENRICHMENT records of their sources (their own transaction, first); resolves with how many were new.
   */
  insertColumns(values: unknown[], enrichment: readonly IpEnrichment[] = []): Promise<number> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ kind: 'insert', id, values, enrichment } satisfies WriterRequest);
    });
  }

  /** Ends the thread once every batch sent is stored. */
  async close(): Promise<void> {
    if (this.failed) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ kind: 'close' } satisfies WriterRequest);
    await exited;
  }
}

/**
 * The BatchWriter of an import through a writer thread: each event becomes its columns as it is
 * written, so a batch waiting to be sent holds a few strings per event instead of the event's object
 * graph (the original record's too), which otherwise lived long enough to be copied by the garbage
 * collector; and up to WRITER_THREAD_IN_FLIGHT batches are stored while the next fills.
 */
export class WriterThreadBatchWriter extends BatchWriter {
  private values: unknown[] = [];

  constructor(private readonly thread: SqliteWriterThread, size = WRITER_THREAD_BATCH) {
    // store() below sends the columns add() kept; BatchWriter's plain path, unused here, would store the same.
    super((events, enrichment) => thread.insertColumns(eventValues(events), enrichment), size, WRITER_THREAD_IN_FLIGHT);
  }

  protected override add(e: ApiaryEvent): void {
    pushEventColumns(e, this.values);
  }

  protected override store(): Promise<number> {
    const values = this.values;
    this.values = [];
    return this.thread.insertColumns(values, this.takeEnrichment());
  }
}
