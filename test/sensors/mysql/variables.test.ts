// The server variables follow the configured version: a Debian MariaDB version answers as Debian 12's
// mariadbd does (checked against mariadbd 10.11.19-MariaDB-0+deb12u1), a MySQL one as Oracle's builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MysqlServiceConfig } from '../../../src/config/schema.js';
import { mysqlVariables } from '../../../src/sensors/mysql/sensor.js';

const vars = (version: string): Record<string, string> => mysqlVariables({ version } as MysqlServiceConfig, 3306);

test('a Debian MariaDB version says Debian 12 and debian-linux-gnu, MySQL versions the Community Server wording', () => {
  const maria = vars('10.11.6-MariaDB-0+deb12u1');
  assert.deepEqual([maria.version_comment, maria.version_compile_os, maria.socket], ['Debian 12', 'debian-linux-gnu', '/run/mysqld/mysqld.sock']);
  assert.equal(vars('10.11.6-MariaDB').version_comment, 'mariadb.org binary distribution');
  assert.deepEqual([vars('8.0.36').version_comment, vars('8.0.36').version_compile_os], ['MySQL Community Server - GPL', 'Linux']);
  assert.equal(vars('5.7.44-log').version_comment, 'MySQL Community Server (GPL)');
});
