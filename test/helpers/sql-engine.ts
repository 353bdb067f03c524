// A decoy-engine session as the MySQL and MSSQL sessions build one, and the rows of a result, for engine tests.
import assert from 'node:assert/strict';
import type { Result, SessionInfo } from '../../src/sensors/sql/engine.js';

export function sqlSession(database?: string, dialect: 'mysql' | 'tsql' = 'mysql'): SessionInfo {
  return {
    dialect,
    user: 'root',
    clientHost: '203.0.113.9',
    database,
    connectionId: 11,
    variables: { version: '8.0.36', hostname: 'db01', version_comment: 'MySQL Community Server - GPL', plugin_dir: '/usr/lib/mysql/plugin/' },
    userVars: new Map(),
    now: () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
  };
}

/** RESULT's rows; fails the test when it is not a result set. */
export function rows(r: Result): (string | number | null)[][] {
  assert.equal(r.kind, 'rows', JSON.stringify(r));
  return r.kind === 'rows' ? r.rows : [];
}
