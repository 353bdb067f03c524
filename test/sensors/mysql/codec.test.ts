// The MySQL codec and session on bytes: golden greeting, scrambles checked against mysql2's own
// implementation, and property tests (random, truncated, split, oversized, megabyte input).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { constants, createHash, generateKeyPairSync, publicEncrypt } from 'node:crypto';
import fc from 'fast-check';
import {
  decodeHandshakeResponse,
  decodeMessage,
  encodeGreeting,
  encodePacket,
  encodePackets,
  encodeRow,
  encodeLenenc,
  encodeLenencString,
  encodeOk,
  encodeColumn,
  MAX_LENENC_VALUE,
  cachedColumnCount,
  MAX_CACHED_COLUMNS,
  TYPE_VAR_STRING,
  MAX_MESSAGE_BYTES,
  MAX_PACKET_PAYLOAD,
  SERVER_CAPABILITIES,
  CLIENT_SSL,
  CLIENT_COMPRESS,
} from '../../../src/sensors/mysql/codec.js';
import { crackerForm, newSalt, nativeScramble, cachingSha2Scramble, recoverPassword, sha1SaltStage2, sha256Stage2Salt, type ScramblePlugin } from '../../../src/sensors/mysql/scramble.js';
import { MysqlSession, type MysqlSessionDeps } from '../../../src/sensors/mysql/session.js';
import { compileAuthPolicy } from '../../../src/sensors/runtime/auth-policy.js';
import { createSessionEmitter, type EventSink } from '../../../src/events/emitter.js';
import type { ApiaryEvent } from '../../../src/events/catalogue.js';
import { generateDecoy } from '../../../src/sensors/sql/decoy-data.js';
import { DecoyState } from '../../../src/sensors/sql/decoy-state.js';

const require = createRequire(import.meta.url);
const auth41 = require(require.resolve('mysql2').replace(/index\.js$/, 'lib/auth_41.js')) as { calculateToken(password: string, scramble1: Buffer, scramble2: Buffer): Buffer };

const FIXED_SALT = Buffer.from('abcdefghijklmnopqrst');

test('greeting bytes: v10 layout with the salt split 8 + 12, SSL offered and compression not', () => {
  const g = encodeGreeting({ serverVersion: '8.0.36', connectionId: 42, salt: FIXED_SALT, capabilities: SERVER_CAPABILITIES, charset: 255, status: 2, plugin: 'mysql_native_password' });
  const expected = Buffer.concat([
    Buffer.from([0x0a]),
    Buffer.from('8.0.36\0'),
    Buffer.from([42, 0, 0, 0]),
    Buffer.from('abcdefgh'),
    Buffer.from([0]),
    Buffer.from([SERVER_CAPABILITIES & 0xff, (SERVER_CAPABILITIES >> 8) & 0xff, 255, 2, 0, (SERVER_CAPABILITIES >> 16) & 0xff, (SERVER_CAPABILITIES >> 24) & 0xff, 21]),
    Buffer.alloc(10),
    Buffer.from('ijklmnopqrst\0'),
    Buffer.from('mysql_native_password\0'),
  ]);
  assert.deepEqual(g, expected);
  assert.equal(SERVER_CAPABILITIES & CLIENT_SSL, CLIENT_SSL);
  assert.equal(SERVER_CAPABILITIES & CLIENT_COMPRESS, 0);
});

test('salts are fresh, 20 printable bytes, never NUL or $', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const s = newSalt();
    assert.equal(s.length, 20);
    for (const b of s) assert.ok(b >= 0x21 && b <= 0x7e && b !== 0x24);
    seen.add(s.toString('hex'));
  }
  assert.equal(seen.size, 200);
});

test('native scramble equals mysql2 client computation; recovery finds the password; cracker form is hashcat 11200', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.uint8Array({ minLength: 20, maxLength: 20 }), (pw, saltBytes) => {
      const salt = Buffer.from(saltBytes);
      assert.deepEqual(nativeScramble(pw, salt), auth41.calculateToken(pw, salt.subarray(0, 8), salt.subarray(8)));
    }),
    { numRuns: 200 },
  );
  const resp = nativeScramble('letmein', FIXED_SALT);
  assert.equal(recoverPassword('mysql_native_password', resp, FIXED_SALT, ['x', 'letmein', 'y']), 'letmein');
  assert.equal(recoverPassword('mysql_native_password', resp, FIXED_SALT, ['x', 'y']), undefined);
  assert.equal(recoverPassword('mysql_native_password', Buffer.alloc(0), FIXED_SALT, []), '');
  assert.equal(crackerForm('mysql_native_password', resp, FIXED_SALT), `$mysqlna$${FIXED_SALT.toString('hex')}*${resp.toString('hex')}`);
  assert.equal(recoverPassword('caching_sha2_password', cachingSha2Scramble('root', FIXED_SALT), FIXED_SALT, ['root']), 'root');
});

