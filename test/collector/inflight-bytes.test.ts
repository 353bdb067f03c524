// The collector's budget of bytes being received: in all and per sensor, a lone request always let in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InflightBytes } from '../../src/collector/remote-ingest.js';

test('reservations stay within the budget and the sensor share; a request alone is let in; giving back frees them', () => {
  const b = new InflightBytes(100, 60);
  assert.equal(b.take('a', 500), true, 'alone, even past the budget');
  assert.equal(b.take('b', 1), false);
  b.give('a', 500);
  assert.equal(b.take('a', 40), true);
  assert.equal(b.take('a', 30), false, "past a's share");
  assert.equal(b.take('b', 50), true);
  assert.equal(b.take('c', 20), false, 'past the budget');
  b.give('a', 40);
  assert.equal(b.take('c', 20), true);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 80 }), fc.boolean())), (ops) => {
      const budget = new InflightBytes(100, 60);
      const held: [string, number][] = [];
      for (const [sensor, n, give] of ops) {
        if (give && held.length) {
          const [s, m] = held.shift()!;
          budget.give(s, m);
        } else if (budget.take(sensor, n)) held.push([sensor, n]);
        // Past the budget only while a single request holds it; past a share only by a sensor's single request.
        const sums = new Map<string, number[]>();
        for (const [s, m] of held) sums.set(s, [...(sums.get(s) ?? []), m]);
        assert.ok(held.length <= 1 || budget.inUse <= 100, JSON.stringify(held));
        for (const ms of sums.values()) assert.ok(ms.length === 1 || ms.reduce((t, m) => t + m, 0) <= 60, JSON.stringify(held));
        assert.equal(budget.inUse, held.reduce((t, [, m]) => t + m, 0));
      }
    }),
  );
});
