// Inserting events into SQLite, shared by the store's own connection and its writer thread: events
// become flat parameter rows (no I/O, cheap to pass between threads), and one transaction inserts them
// with commit-order numbers.
import type Database from 'better-sqlite3';
import type { ApiaryEvent } from '../../events/catalogue.js';

/** Rows per multi-row INSERT (13 parameters each, far below SQLite's limit of 32766). */
export const INSERT_ROWS = 32;
/** Parameters per event in a flat row (the commit-order number is added when inserting). */
export const EVENT_VALUES = 12;

/**
 * Write-ahead log between automatic checkpoints: a quarter of the store's size, within these bounds.
 * A checkpoint copies every page the log holds back into the file, once however often it changed, and
 * a commit of a large batch changes pages all over the index by source address. In a store of 1M
 * events (495 MB) a checkpoint after 40 MiB followed nearly every commit, and writing cost 33 µs of
 * wall time per event; after 160 MiB, 24.2–25.2 µs. A small store keeps a small log file.
 */
export const WAL_CHECKPOINT_MIN_BYTES = 40 * 1024 * 1024;
export const WAL_CHECKPOINT_MAX_BYTES = 160 * 1024 * 1024;
/**
 * Inserts between two looks at the store's size to set the checkpoint threshold and cache again, or
 * events, whichever comes first. Counting inserts alone missed a store filled by large batches: 200,000
 * events in 20 batches into a new store were all written with the 2 MiB cache it opened with, at 21–24
 * µs of CPU per event; looked at every few thousand events, the cache grew with the store (see below).
 */
export const CHECKPOINT_RETUNE_INSERTS = 64;
export const CHECKPOINT_RETUNE_EVENTS = 4096;

/** The wal_autocheckpoint setting (pages) for a store of PAGE_COUNT pages of PAGE_SIZE bytes. */
export function checkpointPages(pageSize: number, pageCount: number): number {
  const bytes = Math.min(WAL_CHECKPOINT_MAX_BYTES, Math.max(WAL_CHECKPOINT_MIN_BYTES, (pageSize * pageCount) / 4));
  return Math.ceil(bytes / pageSize);
}

/** Sets DB's checkpoint threshold and page cache for its current size (checkpointPages, writerCacheKib). */
export function tuneForSize(db: Database.Database): void {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pageCount = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`wal_autocheckpoint = ${checkpointPages(pageSize, pageCount)}`);
  db.pragma(`cache_size = -${writerCacheKib(pageSize, pageCount)}`);
}

/**
 * Page cache of a writing connection, in KiB, at most (SQLite's default is 2 MiB). The index by source
 * address takes each new event at a random place; once a store holds about a million events that index
 * no longer fits in 2 MiB, and every insert first reads its page back from the file. With 64 MiB an
 * insert into a store of 1M events from 200,000 sources costs about 30% less CPU. The cache is a
 * quarter of the store's size within WRITER_CACHE_MIN_KIB and this (set again as the store grows, with
 * the checkpoint threshold): a cache holds every page it has read or written until it is full, so a
 * fixed 64 MiB let a sensor's small store sit in its memory whole (5 MB more resident after 10,000
 * SSH attempts, for inserts no faster: a small store's hot pages fit in 2 MiB).
 */
export const WRITER_CACHE_KIB = 64 * 1024;
export const WRITER_CACHE_MIN_KIB = 2 * 1024;

/** The cache_size (KiB) for a store of PAGE_COUNT pages of PAGE_SIZE bytes. */
export function writerCacheKib(pageSize: number, pageCount: number): number {
  return Math.min(WRITER_CACHE_KIB, Math.max(WRITER_CACHE_MIN_KIB, Math.ceil((pageSize * pageCount) / 4 / 1024)));
}

