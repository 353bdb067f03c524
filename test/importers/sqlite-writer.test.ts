// The import's SQLite writer thread stores exactly what the store's own insertBatch stores (same rows,
// same commit order), counts only new rows, and a failing batch fails the import instead of vanishing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { SqliteWriterThread, WriterThreadBatchWriter } from '../../src/importers/core/sqlite-writer.js';
import { BatchWriter } from '../../src/importers/core/import-core.js';
import { makeEvent } from '../helpers/events.js';
import { removeScratch, scratchDir } from '../helpers/scratch.js';
import type { ApiaryEvent } from '../../src/events/catalogue.js';

after(removeScratch);

function events(n: number): ApiaryEvent[] {
  return Array.from({ length: n }, (_, i) =>
    Object.assign(
      makeEvent({ type: 'auth.attempt', time: new Date(Date.UTC(2019, 6, 8) + i * 1000).toISOString(), src: `192.0.2.${i % 250}`, payload: { method: 'password', username: `u${i}`, password: 'p\u0000"é', success: i % 7 === 0 } }),
      i % 3 === 0 ? { source: { format: 'cowrie.json', file: 'x.json', line: i + 1, record: { eventid: 'cowrie.login.failed', n: i, nested: [1, { a: 'b' }] } } } : {},
    ),
  );
}

function rows(path: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT id, time, type, sensor, session, protocol, src_ip, src_port, dst_ip, dst_port, payload, source, seq FROM events ORDER BY seq').raw().all();
  } finally {
    db.close();
  }
}

test('the writer thread (events turned into columns as written) stores the same rows in the same order as insertBatch, and counts only new ones', async () => {
  const dir = scratchDir('apiary-writer-');
  const evs = events(1234);
  const direct = new SqliteStore(join(dir, 'direct.sqlite'));
  const viaThread = new SqliteStore(join(dir, 'thread.sqlite'));
  const thread = new SqliteWriterThread(viaThread.path);
  try {
    const a = new BatchWriter((b) => direct.insertBatch(b), 100);
    const b = new WriterThreadBatchWriter(thread, 100);
    for (const e of evs) {
      await a.write(e);
      await b.write(e);
    }
    await a.flush();
    await b.flush();
    assert.equal(b.stored, 1234);
    assert.equal(a.stored, 1234);
    // Again: nothing new.
    const again = new WriterThreadBatchWriter(thread, 50);
    for (const e of evs.slice(0, 700)) await again.write(e);
    await again.flush();
    assert.equal(again.stored, 0);
    assert.equal(again.written, 700);
  } finally {
    await thread.close();
    await direct.close();
    await viaThread.close();
  }
  const want = rows(join(dir, 'direct.sqlite'));
  assert.equal(want.length, 1234);
  assert.deepEqual(rows(join(dir, 'thread.sqlite')), want);
});

for (const window of [1, 3]) {
  test(`a batch that fails to store fails the flush, and at most ${window} batch(es) are stored at once`, async () => {
    let inFlight = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const writer = new BatchWriter(
      async (batch) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise<void>((r) => release.push(r));
        inFlight--;
        if (batch.some((e) => (e.payload as { username: string }).username === 'u57')) throw new Error('disk full');
        return batch.length;
      },
      10,
      window,
    );
    const timer = setInterval(() => release.splice(0).forEach((r) => r()), 1);
    try {
      const evs = events(100);
      await assert.rejects(async () => {
        for (const e of evs) await writer.write(e);
        await writer.flush();
      }, /disk full/);
      assert.equal(most, window);
    } finally {
      clearInterval(timer);
    }
  });
}
