// Event and session ids: event ids are monotonic ULIDs; session ids are 16 hex characters that sort by
// start second and never repeat within a process, even thousands in one second.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT_ID_PATTERN, newEventId, newSessionId } from '../../src/events/id.js';

test('session ids: 16 hex characters, the start second first, unique and increasing within a second', () => {
  const t = Date.UTC(2026, 10, 26, 12, 0, 0);
  const ids = Array.from({ length: 5000 }, () => newSessionId(t + 500));
  assert.ok(ids.every((id) => /^[0-9a-f]{16}$/.test(id)));
  assert.ok(ids.every((id) => id.startsWith((t / 1000).toString(16).padStart(8, '0'))));
  assert.equal(new Set(ids).size, ids.length);
  const next = newSessionId(t + 1000);
  assert.ok(next > ids[ids.length - 1]!, 'a later second sorts after');
  // A new second starts its counter afresh (random), not where the last one stopped.
  assert.notEqual(BigInt(`0x${next.slice(8)}`), BigInt(`0x${ids[ids.length - 1]!.slice(8)}`) + 1n);
  // A session that starts later sorts later, whatever the counters.
  const spread = [0, 1, 2, 3, 60, 3600].map((s) => newSessionId(t + s * 1000));
  assert.deepEqual([...spread].sort(), spread);
  assert.match(newSessionId(-5), /^0{8}[0-9a-f]{8}$/);
  assert.match(newSessionId(Number.MAX_SAFE_INTEGER), /^f{8}[0-9a-f]{8}$/);
});

test('event ids stay ULIDs that increase within a millisecond', () => {
  const ids = Array.from({ length: 1000 }, () => newEventId(1_700_000_000_000));
  assert.ok(ids.every((id) => EVENT_ID_PATTERN.test(id)));
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
});
