// Stores an import's batches from a second thread when the store is SQLite: better-sqlite3 works
// synchronously, so in one thread reading and building events waited for every transaction and the
// other way round. Here the importing thread turns each batch into columns (JSON text included) and
// posts it; the writer thread, with its own connection to the same file, stores it. Batches are stored
// in the order sent; BatchWriter bounds how many are in flight, so memory stays flat.
import { Worker } from 'node:worker_threads';
import type { ApiaryEvent } from '../../events/catalogue.js';
import { pushEventColumns } from '../../store/sqlite/sqlite-store.js';

export type WriterRequest = { kind: 'insert'; id: number; values: unknown[] } | { kind: 'close' };
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

  /** Stores EVENTS (one transaction); resolves with how many were new. The InsertFn of BatchWriter. */
  insert(events: readonly ApiaryEvent[]): Promise<number> {
    if (this.failed) return Promise.reject(this.failed);
    const values: unknown[] = [];
    for (const e of events) pushEventColumns(e, values);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ kind: 'insert', id, values } satisfies WriterRequest);
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
