// SQLite's readCommitted answers a read right after a commit from the batches it has just stored
// (RecentCommits); those answers must be the ones the table gives, whatever mix of batches, duplicate
// batches, imported columns, other writers and read sizes came before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { eventValues } from '../../src/store/sqlite/event-insert.js';
import { RECENT_EVENTS, RecentCommits } from '../../src/store/sqlite/recent-commits.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDir } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';

let made = 0;
function batch(n: number): ApiaryEvent[] {
  return Array.from({ length: n }, () => {
    const i = made++;
    return makeEvent({ type: 'auth.attempt', time: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)).toISOString(), src: `198.51.100.${i % 200}`, payload: { method: 'password', username: 'root', password: `pw${i}`, success: false } });
  });
}

type Op = { kind: 'batch' | 'redeliver' | 'columns' | 'other-writer'; n: number } | { kind: 'read'; limit: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('batch' as const), n: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('redeliver' as const), n: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('columns' as const), n: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('other-writer' as const), n: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('read' as const), limit: fc.integer({ min: 1, max: 60 }) }),
);

test('property: reads answered from recent batches equal the table\'s answers', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
      const path = join(tempDir(), 'recent.db');
      const writer = new SqliteStore(path);
      const other = new SqliteStore(path);
      const table = new SqliteStore(path, { readonly: true });
      const stored: ApiaryEvent[][] = [];
      let cursor: string | undefined;
      try {
        for (const o of ops) {
          if (o.kind === 'read') {
            const got = await writer.readCommitted(cursor, o.limit);
            const want = await table.readCommitted(cursor, o.limit);
            assert.deepEqual(got, want);
            cursor = got.cursor;
          } else if (o.kind === 'batch') stored.push(batch(o.n));
          else if (o.kind === 'redeliver' && stored.length > 0) {
            // Part old, part new: some rows skipped as duplicates, so this batch's seqs have gaps.
            const old = stored[stored.length - 1]!;
            await writer.insertBatch([...old.slice(0, o.n), ...batch(1)]);
            continue;
          } else if (o.kind === 'columns') await writer.insertColumns(eventValues(batch(o.n)));
          else if (o.kind === 'other-writer') await other.insertBatch(batch(o.n));
          if (o.kind === 'batch') await writer.insertBatch(stored[stored.length - 1]!);
        }
        // The rest, to the end, in both.
        for (;;) {
          const got = await writer.readCommitted(cursor, 17);
          assert.deepEqual(got, await table.readCommitted(cursor, 17));
          if (got.events.length === 0) break;
          cursor = got.cursor;
        }
      } finally {
        await Promise.all([writer.close(), other.close(), table.close()]);
      }
    }),
    { numRuns: 60 },
  );
});

test('kept batches: bounded by count and age; a reader too far behind is not answered', () => {
  let now = 0;
  const r = new RecentCommits(() => now);
  r.remember(0, batch(RECENT_EVENTS - 10));
  r.remember(RECENT_EVENTS - 10, batch(20));
  assert.equal(r.take(0, 10), undefined, 'the first batch went when the second passed the bound');
  assert.equal(r.take(RECENT_EVENTS - 10, 100)?.events.length, 20);
  now += 5000;
  assert.equal(r.take(RECENT_EVENTS - 10, 100), undefined, 'too old');
  r.remember(100, undefined);
  assert.equal(r.take(100, 1), undefined, 'a batch with gaps is not kept');
});
