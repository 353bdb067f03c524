// The report's hand-parsed event times must equal Date.parse for every input: stored times, other ISO
// forms, garbage, and a run of times that crosses days (the cached day start).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IsoClock } from '../../src/report/compute.js';

const MIN = Date.UTC(-1000, 0, 1);
const MAX = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function same(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

test('IsoClock.ms equals Date.parse for stored times, near-misses and any string', () => {
  const clock = new IsoClock();
  const stored = fc.integer({ min: MIN, max: MAX }).map((ms) => new Date(ms).toISOString());
  // Stored times with one character changed: a digit out of range, a separator, a letter.
  const mutated = fc.tuple(stored, fc.nat(23), fc.constantFrom('0', '9', '5', 'x', ':', '.', '-', 'T', 'Z', ' ', '+')).map(([t, i, c]) => t.slice(0, i) + c + t.slice(i + 1));
  fc.assert(
    fc.property(fc.array(fc.oneof(stored, mutated, fc.string({ maxLength: 30 })), { maxLength: 40 }), (times) => {
      for (const t of times) assert.ok(same(clock.ms(t), Date.parse(t)), `${JSON.stringify(t)}: ${clock.ms(t)} vs ${Date.parse(t)}`);
    }),
    { numRuns: 2000 },
  );
});

test('IsoClock.ms follows a time series across days, months and leap days', () => {
  const clock = new IsoClock();
  for (let ms = Date.UTC(2023, 11, 30, 22); ms < Date.UTC(2024, 2, 2); ms += 3_599_917) {
    const t = new Date(ms).toISOString();
    assert.equal(clock.ms(t), ms, t);
  }
});
