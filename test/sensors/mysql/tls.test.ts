// TLS on the MySQL decoy with real clients: the greeting offers CLIENT_SSL, the mariadb client and
// mysql2 switch to TLS after their SSLRequest, caching_sha2_password hands its password over in
// cleartext inside TLS, plain clients work as before, and broken handshakes are recorded, not fatal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { startApiaryProcess, waitFor, type ApiaryProcess } from '../../helpers/apiary-process.js';
import { run } from '../../helpers/ssh-tools.js';
import { CLIENT_PLUGIN_AUTH, CLIENT_PROTOCOL_41, CLIENT_SECURE_CONNECTION, CLIENT_SSL, decodeMessage, encodePacket } from '../../../src/sensors/mysql/codec.js';
import { nativeScramble } from '../../../src/sensors/mysql/scramble.js';

let apiary: ApiaryProcess;
let port: number;

before(async () => {
  apiary = await startApiaryProcess({
    sensor: 'mysql-tls',
    auth: [{ user: 'root', password: '123456', allow: true }],
    services: { mysql: { listen: ['127.0.0.1:0'], version: '8.0.36' } },
    decoy: { database: 'webshop' },
  });
  port = apiary.ports.mysql!;
});

after(async () => {
  await apiary.stop();
});

function mariadb(tls: boolean, user: string, password: string, sql: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const ssl = tls ? ['--ssl', '--ssl-verify-server-cert=0'] : ['--skip-ssl'];
  return run('mariadb', ['-h', '127.0.0.1', '-P', String(port), '-u', user, `-p${password}`, ...ssl, '--batch', '--skip-column-names', '--connect-timeout=10', '-e', sql], { timeoutMs: 30_000 });
}

/** The greeting's 32-bit capability flags, read from a fresh connection. */
async function greetingCapabilities(): Promise<number> {
  const s = connect(port, '127.0.0.1');
  try {
    const buf = await new Promise<Buffer>((resolve, reject) => {
      let got = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        const m = decodeMessage(got);
        if (m.status === 'ok') resolve(m.value.payload);
      });
      s.on('error', reject);
    });
    const afterVersion = buf.indexOf(0, 1) + 1;
    const low = buf.readUInt16LE(afterVersion + 4 + 8 + 1);
    const high = buf.readUInt16LE(afterVersion + 4 + 8 + 1 + 2 + 1 + 2);
    return ((high << 16) | low) >>> 0;
  } finally {
    s.destroy();
  }
}

/** Protocol::SSLRequest at sequence 1: capabilities (PROTOCOL_41 | SSL | ...), max packet, charset, 23 zero bytes. */
function sslRequest(): Buffer {
  const p = Buffer.alloc(32);
  p.writeUInt32LE(0x000fa68d | CLIENT_SSL, 0);
  p.writeUInt32LE(16 * 1024 * 1024, 4);
  p[8] = 45;
  return encodePacket(p, 1).bytes;
}

/** Sends the greeting-answering BYTES on a raw connection and waits for the server to close it. */
async function rawClient(send: (s: Socket) => void): Promise<void> {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => {});
  await new Promise<void>((resolve) => {
    s.once('data', () => send(s));
    s.once('close', () => resolve());
    setTimeout(() => {
      s.destroy();
      resolve();
    }, 15_000).unref();
  });
}

test('the greeting offers CLIENT_SSL (not compression), and the certificates are mysqld-style auto-generated ones', async () => {
  const caps = await greetingCapabilities();
  assert.notEqual(caps & CLIENT_SSL, 0, `capabilities 0x${caps.toString(16)} offer SSL`);
  assert.equal(caps & 0x20, 0, 'compression is not offered');
  const dir = join(apiary.dir, 'data', 'keys', 'mysql');
  const ca = new X509Certificate(readFileSync(join(dir, 'ca.pem')));
  const cert = new X509Certificate(readFileSync(join(dir, 'server-cert.pem')));
  assert.equal(ca.subject, 'CN=MySQL_Server_8.0.36_Auto_Generated_CA_Certificate');
  assert.equal(cert.subject, 'CN=MySQL_Server_8.0.36_Auto_Generated_Server_Certificate');
  assert.equal(cert.issuer, ca.subject);
  assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey), 'the server certificate is signed by the CA');
  assert.equal(ca.ca, true);
  assert.equal(cert.ca, false);
  assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
  assert.equal(days, 3650);
});

test('mariadb --ssl logs in over TLS and SHOW STATUS names the negotiated cipher; @@have_ssl is YES', async () => {
  const r = await mariadb(true, 'root', '123456', "SHOW STATUS LIKE 'Ssl_cipher'; SHOW STATUS LIKE 'Ssl_version'; SELECT @@have_ssl");
  assert.equal(r.code, 0, r.stderr);
  const [cipher, version, have] = r.stdout.trim().split('\n');
  assert.match(cipher!, /^Ssl_cipher\t(TLS_AES_\d+_GCM_SHA\d+|TLS_CHACHA20_POLY1305_SHA256|ECDHE-RSA-[\w-]+)$/);
  assert.match(version!, /^Ssl_version\tTLSv1\.[23]$/);
  assert.equal(have, 'YES');
});

test('a plain client works as before: no TLS, empty Ssl_cipher', async () => {
  const r = await mariadb(false, 'root', '123456', "SHOW STATUS LIKE 'Ssl_cipher'; SELECT @@have_ssl, COUNT(*) FROM webshop.users");
  assert.equal(r.code, 0, r.stderr);
  const [cipher, row] = r.stdout.trim().split('\n');
  assert.equal(cipher, 'Ssl_cipher\t');
  assert.match(row!, /^YES\t\d+$/);
});

