// The TDS codec and session on bytes: golden PRELOGIN answer (what nmap matches, not Dionaea's),
// LOGIN7 password recovery against tedious' own encoder, and property tests (random, truncated,
// split, oversized lengths, megabyte batches).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import {
  decodeLogin7,
  decodeLogin42,
  decodePrelogin,
  decodeTdsMessage,
  deobfuscatePassword,
  encodeDone,
  encodeEnvChange,
  encodeMessage,
  encodePreloginResponse,
  encodeTdsMessage,
  obfuscatePassword,
  parseServerVersion,
  ENV_DATABASE,
  MAX_MESSAGE_TEXT_CHARS,
  MAX_TDS_MESSAGE_BYTES,
  MAX_TDS_PACKETS_PER_MESSAGE,
  PT_ATTENTION,
  PT_LOGIN7,
  PT_PRELOGIN,
  PT_SQL_BATCH,
  TdsFramer,
} from '../../../src/sensors/mssql/tds-codec.js';
import { BufferBudget, FramedInput } from '../../../src/sensors/runtime/framed-input.js';
import { MAX_CONFIG_OPTION_CHARS, MAX_CONFIGURED_OPTIONS, MssqlSession, quotedStrings } from '../../../src/sensors/mssql/session.js';
import { withSystemDatabases } from '../../../src/sensors/mssql/sensor.js';
import type { DataView } from '../../../src/sensors/sql/engine.js';
import { decodeSsrpRequest, encodeSsrpResponse } from '../../../src/sensors/mssql/browser.js';
import { compileAuthPolicy } from '../../../src/sensors/runtime/auth-policy.js';
import { createSessionEmitter, type EventSink } from '../../../src/events/emitter.js';
import type { ApiaryEvent } from '../../../src/events/catalogue.js';
import { generateDecoy } from '../../../src/sensors/sql/decoy-data.js';
import { DecoyState } from '../../../src/sensors/sql/decoy-state.js';
import { heldBy, MiB } from '../../helpers/heap.js';

const require = createRequire(import.meta.url);
const Login7Payload = require(require.resolve('tedious').replace(/tedious\.js$/, 'login7-payload.js')) as new (o: Record<string, unknown>) => {
  hostname: string;
  userName: string;
  password: string;
  appName: string;
  serverName: string;
  language: string;
  database: string;
  libraryName: string;
  clientId: Buffer;
  toBuffer(): Buffer;
};

test('PRELOGIN answer: SQL Server layout nmap recognises, never Dionaea bytes', () => {
  const p = encodePreloginResponse(parseServerVersion('15.0.4322.2'));
  const framed = encodeTdsMessage(0x04, p);
  assert.equal(framed.toString('hex'), '0401002500000100' + '000015000601001b000102001c000103001d0000ff' + '0f0010e20000' + '02' + '00');
  const dionaea = Buffer.from('0401002b00000000', 'hex');
  assert.notDeepEqual(framed.subarray(0, 8), dionaea);
  assert.deepEqual(decodePrelogin(p), { status: 'ok', value: { version: '15.0.4322.0', encryption: 2, instance: '', } });
});

function tediousLogin(userName: string, password: string, database = ''): Buffer {
  const l = new Login7Payload({ tdsVersion: 0x74000004, packetSize: 4096, clientProgVer: 0, clientPid: 42, connectionId: 0, clientTimeZone: 0, clientLcid: 0x409 });
  l.hostname = 'attacker-box';
  l.userName = userName;
  l.password = password;
  l.appName = 'Tedious';
  l.serverName = '127.0.0.1';
  l.language = 'us_english';
  l.database = database;
  l.libraryName = 'Tedious';
  l.clientId = Buffer.from([1, 2, 3, 4, 5, 6]);
  return l.toBuffer();
}

test('LOGIN7 from tedious decodes to the plaintext password; obfuscation round-trips', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 60 }), fc.string({ minLength: 1, maxLength: 30 }), (pw, user) => {
      const r = decodeLogin7(tediousLogin(user, pw));
      assert.equal(r.status, 'ok');
      if (r.status !== 'ok') return;
      assert.equal(r.value.password, Buffer.from(pw, 'utf16le').toString('utf16le'));
      assert.equal(r.value.userName, user);
      assert.equal(r.value.tdsVersion, 0x74000004);
      assert.equal(r.value.appName, 'Tedious');
    }),
    { numRuns: 300 },
  );
  assert.equal(deobfuscatePassword(obfuscatePassword('P@ssw0rd')).toString('utf16le'), 'P@ssw0rd');
  // The obfuscation of "a" (0x61 0x00): nibbles swapped then XOR 0xA5.
  assert.deepEqual(obfuscatePassword('a'), Buffer.from([0x16 ^ 0xa5, 0x00 ^ 0xa5]));
});

