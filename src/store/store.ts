// The store interface: every back end (SQLite now, PostgreSQL for a honeynet) implements it, and
// analysis, CLI and dashboard read only through it.
import type { ApiaryEvent } from '../events/catalogue.js';

export interface EventFilter {
  type?: string;
  src?: string;
  session?: string;
  sensor?: string;
  /** Inclusive lower bound, ISO 8601 UTC. */
  since?: string;
  /** Exclusive upper bound, ISO 8601 UTC. */
  until?: string;
  limit?: number;
  order?: 'asc' | 'desc';
}

export interface EventStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Stores events; ids already stored are skipped. Resolves with the number newly stored. */
  insertBatch(events: readonly ApiaryEvent[]): Promise<number>;
  query(filter: EventFilter): Promise<ApiaryEvent[]>;
  count(filter?: EventFilter): Promise<number>;
  close(): Promise<void>;
}

/** The most rows one query returns, whatever the caller asks. */
export const MAX_QUERY_ROWS = 100_000;