test('mysql2 over TLS with caching_sha2_password: a wrong password arrives in cleartext and is recorded', async () => {
  await assert.rejects(
    mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: 'Tls-Only-Secret-42', ssl: { rejectUnauthorized: false } }),
    /Access denied for user 'root'@'127\.0\.0\.1' \(using password: YES\)/,
  );
  const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '123456', ssl: { rejectUnauthorized: false } });
  try {
    const [[row]] = (await c.query("SHOW STATUS LIKE 'Ssl_version'")) as unknown as [[{ Value: string }]];
    assert.match(row!.Value, /^TLSv1\.[23]$/);
  } finally {
    await c.end();
  }
  await waitFor(async () => (await apiary.events(['--type', 'auth.attempt'])).some((e) => e.password === 'Tls-Only-Secret-42'));
  const attempts = await apiary.events(['--type', 'auth.attempt']);
  const wrong = attempts.find((e) => e.password === 'Tls-Only-Secret-42');
  assert.equal(wrong?.success, false);
  assert.equal(wrong?.username, 'root');
  assert.equal(wrong?.recovery, undefined, 'no recovery budget spent');
});

test('an SSLRequest followed by garbage, or by nothing, is recorded and closed; the sensor keeps serving', async () => {
  const before = (await apiary.events(['--type', 'connection.close'])).length;
  await rawClient((s) => s.write(Buffer.concat([sslRequest(), Buffer.from('GET / HTTP/1.0\r\n\r\n')])));
  await rawClient((s) => {
    s.write(sslRequest());
    setTimeout(() => s.end(), 100);
  });
  // A ClientHello cut short, then the client goes.
  await rawClient((s) => {
    s.write(Buffer.concat([sslRequest(), Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])]));
    setTimeout(() => s.destroy(), 100);
  });
  await waitFor(async () => (await apiary.events(['--type', 'connection.close'])).length >= before + 3);
  const events = await apiary.events();
  assert.ok(
    events.some((e) => e.type === 'protocol.malformed' && /^tls: /.test(String(e.reason))),
    'the bad TLS handshake is recorded',
  );
  const closes = events.filter((e) => e.type === 'connection.close').slice(before);
  assert.equal(closes.length, 3);
  for (const c of closes) assert.ok(Number(c.bytes_in) >= 36 && Number(c.bytes_out) > 0, JSON.stringify(c));
  const ok = await mariadb(true, 'root', '123456', 'SELECT 1');
  assert.equal(ok.code, 0, ok.stderr);
});

test('an SSLRequest and the ClientHello in one segment: TLS starts, the login continues at sequence 2, and connection.close counts the bytes on the wire', async () => {
  const raw = connect(port, '127.0.0.1');
  let sent = 0;
  let received = 0;
  const greeting = await new Promise<Buffer>((resolve, reject) => {
    raw.once('data', (d: Buffer) => {
      received += d.length;
      const m = decodeMessage(d);
      if (m.status === 'ok') resolve(m.value.payload);
      else reject(new Error('no whole greeting in the first read'));
    });
    raw.on('error', reject);
  });
  const v = greeting.indexOf(0, 1) + 1;
  const salt = Buffer.concat([greeting.subarray(v + 4, v + 12), greeting.subarray(v + 31, v + 43)]);
  // The TLS client writes through a stream that puts the SSLRequest in front of its ClientHello.
  let first = true;
  const wire = new Duplex({
    write(chunk: Buffer, _enc, cb) {
      const b = first ? Buffer.concat([sslRequest(), chunk]) : chunk;
      first = false;
      sent += b.length;
      raw.write(b, cb);
    },
    read() {},
  });
  raw.on('data', (d: Buffer) => {
    received += d.length;
    wire.push(d);
  });
  raw.on('end', () => wire.push(null));
  const tls = tlsConnect({ socket: wire, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    tls.once('secureConnect', resolve);
    tls.once('error', reject);
  });
  const caps = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_SSL;
  const head = Buffer.alloc(32);
  head.writeUInt32LE(caps, 0);
  head.writeUInt32LE(16 * 1024 * 1024, 4);
  head[8] = 45;
  const scramble = nativeScramble('123456', salt);
  const response = Buffer.concat([head, Buffer.from('root\0'), Buffer.from([scramble.length]), scramble, Buffer.from('mysql_native_password\0')]);
  const answer = await new Promise<{ seq: number; payload: Buffer }>((resolve, reject) => {
    tls.once('data', (d: Buffer) => {
      const m = decodeMessage(d);
      if (m.status === 'ok') resolve(m.value);
      else reject(new Error('no whole answer'));
    });
    tls.write(encodePacket(response, 2).bytes);
  });
  assert.equal(answer.seq, 3);
  assert.equal(answer.payload[0], 0x00, 'OK packet');
  const clientPort = raw.localPort;
  const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
  tls.write(encodePacket(Buffer.from([0x01]), 0).bytes); // COM_QUIT
  await new Promise((r) => setImmediate(r));
  const sentByQuit = sent;
  await closed;
  let close: Record<string, unknown> | undefined;
  await waitFor(async () => {
    const events = await apiary.events(['--type', 'connection.close']);
    close = events.find((e) => e.src_port === clientPort);
    return close !== undefined;
  });
  // Every byte the client sent up to its QUIT, TLS records included; a close_notify may follow unread.
  assert.ok(Number(close!.bytes_in) >= sentByQuit && Number(close!.bytes_in) <= sent, `bytes_in ${String(close!.bytes_in)}, sent ${sentByQuit} to ${sent}`);
  assert.equal(close!.bytes_out, received, 'bytes_out counts every byte the server sent');
  const attempts = await apiary.events(['--type', 'auth.attempt']);
  assert.ok(attempts.some((e) => e.src_port === clientPort && e.password === '123456' && e.success === true));
});
