// One read of a chunk serves both the incident tracker and the attack runner, and the faster of the
// two waits (a bounded time) rather than run so far ahead that nothing is shared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LEAD_WAIT_MS, SHARED_READ_MS, SharedCommittedReads } from '../../src/analysis/shared-reads.js';
import { overrideMethods } from '../../src/store/override.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { EventStore } from '../../src/store/store.js';
import { tempDir } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';

/** A store of N events whose readCommitted calls are counted (and fail while FAIL is set). */
async function countingStore(n: number): Promise<{ store: SqliteStore; view: EventStore; reads: () => number; fail: (on: boolean) => void }> {
  const store = new SqliteStore(join(tempDir(), 's.db'));
  await store.insertBatch(
    Array.from({ length: n }, (_, i) => makeEvent({ type: 'connection.open', time: `2026-01-01T00:00:0${i}Z`, src: `198.51.100.${i + 1}`, payload: { transport: 'tcp' } })),
  );
  let reads = 0;
  let failing = false;
  const view: EventStore = overrideMethods(store, {
    readCommitted: (c, l) => {
      reads++;
      return failing ? Promise.reject(new Error('store down')) : store.readCommitted(c, l);
    },
  });
  return { store, view, reads: () => reads, fail: (on) => (failing = on) };
}

test("a chunk one reader read is the other's answer once, within the window; a reader's own repeat, a late one or a failure asks the store", async () => {
  const { store, view, reads, fail } = await countingStore(1);
  try {
    let clock = 1000;
    const shared = new SharedCommittedReads(view, () => clock);
    const [tracker, runner] = [shared.view(), shared.view()];
    const a = await tracker.readCommitted(undefined, 10);
    const b = await runner.readCommitted(undefined, 10);
    assert.equal(reads(), 1);
    assert.deepEqual(a, b);
    await runner.readCommitted(undefined, 10);
    assert.equal(reads(), 2, 'taken once: the same reader asking again reads the store');
    await tracker.readCommitted(a.cursor, 10);
    clock += SHARED_READ_MS;
    await runner.readCommitted(a.cursor, 10);
    assert.equal(reads(), 4, 'after the window');
    fail(true);
    await assert.rejects(tracker.readCommitted(undefined, 5));
    fail(false);
    assert.equal((await runner.readCommitted(undefined, 5)).events.length, 1, 'a failed read is not shared');
    assert.equal(reads(), 6);
    assert.equal(await runner.count(), 1, 'everything else goes to the store');
  } finally {
    await store.close();
  }
});

test("the enrichment one reader looked up for a chunk's sources is the other's answer once", async () => {
  const store = new SqliteStore(join(tempDir(), 'e.db'));
  try {
    await store.upsertEnrichment([{ ip: '198.51.100.1', scope: 'external', ignored: false, country: 'DE', asn: null, as_org: null, site: null, source: 'geoip', enriched_at: '2026-01-01T00:00:00Z' }]);
    let lookups = 0;
    const counting: EventStore = overrideMethods(store, { getEnrichment: (ips) => (lookups++, store.getEnrichment(ips)) });
    const shared = new SharedCommittedReads(counting);
    const [tracker, runner] = [shared.view(), shared.view()];
    const a = await tracker.getEnrichment(['198.51.100.1', '198.51.100.2']);
    const b = await runner.getEnrichment(['198.51.100.1', '198.51.100.2']);
    assert.equal(lookups, 1);
    assert.equal(b, a);
    assert.equal(a.get('198.51.100.1')?.country, 'DE');
    await runner.getEnrichment(['198.51.100.2']);
    await tracker.getEnrichment(['198.51.100.1']);
    assert.equal(lookups, 3, 'other addresses are looked up');
    await tracker.getEnrichment();
    await runner.getEnrichment();
    assert.equal(lookups, 5, 'every address: not shared');
  } finally {
    await store.close();
  }
});

test('a reader two chunks ahead of an active reader waits for it, then reads on; without it, it waits at most LEAD_WAIT_MS', async () => {
  const { store, view, reads } = await countingStore(4);
  try {
    const shared = new SharedCommittedReads(view);
    const [tracker, runner] = [shared.view(), shared.view()];
    // Both start together; the runner then reads ahead one chunk at a time.
    const c0 = await runner.readCommitted(undefined, 1);
    assert.deepEqual(await tracker.readCommitted(undefined, 1), c0);
    const c1 = await runner.readCommitted(c0.cursor, 1);
    const c2 = await runner.readCommitted(c1.cursor, 1);
    assert.equal(reads(), 3);
    let done = false;
    const ahead = runner.readCommitted(c2.cursor, 1).then((r) => ((done = true), r));
    await new Promise((r) => setTimeout(r, LEAD_WAIT_MS / 5));
    assert.equal(done, false, 'two answers ahead of the tracker: the runner waits');
    assert.deepEqual(await tracker.readCommitted(c0.cursor, 1), c1, 'the tracker takes the runner\'s answer');
    assert.equal((await ahead).events.length, 1);
    assert.equal(reads(), 4, 'the tracker read nothing from the store itself');
    // The tracker stops reading (its run ended); the runner is held no longer than LEAD_WAIT_MS per read.
    await tracker.readCommitted(c1.cursor, 1);
    const t0 = performance.now();
    const c3 = await ahead;
    await runner.readCommitted(c3.cursor, 1);
    await runner.readCommitted(c3.cursor, 2);
    assert.ok(performance.now() - t0 < LEAD_WAIT_MS * 3, 'bounded waits');
  } finally {
    await store.close();
  }
});
