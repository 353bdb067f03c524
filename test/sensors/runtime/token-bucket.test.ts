// Token buckets per source and over all sources (the recovery budget of the MySQL sensor counts with
// SharedRate): never more than rate x time + burst, per source and in all, whatever the calls and the clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SharedRate } from '../../../src/sensors/runtime/token-bucket.js';

const SOURCES = ['192.0.2.1', '192.0.2.2', '2001:db8:1:2::1', '2001:db8:1:2::ff', '198.51.100.9'];
const keyOf = (a: string): string => (a.includes(':') ? '2001:db8:1:2::/64' : a);

/** Whether TIMES (ms, in order) never has more than BURST + RATE x the span in any window. */
function withinRate(times: number[], rate: number, burst: number): boolean {
  for (let i = 0; i < times.length; i++) {
    for (let j = i; j < times.length; j++) if (j - i + 1 > burst + (rate * (times[j]! - times[i]!)) / 1000 + 1e-9) return false;
  }
  return true;
}

test('property: in any window, what SharedRate lets through never exceeds rate x time + burst, per source nor in all', () => {
  const call = fc.record({ dtMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 5000 })), source: fc.constantFrom(...SOURCES) });
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 10 }), fc.array(call, { maxLength: 250 }), (perSource, global, burstSeconds, calls) => {
      let now = 1_700_000_000_000;
      const rate = new SharedRate({ perSourcePerSecond: perSource, globalPerSecond: global, burstSeconds }, 100, () => now);
      const taken = new Map<string, number[]>();
      const all: number[] = [];
      for (const c of calls) {
        now += c.dtMs;
        if (!rate.take(c.source)) continue;
        const key = keyOf(c.source);
        taken.set(key, [...(taken.get(key) ?? []), now]);
        all.push(now);
      }
      return withinRate(all, global, global * burstSeconds) && [...taken.values()].every((t) => withinRate(t, perSource, perSource * burstSeconds));
    }),
    { numRuns: 300 },
  );
});

test('a source refused by the global bucket keeps its own token', () => {
  let now = 0;
  const rate = new SharedRate({ perSourcePerSecond: 1, globalPerSecond: 10, burstSeconds: 1 }, 100, () => now);
  for (let i = 0; i < 10; i++) assert.ok(rate.take(`192.0.2.${i}`));
  assert.equal(rate.take('198.51.100.1'), false, 'the global burst (10) is spent');
  now += 100;
  // The global bucket has one again; the source's own (1 a second) would not have refilled in 0.1 s.
  assert.ok(rate.take('198.51.100.1'));
  assert.equal(rate.take('198.51.100.1'), false);
});

test('a clock that goes back refills nothing; sources kept are bounded', () => {
  let now = 10_000;
  const rate = new SharedRate({ perSourcePerSecond: 1, globalPerSecond: 1000, burstSeconds: 1 }, 64, () => now);
  assert.ok(rate.take('192.0.2.1'));
  now -= 5000;
  assert.equal(rate.take('192.0.2.1'), false);
  now += 5000;
  assert.equal(rate.take('192.0.2.1'), false, 'time is counted once');
  now += 1000;
  assert.ok(rate.take('192.0.2.1'));
  for (let i = 0; i < 10_000; i++) rate.take(`10.0.${i >> 8}.${i & 255}`);
  assert.ok(rate.size <= 64, `${rate.size} sources held`);
});
