// The local collector's batching: a steady stream is written once per interval, not a handful of
// events per transaction; no event waits much longer than the interval; flush() and store faults still
// lose nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Collector, FLUSH_AT, FLUSH_INTERVAL_MS } from '../../src/collector/collector.js';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import type { EventStore } from '../../src/store/store.js';
import { makeEvent } from '../helpers/events.js';

/** A store that records each batch and when it arrived; its writes take WRITE_MS and can be made to fail. */
function recordingStore(writeMs: number): { store: EventStore; batches: { at: number; events: readonly ApiaryEvent[] }[]; failNext: { n: number }; calls: { n: number } } {
  const batches: { at: number; events: readonly ApiaryEvent[] }[] = [];
  const failNext = { n: 0 };
  const calls = { n: 0 };
  const store = {
    kind: 'sqlite',
    async insertBatch(events: readonly ApiaryEvent[]): Promise<number> {
      calls.n++;
      await new Promise((r) => setTimeout(r, writeMs));
      if (failNext.n > 0) {
        failNext.n--;
        throw new Error('store down');
      }
      batches.push({ at: performance.now(), events: [...events] });
      return events.length;
    },
  } as unknown as EventStore;
  return { store, batches, failNext, calls };
}

const event = (i: number): ApiaryEvent => makeEvent({ type: 'connection.open', time: '2026-01-01T00:00:00Z', src: `192.0.2.${i % 250}`, payload: { transport: 'tcp' } });

test('a steady stream is stored in one batch per interval, and no event waits much past the interval', async () => {
  const { store, batches } = recordingStore(2);
  const collector = new Collector(store, pino({ level: 'silent' }));
  const written = new Map<string, number>();
  const end = performance.now() + 12 * FLUSH_INTERVAL_MS;
  let i = 0;
  // About one event a millisecond for 12 intervals: far below FLUSH_AT per interval.
  while (performance.now() < end) {
    const e = event(i++);
    written.set(e.id, performance.now());
    collector.write(e);
    await new Promise((r) => setTimeout(r, 1));
  }
  await collector.flush();
  const stored = batches.flatMap((b) => b.events);
  assert.equal(stored.length, i, 'every event stored once');
  assert.equal(new Set(stored.map((e) => e.id)).size, i);
  // Before the change this test pins, every write was followed at once by another of whatever had
  // arrived meanwhile: one batch per couple of events.
  assert.ok(batches.length <= 12 + 3, `${batches.length} batches for 12 intervals of a steady stream`);
  let worst = 0;
  for (const b of batches.slice(0, -1)) for (const e of b.events) worst = Math.max(worst, b.at - written.get(e.id)!);
  // The interval, the store's own write time and timer slack on a busy machine.
  assert.ok(worst < FLUSH_INTERVAL_MS * 3, `an event waited ${worst.toFixed(0)} ms to be stored`);
  await collector.close();
});

// A timer of 1 ms set after the collector's own: it fires after the collector's timer when that one
// was set to fire at once, and long before one set for the interval, however busy the machine.
const nextTimer = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

test('a burst of FLUSH_AT events is written at once; flush() writes a partial batch at once', async () => {
  // The events are made beforehand, so the writes take a millisecond or two: making them inside the
  // loop took longer than FLUSH_INTERVAL_MS once (CI, beside PostgreSQL), and the interval's timer was
  // rightly due first. A stall of the whole process past the interval (a loaded VM) is tried again.
  const burst = Array.from({ length: FLUSH_AT - 1 }, (_, i) => event(i));
  for (let attempt = 1; ; attempt++) {
    const { store, batches, calls } = recordingStore(0);
    const collector = new Collector(store, pino({ level: 'silent' }));
    const started = performance.now();
    for (const e of burst) collector.write(e);
    await nextTimer();
    if (performance.now() - started >= FLUSH_INTERVAL_MS && attempt < 3) {
      await collector.close();
      continue;
    }
    assert.equal(calls.n, 0, 'fewer than FLUSH_AT wait for the interval');
    collector.write(event(FLUSH_AT));
    await nextTimer();
    assert.equal(calls.n, 1, 'a full batch does not wait for the interval');
    await collector.flush();
    collector.write(event(0));
    const flushed = collector.flush();
    await nextTimer();
    assert.equal(calls.n, 2, 'flush() does not wait for the interval');
    await flushed;
    assert.equal(batches.flatMap((b) => b.events).length, FLUSH_AT + 1);
    await collector.close();
    return;
  }
});

test('a store fault keeps the queued events and retries until they are stored', async () => {
  const { store, batches, failNext } = recordingStore(0);
  const collector = new Collector(store, pino({ level: 'silent' }));
  failNext.n = 2;
  for (let i = 0; i < 10; i++) collector.write(event(i));
  await collector.flush();
  assert.equal(batches.flatMap((b) => b.events).length, 10);
  assert.equal(collector.stats.storeFailures, 2);
  await collector.close();
});
