// Kippo's MySQL database as mysqldump writes it (CREATE TABLE, LOCK TABLES, extended INSERTs with
// escapes, NULLs, a ttylog BLOB both raw and as --hex-blob): sessions, logins, commands, downloads and
// TTY logs come out as events, linked to their sessions; a broken INSERT is reported, the rest kept.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { runCli, writeConfig } from '../helpers/apiary-process.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { encodeTtyRecord, TTY_DIR, TTY_OP } from '../../src/importers/kippo/ttylog.js';
import { decodeInsert } from '../../src/importers/kippo/mysql-dump.js';
import { callWithin } from '../helpers/bounded-call.js';
import { removeScratch, scratchDir } from '../helpers/scratch.js';

after(removeScratch);

/** MySQL string literal as mysqldump writes it (latin1 text: one char per byte). */
function sqlString(b: Buffer): string {
  let out = "'";
  for (const c of b) {
    if (c === 0) out += '\\0';
    else if (c === 0x27) out += "\\'";
    else if (c === 0x5c) out += '\\\\';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 26) out += '\\Z';
    else out += String.fromCharCode(c);
  }
  return `${out}'`;
}
const s = (t: string) => sqlString(Buffer.from(t, 'utf8'));

const S1 = '0f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c';
const S2 = '1a2b3c4d5e6f708192a3b4c5d6e7f809';
const tty = (t0: number) =>
  Buffer.concat([
    encodeTtyRecord({ op: TTY_OP.OPEN, tty: 1, direction: 0, time: t0, data: Buffer.alloc(0) }),
    encodeTtyRecord({ op: TTY_OP.WRITE, tty: 1, direction: TTY_DIR.OUTPUT, time: t0 + 1, data: Buffer.from("nas3:~# \x00'\\\n") }),
    encodeTtyRecord({ op: TTY_OP.CLOSE, tty: 1, direction: 0, time: t0 + 2, data: Buffer.alloc(0) }),
  ]);

function dump(): string {
  return [
    '-- MySQL dump 10.13  Distrib 5.5.62, for debian-linux-gnu (x86_64)',
    '--',
    '-- Host: localhost    Database: kippo',
    '/*!40101 SET NAMES utf8 */;',
    'DROP TABLE IF EXISTS `auth`;',
    'CREATE TABLE `auth` (',
    '  `id` int(11) NOT NULL AUTO_INCREMENT,',
    '  `session` char(32) NOT NULL,',
    '  `success` tinyint(1) NOT NULL,',
    '  `username` varchar(100) NOT NULL,',
    '  `password` varchar(100) NOT NULL,',
    '  `timestamp` datetime NOT NULL,',
    '  PRIMARY KEY (`id`)',
    ') ENGINE=MyISAM AUTO_INCREMENT=4 DEFAULT CHARSET=latin1;',
    'LOCK TABLES `auth` WRITE;',
    `INSERT INTO \`auth\` VALUES (1,'${S1}',0,'root',${s("pa'ss\\w0rd")},'2013-05-01 10:00:01'),(2,'${S1}',1,'root','123456','2013-05-01 10:00:02'),(3,'${S2}',0,${s('ädmin')},'x','2013-05-02 08:00:00');`,
    'UNLOCK TABLES;',
    `INSERT INTO \`clients\` VALUES (1,'SSH-2.0-libssh-0.2');`,
    `INSERT INTO \`downloads\` VALUES (1,'${S1}','2013-05-01 10:00:09','http://198.51.100.7/bot.pl','dl/20130501100009_http___198_51_100_7_bot_pl');`,
    `INSERT INTO \`input\` VALUES (1,'${S1}','2013-05-01 10:00:05',NULL,1,'uname -a'),(2,'${S1}','2013-05-01 10:00:07',NULL,0,'foo bar'),(3,'${S1}','2013-05-01 10:00:08','passwd',NULL,'newpass');`,
    `INSERT INTO \`sensors\` VALUES (1,4,'192.0.2.33');`,
    `INSERT INTO \`sessions\` VALUES ('${S1}','2013-05-01 10:00:00','2013-05-01 10:00:10',1,4,'203.0.113.9','80x24',1),('${S2}','2013-05-02 07:59:59',NULL,1,4,'203.0.113.10',NULL,NULL);`,
    `INSERT INTO \`ttylog\` VALUES (1,'${S1}',${sqlString(tty(Date.parse('2013-05-01T10:00:02Z') / 1000))}),(2,'${S2}',0x${tty(Date.parse('2013-05-02T08:00:00Z') / 1000).toString('hex')});`,
    `INSERT INTO \`input\` VALUES (4,'${S1}','2013-05-01 10:00:09',NULL,1,'cut off`,
    '-- Dump completed',
  ].join('\n');
}

