// The dashboard's session search on SQLite: it walks at most MAX_SESSION_SCAN events, and when it
// stops there it says how far back it looked, so a search that found nothing is not mistaken for
// "no such session".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MAX_SESSION_SCAN } from '../../src/store/dashboard-reads.js';
import { SqliteDashboardReads } from '../../src/store/sqlite/dashboard-reads.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { eventIdFrom } from '../../src/events/id.js';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { tempDir } from '../helpers/apiary-process.js';

test('a search that stops at MAX_SESSION_SCAN events says how far back it looked; one that walked everything does not', async () => {
  const path = join(tempDir(), 'apiary.db');
  const store = new SqliteStore(path);
  const start = Date.UTC(2026, 0, 1);
  const n = MAX_SESSION_SCAN + 5000;
  const events: ApiaryEvent[] = [];
  for (let i = 0; i < n; i++) {
    const ms = start + i * 1000;
    const random = Buffer.alloc(10);
    random.writeUInt32BE(i, 6);
    events.push({
      id: eventIdFrom(ms, random), time: new Date(ms).toISOString(), type: 'auth.attempt', sensor: 's', session: (i >> 4).toString(16).padStart(16, '0'), protocol: 'ssh',
      src_ip: '198.51.100.7', src_port: 40000, dst_ip: '192.0.2.1', dst_port: 22,
      // The oldest session's attempts are the only ones by "old-user".
      payload: { method: 'password', username: i < 16 ? 'old-user' : 'root', password: 'x', success: false },
    } as ApiaryEvent);
  }
  for (let i = 0; i < n; i += 10_000) await store.insertBatch(events.slice(i, i + 10_000));
  await store.close();
  const reads = new SqliteDashboardReads(path);
  try {
    const partial = await reads.searchSessions({ username: 'old-user' });
    assert.deepEqual(partial.sessions, [], 'the matching session is older than the walk');
    assert.ok(partial.searched_to, 'says it stopped');
    const to = Date.parse(partial.searched_to);
    assert.ok(to > start && to < start + n * 1000, partial.searched_to);
    const on = await reads.searchSessions({ username: 'old-user', until: partial.searched_to });
    assert.deepEqual(on.sessions.map((s) => s.session), ['0000000000000000'], 'searching on from there finds it');
    assert.equal(on.searched_to, undefined);
    const recent = await reads.searchSessions({ username: 'root', limit: 5 });
    assert.equal(recent.sessions.length, 5);
    assert.equal(recent.searched_to, undefined, 'found its LIMIT: nothing to say');
  } finally {
    await reads.close();
  }
});
