// Opens the store the configuration names: the SQLite file, or the shared PostgreSQL database.
import type { Config } from '../config/schema.js';
import type { EventStore } from './store.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.js';

export async function openStore(config: Pick<Config, 'store'>, opts: SqliteStoreOptions = {}): Promise<EventStore> {
  const pgConfig = config.store.postgres;
  if (config.store.kind === 'postgres' && pgConfig) {
    // Imported only when used: an all-in-one Apiary never loads the PostgreSQL driver.
    const { PgStore } = await import('./postgres/pg-store.js');
    return PgStore.open({ url: pgConfig.url, poolSize: pgConfig.pool_size, partition: pgConfig.partition });
  }
  return new SqliteStore(config.store.sqlite.path, opts);
}
