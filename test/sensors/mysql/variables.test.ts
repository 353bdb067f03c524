// The server variables follow the configured version: a Debian MariaDB version answers as Debian 12's
// mariadbd does (checked against mariadbd 10.11.19-MariaDB-0+deb12u1), a MySQL one as Oracle's builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MysqlServiceConfig } from '../../../src/config/schema.js';
import { mysqlVariables } from '../../../src/sensors/mysql/sensor.js';
import { execute } from '../../../src/sensors/sql/engine.js';
import { generateDecoy } from '../../../src/sensors/sql/decoy-data.js';
import { DecoyState } from '../../../src/sensors/sql/decoy-state.js';
import { rows, sqlSession } from '../../helpers/sql-engine.js';

const vars = (version: string): Record<string, string> => mysqlVariables({ version } as MysqlServiceConfig, 3306);

test('a Debian MariaDB version says Debian 12 and debian-linux-gnu, MySQL versions the Community Server wording', () => {
  const maria = vars('10.11.6-MariaDB-0+deb12u1');
  assert.deepEqual([maria.version_comment, maria.version_compile_os, maria.socket], ['Debian 12', 'debian-linux-gnu', '/run/mysqld/mysqld.sock']);
  assert.equal(vars('10.11.6-MariaDB').version_comment, 'mariadb.org binary distribution');
  assert.deepEqual([vars('8.0.36').version_comment, vars('8.0.36').version_compile_os], ['MySQL Community Server - GPL', 'Linux']);
  assert.equal(vars('5.7.44-log').version_comment, 'MySQL Community Server (GPL)');
});

test('@@pid_file is where the distribution puts it (mariadbd 10.11.19 with Debian 12\'s 50-server.cnf says /run/mysqld/mysqld.pid)', () => {
  const at = (version: string): unknown => {
    const r = execute('SELECT @@pid_file', { ...sqlSession(), variables: vars(version) }, new DecoyState(generateDecoy({ seed: Buffer.alloc(16, 1), now: Date.UTC(2026, 0, 1) })).viewFor('a')).result;
    return rows(r)[0]![0];
  };
  assert.equal(at('10.11.6-MariaDB-0+deb12u1'), '/run/mysqld/mysqld.pid');
  assert.equal(at('8.0.36'), '/var/run/mysqld/mysqld.pid');
});
