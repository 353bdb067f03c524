// The per-source request rate: a token bucket per address or IPv6 /64, and one summary per window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_RATE_SOURCES, RequestRate } from '../../../src/sensors/runtime/request-rate.js';

test('a burst, then the sustained rate; an IPv6 /64 is one source; the rest is counted in one summary', () => {
  let now = 1_000_000;
  const summaries: [string, number][] = [];
  const r = new RequestRate((src, count) => void summaries.push([src, count]), 10, 50, () => now);
  let admitted = 0;
  for (let i = 0; i < 80; i++) if (r.admit(i % 2 ? '2001:db8:1:2::1' : '2001:db8:1:2::ff')) admitted++;
  assert.equal(admitted, 50, 'the burst, shared by the /64');
  assert.ok(r.admit('2001:db8:1:3::1'), 'another /64 has its own bucket');
  now += 1000;
  for (let i = 0; i < 20; i++) if (r.admit('2001:db8:1:2::1')) admitted++;
  assert.equal(admitted, 60, 'ten more after a second at 10 a second');
  r.flush();
  // One summary for the /64, under the address of its first request over the rate (an address, so
  // that the event's src_ip is one).
  assert.deepEqual(summaries, [['2001:db8:1:2::ff', 40]]);
});

test('sources kept are bounded: quiet ones are forgotten first', () => {
  let now = 0;
  const r = new RequestRate(() => {}, 10, 5, () => now);
  for (let i = 0; i < MAX_RATE_SOURCES + 10; i++) r.admit(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  now += 1000;
  assert.ok(r.admit('192.0.2.1'));
  assert.ok((r as unknown as { buckets: Map<string, unknown> }).buckets.size <= MAX_RATE_SOURCES);
});
