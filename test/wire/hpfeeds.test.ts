// The hpfeeds codec: every message round-trips, a stream split anywhere decodes the same, the size
// limits of the reference broker hold, and no byte sequence makes it throw or buffer without bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  authDigest,
  encodeAuth,
  encodeError,
  encodeInfo,
  encodePublish,
  encodeSubscribe,
  HpfeedsDecoder,
  MAX_MESSAGE_BYTES,
  MAX_PAYLOAD_BYTES,
  OP_PUBLISH,
  OP_UNSUBSCRIBE,
  type Decoded,
} from '../../src/wire/hpfeeds.js';

const messages = (): Buffer[] => [
  encodeInfo('apiary', Buffer.from([1, 2, 3, 4])),
  encodeAuth('cowrie-1', Buffer.alloc(20, 7)),
  encodePublish('cowrie-1', 'cowrie.sessions', Buffer.from('{"session":"x"}')),
  encodeSubscribe('reader', 'dionaea.capture'),
  encodeSubscribe('reader', 'dionaea.capture', OP_UNSUBSCRIBE),
  encodeError('Authentication failed for x'),
];

const expected = [
  { op: 1, name: 'apiary', nonce: Buffer.from([1, 2, 3, 4]) },
  { op: 2, ident: 'cowrie-1', digest: Buffer.alloc(20, 7) },
  { op: 3, ident: 'cowrie-1', channel: 'cowrie.sessions', payload: Buffer.from('{"session":"x"}') },
  { op: 4, ident: 'reader', channel: 'dionaea.capture' },
  { op: 5, ident: 'reader', channel: 'dionaea.capture' },
  { op: 0, text: 'Authentication failed for x' },
];

function decodeAll(parts: Buffer[]): Decoded[] {
  const d = new HpfeedsDecoder();
  return parts.flatMap((p) => d.push(p));
}

test('each message decodes to what was encoded, whole or split at any byte', () => {
  const stream = Buffer.concat(messages());
  assert.deepEqual(decodeAll([stream]).map((m) => (m.ok ? m.message : m)), expected);
  for (let cut = 1; cut < stream.length; cut++) {
    assert.deepEqual(decodeAll([stream.subarray(0, cut), stream.subarray(cut)]).map((m) => (m.ok ? m.message : m)), expected, `cut at ${cut}`);
  }
  // One byte at a time.
  assert.deepEqual(decodeAll([...stream].map((b) => Buffer.from([b]))).map((m) => (m.ok ? m.message : m)), expected);
});

test('the header is big-endian and counts itself, as the Python clients pack it (struct "!iB")', () => {
  const m = encodePublish('a', 'b', Buffer.from('xyz'));
  assert.deepEqual([...m], [0, 0, 0, 12, OP_PUBLISH, 1, 0x61, 1, 0x62, 0x78, 0x79, 0x7a]);
  // SHA-1(nonce || secret), checked against Python's hashlib: hashlib.sha1(bytes([1,2,3,4]) + b'cowrie-secret').
  assert.equal(authDigest(Buffer.from([1, 2, 3, 4]), 'cowrie-secret').toString('hex'), '06e58cbf2811e9ed5308885cd95604a582ada296');
});

test('limits: the largest publish passes, one byte more ends the stream, as do unknown opcodes and short lengths', () => {
  const ident = 'x'.repeat(255);
  const biggest = encodePublish(ident, ident, Buffer.alloc(MAX_PAYLOAD_BYTES));
  assert.equal(biggest.length, MAX_MESSAGE_BYTES[OP_PUBLISH]);
  assert.equal(decodeAll([biggest])[0]!.ok, true);
  assert.throws(() => encodePublish('a', 'b', Buffer.alloc(MAX_PAYLOAD_BYTES + 1)), RangeError);
  const over = Buffer.from(biggest);
  over.writeUInt32BE(biggest.length + 1, 0);
  const d = new HpfeedsDecoder();
  assert.deepEqual(d.push(over.subarray(0, 5)), [{ ok: false, reason: `message of ${biggest.length + 1} bytes for opcode 3 (limit ${biggest.length})` }]);
  // Once ended, the stream stays ended, whatever follows.
  assert.equal(d.push(encodeError('x'))[0]!.ok, false);
  assert.deepEqual(decodeAll([Buffer.from([0, 0, 0, 5, 9])]), [{ ok: false, reason: 'unknown opcode 9' }]);
  assert.deepEqual(decodeAll([Buffer.from([0, 0, 0, 4, 3])]), [{ ok: false, reason: `message of 4 bytes for opcode 3 (limit ${MAX_MESSAGE_BYTES[OP_PUBLISH]})` }]);
  // An INFO too long for its opcode, and bodies whose len8 strings run past the end.
  assert.deepEqual(decodeAll([Buffer.from([0, 0, 2, 0, 1])]), [{ ok: false, reason: `message of 512 bytes for opcode 1 (limit ${MAX_MESSAGE_BYTES[1]})` }]);
  assert.deepEqual(decodeAll([Buffer.from([0, 0, 0, 8, 3, 9, 0x61, 0x62])]), [{ ok: false, reason: 'malformed PUBLISH' }]);
  assert.deepEqual(decodeAll([Buffer.from([0, 0, 0, 10, 2, 1, 0x61, 1, 2, 3])]), [{ ok: false, reason: 'malformed AUTH' }]);
});

test('no byte sequence throws, and a decoder never holds more than one message', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), fc.boolean(), (chunks, validPrefix) => {
      const d = new HpfeedsDecoder();
      if (validPrefix) for (const m of messages()) d.push(m);
      for (const c of chunks) {
        const out = d.push(Buffer.from(c));
        for (const m of out) if (!m.ok) assert.equal(typeof m.reason, 'string');
        const held = (d as unknown as { buffered: number }).buffered;
        assert.ok(held <= MAX_MESSAGE_BYTES[OP_PUBLISH]!, `holds ${held}`);
      }
    }),
    { numRuns: 2000 },
  );
  // Headers that claim plausible lengths, fed random bodies.
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 6 }), fc.uint8Array({ maxLength: 600 }), (op, body) => {
      const head = Buffer.alloc(5);
      head.writeUInt32BE(5 + body.length, 0);
      head[4] = op;
      for (const m of decodeAll([head, Buffer.from(body)])) if (m.ok) assert.ok(m.message.op === op);
    }),
    { numRuns: 3000 },
  );
});

test('a cap holds until lifted between messages of one chunk (a broker lifts it after AUTH)', () => {
  const chunk = Buffer.concat([encodeAuth('a', Buffer.alloc(20)), encodePublish('a', 'c', Buffer.alloc(1000))]);
  const capped = new HpfeedsDecoder();
  capped.cap = 300;
  capped.feed(chunk);
  assert.equal(capped.next()!.ok, true);
  capped.cap = undefined;
  const next = capped.next();
  assert.ok(next?.ok && next.message.op === OP_PUBLISH);
  const kept = new HpfeedsDecoder();
  kept.cap = 300;
  assert.deepEqual(kept.push(chunk).map((d) => d.ok), [true, false]);
});