test('login records, PRELOGIN and SSRP requests: random and truncated bytes never throw', () => {
  const good = tediousLogin('sa', 'secret');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(good.length), fc.integer({ min: 0, max: good.length - 1 }), fc.nat(255), (b, cut, at, v) => {
      const buf = Buffer.from(b);
      decodeLogin7(buf);
      decodeLogin42(buf);
      decodePrelogin(buf);
      decodeSsrpRequest(buf);
      decodeLogin7(good.subarray(0, cut));
      const mutated = Buffer.from(good);
      mutated[at] = v;
      decodeLogin7(mutated);
    }),
    { numRuns: 3000 },
  );
  assert.equal(encodeSsrpResponse([{ serverName: 'A', instanceName: 'B', version: '1', tcpPort: 2 }]).subarray(3).toString(), 'ServerName;A;InstanceName;B;IsClustered;No;Version;1;tcp;2;;');
});

test('framing: split messages decode the same; oversized totals are malformed before buffering', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 9000 }), fc.integer({ min: 512, max: 4096 }), fc.nat(), (body, size, cut) => {
      const framed = encodeTdsMessage(PT_SQL_BATCH, Buffer.from(body), size);
      const r = decodeTdsMessage(framed);
      assert.equal(r.status, 'ok');
      if (r.status === 'ok') assert.deepEqual(r.value.payload, Buffer.from(body));
      const at = cut % framed.length;
      assert.equal(decodeTdsMessage(framed.subarray(0, at)).status, 'incomplete');
    }),
    { numRuns: 300 },
  );
  const tooBig = Buffer.concat(Array.from({ length: 140 }, () => Buffer.concat([Buffer.from([1, 0, 0xff, 0xff, 0, 0, 1, 0]), Buffer.alloc(65_527)])));
  const r = decodeTdsMessage(tooBig);
  assert.equal(r.status, 'malformed');
  assert.equal(decodeTdsMessage(Buffer.from([1, 1, 0, 4, 0, 0, 1, 0])).status, 'malformed', 'length shorter than the header');
  assert.ok(MAX_TDS_MESSAGE_BYTES < 140 * 65_527);
});

/** PACKETS packets of TYPE with one payload byte each (the byte is the packet's index), the last ending the message. */
function onePerPacket(type: number, packets: number): Buffer {
  return Buffer.concat(Array.from({ length: packets }, (_, i) => Buffer.from([type, i === packets - 1 ? 1 : 0, 0, 9, 0, 0, (i + 1) & 0xff, 0, i & 0xff])));
}

test('framing: an empty packet that does not end its message is malformed; an empty final one is a message', () => {
  assert.deepEqual(decodeTdsMessage(Buffer.from([PT_LOGIN7, 0, 0, 8, 0, 0, 1, 0])), { status: 'malformed', reason: 'empty packet that does not end its message' });
  const attention = decodeTdsMessage(encodeTdsMessage(PT_ATTENTION, Buffer.alloc(0)));
  assert.equal(attention.status, 'ok');
  if (attention.status === 'ok') assert.equal(attention.value.payload.length, 0);
  // The packet cap still holds for packets that do carry a byte.
  assert.equal(decodeTdsMessage(onePerPacket(PT_SQL_BATCH, MAX_TDS_PACKETS_PER_MESSAGE)).status, 'ok');
  assert.deepEqual(decodeTdsMessage(onePerPacket(PT_SQL_BATCH, MAX_TDS_PACKETS_PER_MESSAGE + 1)), { status: 'malformed', reason: 'too many packets in one message' });
});

