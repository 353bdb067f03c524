// Reads a stopped apiary's events straight from its SQLite store, payload kept apart from the
// envelope (the flat CLI form hides payload fields that share a name with the envelope, e.g. dst_port).
import { join } from 'node:path';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

export async function storedEvents(dir: string, type?: string): Promise<ApiaryEvent[]> {
  const store = new SqliteStore(join(dir, 'data', 'apiary.db'));
  try {
    return await store.query({ ...(type ? { type } : {}), order: 'asc' });
  } finally {
    await store.close();
  }
}

/** The payloads of the stored events of TYPE. */
export async function payloads<T = Record<string, unknown>>(dir: string, type: string): Promise<T[]> {
  return (await storedEvents(dir, type)).map((e) => e.payload as T);
}