test('the one-block SHA-1 of salt + stage 2 equals node:crypto; recovery by it matches any candidate position', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.uint8Array({ minLength: 20, maxLength: 20 }), (a, b) => {
      const salt = Buffer.from(a);
      const stage2 = Buffer.from(b);
      assert.deepEqual(sha1SaltStage2(salt, stage2), createHash('sha1').update(salt).update(stage2).digest());
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.array(fc.string({ minLength: 1, maxLength: 24 }), { minLength: 1, maxLength: 30 }), fc.nat(), fc.uint8Array({ minLength: 20, maxLength: 20 }), (list, pick, saltBytes) => {
      const salt = Buffer.from(saltBytes);
      const pw = list[pick % list.length]!;
      const found = recoverPassword('mysql_native_password', nativeScramble(pw, salt), salt, list);
      // The first candidate with the same scramble (the same password) is the one found.
      assert.equal(found, pw);
      assert.equal(recoverPassword('mysql_native_password', nativeScramble(pw, salt), salt, list.filter((x) => x !== pw)), undefined);
    }),
    { numRuns: 200 },
  );
});

test('the one-block SHA-256 of stage 2 + salt equals node:crypto; caching_sha2 recovery agrees with scrambling each candidate', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 20, maxLength: 20 }), (a, b) => {
      const stage2 = Buffer.from(a);
      const salt = Buffer.from(b);
      assert.deepEqual(sha256Stage2Salt(stage2, salt), createHash('sha256').update(stage2).update(salt).digest());
    }),
    { numRuns: 500 },
  );
  // The reference: scramble every candidate with node:crypto and compare. Salts of other lengths take
  // the node:crypto path in recoverPassword; responses are a candidate's scramble or random bytes.
  const password = fc.oneof(fc.string({ maxLength: 24 }), fc.string({ unit: 'binary', maxLength: 24 }));
  fc.assert(
    fc.property(
      fc.constantFrom<ScramblePlugin>('caching_sha2_password', 'mysql_native_password'),
      fc.array(password, { minLength: 1, maxLength: 30 }),
      fc.nat(),
      fc.oneof(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.uint8Array({ maxLength: 40 })),
      fc.option(fc.uint8Array({ minLength: 20, maxLength: 32 }), { nil: undefined }),
      (plugin, list, pick, saltBytes, random) => {
        const salt = Buffer.from(saltBytes);
        const scramble = plugin === 'caching_sha2_password' ? cachingSha2Scramble : nativeScramble;
        const response = random ? Buffer.from(random) : scramble(list[pick % list.length]!, salt);
        const want = response.length === 0 ? '' : list.find((c) => c !== '' && scramble(c, salt).equals(response));
        assert.equal(recoverPassword(plugin, response, salt, list), want);
      },
    ),
    { numRuns: 500 },
  );
});

test('one-buffer framing and rows equal packet-by-packet framing and lenenc strings', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), fc.nat(255), (bodies, seq) => {
      const payloads = bodies.map((b) => Buffer.from(b));
      const parts: Buffer[] = [];
      let s = seq;
      for (const p of payloads) {
        const e = encodePacket(p, s);
        parts.push(e.bytes);
        s = e.next;
      }
      const one = encodePackets(payloads, seq);
      assert.deepEqual(one.bytes, Buffer.concat(parts));
      assert.equal(one.next, s);
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.array(fc.option(fc.oneof(fc.string({ maxLength: 40 }), fc.string({ minLength: 250, maxLength: 70_000, unit: 'binary' })), { nil: null }), { maxLength: 6 }), (values) => {
      const expected = Buffer.concat(values.map((v) => (v === null ? Buffer.from([0xfb]) : encodeLenencString(v))));
      assert.deepEqual(encodeRow(values), expected);
    }),
    { numRuns: 150 },
  );
});

test('greeting written in place equals the greeting assembled from its parts', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), fc.nat(0xffffffff), fc.uint8Array({ minLength: 0, maxLength: 21 }), fc.constantFrom('mysql_native_password', 'caching_sha2_password'), fc.nat(0xffff), (version, id, saltBytes, plugin, status) => {
      const salt = Buffer.from(saltBytes);
      const head = Buffer.alloc(1 + Buffer.byteLength(version) + 1 + 4);
      head[0] = 0x0a;
      head.write(version, 1, 'latin1');
      head.writeUInt32LE(id, head.length - 4);
      const mid = Buffer.alloc(19);
      mid.writeUInt16LE(SERVER_CAPABILITIES & 0xffff, 1);
      mid[3] = 255;
      mid.writeUInt16LE(status, 4);
      mid.writeUInt16LE((SERVER_CAPABILITIES >>> 16) & 0xffff, 6);
      mid[8] = salt.length + 1;
      const expected = Buffer.concat([head, salt.subarray(0, 8), mid, salt.subarray(8), Buffer.from([0]), Buffer.from(`${plugin}\0`, 'latin1')]);
      assert.deepEqual(encodeGreeting({ serverVersion: version, connectionId: id, salt, capabilities: SERVER_CAPABILITIES, charset: 255, status, plugin }), expected);
    }),
    { numRuns: 300 },
  );
});