test('framing: a resumed framer gives what the one-shot decoder gives, and reads each header a bounded number of times', () => {
  // Several messages split at random points, through the receive loop the sessions use.
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 512, max: 1024 })), { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 8 }), (messages, cuts) => {
      const wire = Buffer.concat(messages.map(([body, size]) => encodeTdsMessage(PT_SQL_BATCH, Buffer.from(body), size)));
      const framer = new TdsFramer();
      const input = new FramedInput<{ payload: Buffer }>(() => MAX_TDS_MESSAGE_BYTES, (b) => framer.decode(b), new BufferBudget());
      const got: Buffer[] = [];
      const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
      let last = 0;
      for (const p of [...points, wire.length]) {
        assert.equal(input.push(wire.subarray(last, p), (m) => void got.push(Buffer.from(m.payload)), () => true), undefined);
        last = p;
      }
      assert.deepEqual(got, messages.map(([body]) => Buffer.from(body)));
    }),
    { numRuns: 200 },
  );
  // A login-sized message of thousands of one-byte packets, arriving a byte at a time: every chunk
  // reads only the headers it completed (plus the one still incomplete), never the message again.
  const packets = 4000;
  const wire = onePerPacket(PT_LOGIN7, packets);
  const framer = new TdsFramer();
  const input = new FramedInput<{ payload: Buffer }>(() => 64 * 1024, (b) => framer.decode(b, 64 * 1024), new BufferBudget());
  let got: Buffer | undefined;
  for (let i = 0; i < wire.length; i++) assert.equal(input.push(wire.subarray(i, i + 1), (m) => (got = m.payload), () => true), undefined);
  assert.deepEqual(got, Buffer.from(Array.from({ length: packets }, (_, i) => i & 0xff)));
  assert.ok(framer.headersRead <= packets + wire.length, `headers read: ${framer.headersRead}`);
});

function harness(wrap: (v: DataView) => DataView = (v) => v): { session: MssqlSession; out: Buffer[]; events: ApiaryEvent[]; ended: string[] } {
  const events: ApiaryEvent[] = [];
  const sink: EventSink = { write: (e) => void events.push(e), flush: async () => {} };
  const emitter = createSessionEmitter(sink, { sensor: 't', protocol: 'mssql', src_ip: '127.0.0.1', src_port: 5, dst_ip: '127.0.0.1', dst_port: 1433 });
  const out: Buffer[] = [];
  const ended: string[] = [];
  const decoy = new DecoyState(generateDecoy({ seed: Buffer.alloc(16, 3), now: Date.UTC(2026, 0, 1), appDatabase: 'webshop', customers: 10, orders: 10 }));
  const session = new MssqlSession({
    emitter,
    policy: compileAuthPolicy([{ user: 'sa', password: 'secret', allow: true }]),
    version: parseServerVersion('15.0.4322.2'),
    serverName: 'SQL1',
    domain: 'corp.local',
    clientHost: '127.0.0.1',
    spid: 55,
    variables: { version: 'Microsoft SQL Server 2019' },
    view: wrap(decoy.viewFor('127.0.0.1')),
    payloads: { put: async (d) => ({ sha256: '0'.repeat(64), md5: '0'.repeat(32), size: d.length, outcome: 'stored' }) },
    send: (b) => void out.push(b),
    end: (r) => void ended.push(r),
  });
  return { session, out, events, ended };
}

function batchPacket(sql: string): Buffer {
  // ALL_HEADERS (22 bytes, as its total says) with a transaction descriptor: total, header length, type 2, descriptor, outstanding requests.
  const headers = Buffer.from('16000000' + '12000000' + '0200' + '0000000000000000' + '01000000', 'hex');
  return encodeTdsMessage(PT_SQL_BATCH, Buffer.concat([headers, Buffer.from(sql, 'utf16le')]));
}

test('session: prelogin, login, a megabyte batch and random packets after login never throw', () => {
  const h = harness();
  h.session.receive(encodeTdsMessage(PT_PRELOGIN, encodePreloginResponse(parseServerVersion('11.0.0'), 0)));
  assert.equal(h.session.currentState, 'login');
  h.session.receive(encodeTdsMessage(PT_LOGIN7, tediousLogin('sa', 'secret')));
  assert.equal(h.session.currentState, 'ready');
  assert.deepEqual(h.events.find((e) => e.type === 'auth.attempt')!.payload, { method: 'password', username: 'sa', password: 'secret', success: true });
  const big = `SELECT '${'x'.repeat(1024 * 1024)}'`;
  const t0 = Date.now();
  h.session.receive(batchPacket(big));
  assert.ok(Date.now() - t0 < 5000);
  assert.equal(h.session.currentState, 'ready');
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom(1, 3, 6, 0x0e, 0x11, 0x42), fc.uint8Array({ maxLength: 300 })), { maxLength: 20 }), (packets) => {
      for (const [type, body] of packets) h.session.receive(encodeTdsMessage(type, Buffer.from(body)));
    }),
    { numRuns: 200 },
  );
  assert.equal(h.session.currentState, 'ready');
});

