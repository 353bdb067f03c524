// The bounds on a remote event's source (MAX_REMOTE_SOURCE_DEPTH, MAX_REMOTE_SOURCE_BYTES): a source
// nested too deep or too large is refused without throwing, however deep or large; one within them
// passes, at the exact edge too; the early count never refuses what fits (property); and the largest
// source an hpfeeds feed's events carry fits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_REMOTE_SOURCE_BYTES, MAX_REMOTE_SOURCE_DEPTH, remoteSourceProblem, validateRemoteEvent } from '../../src/collector/remote-event.js';
import { HpfeedsMapper, MAX_FIELD_CHARS } from '../../src/importers/hpfeeds/hpfeeds-records.js';
import { makeEvent, nested } from '../helpers/events.js';

/** The nesting of V by the definition, recursively (for the small values of the property). */
function depthOf(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  return 1 + Math.max(0, ...Object.values(v).map(depthOf));
}

/** What validateRemoteEvent says of INPUT, small enough to compare (a failed deepEqual's diff of a 128 KiB source takes minutes). */
function verdict(input: unknown): string {
  const v = validateRemoteEvent(input);
  return v.ok ? 'ok' : v.reason;
}

const event = makeEvent({ type: 'connection.open', time: '2026-11-01T00:00:00Z', src: '198.51.100.4', payload: { transport: 'tcp' } });

test('a source nested past MAX_REMOTE_SOURCE_DEPTH is refused, however deep (JSON.stringify overflows its stack at a few thousand)', () => {
  for (const array of [false, true]) {
    assert.equal(remoteSourceProblem(nested(MAX_REMOTE_SOURCE_DEPTH, 'x', array)), undefined);
    assert.equal(remoteSourceProblem(nested(MAX_REMOTE_SOURCE_DEPTH + 1, 'x', array)), `source: nested more than ${MAX_REMOTE_SOURCE_DEPTH} deep`);
    assert.equal(remoteSourceProblem(nested(100_000, 'x', array)), `source: nested more than ${MAX_REMOTE_SOURCE_DEPTH} deep`);
  }
  assert.throws(() => JSON.stringify(nested(100_000)), RangeError, 'what the bound keeps from the store');
  assert.equal(verdict({ ...event, source: { format: 'hpfeeds:dionaea.connections', record: nested(MAX_REMOTE_SOURCE_DEPTH) } }), `source: nested more than ${MAX_REMOTE_SOURCE_DEPTH} deep`);
});

test('a source of more than MAX_REMOTE_SOURCE_BYTES as JSON (UTF-8, escapes included) is refused; one of exactly that passes', () => {
  const shell = JSON.stringify({ format: 'f', record: '' }).length;
  const exact = { format: 'f', record: 'x'.repeat(MAX_REMOTE_SOURCE_BYTES - shell) };
  assert.equal(Buffer.byteLength(JSON.stringify(exact)), MAX_REMOTE_SOURCE_BYTES);
  assert.equal(remoteSourceProblem(exact), undefined);
  const tooLarge = `source: more than ${MAX_REMOTE_SOURCE_BYTES} bytes as JSON`;
  assert.equal(remoteSourceProblem({ ...exact, record: `${exact.record}x` }), tooLarge);
  // Characters that take more than a byte: 'é' two, a control character six once escaped.
  assert.equal(remoteSourceProblem({ format: 'f', record: 'é'.repeat(MAX_REMOTE_SOURCE_BYTES / 2) }), tooLarge);
  assert.equal(remoteSourceProblem({ format: 'f', record: '\u0001'.repeat(MAX_REMOTE_SOURCE_BYTES / 6) }), tooLarge);
  // Huge and wide: refused early, without serialising it.
  assert.equal(remoteSourceProblem({ format: 'f', record: Array.from({ length: 1_000_000 }, () => 0) }), tooLarge);
  assert.equal(remoteSourceProblem({ format: 'f', record: 'x'.repeat(32 * 1024 * 1024) }), tooLarge);
  assert.equal(verdict({ ...event, source: { ...exact, record: `${exact.record}x` } }), tooLarge);
  // An event without a source, or with an ordinary one, is as validateEvent has it.
  assert.deepEqual(validateRemoteEvent(event), { ok: true, event });
  const source = { format: 'hpfeeds:cowrie.sessions', record: { ident: 'cowrie-1', session: 'a1b2', credentials: ['root', '123456'] } };
  assert.deepEqual(validateRemoteEvent({ ...event, source }), { ok: true, event: { ...event, source } });
});

test('property: a JSON source (any characters) is refused exactly when it is nested or serialises past the bounds, at their edge too, and never throws', () => {
  fc.assert(
    // Bounds at and around the source's own depth and size, where a count that is one too high would show.
    fc.property(fc.jsonValue({ maxDepth: 6, stringUnit: 'binary' }), fc.integer({ min: -1, max: 1 }), fc.integer({ min: -3, max: 3 }), (source, moreDepth, moreBytes) => {
      const size = Buffer.byteLength(JSON.stringify(source));
      const bounds = { depth: Math.max(1, depthOf(source) + moreDepth), bytes: Math.max(1, size + moreBytes) };
      const fits = depthOf(source) <= bounds.depth && size <= bounds.bytes;
      const problem = remoteSourceProblem(source, bounds);
      assert.equal(problem === undefined, fits, `${JSON.stringify(source)} in ${JSON.stringify(bounds)}: ${problem}`);
    }),
    { numRuns: 5000 },
  );
});

test("an hpfeeds feed's largest source fits: a command cut at MAX_FIELD_CHARS, all control characters, under the longest ident", () => {
  // Cowrie makes the session id (12 hex digits); the command and the credentials are the attacker's.
  const ident = 'i'.repeat(254);
  const summary = {
    session: 'a1b2c3d4e5f6',
    startTime: '2024-06-01T00:00:00.000000Z',
    peerIP: '203.0.113.9',
    peerPort: 40000,
    hostIP: '192.0.2.1',
    hostPort: 22,
    credentials: [['root', '\u0001'.repeat(4096)]],
    commands: ['\u0001'.repeat(MAX_FIELD_CHARS + 100)],
  };
  const r = new HpfeedsMapper().map('cowrie.sessions', Buffer.from(JSON.stringify(summary)), { sensor: 'feed-1', ident, receivedMs: Date.UTC(2024, 5, 1) });
  assert.ok(r.ok, r.ok ? '' : r.reason);
  const command = r.events.find((e) => e.type === 'command.input');
  assert.ok(command && Buffer.byteLength(JSON.stringify(command.source)) > 96 * 1024, 'the command is in its record');
  for (const e of r.events) {
    assert.equal(verdict(e), 'ok', e.type);
  }
});
