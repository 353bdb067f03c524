// The writing connection's settings: a checkpoint threshold that grows with the store, within bounds,
// and a page cache that grows with it too, up to far more than SQLite's default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  CHECKPOINT_RETUNE_EVENTS,
  CHECKPOINT_RETUNE_INSERTS,
  WAL_CHECKPOINT_MAX_BYTES,
  WAL_CHECKPOINT_MIN_BYTES,
  WRITER_CACHE_KIB,
  WRITER_CACHE_MIN_KIB,
  writerCacheKib,
  checkpointPages,
  configureWriter,
  eventInserter,
  eventValues,
} from '../../src/store/sqlite/event-insert.js';
import { tempDir } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';
import { sqliteAtVersion } from '../helpers/sqlite-schema.js';

test('the checkpoint threshold is a quarter of the store, never under 40 MiB nor over 160 MiB', () => {
  const MiB = 1024 * 1024;
  assert.equal(checkpointPages(16384, 0), (40 * MiB) / 16384);
  assert.equal(checkpointPages(16384, (400 * MiB) / 16384), (100 * MiB) / 16384);
  assert.equal(checkpointPages(16384, (4096 * MiB) / 16384), (160 * MiB) / 16384);
  fc.assert(
    fc.property(fc.constantFrom(1024, 4096, 16384, 65536), fc.nat(1e9), (pageSize, pages) => {
      const bytes = checkpointPages(pageSize, pages) * pageSize;
      return bytes >= WAL_CHECKPOINT_MIN_BYTES && bytes < WAL_CHECKPOINT_MAX_BYTES + pageSize;
    }),
  );
});

test('the page cache is a quarter of the store, never under 2 MiB nor over 64 MiB', () => {
  const MiB = 1024 * 1024;
  assert.equal(writerCacheKib(16384, 0), 2048);
  assert.equal(writerCacheKib(16384, (40 * MiB) / 16384), 10 * 1024);
  assert.equal(writerCacheKib(16384, (4096 * MiB) / 16384), 64 * 1024);
  fc.assert(
    fc.property(fc.constantFrom(1024, 4096, 16384, 65536), fc.nat(1e9), (pageSize, pages) => {
      const kib = writerCacheKib(pageSize, pages);
      return kib >= WRITER_CACHE_MIN_KIB && kib <= WRITER_CACHE_KIB && (kib === WRITER_CACHE_MIN_KIB || kib === WRITER_CACHE_KIB || Math.abs(kib * 1024 - (pageSize * pages) / 4) < 1024);
    }),
  );
});

const open = (i: number) => makeEvent({ type: 'connection.open', time: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(), src: '198.51.100.7', payload: { transport: 'tcp' } });

test('a writing connection sets its page cache and threshold for the store, and again as the store grows', () => {
  const db = sqliteAtVersion(join(tempDir(), 'tune.db'));
  try {
    configureWriter(db);
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    assert.equal(db.pragma('cache_size', { simple: true }), -writerCacheKib(pageSize, db.pragma('page_count', { simple: true }) as number));
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), checkpointPages(pageSize, db.pragma('page_count', { simple: true }) as number));
    // Someone else's setting is replaced at the next look, after CHECKPOINT_RETUNE_INSERTS inserts.
    db.pragma('wal_autocheckpoint = 7');
    db.pragma('cache_size = -100');
    const insert = eventInserter(db);
    for (let i = 0; i < CHECKPOINT_RETUNE_INSERTS - 1; i++) insert(eventValues([open(i)]));
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 7);
    insert(eventValues([open(CHECKPOINT_RETUNE_INSERTS)]));
    const pages = db.pragma('page_count', { simple: true }) as number;
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), checkpointPages(pageSize, pages));
    assert.equal(db.pragma('cache_size', { simple: true }), -writerCacheKib(pageSize, pages));
  } finally {
    db.close();
  }
});

test('a store filled by a few large batches is looked at again after CHECKPOINT_RETUNE_EVENTS events, not only after many inserts', () => {
  const db = sqliteAtVersion(join(tempDir(), 'tune-large.db'));
  try {
    configureWriter(db);
    db.pragma('cache_size = -100');
    const insert = eventInserter(db);
    const batch = (from: number, n: number) => eventValues(Array.from({ length: n }, (_, k) => open(from + k)));
    insert(batch(0, CHECKPOINT_RETUNE_EVENTS - 1));
    assert.equal(db.pragma('cache_size', { simple: true }), -100);
    insert(batch(CHECKPOINT_RETUNE_EVENTS, 1));
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    assert.equal(db.pragma('cache_size', { simple: true }), -writerCacheKib(pageSize, db.pragma('page_count', { simple: true }) as number));
  } finally {
    db.close();
  }
});