test('session: random bytes before login, split anywhere, never throw; garbage is refused at once', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), (chunks) => {
      const h = harness();
      for (const c of chunks) h.session.receive(Buffer.from(c));
      assert.ok(h.ended.length <= 1);
    }),
    { numRuns: 500 },
  );
  const h = harness();
  h.session.receive(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
  assert.deepEqual(h.ended, ['policy']);
  // A LOGIN7 spread over packets beyond what a login needs is refused before it is buffered.
  const big = harness();
  big.session.receive(Buffer.concat([Buffer.from([0x10, 0, 0xff, 0xff, 0, 0, 1, 0]), Buffer.alloc(65_527), Buffer.from([0x10, 0, 0xff, 0xff, 0, 0, 2, 0])]));
  assert.deepEqual(big.ended, ['policy']);
  const login = Buffer.concat([encodeTdsMessage(PT_PRELOGIN, encodePreloginResponse(parseServerVersion('1.2.3'))), encodeTdsMessage(PT_LOGIN7, tediousLogin('sa', 'nope'))]);
  const whole = harness();
  whole.session.receive(login);
  fc.assert(
    fc.property(fc.nat(login.length), (cut) => {
      const s = harness();
      s.session.receive(login.subarray(0, cut));
      s.session.receive(login.subarray(cut));
      assert.deepEqual(Buffer.concat(s.out), Buffer.concat(whole.out));
    }),
    { numRuns: 200 },
  );
});

test('session: empty packets that do not end a message close the connection with a recorded reason', () => {
  const h = harness();
  const empty = Buffer.from([PT_LOGIN7, 0, 0, 8, 0, 0, 1, 0]);
  h.session.receive(Buffer.concat(Array.from({ length: MAX_TDS_PACKETS_PER_MESSAGE - 1 }, () => empty)));
  assert.deepEqual(h.ended, ['policy']);
  assert.equal(h.session.currentState, 'closed');
  const bad = h.events.find((e) => e.type === 'protocol.malformed');
  assert.equal((bad?.payload as { reason?: string } | undefined)?.reason, 'empty packet that does not end its message');
  // An attention (an empty packet that does end its message) is still answered after login.
  const ok = harness();
  ok.session.receive(encodeTdsMessage(PT_PRELOGIN, encodePreloginResponse(parseServerVersion('11.0.0'), 0)));
  ok.session.receive(encodeTdsMessage(PT_LOGIN7, tediousLogin('sa', 'secret')));
  const before = ok.out.length;
  ok.session.receive(encodeTdsMessage(PT_ATTENTION, Buffer.alloc(0)));
  assert.equal(ok.out.length, before + 1);
  assert.equal(ok.session.currentState, 'ready');
});

/** The lengths an ERROR/INFO token declares, checked against its bytes; returns its text length in characters. */
function checkMessageToken(m: Buffer, tdsVersion: number): number {
  const unit = tdsVersion >= 0x70000000 ? 2 : 1;
  assert.ok(m[0] === 0xaa || m[0] === 0xab);
  assert.equal(m.readUInt16LE(1), m.length - 3, 'token length is its body length');
  const textChars = m.readUInt16LE(9);
  let off = 11 + textChars * unit;
  const serverChars = m[off]!;
  off += 1 + serverChars * unit;
  const procChars = m[off]!;
  off += 1 + procChars * unit;
  assert.equal(off + (tdsVersion >= 0x72000000 ? 4 : 2), m.length, 'fields add up to the token');
  return textChars;
}