test('column definitions: kept encoded up to a bound, long names never kept, the same bytes either way', () => {
  const long = 'a'.repeat(200_000);
  const first = encodeColumn({ name: long, type: TYPE_VAR_STRING, table: 't', schema: 's' });
  const before = cachedColumnCount();
  assert.deepEqual(encodeColumn({ name: long, type: TYPE_VAR_STRING, table: 't', schema: 's' }), first);
  assert.equal(cachedColumnCount(), before);
  assert.equal(first.length, 4 + 2 + 2 + 2 + 2 * (4 + long.length) + 13);
  for (let i = 0; i < MAX_CACHED_COLUMNS * 2; i++) encodeColumn({ name: `c${i}`, type: TYPE_VAR_STRING });
  assert.ok(cachedColumnCount() <= MAX_CACHED_COLUMNS);
  assert.deepEqual(encodeColumn({ name: 'c1', type: TYPE_VAR_STRING }), encodeColumn({ name: 'c1', type: TYPE_VAR_STRING }));
});

test('framing: whole, split at every point, and multi-packet messages decode the same', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(255), fc.nat(), (body, seq, cut) => {
      const { bytes } = encodePacket(Buffer.from(body), seq);
      const whole = decodeMessage(bytes);
      assert.equal(whole.status, 'ok');
      if (whole.status !== 'ok') return;
      assert.deepEqual(whole.value.payload, Buffer.from(body));
      assert.equal(whole.consumed, bytes.length);
      const at = cut % (bytes.length + 1);
      if (at < bytes.length) assert.equal(decodeMessage(bytes.subarray(0, at)).status, 'incomplete');
    }),
  );
  // A payload of exactly 0xffffff bytes continues in the next packet.
  const big = Buffer.alloc(MAX_PACKET_PAYLOAD + 10, 7);
  const framed = encodePacket(big, 0);
  assert.equal(framed.bytes.length, big.length + 8);
  const r = decodeMessage(framed.bytes, 2 * MAX_PACKET_PAYLOAD);
  assert.equal(decodeMessage(framed.bytes).status, "malformed", "over MAX_MESSAGE_BYTES by default");
  assert.equal(r.status, 'ok');
  if (r.status === 'ok') assert.equal(r.value.payload.length, big.length);
});

test('framing: oversized length fields and out-of-sequence continuations are malformed, not buffered', () => {
  const head = Buffer.from([0xff, 0xff, 0xff, 0]);
  // Continuation packets whose total passes the limit: refused before waiting for the bytes.
  const many = Buffer.concat([head, Buffer.alloc(MAX_PACKET_PAYLOAD), Buffer.from([0xff, 0xff, 0xff, 2])]);
  assert.deepEqual(decodeMessage(many), { status: 'malformed', reason: 'packet out of sequence' });
  assert.equal(decodeMessage(head, 1024).status, 'malformed');
  assert.ok(MAX_MESSAGE_BYTES >= 16 * 1024 * 1024);
});

/** A length-encoded integer at OFF as a client reads it: its value and the offset after it. */
function readLenenc(b: Buffer, off = 0): { value: number; next: number } {
  const f = b[off]!;
  assert.ok(f !== 0xfb && f !== 0xff, 'never a NULL or error marker');
  if (f < 0xfb) return { value: f, next: off + 1 };
  if (f === 0xfc) return { value: b.readUInt16LE(off + 1), next: off + 3 };
  if (f === 0xfd) return { value: b.readUIntLE(off + 1, 3), next: off + 4 };
  return { value: Number(b.readBigUInt64LE(off + 1)), next: off + 9 };
}

test('lenenc integers and OK packets: any number is written as the nearest whole count the field carries, never thrown', () => {
  const edges = fc.constantFrom(1e300, -1, 0.5, Number.NaN, Infinity, -Infinity, 2 ** 53, 2 ** 64, 0xfa, 0xfb, 0xffff, 0x10000, 0xffffff, 0x1000000);
  fc.assert(
    fc.property(fc.oneof(fc.double(), fc.integer(), fc.nat(), edges), fc.oneof(fc.double(), edges), (n, m) => {
      const want = (x: number): number => (x > 0 ? Math.min(MAX_LENENC_VALUE, Math.floor(x)) : 0);
      const b = encodeLenenc(n);
      const r = readLenenc(b);
      assert.equal(r.value, want(n));
      assert.equal(r.next, b.length);
      const ok = encodeOk({ affectedRows: n, insertId: m, status: n, warnings: m });
      assert.equal(ok[0], 0);
      const affected = readLenenc(ok, 1);
      const id = readLenenc(ok, affected.next);
      assert.deepEqual([affected.value, id.value, id.next + 4], [want(n), want(m), ok.length]);
    }),
    { numRuns: 2000 },
  );
});

test('handshake responses: random and truncated bytes never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
      const r = decodeHandshakeResponse(Buffer.from(b));
      assert.ok(r.status === 'ok' || r.status === 'malformed');
    }),
    { numRuns: 2000 },
  );
});

