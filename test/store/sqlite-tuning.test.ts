// The writing connection's settings: a checkpoint threshold that grows with the store, within bounds,
// and a page cache larger than SQLite's default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  CHECKPOINT_RETUNE_INSERTS,
  WAL_CHECKPOINT_MAX_BYTES,
  WAL_CHECKPOINT_MIN_BYTES,
  WRITER_CACHE_KIB,
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

const open = (i: number) => makeEvent({ type: 'connection.open', time: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(), src: '198.51.100.7', payload: { transport: 'tcp' } });

test('a writing connection keeps a larger page cache and sets the threshold again as the store grows', () => {
  const db = sqliteAtVersion(join(tempDir(), 'tune.db'));
  try {
    configureWriter(db);
    assert.equal(db.pragma('cache_size', { simple: true }), -WRITER_CACHE_KIB);
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), checkpointPages(pageSize, db.pragma('page_count', { simple: true }) as number));
    // Someone else's setting is replaced at the next look, after CHECKPOINT_RETUNE_INSERTS inserts.
    db.pragma('wal_autocheckpoint = 7');
    const insert = eventInserter(db);
    for (let i = 0; i < CHECKPOINT_RETUNE_INSERTS - 1; i++) insert(eventValues([open(i)]));
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 7);
    insert(eventValues([open(CHECKPOINT_RETUNE_INSERTS)]));
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), checkpointPages(pageSize, db.pragma('page_count', { simple: true }) as number));
  } finally {
    db.close();
  }
});
