// hpfeeds records to events: whatever a feed publishes, mapping never throws, every event it makes
// passes the catalogue, a message makes at most MAX_EVENTS_PER_MESSAGE events and strings are cut
// at MAX_FIELD_CHARS; a republished session keeps its ids; Dionaea's connection memory is bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateEvent } from '../../src/events/catalogue.js';
import { HPFEEDS_CHANNELS } from '../../src/wire/hpfeeds.js';
import { decodeTtyLog, encodeTtyRecord, TTY_DIR, TTY_OP, ttyToAsciicast } from '../../src/importers/kippo/ttylog.js';
import { validateRemoteEvent } from '../../src/collector/remote-event.js';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { feedTime, ttylogBytes, HpfeedsMapper, MAX_EVENTS_PER_MESSAGE, MAX_FIELD_CHARS, MAX_REMEMBERED_CONNECTIONS, MAX_SOURCE_ITEMS, type PublishContext } from '../../src/importers/hpfeeds/hpfeeds-records.js';

const ctx: PublishContext = { sensor: 'feed-1', ident: 'feed-1', receivedMs: Date.UTC(2024, 5, 1) };
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

const session = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  session: 's1',
  startTime: '2024-06-01T00:00:00.000000Z',
  endTime: '2024-06-01T00:00:05.000000Z',
  peerIP: '203.0.113.9',
  peerPort: 40000,
  hostIP: '192.0.2.1',
  hostPort: 2222,
  credentials: [],
  commands: [],
  urls: [],
  hashes: [],
  ...over,
});

/** Values of the kinds the records carry, hostile ones included. */
const field = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('203.0.113.9', '::ffff:10.0.0.1', '2001:db8::1', '445', '22', 'accept', 'listen', '2024-06-01T00:00:00Z', '2024-06-01 00:00:00.1 UTC +0000', '4b324fc8-1670-01d3-1278-5a47bf6ee188', 'smbd', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'a'.repeat(64)),
  fc.integer({ min: -5, max: 70_000 }),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 })), { maxLength: 5 }),
);
const KEYS = ['session', 'startTime', 'endTime', 'peerIP', 'peerPort', 'hostIP', 'hostPort', 'loggedin', 'credentials', 'commands', 'unknownCommands', 'urls', 'hashes', 'version', 'protocol', 'connection_type', 'connection_transport', 'connection_protocol', 'remote_host', 'remote_port', 'local_host', 'local_port', 'saddr', 'sport', 'daddr', 'dport', 'md5', 'url', 'time', 'uuid', 'opnum', '__proto__'];

test('any record on any channel maps without throwing, and every event passes the catalogue', () => {
  const mapper = new HpfeedsMapper();
  fc.assert(
    fc.property(fc.constantFrom(...HPFEEDS_CHANNELS, 'other.channel'), fc.dictionary(fc.constantFrom(...KEYS), field, { maxKeys: 14 }), fc.boolean(), (channel, rec, asText) => {
      const payload = asText ? Buffer.from(JSON.stringify(rec).slice(0, 30)) : json(rec);
      const r = mapper.map(channel, payload, ctx);
      if (!r.ok) return assert.equal(typeof r.reason, 'string');
      assert.ok(r.events.length > 0 && r.events.length <= MAX_EVENTS_PER_MESSAGE);
      for (const e of r.events) {
        const v = validateEvent(e);
        assert.ok(v.ok, v.ok ? '' : v.reason);
        assert.equal(e.sensor, 'feed-1');
        assert.equal(typeof e.protocol, 'string');
      }
    }),
    { numRuns: 3000 },
  );
  // Bytes that are not text at all.
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => void mapper.map('cowrie.sessions', Buffer.from(b), ctx)));
});

test('a session summary makes at most MAX_EVENTS_PER_MESSAGE events and cuts long strings', () => {
  const commands = Array.from({ length: MAX_EVENTS_PER_MESSAGE + 500 }, (_, i) => `echo ${i}`);
  const r = new HpfeedsMapper().map('cowrie.sessions', json(session({ commands, credentials: [['root', 'p'.repeat(MAX_FIELD_CHARS + 10)]] })), ctx);
  assert.ok(r.ok);
  assert.equal(r.events.length, MAX_EVENTS_PER_MESSAGE);
  // connection.open, one auth.attempt, then commands until the cap; the rest (and the close) are cut.
  assert.equal(r.cut, commands.length + 3 - MAX_EVENTS_PER_MESSAGE);
  assert.equal((r.events[1]!.payload as { password: string }).password.length, MAX_FIELD_CHARS);
});