interface Harness {
  session: MysqlSession;
  out: Buffer[];
  events: ApiaryEvent[];
  ended: string[];
}

function harness(overrides: Partial<MysqlSessionDeps> = {}): Harness {
  const events: ApiaryEvent[] = [];
  const sink: EventSink = { write: (e) => void events.push(e), flush: async () => {} };
  const emitter = createSessionEmitter(sink, { sensor: 't', protocol: 'mysql', src_ip: '127.0.0.1', src_port: 5, dst_ip: '127.0.0.1', dst_port: 3306 });
  const out: Buffer[] = [];
  const ended: string[] = [];
  const decoy = new DecoyState(generateDecoy({ seed: Buffer.alloc(16, 1), now: Date.UTC(2026, 0, 1), appDatabase: 'webshop', customers: 20, orders: 30 }));
  const session = new MysqlSession({
    emitter,
    policy: compileAuthPolicy([{ user: 'root', password: ['123456'], allow: true }]),
    extraCandidates: ['letmein'],
    serverVersion: '8.0.36',
    greetingPlugin: 'mysql_native_password',
    connectionId: 7,
    clientHost: '127.0.0.1',
    variables: { version: '8.0.36' },
    view: decoy.viewFor('127.0.0.1'),
    payloads: { put: async (d) => ({ sha256: '0'.repeat(64), md5: '0'.repeat(32), size: d.length, outcome: 'stored' }) },
    send: (b) => void out.push(b),
    end: (r) => void ended.push(r),
    random: () => Buffer.from(FIXED_SALT),
    ...overrides,
  });
  session.start();
  return { session, out, events, ended };
}

/** A HandshakeResponse41 as libmariadb sends it (lenenc auth data, plugin name). */
function handshakeResponse(user: string, authData: Buffer, plugin = 'mysql_native_password', db?: string): Buffer {
  const caps = 0x002a_a207 | (db ? 0x8 : 0);
  const head = Buffer.alloc(32);
  head.writeUInt32LE(caps, 0);
  head.writeUInt32LE(16 * 1024 * 1024, 4);
  head[8] = 45;
  return Buffer.concat([head, Buffer.from(`${user}\0`), Buffer.from([authData.length]), authData, db ? Buffer.from(`${db}\0`) : Buffer.alloc(0), Buffer.from(`${plugin}\0`)]);
}

/** The salt a session makes from FIXED_SALT as its random bytes. */
function salt(): Buffer {
  return newSalt(() => Buffer.from(FIXED_SALT));
}

test('session: login with a weak password then a query, exact sequence ids and events', () => {
  const h = harness();
  const greeting = decodeMessage(h.out[0]!);
  assert.equal(greeting.status, 'ok');
  h.session.receive(encodePacket(handshakeResponse('root', nativeScramble('123456', salt()), 'mysql_native_password', 'webshop'), 1).bytes);
  const ok = h.out[1]!;
  assert.deepEqual(ok, Buffer.from([7, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0]));
  h.session.receive(encodePacket(Buffer.concat([Buffer.from([3]), Buffer.from('SELECT COUNT(*) FROM customers')]), 0).bytes);
  const answer = h.out[2]!;
  // column count (seq 1), column def (2), EOF (3), one row "20" (4), EOF (5)
  assert.equal(answer[3], 1);
  assert.ok(answer.includes(Buffer.from([3, 0, 0, 4, 2, 0x32, 0x30])), 'row packet with "20"');
  const types = h.events.map((e) => e.type);
  assert.deepEqual(types, ['auth.attempt', 'query']);
  assert.deepEqual(h.events[0]!.payload, { method: 'native', username: 'root', password: '123456', success: true });
  assert.deepEqual(h.events[1]!.payload, { query: 'SELECT COUNT(*) FROM customers', database: 'webshop' });
});

test('session: a caching_sha2 client is switched to mysql_native_password with the same salt', () => {
  const h = harness();
  h.session.receive(encodePacket(handshakeResponse('root', cachingSha2Scramble('123456', salt()), 'caching_sha2_password'), 1).bytes);
  const sw = h.out[1]!;
  assert.equal(sw[3], 2);
  assert.deepEqual(sw.subarray(4), Buffer.concat([Buffer.from([0xfe]), Buffer.from('mysql_native_password\0'), salt(), Buffer.from([0])]));
  h.session.receive(encodePacket(nativeScramble('letmein', salt()), 3).bytes);
  const err = h.out[2]!;
  assert.equal(err[3], 4);
  assert.equal(err[4], 0xff);
  assert.deepEqual(h.events[0]!.payload, { method: 'native', username: 'root', password: 'letmein', success: false });
  assert.deepEqual(h.ended, ['policy']);
});

