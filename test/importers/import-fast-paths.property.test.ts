// The importers' fast paths give exactly what the plain paths give: the payload check agrees with zod
// (and zod would return the same JSON), and the cached time format equals toISOString. (Lines decoded
// in place are checked against lines put together from pieces in parsers.property.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CATALOGUE, EVENT_TYPES, payloadCertainlyValid, type EventType } from '../../src/events/catalogue.js';
import { isoTime } from '../../src/events/iso-time.js';

const RUNS = { numRuns: 400 };

/** Values near every kind of field in the catalogue: valid and invalid strings, numbers, booleans, arrays. */
const anyValue = fc.oneof(
  fc.string({ maxLength: 70 }),
  fc.constantFrom('tcp', 'udp', 'password', 'publickey', 'client', 'stored', 'failed', 'open', 'ttylog', 'a'.repeat(32), 'f'.repeat(64), 'ABC', ''),
  fc.integer({ min: -70000, max: 70000 }),
  fc.constantFrom(0, -0, 65535, 65536, 1.5, NaN, Infinity, -1),
  fc.boolean(),
  fc.constant(undefined),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxLength: 4 }),
);

interface FieldDef {
  typeName: string;
  innerType?: { _def: FieldDef };
  type?: { _def: FieldDef };
  values?: string[];
  checks?: { kind: string; value?: number }[];
}

/** Values a field of this kind takes, on and just past its bounds (the generator reads the schema; the check is tested against zod). */
function nearValid(def: FieldDef): fc.Arbitrary<unknown> {
  const bound = (kind: string) => def.checks?.find((c) => c.kind === kind)?.value;
  switch (def.typeName) {
    case 'ZodOptional':
      return nearValid(def.innerType!._def);
    case 'ZodEnum':
      return fc.constantFrom(...def.values!);
    case 'ZodBoolean':
      return fc.boolean();
    case 'ZodNumber': {
      const lo = bound('min') ?? -5;
      const hi = bound('max') ?? 1e6;
      return fc.oneof(fc.integer({ min: Math.max(lo, -1e6), max: Math.min(hi, 1e6) }), fc.constantFrom(lo, hi, lo - 1, hi + 1, lo + 0.5));
    }
    case 'ZodString': {
      const len = bound('length');
      if (len !== undefined) return fc.constantFrom('0a'.repeat(len).slice(0, len), 'f'.repeat(len), 'F'.repeat(len), 'a'.repeat(len - 1), 'b'.repeat(len + 1), 'g'.repeat(len));
      return fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('', '00ff', 'Z'));
    }
    case 'ZodArray':
      return fc.array(nearValid(def.type!._def), { maxLength: 3 });
    default:
      return anyValue;
  }
}

/** A payload for TYPE: some of its own keys (in order or reversed), values mostly near valid, sometimes a stranger. */
function payloadFor(type: EventType): fc.Arbitrary<Record<string, unknown>> {
  const shape = (CATALOGUE[type] as unknown as { shape: Record<string, { _def: FieldDef }> }).shape;
  const keys = Object.keys(shape);
  const value = (k: string) => (shape[k] ? fc.oneof({ weight: 8, arbitrary: nearValid(shape[k]._def) }, { weight: 1, arbitrary: anyValue }) : anyValue);
  // Each key present most of the time, a stranger now and then.
  const slots = [...keys, 'extra'];
  return fc
    .tuple(fc.tuple(...slots.map((k) => fc.tuple(fc.nat(9), value(k)))), fc.nat(9))
    .map(([kv, mode]) => {
      const present = slots.map((k, i) => [k, kv[i]![1], kv[i]![0] < (k === 'extra' ? 1 : 8)] as const).filter(([, , p]) => p);
      // Mostly the schema's order; sometimes reversed, which zod would put back in order.
      if (mode === 0) present.reverse();
      const o: Record<string, unknown> = {};
      for (const [k, v] of present) o[k] = v;
      return o;
    });
}

test('payloadCertainlyValid: whatever it accepts, zod accepts and returns the same JSON (same keys, same order)', () => {
  let accepted = 0;
  for (const type of EVENT_TYPES) {
    fc.assert(
      fc.property(payloadFor(type), (p) => {
        if (!payloadCertainlyValid(type, p)) return;
        accepted++;
        const z = CATALOGUE[type].safeParse(p);
        assert.ok(z.success, `${type}: zod rejects ${JSON.stringify(p)}`);
        assert.equal(JSON.stringify(z.data), JSON.stringify(p));
        assert.deepEqual(z.data, p);
      }),
      { numRuns: 300 },
    );
  }
  assert.ok(accepted > EVENT_TYPES.length * 20, `the check accepted only ${accepted} payloads, so it was hardly exercised`);
});

test('payloadCertainlyValid: the payloads importers build pass, and invalid ones are left to zod', () => {
  assert.equal(payloadCertainlyValid('connection.open', { transport: 'tcp' }), true);
  assert.equal(payloadCertainlyValid('auth.attempt', { method: 'password', username: 'root', password: 'x', success: false }), true);
  assert.equal(payloadCertainlyValid('client.kex', { hassh: 'a'.repeat(32), hassh_algorithms: 'x', kex_algs: ['a'], key_algs: [], enc_cs: [], mac_cs: [], comp_cs: [] }), true);
  assert.equal(payloadCertainlyValid('tunnel.request', { target_host: 'h', target_port: 80, first_bytes_hex: '00ff' }), true);
  // Wrong order (zod would reorder the keys), a missing required key, a bad value, an unknown key.
  assert.equal(payloadCertainlyValid('auth.attempt', { username: 'root', method: 'password', success: false }), false);
  assert.equal(payloadCertainlyValid('auth.attempt', { method: 'password', username: 'root' }), false);
  assert.equal(payloadCertainlyValid('tunnel.request', { target_host: 'h', target_port: 70000 }), false);
  assert.equal(payloadCertainlyValid('tunnel.request', { target_host: 'h', target_port: 80, first_bytes_hex: 'XY' }), false);
  assert.equal(payloadCertainlyValid('connection.open', { transport: 'tcp', extra: 1 }), false);
  assert.equal(payloadCertainlyValid('client.version', { version: 'v', comments: undefined }), false);
});

test('isoTime equals toISOString for any time, in any order (years past 9999 and before 1970 included)', () => {
  const LAST = 8.64e15 - 2500;
  const ms = fc.oneof(fc.integer({ min: 0, max: 253402300799999 }), fc.double({ min: 0, max: 253402300799999, noNaN: true }), fc.integer({ min: -LAST, max: LAST }), fc.constantFrom(253402300799999, 253402300800000, -1, 0));
  fc.assert(
    fc.property(fc.array(fc.tuple(ms, fc.integer({ min: 0, max: 2500 })), { minLength: 1, maxLength: 20 }), (pairs) => {
      // Each time and a near neighbour, so the per-second cache is hit and missed.
      for (const [t, d] of pairs) {
        for (const x of [t, t + d, t]) assert.equal(isoTime(x), new Date(x).toISOString());
      }
    }),
    RUNS,
  );
});
