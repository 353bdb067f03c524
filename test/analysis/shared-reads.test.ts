// One read of a chunk serves both the incident tracker and the attack runner on the same beat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHARED_READ_MS, sharingCommittedReads } from '../../src/analysis/shared-reads.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { EventStore } from '../../src/store/store.js';
import { tempDir } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';

test('a repeated read within the window is answered once; a later one, another cursor or a failure asks the store again', async () => {
  const store = new SqliteStore(join(tempDir(), 's.db'));
  try {
    await store.insertBatch([makeEvent({ type: 'connection.open', time: '2026-01-01T00:00:00Z', src: '198.51.100.1', payload: { transport: 'tcp' } })]);
    let reads = 0;
    let fail = false;
    const counting = new Proxy(store, {
      get(target, prop) {
        if (prop === 'readCommitted') {
          return (c: string | undefined, l: number) => {
            reads++;
            return fail ? Promise.reject(new Error('store down')) : target.readCommitted(c, l);
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as EventStore;
    let clock = 1000;
    const shared = sharingCommittedReads(counting, () => clock);
    const [a, b] = await Promise.all([shared.readCommitted(undefined, 10), shared.readCommitted(undefined, 10)]);
    assert.equal(reads, 1);
    assert.deepEqual(a, b);
    await shared.readCommitted(a.cursor, 10);
    assert.equal(reads, 2, 'another cursor');
    clock += SHARED_READ_MS;
    await shared.readCommitted(a.cursor, 10);
    assert.equal(reads, 3, 'after the window');
    fail = true;
    clock += SHARED_READ_MS;
    await assert.rejects(shared.readCommitted(undefined, 10));
    fail = false;
    assert.equal((await shared.readCommitted(undefined, 10)).events.length, 1, 'a failed read is not shared');
    assert.equal(reads, 5);
    assert.equal(await shared.count(), 1, 'everything else goes to the store');
  } finally {
    await store.close();
  }
});