test('Kippo MySQL dump (plain and gzip): every row maps, sessions link, TTY blobs become casts; a cut INSERT is reported', async () => {
  for (const gz of [false, true]) {
    const dir = scratchDir('apiary-kdump-');
    const config = writeConfig(dir, {});
    const file = join(dir, gz ? 'kippo.sql.gz' : 'kippo.sql');
    writeFileSync(file, gz ? gzipSync(Buffer.from(dump(), 'latin1')) : Buffer.from(dump(), 'latin1'));
    const r = await runCli(['import', 'kippo', file, '--config', config], { allowFail: true });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /skipped 1 x INSERT statement: unterminated string \(truncated line\?\)/);
    const store = new SqliteStore(join(dir, 'data', 'apiary.db'), { readonly: true });
    const events = await store.query({});
    await store.close();
    const of = (t: string) => events.filter((e) => e.type === t).map((e) => e.payload);
    assert.deepEqual(of('auth.attempt'), [
      { method: 'password', username: 'root', password: "pa'ss\\w0rd", success: false },
      { method: 'password', username: 'root', password: '123456', success: true },
      { method: 'password', username: 'ädmin', password: 'x', success: false },
    ]);
    assert.deepEqual(of('command.input'), [
      { input: 'uname -a', known: true },
      { input: 'foo bar', known: false },
    ]);
    assert.deepEqual(of('command.stdin'), [{ realm: 'passwd', input: 'newpass' }]);
    assert.deepEqual(of('file.download'), [{ url: 'http://198.51.100.7/bot.pl', path: 'dl/20130501100009_http___198_51_100_7_bot_pl', outcome: 'stored' }]);
    assert.deepEqual(of('client.version'), [{ version: 'SSH-2.0-libssh-0.2' }]);
    assert.deepEqual(of('client.size'), [{ width: 80, height: 24 }]);
    assert.equal(of('connection.open').length, 2);
    assert.deepEqual(of('connection.close'), [{ duration_ms: 10_000, bytes_in: 0, bytes_out: 0, reason: 'client' }]);
    // Sensor from the sensors table, source address from the session, one Apiary session per Kippo session.
    assert.ok(events.every((e) => e.sensor === '192.0.2.33' && e.dst_ip === '192.0.2.33'));
    const s1 = events.filter((e) => e.src_ip === '203.0.113.9');
    assert.equal(new Set(s1.map((e) => e.session)).size, 1);
    assert.equal(new Set(events.map((e) => e.session)).size, 2);
    const recs = events.filter((e) => e.type === 'session.recording');
    assert.equal(recs.length, 2);
    for (const rec of recs) {
      const p = rec.payload as { path: string };
      assert.ok(p.path.endsWith(`${rec.session}.cast`) && existsSync(p.path));
      const lines = readFileSync(p.path, 'utf8').trim().split('\n');
      assert.deepEqual(JSON.parse(lines[1]!), [1, 'o', "nas3:~# \u0000'\\\n"]);
    }
    assert.equal(events.find((e) => e.type === 'auth.attempt')!.time, '2013-05-01T10:00:01.000Z');
  }
});

test('decodeInsert: any values written as mysqldump writes them decode back; random text never throws', () => {
  const value = fc.oneof(
    fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
    fc.integer(),
    fc.constant(null),
  );
  fc.assert(
    fc.property(fc.array(fc.array(value, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 }), fc.boolean(), (rows, hex) => {
      const lit = (v: Buffer | number | null) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : hex ? `0x${v.toString('hex')}` : sqlString(v));
      const line = `INSERT INTO \`t\` VALUES ${rows.map((r) => `(${r.map(lit).join(',')})`).join(',')};`;
      const d = decodeInsert(line);
      assert.equal(d.kind, 'ok');
      if (d.kind === 'ok') assert.deepEqual(d.rows.map((r) => r.map((v) => (Buffer.isBuffer(v) ? [...v] : v))), rows.map((r) => r.map((v) => (Buffer.isBuffer(v) ? [...v] : v))));
    }),
    { numRuns: 200 },
  );
  fc.assert(fc.property(fc.string(), (t) => void decodeInsert(`INSERT INTO \`x\` VALUES ${t}`)), { numRuns: 300 });
});

test('decodeInsert: a long run of spaces after the table name is refused in one pass (the head pattern was quadratic)', async () => {
  // In a worker, so that a quadratic version fails the test instead of blocking it for minutes.
  const DUMP = new URL('../../src/importers/kippo/mysql-dump.js', import.meta.url).href;
  for (const tail of ['x', '(a) x']) {
    const d = (await callWithin(DUMP, 'decodeInsert', [`INSERT INTO auth${' '.repeat(400_000)}${tail}`], 5000)) as { kind: string };
    assert.equal(d.kind, 'malformed');
  }
});