test('encoders: ERROR/INFO, ENVCHANGE and DONE never throw for any string or number; length fields match the bytes', () => {
  const versions = [0x04020000, 0x71000001, 0x72090002, 0x74000004];
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), fc.oneof(fc.nat(70_000), fc.constantFrom(40_000, 65_535, 70_000)), fc.string({ maxLength: 400 }), fc.constantFrom(...versions), fc.double(), fc.double(), fc.integer(), (unit, chars, other, tds, count, line, number) => {
      const text = (unit || 'x').repeat(Math.ceil(chars / (unit.length || 1))).slice(0, chars);
      for (const kind of ['error', 'info'] as const) {
        const m = encodeMessage(kind, { number, state: 1, severity: 16, text, server: other, proc: other, line }, tds);
        assert.equal(checkMessageToken(m, tds), Math.min(text.length, MAX_MESSAGE_TEXT_CHARS));
      }
      const env = encodeEnvChange(ENV_DATABASE, text, other, tds >= 0x70000000);
      assert.equal(env.readUInt16LE(1), env.length - 3);
      const done = encodeDone(0x10, count, tds);
      assert.equal(done.length, tds >= 0x72000000 ? 13 : 9);
    }),
    { numRuns: 300 },
  );
});

test('session: a 40,000-character column name is quoted back clipped in the error, and the connection stays', () => {
  const h = harness();
  h.session.receive(encodeTdsMessage(PT_PRELOGIN, encodePreloginResponse(parseServerVersion('11.0.0'), 0)));
  h.session.receive(encodeTdsMessage(PT_LOGIN7, tediousLogin('sa', 'secret')));
  const before = h.out.length;
  h.session.receive(batchPacket(`SELECT ${'a'.repeat(40_000)}`));
  assert.equal(h.session.currentState, 'ready');
  assert.deepEqual(h.ended, []);
  const r = decodeTdsMessage(Buffer.concat(h.out.slice(before)));
  assert.equal(r.status, 'ok');
  if (r.status !== 'ok') return;
  const token = r.value.payload.subarray(0, 3 + r.value.payload.readUInt16LE(1));
  assert.equal(token.readInt32LE(3), 207, 'Invalid column name');
  assert.equal(checkMessageToken(token, 0x74000004), MAX_MESSAGE_TEXT_CHARS);
  assert.equal(r.value.payload[token.length], 0xfd, 'a DONE follows the error');
});

/** The number of the first ERROR or INFO token in the session's last answer (0 for none). */
function lastMessageNumber(h: ReturnType<typeof harness>): number {
  const r = decodeTdsMessage(h.out[h.out.length - 1]!);
  if (r.status !== 'ok') return -1;
  const p = r.value.payload;
  return p[0] === 0xaa || p[0] === 0xab ? p.readInt32LE(3) : 0;
}

test('session: sp_configure keeps at most MAX_CONFIGURED_OPTIONS names, each a copy, not a view into its megabyte batch', async () => {
  const h = harness();
  h.session.receive(encodeTdsMessage(PT_PRELOGIN, encodePreloginResponse(parseServerVersion('11.0.0'), 0)));
  h.session.receive(encodeTdsMessage(PT_LOGIN7, tediousLogin('sa', 'secret')));
  const configure = (option: string, pad = 0): number => {
    h.session.receive(batchPacket(`EXEC sp_configure '${option}', 1 /* ${'c'.repeat(pad)} */`));
    h.events.length = 0; // the query events carry the batch's text; only the session's own state is measured
    return lastMessageNumber(h);
  };
  // Each batch is about 480 Ki characters: without copies the 32 names keep 15 MiB.
  const held = await heldBy(() => {
    for (let i = 0; i < 32; i++) assert.equal(configure(`option number ${i} of the test`, 480 * 1024), 15457);
  });
  assert.ok(held < 6 * MiB, `${(held / MiB).toFixed(1)} MiB held by 32 option names`);
  for (let i = 32; i < MAX_CONFIGURED_OPTIONS; i++) assert.equal(configure(`option number ${i} of the test`), 15457);
  assert.equal(configure('one option too many'), 15123, 'past the cap an option does not exist');
  assert.equal(configure('option number 3 of the test'), 15457, 'a kept option still changes');
  assert.equal(configure('o'.repeat(MAX_CONFIG_OPTION_CHARS + 1)), 15123);
  assert.equal(h.session.currentState, 'ready');
});

