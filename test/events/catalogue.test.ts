// Keeps the event catalogue, docs/events.md, docs/errors.md and the code that emits events in step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CATALOGUE, EVENT_TYPES, checkEnvelope, envelopeSchema, flattenEvent, validateEvent } from '../../src/events/catalogue.js';
import fc from 'fast-check';
import { createSessionEmitter, type EventSink } from '../../src/events/emitter.js';
import { ERROR_CODES } from '../../src/errors/errors.js';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { sourceFiles } from '../helpers/source-files.js';

const sources = sourceFiles;

test('every catalogued type is documented in docs/events.md, and nothing else is', () => {
  const doc = readFileSync('docs/events.md', 'utf8');
  const documented = [...doc.matchAll(/^### `([a-z0-9_.-]+)`$/gm)].map((m) => m[1]!);
  assert.deepEqual([...documented].sort(), [...EVENT_TYPES].sort());
});

test('every event type the code emits is catalogued', () => {
  const emitted = new Set<string>();
  for (const f of sources('src')) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\.emit\(\s*'([a-z0-9_.-]+)'/g)) emitted.add(m[1]!);
  }
  assert.ok(emitted.size > 0);
  for (const t of emitted) assert.ok(Object.hasOwn(CATALOGUE, t), `emitted type ${t} is not in the catalogue`);
});

test('every error code is documented in docs/errors.md', () => {
  const doc = readFileSync('docs/errors.md', 'utf8');
  const documented = [...doc.matchAll(/^\| `(APIARY_[A-Z_]+)` \|/gm)].map((m) => m[1]!);
  assert.deepEqual([...documented].sort(), Object.keys(ERROR_CODES).sort());
});

test('payload fields cannot overwrite the envelope', () => {
  const got: ApiaryEvent[] = [];
  const sink: EventSink = { write: (e) => void got.push(e), flush: async () => {} };
  const em = createSessionEmitter(sink, { sensor: 's1', protocol: 'ssh', src_ip: '::ffff:198.51.100.7', src_port: 4000, dst_ip: '127.0.0.1', dst_port: 22 });
  // A payload carrying envelope names is refused by the strict schema, so it can never reach the store.
  const bad = em.emit('command.input', { input: 'x', session: 'forged', src_ip: '1.1.1.1' } as never);
  assert.equal(bad, undefined);
  em.emit('command.input', { input: 'ls' });
  assert.equal(got.length, 1);
  const flat = flattenEvent(got[0]!);
  assert.equal(flat.src_ip, '198.51.100.7');
  assert.equal(flat.session, em.session);
  assert.equal(flat.input, 'ls');
  assert.ok(validateEvent(got[0]).ok);
});

test('validateEvent rejects unknown types and bad envelopes without throwing', () => {
  assert.equal(validateEvent(null).ok, false);
  assert.equal(validateEvent({}).ok, false);
  const r = validateEvent({ id: 'x', time: '2020-01-01T00:00:00.000Z', type: 'nope', sensor: 's', session: 's', protocol: 'p', src_ip: '1.2.3.4', src_port: 1, dst_ip: '1.2.3.4', dst_port: 2, payload: {} });
  assert.equal(r.ok, false);
});

test('the hand envelope check accepts only what the envelope schema accepts, with the same result', () => {
  const time = fc.oneof(
    fc.date({ min: new Date(Date.UTC(1, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom('2026-02-29T00:00:00Z', '2024-02-29T23:59:59.123456Z', '2026-01-01T24:00:00Z', '2026-01-01T10:00Z', '2026-01-01T10:00:00+01:00', '2026-01-01 10:00:00Z', ''),
    fc.string({ maxLength: 30 }),
  );
  const text = (max: number) => fc.oneof(fc.string({ minLength: 0, maxLength: max + 2 }), fc.constant(''), fc.integer());
  const port = fc.oneof(fc.integer({ min: -2, max: 65537 }), fc.double(), fc.constant('22'));
  const envelope = fc.record(
    { id: text(64), time, type: fc.oneof(fc.constantFrom(...EVENT_TYPES), fc.string()), sensor: text(128), session: text(64), protocol: text(32), src_ip: text(64), src_port: port, dst_ip: text(64), dst_port: port, extra: fc.anything() },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(fc.oneof(envelope, fc.anything()), (input) => {
      const fast = checkEnvelope(input);
      const zod = envelopeSchema.safeParse(input);
      if (fast !== undefined) {
        assert.ok(zod.success, `accepted by hand, refused by zod: ${JSON.stringify(input)}`);
        assert.deepEqual(fast, zod.data);
      }
    }),
    { numRuns: 5000 },
  );
  // And well-formed envelopes do take the fast path.
  const good = { id: 'x', time: '2026-11-26T10:00:00.123Z', type: 'connection.open', sensor: 's', session: 'abc', protocol: 'ssh', src_ip: '198.51.100.1', src_port: 1, dst_ip: '192.0.2.1', dst_port: 22 };
  assert.deepEqual(checkEnvelope({ ...good, payload: {} }), good);
});

test('a payload in schema order (the exact check) and the same payload in another order (zod) give the same stored event', () => {
  const envelope = {
    id: '01J0000000000000000000000A', time: '2026-01-01T00:00:00.000Z', type: 'auth.attempt', sensor: 's', session: 'abcd',
    protocol: 'ssh', src_ip: '198.51.100.1', src_port: 4000, dst_ip: '192.0.2.1', dst_port: 22,
  };
  const inOrder = validateEvent({ ...envelope, payload: { method: 'password', username: 'root', password: 'x', success: false } });
  const reordered = validateEvent({ ...envelope, payload: { success: false, password: 'x', username: 'root', method: 'password' } });
  assert.ok(inOrder.ok && reordered.ok);
  assert.equal(JSON.stringify(inOrder.event), JSON.stringify(reordered.event));
  const bad = validateEvent({ ...envelope, payload: { method: 'password', username: 'root', password: 'x', success: 'no' } });
  assert.equal(bad.ok, false, 'a wrong value still fails, with zod wording the reason');
  const stored: ApiaryEvent[] = [];
  const sink: EventSink = { write: (e) => void stored.push(e), flush: async () => {} };
  const emitter = createSessionEmitter(sink, { sensor: 's', protocol: 'ssh', src_ip: '198.51.100.1', src_port: 4000, dst_ip: '192.0.2.1', dst_port: 22 });
  emitter.emit('auth.attempt', { method: 'password', username: 'root', password: 'x', success: false });
  emitter.emit('auth.attempt', { success: false, password: 'x', username: 'root', method: 'password' });
  assert.equal(JSON.stringify(stored[0]!.payload), JSON.stringify(stored[1]!.payload));
});