test('session: caching_sha2 full authentication recovers an unknown password through the RSA exchange', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const h = harness({ greetingPlugin: 'caching_sha2_password', rsaKey: { privateKey, publicPem } });
  h.session.receive(encodePacket(handshakeResponse('root', cachingSha2Scramble('Unlisted-99', salt()), 'caching_sha2_password'), 1).bytes);
  assert.deepEqual(h.out[1], Buffer.from([2, 0, 0, 2, 0x01, 0x04]), 'perform full authentication');
  h.session.receive(encodePacket(Buffer.from([0x02]), 3).bytes);
  assert.equal(h.out[2]![3], 4);
  assert.equal(h.out[2]!.subarray(5).toString(), publicPem);
  const plain = Buffer.from('Unlisted-99\0');
  for (let i = 0; i < plain.length; i++) plain[i] = plain[i]! ^ salt()[i % 20]!;
  const enc = publicEncrypt({ key: publicPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, plain);
  h.session.receive(encodePacket(enc, 5).bytes);
  assert.equal(h.out[3]![3], 6);
  assert.equal(h.out[3]![4], 0xff);
  assert.deepEqual(h.events.find((e) => e.type === 'auth.attempt')!.payload, { method: 'native', username: 'root', password: 'Unlisted-99', success: false });
  // A known password takes the fast path: AuthMoreData 0x03 then OK.
  const fast = harness({ greetingPlugin: 'caching_sha2_password', rsaKey: { privateKey, publicPem } });
  fast.session.receive(encodePacket(handshakeResponse('root', cachingSha2Scramble('123456', salt()), 'caching_sha2_password'), 1).bytes);
  assert.deepEqual(fast.out[1]!.subarray(0, 6), Buffer.from([2, 0, 0, 2, 0x01, 0x03]));
  assert.equal(fast.session.currentState, 'command');
});

/** A recovery budget that has nothing left, counting what was asked of it. */
function exhausted(): { take(kind: 'rsa' | 'wordlist'): boolean; asked: string[] } {
  const asked: string[] = [];
  return { asked, take: (kind) => (asked.push(kind), false) };
}

/** caching_sha2 full authentication as mysql2 does it: fast-path scramble, key request, RSA-OAEP ciphertext. */
function fullAuth(h: Harness, user: string, password: string, publicPem: string): Buffer {
  h.session.receive(encodePacket(handshakeResponse(user, cachingSha2Scramble(password, salt()), 'caching_sha2_password'), 1).bytes);
  h.session.receive(encodePacket(Buffer.from([0x02]), 3).bytes);
  const plain = Buffer.from(`${password}\0`);
  for (let i = 0; i < plain.length; i++) plain[i] = plain[i]! ^ salt()[i % 20]!;
  const enc = publicEncrypt({ key: publicPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, plain);
  h.session.receive(encodePacket(enc, 5).bytes);
  return enc;
}

test('session: past the RSA budget a refused client gets the same bytes, and the event keeps the ciphertext instead of the password', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const policy = compileAuthPolicy([
    { user: 'root', password: ['123456'], allow: true },
    { user: 'deploy', password: '/^Deploy-[0-9]{4}$/', allow: true },
  ]);
  const deps = { greetingPlugin: 'caching_sha2_password' as const, rsaKey: { privateKey, publicPem }, policy };
  const free = harness(deps);
  fullAuth(free, 'root', 'Unlisted-99', publicPem);
  const budget = exhausted();
  const over = harness({ ...deps, recovery: budget });
  const enc = fullAuth(over, 'root', 'Unlisted-99', publicPem);
  assert.deepEqual(over.out, free.out, 'the same packets');
  assert.deepEqual(over.ended, free.ended);
  assert.deepEqual(free.events.find((e) => e.type === 'auth.attempt')!.payload, { method: 'native', username: 'root', password: 'Unlisted-99', success: false });
  assert.deepEqual(over.events.find((e) => e.type === 'auth.attempt')!.payload, {
    method: 'native',
    username: 'root',
    hash: crackerForm('caching_sha2_password', cachingSha2Scramble('Unlisted-99', salt()), salt()),
    success: false,
    recovery: 'skipped_budget',
    rsa_ciphertext: enc.toString('hex'),
  });
  // The word list was asked first (the fast path), then the decryption; both refused.
  assert.deepEqual(budget.asked, ['wordlist', 'rsa']);
  // A listed password still takes the fast path; a pattern rule's user is still decrypted, and gets in.
  const listed = harness({ ...deps, recovery: exhausted() });
  listed.session.receive(encodePacket(handshakeResponse('root', cachingSha2Scramble('123456', salt()), 'caching_sha2_password'), 1).bytes);
  assert.equal(listed.session.currentState, 'command');
  const pattern = harness({ ...deps, recovery: exhausted() });
  fullAuth(pattern, 'deploy', 'Deploy-2024', publicPem);
  assert.equal(pattern.session.currentState, 'command');
  assert.deepEqual(pattern.events.find((e) => e.type === 'auth.attempt')!.payload, { method: 'native', username: 'deploy', password: 'Deploy-2024', success: true });
});

