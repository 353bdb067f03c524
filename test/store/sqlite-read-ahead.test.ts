// SQLite's read-ahead scans (ScanOptions.readAhead) when the reading thread cannot do its work: the
// scan ends with an error that names the store, and no thread is left running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDir } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';

test('a read-ahead scan whose reading thread cannot open the store fails with an error naming it', async () => {
  const path = join(tempDir('apiary-read-ahead-'), 'a.db');
  const store = new SqliteStore(path);
  try {
    const ev = Array.from({ length: 6000 }, (_, i) => makeEvent({ type: 'connection.open', time: new Date(Date.UTC(2026, 5, 12, 0, 0, i % 60)).toISOString(), src: `192.0.2.${i % 250}`, payload: { transport: 'tcp' } }));
    assert.equal(await store.insertBatch(ev), ev.length);
    const pages: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const page of store.scanPages({}, { byTime: true, readAhead: true })) {
          pages.push(page.length);
          // The first page comes from this thread; the thread started for the rest finds no file.
          if (pages.length === 1) renameSync(path, `${path}.moved`);
        }
      })(),
      (err: Error) => err.message.includes(path) && /ahead failed/.test(err.message),
    );
    assert.deepEqual(pages, [5000]);
    renameSync(`${path}.moved`, path);
  } finally {
    await store.close();
  }
});
