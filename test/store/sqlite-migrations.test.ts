// Upgrading an existing SQLite store: the events table keyed by id (schema 5) becomes the table keyed
// by commit order, with every event, its seq and its uniqueness kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDir } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';
import { sqliteAtVersion } from '../helpers/sqlite-schema.js';

test('a store keyed by event id is rebuilt keyed by commit order, keeping every event, seq and index', async () => {
  const path = join(tempDir(), 'v5.db');
  const db = sqliteAtVersion(path, 5);
  const ev = (i: number) => makeEvent({ type: 'auth.attempt', time: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(), src: `198.51.100.${i}`, payload: { method: 'password', username: 'root', password: `pw${i}`, success: false } });
  const events = [ev(0), ev(1), ev(2), ev(3)];
  const insert = db.prepare('INSERT INTO events (id, time, type, sensor, session, protocol, src_ip, src_port, dst_ip, dst_port, payload, source, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  // Stored out of id order (a late batch), with a gap in seq (a skipped duplicate): both survive.
  const order = [2, 0, 3, 1];
  order.forEach((k, i) => { const e = events[k]!; insert.run(e.id, e.time, e.type, e.sensor, e.session, e.protocol, e.src_ip, e.src_port, e.dst_ip, e.dst_port, JSON.stringify(e.payload), k === 3 ? '{"raw":1}' : null, i < 2 ? i + 1 : i + 2); });
  db.close();

  const upgrades: [number, number][] = [];
  const store = new SqliteStore(path, { onMigrate: (from, to) => upgrades.push([from, to]) });
  try {
    assert.deepEqual(upgrades, [[5, SQLITE_MIGRATIONS.length]], 'the upgrade is announced before it runs');
    const r = await store.readCommitted(undefined, 10);
    assert.deepEqual(r.events.map((e) => e.id), order.map((k) => events[k]!.id), 'commit order kept');
    assert.equal(r.cursor, '5');
    assert.deepEqual((await store.query({})).map((e) => e.id), events.map((e) => e.id), 'id order kept');
    assert.deepEqual(await store.query({ src: '198.51.100.1' }), [events[1]]);
    assert.equal(store.integrityCheck(), 'ok');
    // The id is still unique: a batch delivered again stores nothing.
    assert.equal(await store.insertBatch([events[0]!]), 0);
    const next = ev(4);
    assert.equal(await store.insertBatch([next]), 1);
    assert.deepEqual(await store.readCommitted('5', 10), { events: [next], cursor: '6' });
  } finally {
    await store.close();
  }
  const check = new Database(path, { readonly: true });
  try {
    const indexes = (check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' ORDER BY name").pluck().all() as string[]);
    assert.deepEqual(indexes, ['events_id', 'events_session', 'events_src_time', 'events_time', 'events_type_time']);
    const plan = check.prepare('EXPLAIN QUERY PLAN SELECT * FROM events WHERE seq > 3').all() as { detail: string }[];
    assert.match(plan.map((p) => p.detail).join('; '), /INTEGER PRIMARY KEY|rowid/i);
  } finally {
    check.close();
  }
});

test('a new store is not announced as an upgrade', async () => {
  const upgrades: unknown[] = [];
  const store = new SqliteStore(join(tempDir(), 'new.db'), { onMigrate: (...a) => upgrades.push(a) });
  await store.close();
  assert.deepEqual(upgrades, []);
});