test('session: past the word-list budget the passwords the policy lists still decide, and the rest is kept as a hash', () => {
  const budget = exhausted();
  const allowed = harness({ recovery: budget });
  allowed.session.receive(encodePacket(handshakeResponse('root', nativeScramble('123456', salt())), 1).bytes);
  assert.equal(allowed.session.currentState, 'command');
  assert.deepEqual(budget.asked, [], 'a listed password spends nothing');
  const free = harness();
  free.session.receive(encodePacket(handshakeResponse('root', nativeScramble('letmein', salt())), 1).bytes);
  const over = harness({ recovery: budget });
  over.session.receive(encodePacket(handshakeResponse('root', nativeScramble('letmein', salt())), 1).bytes);
  assert.deepEqual(over.out, free.out, 'the same packets');
  assert.deepEqual(free.events[0]!.payload, { method: 'native', username: 'root', password: 'letmein', success: false });
  assert.deepEqual(over.events[0]!.payload, { method: 'native', username: 'root', hash: crackerForm('mysql_native_password', nativeScramble('letmein', salt()), salt()), success: false, recovery: 'skipped_budget' });
  // Nothing to try beyond the policy's passwords (the weak list is in them): nothing asked, nothing skipped.
  const same = harness({ recovery: exhausted(), extraCandidates: ['123456'] });
  same.session.receive(encodePacket(handshakeResponse('root', nativeScramble('hunter2', salt())), 1).bytes);
  assert.equal((same.events[0]!.payload as { recovery?: string }).recovery, undefined);
});

test('session: before login a length field beyond a handshake is refused at once, not waited for', () => {
  const h = harness();
  h.session.receive(Buffer.from([0xff, 0xff, 0xff, 1]));
  assert.equal(h.session.currentState, 'closed');
  assert.match(String((h.events[0]!.payload as { reason: string }).reason), /message larger than 65536 bytes/);
});

test('session: COM_CHANGE_USER attempts are recorded like logins; a failed one ends the connection', () => {
  const h = harness();
  h.session.receive(encodePacket(handshakeResponse('root', nativeScramble('123456', salt())), 1).bytes);
  const change = (user: string, pw: string): Buffer => {
    const token = nativeScramble(pw, salt());
    return encodePacket(Buffer.concat([Buffer.from([0x11]), Buffer.from(`${user}\0`), Buffer.from([token.length]), token, Buffer.from('webshop\0')]), 0).bytes;
  };
  h.session.receive(change('root', 'letmein'));
  assert.equal(h.session.currentState, 'closed', 'letmein is not allowed for root here');
  assert.deepEqual(
    h.events.filter((e) => e.type === 'auth.attempt').map((e) => e.payload),
    [
      { method: 'native', username: 'root', password: '123456', success: true },
      { method: 'native', username: 'root', password: 'letmein', success: false },
    ],
  );
  const ok = harness();
  ok.session.receive(encodePacket(handshakeResponse('root', nativeScramble('letmein', salt())), 1).bytes);
  assert.equal(ok.session.currentState, 'closed');
  const again = harness();
  again.session.receive(encodePacket(handshakeResponse('root', nativeScramble('123456', salt())), 1).bytes);
  again.session.receive(change('root', '123456'));
  assert.equal(again.session.currentState, 'command');
});

/** The greeting's capability flags, from the first packet a session sent. */
function greetingCaps(h: Harness): number {
  const g = h.out[0]!.subarray(4);
  const v = g.indexOf(0, 1) + 1;
  return (g.readUInt16LE(v + 13) | (g.readUInt16LE(v + 18) << 16)) >>> 0;
}

test('session: with TLS, the SSLRequest hands the bytes after it to TLS, and the login goes on over TLS at sequence 2', () => {
  const started: Buffer[] = [];
  let secured: ((info: { cipher: string; version: string }) => void) | undefined;
  const h = harness({
    startTls: (pending, done) => {
      started.push(pending);
      secured = done;
    },
  });
  assert.equal(greetingCaps(h) & CLIENT_SSL, CLIENT_SSL);
  const ssl = Buffer.alloc(32);
  ssl.writeUInt32LE(0x00a0_aa05 | CLIENT_SSL, 0);
  const hello = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]);
  h.session.receive(Buffer.concat([encodePacket(ssl, 1).bytes, hello]));
  assert.deepEqual(started, [hello], 'the ClientHello read with the request goes to TLS, not to the MySQL parser');
  assert.equal(h.out.length, 1, 'no answer to an SSLRequest');
  assert.deepEqual(h.events, []);
  secured!({ cipher: 'TLS_AES_256_GCM_SHA384', version: 'TLSv1.3' });
  h.session.receive(encodePacket(handshakeResponse('root', nativeScramble('123456', salt())), 2).bytes);
  assert.equal(h.out[1]![3], 3, 'OK at sequence 3');
  assert.equal(h.out[1]![4], 0x00);
  h.session.receive(encodePacket(Buffer.from("\x03SHOW STATUS LIKE 'Ssl_%'"), 0).bytes);
  const answer = h.out[2]!.toString('latin1');
  assert.match(answer, /Ssl_cipher\x16TLS_AES_256_GCM_SHA384/);
  assert.match(answer, /Ssl_version\x07TLSv1\.3/);
});