/** How long a connection waits for another's lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/** Per-connection settings every writing connection uses (the page size and WAL mode live in the file). */
export function configureWriter(db: Database.Database): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // NORMAL in WAL mode: a committed batch survives a process crash; only an OS crash can lose the last ones.
  db.pragma('synchronous = NORMAL');
  // Checkpoint after far more log than SQLite's 1000 pages: fewer, larger copies back into the file.
  tuneForSize(db);
}

/** Appends E's EVENT_VALUES parameters to OUT, in column order (payload and source as JSON text). */
export function pushEventColumns(e: ApiaryEvent, out: unknown[]): void {
  out.push(e.id, e.time, e.type, e.sensor, e.session, e.protocol, e.src_ip, e.src_port, e.dst_ip, e.dst_port, JSON.stringify(e.payload), e.source === undefined ? null : JSON.stringify(e.source));
}

/** EVENTS as EVENT_VALUES parameters each, in column order. */
export function eventValues(events: readonly ApiaryEvent[]): unknown[] {
  const out: unknown[] = [];
  for (const e of events) pushEventColumns(e, out);
  return out;
}

/** What one insert did: how many rows were new, and the seq before the batch's (row i, if new, got after + i + 1). */
export interface Inserted {
  stored: number;
  after: number;
}

/**
 * A function inserting flat event rows (eventValues) in one transaction on DB. One writer at a time
 * (the transaction), so seq grows in commit order; a duplicate skipped by INSERT OR IGNORE leaves a
 * gap, which readers do not mind.
 */
export function eventInserter(db: Database.Database): (values: readonly unknown[]) => Inserted {
  const insertSql = (rows: number): string =>
    `INSERT OR IGNORE INTO events (id, time, type, sensor, session, protocol, src_ip, src_port, dst_ip, dst_port, payload, source, seq) VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
  const insertOne = db.prepare(insertSql(1));
  // Many rows per statement: one call into SQLite per INSERT_ROWS events instead of one per event.
  const insertChunk = db.prepare(insertSql(INSERT_ROWS));
  const lastSeq = db.prepare('SELECT coalesce(max(seq), 0) FROM events').pluck();
  const chunk: unknown[] = new Array(INSERT_ROWS * (EVENT_VALUES + 1));
  const one: unknown[] = new Array(EVENT_VALUES + 1);
  const fill = (into: unknown[], at: number, values: readonly unknown[], from: number, seq: number): void => {
    for (let k = 0; k < EVENT_VALUES; k++) into[at + k] = values[from + k];
    into[at + EVENT_VALUES] = seq;
  };
  let inserts = 0;
  let events = 0;
  const insert = db.transaction((values: readonly unknown[]) => {
    const count = Math.floor(values.length / EVENT_VALUES);
    const base = lastSeq.get() as number;
    let n = 0;
    let i = 0;
    for (; i + INSERT_ROWS <= count; i += INSERT_ROWS) {
      for (let k = 0; k < INSERT_ROWS; k++) fill(chunk, k * (EVENT_VALUES + 1), values, (i + k) * EVENT_VALUES, base + i + k + 1);
      n += insertChunk.run(chunk).changes;
    }
    for (; i < count; i++) {
      fill(one, 0, values, i * EVENT_VALUES, base + i + 1);
      n += insertOne.run(one).changes;
    }
    return { stored: n, after: base };
  });
  return (values) => {
    // IMMEDIATE: the write lock first, waiting for it as busy_timeout allows. A deferred transaction
    // reads max(seq) first, and in WAL mode a reader that another connection's commit overtakes cannot
    // become a writer: SQLite fails it at once with SQLITE_BUSY (a collector's analysis thread writes
    // incidents through its own connection).
    const done = insert.immediate(values);
    // The store grows: now and then, let its checkpoint threshold and cache grow with it.
    events += values.length / EVENT_VALUES;
    if (++inserts >= CHECKPOINT_RETUNE_INSERTS || events >= CHECKPOINT_RETUNE_EVENTS) {
      tuneForSize(db);
      inserts = 0;
      events = 0;
    }
    return done;
  };
}