test('the same session published twice gives the same event ids (stored once); another session other ids', () => {
  const a = new HpfeedsMapper().map('cowrie.sessions', json(session({ commands: ['id', 'id'] })), ctx);
  const b = new HpfeedsMapper().map('cowrie.sessions', json(session({ commands: ['id', 'id'] })), { ...ctx, receivedMs: ctx.receivedMs + 60_000 });
  const c = new HpfeedsMapper().map('cowrie.sessions', json(session({ session: 's2', commands: ['id', 'id'] })), ctx);
  assert.ok(a.ok && b.ok && c.ok);
  assert.deepEqual(a.events.map((e) => e.id), b.events.map((e) => e.id));
  assert.equal(new Set(a.events.map((e) => e.id)).size, a.events.length);
  assert.equal(a.events.filter((e) => c.events.some((x) => x.id === e.id)).length, 0);
  // Events keep the summary's order (ids sort as the session ran).
  assert.deepEqual([...a.events].sort((x, y) => x.id.localeCompare(y.id)).map((e) => e.type), a.events.map((e) => e.type));
});

test("Dionaea's connection memory is bounded: past MAX_REMEMBERED_CONNECTIONS the oldest is forgotten", () => {
  const mapper = new HpfeedsMapper();
  const open = (i: number): string => {
    const r = mapper.map('dionaea.connections', json({ connection_type: 'accept', connection_transport: 'tcp', connection_protocol: 'smbd', remote_host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, remote_port: 1024, local_host: '192.0.2.1', local_port: 445 }), ctx);
    assert.ok(r.ok);
    return r.events[0]!.session;
  };
  const rpc = (i: number, later = 0): string => {
    const r = mapper.map('dionaea.dcerpcrequests', json({ uuid: 'x', opnum: 1, saddr: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, sport: '1024', daddr: '192.0.2.1', dport: '445' }), { ...ctx, receivedMs: ctx.receivedMs + later });
    assert.ok(r.ok);
    return r.events[0]!.session;
  };
  const first = open(0);
  assert.equal(rpc(0), first);
  let last = '';
  for (let i = 1; i <= MAX_REMEMBERED_CONNECTIONS; i++) last = open(i);
  // MAX_REMEMBERED_CONNECTIONS + 1 connections: the first is forgotten, the last still joins its requests.
  assert.equal(rpc(MAX_REMEMBERED_CONNECTIONS, 1000), last);
  assert.notEqual(rpc(0, 1000), first);
});

test('times as Cowrie and Dionaea write them', () => {
  assert.equal(feedTime('2019-04-16T10:12:33.123456Z'), Date.UTC(2019, 3, 16, 10, 12, 33, 123));
  assert.equal(feedTime('2019-04-16 10:12:33.123456 UTC +0000'), Date.UTC(2019, 3, 16, 10, 12, 33, 123));
  assert.equal(feedTime('2019-04-16 12:12:33.5 CEST +0200'), Date.UTC(2019, 3, 16, 10, 12, 33, 500));
  assert.equal(feedTime('yesterday'), undefined);
  assert.equal(feedTime(12), undefined);
});

