// The SQL of SQLite's event filters and of one page of a scan, and what the thread that reads a scan
// ahead (scan-worker.ts, read-ahead.ts) is sent and posts: shared by the store's own connection and
// that thread. No I/O.
import { isPeriod, type EventFilter } from '../store.js';
import type { RawRow } from '../rows.js';

/** Rows per page of a scan: keyset paging keeps the connection free between pages for writers. */
export const SCAN_PAGE = 5000;

/** The WHERE clause of F, with its parameters in order. */
export function eventWhere(f: EventFilter): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown): void => {
    clauses.push(sql);
    params.push(v);
  };
  if (f.type !== undefined) add('type = ?', f.type);
  if (f.src !== undefined) add('src_ip = ?', f.src);
  if (f.session !== undefined) add('session = ?', f.session);
  if (f.sensor !== undefined) add('sensor = ?', f.sensor);
  if (f.since !== undefined) add('time >= ?', f.since);
  if (f.until !== undefined) add('time < ?', f.until);
  if (f.afterId !== undefined) add('id > ?', f.afterId);
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/**
 * A scan: its filter, whether it reads in time order, the types whose payloads it reads (all when
 * absent), and whether it leaves out the columns a counting pass does not read (ScanOptions.counting).
 */
export interface ScanPlan {
  filter: EventFilter;
  byTime: boolean;
  payloadTypes: readonly string[] | undefined;
  counting: boolean;
}

/** The plan of a scan of FILTER with OPTS (payload types as a list, to pass to a thread). */
export function scanPlan(filter: EventFilter, opts: { byTime?: boolean | undefined; payloadTypes?: ReadonlySet<string> | undefined; counting?: boolean | undefined }): ScanPlan {
  return { filter, byTime: opts.byTime === true || isPeriod(filter), payloadTypes: opts.payloadTypes ? [...opts.payloadTypes] : undefined, counting: opts.counting === true };
}

/** The columns of a page's rows (RawRow): all of them, or for a counting pass '' and 0 where it reads nothing (the id stays when pages follow it). */
function envelopeColumns(plan: ScanPlan): string {
  if (!plan.counting) return 'id, time, type, sensor, session, protocol, src_ip, src_port, dst_ip, dst_port';
  return `${plan.byTime ? "''" : 'id'}, time, type, sensor, '', protocol, src_ip, 0, '', dst_port`;
}

/** Where the next page starts: after an id (id order), or after a (time, seq) (time order). */
export type ScanCursor = { afterId: string | undefined } | { time: string; seq: number };

/** A page's row: the event's columns (RawRow), then its seq when the scan is in time order. */
export type ScanRow = RawRow | [...RawRow, number];

/** Where a scan starts: after the filter's afterId, if any. */
export function firstCursor(plan: ScanPlan): ScanCursor {
  return { afterId: plan.filter.afterId };
}

/**
 * The query for up to PAGE rows after CURSOR. In time order, ties come in commit order (seq, the
 * rowid): the time index holds the rowid, so it gives that order as it stands, where ties by id made
 * SQLite sort every page again. Payloads the plan will not parse are not read (NULL).
 */
export function scanPageQuery(plan: ScanPlan, cursor: ScanCursor, page: number): { sql: string; params: unknown[] } {
  const f = plan.filter;
  const resume = 'time' in cursor;
  const { sql, params } = eventWhere(resume ? { ...f, since: cursor.time } : { ...f, afterId: cursor.afterId });
  const next = resume ? `${sql} AND (time > ? OR seq > ?)` : sql;
  if (resume) params.push(cursor.time, cursor.seq);
  const only = plan.payloadTypes;
  // Parameters in the select list bind before those of the WHERE clause.
  const payload = only ? `CASE WHEN type IN (${only.map(() => '?').join(', ') || 'NULL'}) THEN payload END` : 'payload';
  return {
    sql: `SELECT ${envelopeColumns(plan)}, ${payload}${plan.byTime ? ', seq' : ''} FROM events ${next} ORDER BY ${plan.byTime ? 'time, seq' : 'id'} LIMIT ?`,
    params: [...(only ?? []), ...params, page],
  };
}

/** The cursor after ROWS, the last page read (not empty). */
export function cursorAfter(plan: ScanPlan, rows: readonly ScanRow[]): ScanCursor {
  const last = rows[rows.length - 1]!;
  return plan.byTime ? { time: last[1], seq: last[11] as number } : { afterId: last[0] };
}

/**
 * Pages the reading thread posts before the reader has taken them, at most (it reads one more and
 * waits to post it): bounds what a slow reader makes the thread hold.
 */
export const READ_AHEAD_PAGES = 3;

/** What the reading thread is given: the scan, where to start, and how many rows at most (null: no limit). */
export interface ScanWork {
  path: string;
  plan: ScanPlan;
  cursor: ScanCursor;
  limit: number | null;
}

/** What it posts: a page (its rows as JSON text), the end, or why it stopped. */
export type ScanMessage = { rows: string } | { done: true } | { error: string };
