// A raw SQLite file at a given schema version, as an earlier Apiary left it, for upgrade tests.
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';

/** Opens PATH (WAL) and applies the first VERSION migrations (all by default), recording the version. */
export function sqliteAtVersion(path: string, version = SQLITE_MIGRATIONS.length): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  for (const m of SQLITE_MIGRATIONS.slice(0, version)) db.exec(m);
  db.pragma(`user_version = ${version}`);
  return db;
}
