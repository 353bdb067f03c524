// The Telnet codec: negotiation and subnegotiation decode, and hostile bytes never throw and decode
// the same however the stream is split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeNaws, decodeNewEnviron, decodeTelnet, decodeTtype, encodeData, encodeOption, encodeSub, IAC, MAX_SUBNEG_BYTES, OPT, TelnetDecoder, type TelnetEvent } from '../../../src/sensors/telnet/codec.js';

test('options, subnegotiations, IAC IAC and CR NUL decode as RFC 854 says', () => {
  const bytes = Buffer.concat([Buffer.from('ab'), encodeOption('will', OPT.NAWS), encodeSub(OPT.NAWS, Buffer.from([0, 120, 0, 40])), Buffer.from([IAC, IAC, 13, 0, 10, IAC, 241])]);
  const { events, rest } = decodeTelnet(bytes);
  assert.equal(rest.length, 0);
  assert.deepEqual(events[0], { kind: 'data', data: Buffer.from('ab') });
  assert.deepEqual(events[1], { kind: 'option', verb: 'will', option: OPT.NAWS });
  assert.equal(events[2]!.kind, 'sub');
  if (events[2]!.kind === 'sub') assert.deepEqual(decodeNaws(events[2]!.data), { width: 120, height: 40 });
  assert.deepEqual(events[3], { kind: 'data', data: Buffer.from([IAC, 13, 10]) });
  assert.deepEqual(events[4], { kind: 'command', code: 241 });
  assert.equal(decodeTtype(Buffer.from([0, ...Buffer.from('XTERM')])), 'XTERM');
  assert.deepEqual(decodeNewEnviron(Buffer.from([0, 0, ...Buffer.from('USER'), 1, ...Buffer.from('root'), 3, ...Buffer.from('X'), 1])), [
    { name: 'USER', value: 'root' },
    { name: 'X', value: '' },
  ]);
  assert.deepEqual(encodeData(Buffer.from([IAC, 13, 65])), Buffer.from([IAC, IAC, 13, 0, 65]));
});

test('an over-long subnegotiation is reported and skipped', () => {
  const big = Buffer.concat([Buffer.from([IAC, 250, OPT.TTYPE]), Buffer.alloc(MAX_SUBNEG_BYTES + 10, 65), Buffer.from([IAC, 240]), Buffer.from('ok')]);
  const d = new TelnetDecoder();
  const evs = [...d.feed(big.subarray(0, 500)), ...d.feed(big.subarray(500))];
  assert.ok(evs.some((e) => e.kind === 'malformed'));
});

function normalise(events: TelnetEvent[]): unknown[] {
  const out: unknown[] = [];
  let data: number[] = [];
  for (const e of events) {
    if (e.kind === 'data') data.push(...e.data);
    else {
      if (data.length) out.push({ kind: 'data', data: Buffer.from(data).toString('hex') });
      data = [];
      out.push(e.kind === 'sub' ? { ...e, data: e.data.toString('hex') } : e);
    }
  }
  if (data.length) out.push({ kind: 'data', data: Buffer.from(data).toString('hex') });
  return out;
}

const telnetish = fc.array(
  fc.oneof(
    fc.uint8Array({ maxLength: 20 }),
    fc.constantFrom(Uint8Array.from([IAC]), Uint8Array.from([IAC, IAC]), Uint8Array.from([IAC, 250]), Uint8Array.from([IAC, 240]), Uint8Array.from([13, 0]), Uint8Array.from([13])),
    fc.tuple(fc.constantFrom('will', 'wont', 'do', 'dont' as const), fc.integer({ min: 0, max: 255 })).map(([v, o]) => Uint8Array.from(encodeOption(v, o))),
    fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 })).map(([o, d]) => Uint8Array.from(encodeSub(o, d))),
  ),
  { maxLength: 40 },
).map((parts) => Buffer.concat(parts.map((p) => Buffer.from(p))));

test('property: random bytes never throw; any split decodes the same as the whole', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
      const r = decodeTelnet(bytes);
      assert.ok(Array.isArray(r.events));
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(telnetish, fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
      const whole = new TelnetDecoder().feed(bytes);
      const d = new TelnetDecoder();
      const points = [...new Set(cuts.map((c) => (bytes.length ? c % bytes.length : 0)))].sort((a, b) => a - b);
      const split: TelnetEvent[] = [];
      let prev = 0;
      for (const p of [...points, bytes.length]) {
        split.push(...d.feed(bytes.subarray(prev, p)));
        prev = p;
      }
      assert.deepEqual(normalise(split), normalise(whole));
    }),
    { numRuns: 2000 },
  );
});
