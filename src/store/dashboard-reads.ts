// Read-only questions the dashboard asks that the event interface cannot answer cheaply (sessions by
// source, credential or command; the SQL console). The row shapes of the
// dashboard's per-day and per-port tables are here too. Each back end answers with its own indexes;
// the dashboard reads only through this interface and EventStore.

export interface SessionSearch {
  src?: string;
  protocol?: string;
  /** A login attempt with this user name. */
  username?: string;
  /** A login attempt with this password. */
  password?: string;
  /** A command line containing this text. */
  command?: string;
  since?: string;
  until?: string;
  limit?: number;
}

export interface SessionSummary {
  session: string;
  src_ip: string;
  protocol: string;
  sensor: string;
  dst_port: number;
  first: string;
  last: string;
  events: number;
  logins: number;
  commands: number;
}

export interface SessionSearchResult {
  sessions: SessionSummary[];
  /**
   * Set when the search stopped at MAX_SESSION_SCAN events before finding LIMIT sessions: the time of
   * the oldest event it looked at. Older events were not searched (a search with `until` this time goes on).
   */
  searched_to?: string;
}

export interface PortCount {
  port: number;
  protocol: string;
  /** Connections a service answered (connection.open) vs probes of ports nothing serves (scan.probe). */
  served: number;
  unserved: number;
  sources: number;
}

export interface DayCount {
  day: string;
  events: number;
  sources: number;
}

/** Rows returned by one read-only SQL console query. */
export interface ConsoleResult {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
  ms: number;
}

export interface DashboardReads {
  searchSessions(f: SessionSearch): Promise<SessionSearchResult>;
  /** Runs SQL read-only with a time limit and row cap; rejects with a message for the user. */
  runQuery(sql: string, opts: { timeoutMs: number; maxRows: number }): Promise<ConsoleResult>;
  close(): Promise<void>;
}

/** Most sessions one search returns. */
export const MAX_SESSION_RESULTS = 500;
/** Most events a session search walks before it stops looking for more sessions. */
export const MAX_SESSION_SCAN = 50_000;