test('unauthenticated connections count per IPv4 address and per IPv6 /64 (one host holds a whole /64)', async () => {
  const { sourceKey } = await import('../../src/events/source-key.js');
  assert.equal(sourceKey('203.0.113.7'), '203.0.113.7');
  assert.equal(sourceKey('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(sourceKey('2001:db8::1'), sourceKey('2001:DB8:0:0:ffff:ffff:ffff:ffff'));
  assert.notEqual(sourceKey('2001:db8::1'), sourceKey('2001:db8:0:1::1'));
});

test("identical Dionaea messages stay distinct events; two feeds' identical records never share ids or sessions", () => {
  const mapper = new HpfeedsMapper();
  const rpc = json({ uuid: '4b324fc8-1670-01d3-1278-5a47bf6ee188', opnum: 31, saddr: '10.1.1.1', sport: '1025', daddr: '192.0.2.1', dport: '445' });
  const a = mapper.map('dionaea.dcerpcrequests', rpc, { ...ctx, messageNo: 1 });
  const b = mapper.map('dionaea.dcerpcrequests', rpc, { ...ctx, messageNo: 2 });
  const other = mapper.map('dionaea.dcerpcrequests', rpc, { ...ctx, ident: 'feed-2', messageNo: 1 });
  assert.ok(a.ok && b.ok && other.ok);
  const ids = [...a.events, ...b.events, ...other.events].map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(a.events[0]!.session, b.events[0]!.session);
  assert.notEqual(a.events[0]!.session, other.events[0]!.session);
  // Two feeds under one sensor name (apiary sensor) with the same Cowrie session id: two sessions.
  const c1 = new HpfeedsMapper().map('cowrie.sessions', json(session()), ctx);
  const c2 = new HpfeedsMapper().map('cowrie.sessions', json(session()), { ...ctx, ident: 'feed-2' });
  assert.ok(c1.ok && c2.ok);
  assert.notEqual(c1.events[0]!.session, c2.events[0]!.session);
  assert.notEqual(c1.events[0]!.id, c2.events[0]!.id);
});

test("Cowrie's ttylog: hex of the TTY log, gzipped or not; anything else is no TTY log", async () => {
  const { gzipSync } = await import('node:zlib');
  const log = Buffer.from('a TTY log of any bytes \u0000\u0001');
  assert.deepEqual(ttylogBytes(log.toString('hex')), log);
  assert.deepEqual(ttylogBytes(gzipSync(log).toString('hex')), log);
  for (const bad of [null, 12, '', 'abc', 'zz', `1f8b${'00'.repeat(20)}`]) assert.equal(ttylogBytes(bad), undefined, String(bad));
  // A gzip bomb stops at the TTY log cap instead of filling memory.
  assert.equal(ttylogBytes(gzipSync(Buffer.alloc(80 * 1024 * 1024)).toString('hex')), undefined);
  // And at the cap the process gives (config recording.max_bytes), compressed or not.
  assert.equal(ttylogBytes(gzipSync(Buffer.alloc(2048)).toString('hex'), 1024), undefined);
  assert.equal(ttylogBytes(Buffer.alloc(2048, 7).toString('hex'), 1024), undefined);
  assert.equal(ttylogBytes(Buffer.alloc(1024, 7).toString('hex'), 1024)?.length, 1024);
});

test('a recording made from a TTY log of control bytes stops at its character limit (each such byte is six characters of JSON)', () => {
  const write = (time: number) => encodeTtyRecord({ op: TTY_OP.WRITE, tty: 1, direction: TTY_DIR.OUTPUT, time, data: Buffer.alloc(10_000, 1) });
  const log = Buffer.concat([encodeTtyRecord({ op: TTY_OP.OPEN, tty: 1, direction: 0, time: 1, data: Buffer.alloc(0) }), ...Array.from({ length: 100 }, (_, i) => write(2 + i))]);
  const d = decodeTtyLog(log);
  assert.equal(d.kind === 'malformed' ? 'malformed' : d.records.length, 101);
  const whole = ttyToAsciicast(d.records);
  assert.ok(whole.text.length > 5_000_000, `${whole.text.length} characters from ${log.length} bytes`);
  const cut = ttyToAsciicast(d.records, { maxChars: 200_000 });
  assert.ok(cut.text.length <= 200_000 && cut.text.length > 100_000, `${cut.text.length} characters`);
  assert.ok(cut.text.split('\n').slice(1, -1).every((l) => Array.isArray(JSON.parse(l))), 'whole lines only');
});

/** Every event passes as the hpfeeds input checks it (catalogue, source bounds), so each is stored. */
function assertStored(events: readonly ApiaryEvent[]): void {
  for (const e of events) {
    const v = validateRemoteEvent(e);
    assert.ok(v.ok, v.ok ? '' : `${e.type}: ${v.reason}`);
  }
}

test("a large feed message's events are stored with their source.record cut to the remote source bounds, payloads as before", () => {
  const mapper = new HpfeedsMapper();
  // 5,000 credential pairs, the first of 20,000 control characters each (6 bytes each as JSON: 240 KB).
  const ctl = '\u0001'.repeat(20_000);
  const credentials = [[ctl, ctl], ...Array.from({ length: 4_999 }, (_, i) => [`user${i}`, `p${i}-${'x'.repeat(100)}`])];
  const cowrie = mapper.map('cowrie.sessions', json(session({ credentials, loggedin: [ctl, ctl] })), ctx);
  assert.ok(cowrie.ok);
  const attempts = cowrie.events.filter((e) => e.type === 'auth.attempt');
  assert.equal(attempts.length, 5_001);
  assertStored(cowrie.events);
  const first = attempts[0]!;
  assert.equal((first.payload as { username: string }).username, ctl.slice(0, MAX_FIELD_CHARS), 'the payload keeps what it kept');
  assert.ok((first.source?.record_cut ?? 0) > 0);
  const pair = (first.source?.record as { credentials: string[] }).credentials;
  assert.match(pair[0]!, /…\[20000 chars\]$/);
  // A small pair is kept whole, unmarked.
  assert.deepEqual((attempts[1]!.source?.record as { credentials: unknown }).credentials, credentials[1]);
  assert.equal(attempts[1]!.source?.record_cut, undefined);

  // Dionaea's whole message is the record: a 1 MB field in it, and a long list.
  const big = 'A'.repeat(1_000_000);
  const dionaea = mapper.map('dionaea.connections', json({ connection_type: 'accept', connection_transport: 'tcp', connection_protocol: 'smbd', remote_host: '203.0.113.9', remote_port: 1024, local_host: '192.0.2.1', local_port: 445, blob: big, list: Array.from({ length: 5_000 }, (_, i) => i) }), ctx);
  assert.ok(dionaea.ok);
  assertStored(dionaea.events);
  const record = dionaea.events[0]!.source?.record as { blob: string; list: unknown[]; remote_host: string };
  assert.equal(record.remote_host, '203.0.113.9');
  assert.match(record.blob, /…\[1000000 chars\]$/);
  assert.equal(record.list.length, MAX_SOURCE_ITEMS + 1);
  assert.equal(record.list.at(-1), `…[${5_000 - MAX_SOURCE_ITEMS} more items]`);
  assert.ok((dionaea.events[0]!.source?.record_cut ?? 0) >= 2);
});

/** A JSON value nested N deep. */
const nested = (n: number, leaf: unknown): unknown => (n === 0 ? leaf : n % 2 ? [nested(n - 1, leaf)] : { k: nested(n - 1, leaf) });
/** JSON values of any shape, with large strings (escaped ones too), long lists and deep nesting among them. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.tuple(fc.constantFrom('x', '\u0001', '\u00e9', '\ud83d\ude00', '"'), fc.integer({ min: 0, max: 150_000 })).map(([c, n]) => c.repeat(n)),
  fc.integer({ min: 0, max: 3_000 }).map((n) => Array.from({ length: n }, (_, i) => `item ${i} ${'y'.repeat(40)}`)),
  fc.tuple(fc.integer({ min: 0, max: 2_000 }), fc.jsonValue({ maxDepth: 1 })).map(([n, leaf]) => nested(n, leaf)),
);

test("property: whatever JSON a feed's record carries, its events' sources pass validateRemoteEvent", () => {
  const mapper = new HpfeedsMapper();
  const dionaeaBase = { connection_type: 'accept', remote_host: '203.0.113.9', remote_port: 1024, local_host: '192.0.2.1', local_port: 445, saddr: '203.0.113.9', sport: 1024, daddr: '192.0.2.1', dport: 445, uuid: '4b324fc8-1670-01d3-1278-5a47bf6ee188', opnum: 31 };
  fc.assert(
    fc.property(
      fc.constantFrom(...HPFEEDS_CHANNELS),
      fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 4 }),
      fc.array(fc.tuple(fc.oneof(fc.string({ maxLength: 20 }), anyJson), anyJson), { maxLength: 4 }),
      (channel, extra, credentials) => {
        const rec = channel === 'cowrie.sessions' ? { ...extra, ...session({ credentials, loggedin: credentials[0] }) } : { ...extra, ...dionaeaBase };
        const r = mapper.map(channel, json(rec), ctx);
        assert.ok(r.ok, r.ok ? '' : r.reason);
        assertStored(r.events);
      },
    ),
    // Shrinking 150 KB strings and 2,000-deep values would take minutes: the first counterexample is reported.
    { numRuns: 150, endOnFailure: true },
  );
});