test('session: caching_sha2_password over TLS takes the cleartext password in full authentication, with no recovery budget', () => {
  const h = harness({
    greetingPlugin: 'caching_sha2_password',
    recovery: { take: () => false },
    startTls: (_pending, done) => done({ cipher: 'TLS_AES_256_GCM_SHA384', version: 'TLSv1.3' }),
  });
  const ssl = Buffer.alloc(32);
  ssl.writeUInt32LE(0x00a0_aa05 | CLIENT_SSL, 0);
  h.session.receive(encodePacket(ssl, 1).bytes);
  h.session.receive(encodePacket(handshakeResponse('root', cachingSha2Scramble('Not-In-Any-List', salt()), 'caching_sha2_password'), 2).bytes);
  assert.deepEqual([...h.out[1]!], [2, 0, 0, 3, 0x01, 0x04], 'perform full authentication');
  h.session.receive(encodePacket(Buffer.from('Not-In-Any-List\0'), 4).bytes);
  const attempt = h.events.find((e) => e.type === 'auth.attempt')?.payload as Record<string, unknown> | undefined;
  assert.equal(attempt?.password, 'Not-In-Any-List');
  assert.equal(attempt?.success, false);
  assert.equal(attempt?.recovery, undefined);
  assert.equal(h.out[2]![3], 5);
  assert.equal(h.out[2]![4], 0xff);
});

test('session: a second SSLRequest over TLS is refused', () => {
  const h = harness({ startTls: (_pending, done) => done({ cipher: 'x', version: 'TLSv1.3' }) });
  const ssl = Buffer.alloc(32);
  ssl.writeUInt32LE(0x00a0_aa05 | CLIENT_SSL, 0);
  h.session.receive(encodePacket(ssl, 1).bytes);
  h.session.receive(encodePacket(ssl, 2).bytes);
  assert.deepEqual(h.ended, ['policy']);
  assert.equal(h.events[0]!.type, 'protocol.malformed');
});

test('session: without a certificate the greeting does not offer SSL, and an SSL request is refused cleanly with an error and a close', () => {
  const h = harness();
  assert.equal(greetingCaps(h) & CLIENT_SSL, 0);
  const ssl = Buffer.alloc(32);
  ssl.writeUInt32LE(0x00a0_aa05 | CLIENT_SSL, 0);
  h.session.receive(encodePacket(ssl, 1).bytes);
  assert.equal(h.out[1]![4], 0xff);
  assert.match(h.out[1]!.subarray(13).toString(), /Bad handshake/);
  assert.deepEqual(h.ended, ['policy']);
  assert.equal(h.events[0]!.type, 'protocol.malformed');
});

test('session: random bytes, before or after login, split anywhere, never throw and stay bounded', () => {
  const login = encodePacket(handshakeResponse('root', nativeScramble('123456', salt())), 1).bytes;
  fc.assert(
    fc.property(fc.boolean(), fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }), (loggedIn, chunks) => {
      const h = harness();
      if (loggedIn) h.session.receive(login);
      for (const c of chunks) h.session.receive(Buffer.from(c));
      assert.ok(h.ended.length <= 1);
    }),
    { numRuns: 500 },
  );
  // Well-framed random commands after login: each answered, none ends the session but COM_QUIT and COM_CHANGE_USER.
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 30 }), (payloads) => {
      const h = harness();
      h.session.receive(login);
      for (const p of payloads) h.session.receive(encodePacket(Buffer.from(p), 0).bytes);
      // COM_QUIT ends the session, and so does a COM_CHANGE_USER that fails.
      const quit = payloads.some((p) => p[0] === 1 || p[0] === 0x11);
      if (!quit) assert.equal(h.session.currentState, 'command');
    }),
    { numRuns: 300 },
  );
});

test('session: the same bytes split at any point give the same answers', () => {
  const login = encodePacket(handshakeResponse('root', nativeScramble('123456', salt()), 'mysql_native_password', 'webshop'), 1).bytes;
  const query = encodePacket(Buffer.concat([Buffer.from([3]), Buffer.from('SELECT id, email FROM customers ORDER BY id DESC LIMIT 3')]), 0).bytes;
  const all = Buffer.concat([login, query]);
  const whole = harness();
  whole.session.receive(all);
  const expected = Buffer.concat(whole.out);
  fc.assert(
    fc.property(fc.array(fc.nat(all.length), { maxLength: 6 }), (cuts) => {
      const h = harness();
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      let last = 0;
      for (const p of [...points, all.length]) {
        h.session.receive(all.subarray(last, p));
        last = p;
      }
      assert.deepEqual(Buffer.concat(h.out), expected);
    }),
    { numRuns: 200 },
  );
});

