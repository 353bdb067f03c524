// Where the analysis runs: on the main thread over SQLite beside sensors, in a worker thread with its
// own connections over PostgreSQL and in a collector. The worker folds what the main thread commits, gives the tracking lease
// back when closed, and is started again when it fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pino from 'pino';
import { startAnalysisThread } from '../../src/cli/analysis.js';
import { startApiary } from '../../src/cli/app.js';
import { loadConfig } from '../../src/config/load.js';
import { LEASE_KEY, WATERMARK_KEY } from '../../src/analysis/incident-tracker.js';
import { PgStore } from '../../src/store/postgres/pg-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDir, waitFor, writeConfig } from '../helpers/apiary-process.js';
import { freePort } from '../helpers/net-tools.js';
import { makeEvent } from '../helpers/events.js';
import { startPgServer, type PgServer } from '../helpers/pg-server.js';

let pg: PgServer;
before(async () => {
  pg = await startPgServer({ fast: true });
});
after(() => pg.destroy());

const silent = pino({ level: 'silent' });

function configFor(store: Record<string, unknown>) {
  const dir = tempDir();
  return loadConfig(writeConfig(dir, { sensor: 'analysis-test', log: { level: 'silent' }, networks: { internal: ['10.0.0.0/8'] }, store })).config;
}

const attack = (src: string) => [
  makeEvent({ type: 'auth.attempt', time: '2026-11-27T10:00:00Z', src, payload: { method: 'password', username: 'root', password: '123456', success: true } }),
  makeEvent({ type: 'command.input', time: '2026-11-27T10:00:01Z', src, payload: { input: 'uname -a', known: true } }),
];

test('over SQLite with sensors (apiary start) the analysis runs on the main thread', async () => {
  const app = await startApiary(configFor({}), silent);
  try {
    assert.equal(app.analysis.thread, 'main');
    await app.collector.commit(attack('10.1.2.3'));
    await waitFor(async () => (await app.store.listIncidents({})).length === 1, 10_000);
  } finally {
    await app.close();
  }
});

for (const kind of ['sqlite', 'postgres'] as const) {
  test(`a collector over ${kind}: a worker thread folds what the main thread commits, and gives the lease back when closed`, async () => {
    const db = `analysis_worker_${kind}`;
    const config = configFor(kind === 'postgres' ? { kind: 'postgres', postgres: { url: pg.createDatabase(db), pool_size: 4 } } : {});
    const app = await startApiary(config, silent, { sensors: false });
    let closed = false;
    try {
      assert.equal(app.analysis.thread, 'worker');
      await app.collector.commit(attack('10.1.2.3'));
      await waitFor(async () => (await app.store.listIncidents({})).length === 1, 15_000);
      const [incident] = await app.store.listIncidents({});
      assert.equal(incident!.scope, 'internal');
      assert.equal(incident!.kind, 'intrusion');
      // The worker holds the tracking lease for this process.
      assert.match((await app.store.getState(LEASE_KEY)) ?? '', new RegExp(`"owner":"apiary:${process.pid}:analysis-test"`));
      // Committed just before closing: folded by the worker before it stops.
      await app.collector.commit(attack('10.9.9.9'));
      await app.close();
      closed = true;
      const store = kind === 'postgres' ? await PgStore.open({ url: pg.url(db), poolSize: 1 }) : new SqliteStore(config.store.sqlite.path);
      try {
        assert.equal((await store.listIncidents({})).length, 2, 'the batch committed before close was folded');
        assert.equal(await store.getState(LEASE_KEY), '{}', 'the lease is given back');
      } finally {
        await store.close();
      }
    } finally {
      if (!closed) await app.close();
    }
  });
}

test('a collector over SQLite stores every batch while its analysis thread writes through a connection of its own', async () => {
  const app = await startApiary(configFor({}), silent, { sensors: false });
  try {
    // Batches from many sources, so each fold of the analysis thread saves many incidents (a long write)
    // while the next batches are inserted: an insert that read first and then waited on that write
    // used to fail with SQLITE_BUSY (commit() rejects on a store failure).
    const base = Date.UTC(2026, 10, 27, 10);
    let n = 0;
    for (let b = 0; b < 80; b++) {
      const batch = Array.from({ length: 400 }, () => {
        const i = n++;
        return makeEvent({ type: 'auth.attempt', time: new Date(base + i).toISOString(), src: `198.51.${i % 100}.${(i >> 7) % 250}`, payload: { method: 'password', username: 'root', password: `p${i}`, success: false } });
      });
      await app.collector.commit(batch);
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal(app.collector.stats.storeFailures, 0);
    assert.equal(app.collector.stats.stored, n);
    await waitFor(async () => (await app.store.getState(WATERMARK_KEY)) === String(n), 20_000);
  } finally {
    await app.close();
  }
});

test('an analysis thread that fails is started again, and close() ends it even then', async () => {
  const errors: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void errors.push(line) });
  // Nothing listens on this port: each thread fails to open its store.
  const port = await freePort();
  const analysis = startAnalysisThread(configFor({ kind: 'postgres', postgres: { url: `postgres://postgres@127.0.0.1:${port}/none` } }), log);
  assert.equal(analysis.thread, 'worker');
  await waitFor(() => errors.filter((l) => l.includes('APIARY_ANALYSIS')).length >= 2, 15_000);
  assert.ok(errors.some((l) => l.includes('starting it again')));
  const t0 = Date.now();
  await analysis.close();
  assert.ok(Date.now() - t0 < 5000, `close() returned in ${Date.now() - t0} ms`);
});