test("session: HOST_NAME() answers the login's workstation name; engine errors go out as SQL Server's own numbers", () => {
  const h = harness();
  h.session.receive(encodeTdsMessage(PT_PRELOGIN, encodePreloginResponse(parseServerVersion('11.0.0'), 0)));
  h.session.receive(encodeTdsMessage(PT_LOGIN7, tediousLogin('sa', 'secret')));
  h.session.receive(batchPacket('SELECT HOST_NAME()'));
  const answer = h.out[h.out.length - 1]!;
  assert.ok(answer.includes(Buffer.from('attacker-box', 'utf16le')), 'the workstation name tedious sent');
  assert.ok(!answer.includes(Buffer.from('127.0.0.1', 'utf16le')), 'not the client address');
  const number = (sql: string): number => {
    h.session.receive(batchPacket(sql));
    return lastMessageNumber(h);
  };
  assert.equal(number('SELECT 1/0'), 8134);
  assert.equal(number('SELECT CONVERT(int, @@version)'), 245);
  assert.equal(number('SELECT 1, 2 UNION SELECT 1'), 205);
  assert.equal(number('SELECT 1 ORDER BY 1 UNION SELECT 2'), 156);
});

/** How often TEXT occurs (as UTF-16, the way TDS carries it) in the session's last answer. */
function occurrences(h: ReturnType<typeof harness>, text: string): number {
  const answer = h.out[h.out.length - 1]!;
  const needle = Buffer.from(text, 'utf16le');
  let n = 0;
  for (let i = answer.indexOf(needle); i >= 0; i = answer.indexOf(needle, i + 1)) n++;
  return n;
}

test('session: sp_databases lists each database once; xp_msver answers; sys.configurations follows sp_configure and RECONFIGURE', () => {
  const h = harness(withSystemDatabases);
  h.session.receive(encodeTdsMessage(PT_PRELOGIN, encodePreloginResponse(parseServerVersion('11.0.0'), 0)));
  h.session.receive(encodeTdsMessage(PT_LOGIN7, tediousLogin('sa', 'secret')));
  h.session.receive(batchPacket('EXEC sp_databases'));
  for (const db of ['master', 'model', 'msdb', 'tempdb', 'webshop']) assert.equal(occurrences(h, db), 1, db);
  assert.equal(occurrences(h, 'information_schema'), 0);
  h.session.receive(batchPacket('EXEC master..xp_msver'));
  assert.equal(lastMessageNumber(h), 0);
  assert.equal(occurrences(h, 'ProductVersion'), 1);
  assert.equal(occurrences(h, '15.0.4322.2'), 1);
  const inUse = (): number => {
    h.session.receive(batchPacket("SELECT CAST(value AS varchar(5)) + '/' + CAST(value_in_use AS varchar(5)) FROM sys.configurations WHERE name = 'xp_cmdshell'"));
    return ['0/0', '1/0', '1/1'].findIndex((v) => occurrences(h, v) === 1);
  };
  assert.equal(inUse(), 0);
  h.session.receive(batchPacket("EXEC sp_configure 'xp_cmdshell', 1"));
  assert.equal(lastMessageNumber(h), 15123, 'an advanced option needs show advanced options');
  h.session.receive(batchPacket("EXEC sp_configure 'show advanced options', 1; RECONFIGURE"));
  h.session.receive(batchPacket("EXEC sp_configure 'xp_cmdshell', 1"));
  assert.equal(lastMessageNumber(h), 15457);
  assert.equal(inUse(), 1, 'configured, not yet installed');
  h.session.receive(batchPacket('RECONFIGURE'));
  assert.equal(inUse(), 2);
  h.session.receive(batchPacket("EXEC sp_configure 'max server memory (MB)', 4096"));
  assert.equal(lastMessageNumber(h), 15457);
  h.session.receive(batchPacket("EXEC sp_configure 'xp_cmdshell', 5"));
  assert.equal(lastMessageNumber(h), 15129);
  h.session.receive(batchPacket('SELECT host_name, program_name FROM sys.dm_exec_sessions'));
  assert.equal(occurrences(h, 'attacker-box'), 1);
});

test('procedure arguments: quoted strings read in one pass, even from a megabyte of quotes', () => {
  assert.deepEqual(quotedStrings("'show advanced options', 1"), ['show advanced options']);
  assert.deepEqual(quotedStrings("N'whoami /priv' , 'it''s'"), ['whoami /priv', "it's"]);
  const t0 = Date.now();
  quotedStrings("'".repeat(1024 * 1024));
  quotedStrings(`'${"''".repeat(500_000)}`);
  assert.ok(Date.now() - t0 < 1000);
});