test('session: an id of 1e300 then auto-numbered inserts are answered with OK packets, and the connection stays', () => {
  const h = harness();
  h.session.receive(encodePacket(handshakeResponse('root', nativeScramble('123456', salt()), 'mysql_native_password', 'webshop'), 1).bytes);
  const query = (sql: string): Buffer => {
    const before = h.out.length;
    h.session.receive(encodePacket(Buffer.concat([Buffer.from([3]), Buffer.from(sql)]), 0).bytes);
    assert.equal(h.out.length, before + 1, sql);
    const r = decodeMessage(h.out[before]!);
    assert.equal(r.status, 'ok');
    return r.status === 'ok' ? r.value.payload : Buffer.alloc(0);
  };
  assert.equal(query("INSERT INTO admins(id, username) VALUES(1e300, 'a')")[0], 0);
  // Every later auto-numbered insert from this source used to throw while writing its insert id.
  for (const name of ['b', 'c']) {
    const ok = query(`INSERT INTO admins(username) VALUES('${name}')`);
    assert.equal(ok[0], 0, 'an OK packet');
    const affected = readLenenc(ok, 1);
    assert.equal(affected.value, 1);
    assert.equal(readLenenc(ok, affected.next).value, Number.MAX_SAFE_INTEGER);
  }
  assert.equal(h.session.currentState, 'command');
  assert.deepEqual(h.ended, []);
});

test('session: a statement of several megabytes is answered and recorded clipped', () => {
  const h = harness();
  h.session.receive(encodePacket(handshakeResponse('root', nativeScramble('123456', salt()), 'mysql_native_password', 'webshop'), 1).bytes);
  const big = `SELECT '${'A'.repeat(3 * 1024 * 1024)}' AS x`;
  const framed = encodePacket(Buffer.concat([Buffer.from([3]), Buffer.from(big)]), 0).bytes;
  const t0 = Date.now();
  for (let i = 0; i < framed.length; i += 65536) h.session.receive(framed.subarray(i, i + 65536));
  assert.ok(Date.now() - t0 < 5000);
  assert.equal(h.session.currentState, 'command');
  const q = h.events.find((e) => e.type === 'query')!;
  assert.ok(String((q.payload as { query: string }).query).length < 70 * 1024);
  // A message over the limit ends the connection as malformed.
  const h2 = harness();
  h2.session.receive(encodePacket(handshakeResponse('root', nativeScramble('123456', salt())), 1).bytes);
  const huge = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0]), Buffer.alloc(MAX_PACKET_PAYLOAD, 0x41)]);
  h2.session.receive(huge);
  for (let s = 1; s <= 1; s++) h2.session.receive(Buffer.from([0xff, 0xff, 0xff, s]));
  assert.equal(h2.session.currentState, 'closed');
  assert.ok(h2.events.some((e) => e.type === 'protocol.malformed'));
});

test('session: one source holding partial statements cannot take the shared buffer budget from another source', async () => {
  const { MAX_BUFFERED_BYTES_ALL_SESSIONS, MAX_SOURCE_SHARE, SHARED_BUFFER_BUDGET } = await import('../../../src/sensors/runtime/framed-input.js');
  const from = (src_ip: string): Harness => {
    const events: ApiaryEvent[] = [];
    const sink: EventSink = { write: (e) => void events.push(e), flush: async () => {} };
    const emitter = createSessionEmitter(sink, { sensor: 't', protocol: 'mysql', src_ip, src_port: 5, dst_ip: '127.0.0.1', dst_port: 3306 });
    const h = harness({ emitter, clientHost: src_ip });
    h.session.receive(encodePacket(handshakeResponse('root', nativeScramble('123456', salt())), 1).bytes);
    return { ...h, events };
  };
  const before = SHARED_BUFFER_BUDGET.inUse;
  // Each holds all but a few bytes of a 16 MiB packet: 16 of them fill the whole budget to its last 48 bytes.
  const partial = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0, 3]), Buffer.alloc(16 * 1024 * 1024 - 8, 0x41)]);
  const flood = Array.from({ length: Math.ceil(MAX_BUFFERED_BYTES_ALL_SESSIONS / partial.length) + 1 }, () => from('127.0.0.1'));
  try {
    for (const h of flood) h.session.receive(partial);
    // A 100 KB statement from another source is buffered, answered and recorded.
    const other = from('127.0.0.2');
    const query = `SELECT '${'B'.repeat(100 * 1024)}' AS x`;
    other.session.receive(encodePacket(Buffer.concat([Buffer.from([3]), Buffer.from(query)]), 0).bytes);
    assert.equal(other.session.currentState, 'command');
    assert.deepEqual(other.events.filter((e) => e.type === 'protocol.malformed'), []);
    const q = other.events.find((e) => e.type === 'query');
    assert.ok(q, 'recorded');
    assert.ok(query.startsWith((q.payload as { query: string }).query.slice(0, 1000)));
    const open = flood.filter((h) => h.session.currentState !== 'closed');
    assert.equal(open.length, Math.floor((MAX_BUFFERED_BYTES_ALL_SESSIONS * MAX_SOURCE_SHARE) / partial.length), 'the source holds its share');
    assert.ok(flood.some((h) => h.events.some((e) => e.type === 'protocol.malformed' && (e.payload as { reason: string }).reason === 'sensor buffer budget exhausted')));
  } finally {
    for (const h of flood) h.session.dispose();
  }
  assert.equal(SHARED_BUFFER_BUDGET.inUse, before, 'all given back');
});
