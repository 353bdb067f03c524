// The PostgreSQL store: the shared database of a honeynet. Events go into a range-partitioned table
// (a partition per day or month, made on demand), one multi-row INSERT ... SELECT FROM unnest(...)
// per batch with ON CONFLICT DO NOTHING, so at-least-once delivery stores each event id once.
// Retention drops whole partitions after folding them into daily aggregates.
import pg from 'pg';
import type { ApiaryEvent } from '../../events/catalogue.js';
import { ApiaryError } from '../../errors/errors.js';
import {
  isPeriod,
  MAX_QUERY_ROWS,
  type AttackFilter,
  type AttackRecord,
  type EventFilter,
  type EventStore,
  type IncidentFilter,
  type IncidentRecord,
  type IncidentStatus,
  type IpEnrichment,
  type ScanOptions,
} from '../store.js';
import { eventFromRow, incidentFromRow, rawToEvent, type EventRow, type IncidentRow, type RawRow } from '../rows.js';
import { PG_MIGRATIONS } from './migrations.js';

export type PartitionPeriod = 'day' | 'month';

export interface PgStoreOptions {
  /** A libpq-style URL: postgres://user:password@host:port/db (PGPASSWORD etc. also apply). */
  url: string;
  /** Connections in the pool. */
  poolSize?: number;
  partition?: PartitionPeriod;
}

/** Rows per page of scan(). */
export const PG_SCAN_PAGE = 5000;
/** Rows per INSERT statement: a larger batch is written in chunks, in one transaction. */
export const PG_INSERT_ROWS = 5000;
/** Key of the advisory lock that serialises schema migrations and partition changes. */
const DDL_LOCK = 0x41706961; // "Apia"

/** The partition (first day of the period, YYYY-MM-DD) of the UTC time T (ISO 8601 or ms). */
export function partitionAt(t: string | number, period: PartitionPeriod): string {
  const ms = typeof t === 'number' ? t : Date.parse(t);
  const d = new Date(Number.isFinite(ms) ? ms : 0);
  const iso = d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999 ? d.toISOString() : '1970-01-01T00:00:00.000Z';
  return period === 'day' ? iso.slice(0, 10) : `${iso.slice(0, 7)}-01`;
}

/** An event time whose date part can be taken as it is: a plain ISO 8601 date of a day every month has. */
const PLAIN_DATE = /^(?!0000)\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T/;

/** The partition an event belongs to: the period of its time. */
export function partitionOf(e: Pick<ApiaryEvent, 'time'>, period: PartitionPeriod): string {
  // Event times are ISO 8601 in UTC (the catalogue checks them), so the period is usually a prefix.
  if (PLAIN_DATE.test(e.time)) return period === 'day' ? e.time.slice(0, 10) : `${e.time.slice(0, 7)}-01`;
  return partitionAt(e.time, period);
}

function periodEnd(part: string, period: PartitionPeriod): string {
  const d = new Date(`${part}T00:00:00Z`);
  if (period === 'day') d.setUTCDate(d.getUTCDate() + 1);
  else d.setUTCMonth(d.getUTCMonth() + 1);
  return d.toISOString().slice(0, 10);
}


/**
 * S with any lone surrogate replaced by U+FFFD, as node's UTF-8 encoding would store it: inside JSON
 * it would be an escape PostgreSQL refuses. Payloads stay JSON text, where such escapes are kept as written.
 */
function wellFormed(s: string): string {
  // ES2024 string methods, in node since 20.0; TypeScript's lib here predates them.
  const w = s as unknown as { isWellFormed(): boolean; toWellFormed(): string };
  return w.isWellFormed() ? s : w.toWellFormed();
}

/** A pool or one of its clients (inside a transaction): both run queries the same way. */
type Queryable = pg.Pool | pg.PoolClient;

const EVENT_COLUMNS = 'id, time, type, sensor, session, protocol, src_ip, src_port, dst_ip, dst_port, payload, source';
/** The columns analysis and counting passes read, in RawRow's order: the imported record is left in the database (as SQLite's scan does). */
const RAW_COLUMNS = 'id, time, type, sensor, session, protocol, src_ip, src_port, dst_ip, dst_port, payload';
/** RAW_COLUMNS for a counting pass (ScanOptions.counting): the id stays, as pages follow it. */
const COUNTING_COLUMNS = "id, time, type, sensor, '', protocol, src_ip, 0, '', dst_port, payload";

export class PgStore implements EventStore {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly period: PartitionPeriod;
  /** Partitions known to exist (made here or seen in event_partitions). */
  private readonly partitions = new Set<string>();
  private closed = false;

  private constructor(opts: PgStoreOptions) {
    this.pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 4, connectionTimeoutMillis: 10_000 });
    // An idle client that loses its server (restart) must not crash the process; the pool replaces it.
    this.pool.on('error', () => {});
    this.period = opts.partition ?? 'month';
  }

  /** Connects, applies pending migrations and returns the store. */
  static async open(opts: PgStoreOptions): Promise<PgStore> {
    const s = new PgStore(opts);
    try {
      await s.migrate();
    } catch (err) {
      await s.pool.end().catch(() => {});
      if (err instanceof ApiaryError) throw err;
      throw new ApiaryError('APIARY_STORE_OPEN', `cannot open the PostgreSQL store: ${(err as Error).message}; check store.postgres.url and that the server runs`);
    }
    return s;
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      return r;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  private async migrate(): Promise<void> {
    await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [DDL_LOCK]);
      await c.query('CREATE TABLE IF NOT EXISTS apiary_schema (version integer NOT NULL)');
      const r = await c.query<{ version: number }>('SELECT version FROM apiary_schema');
      let current = r.rows[0]?.version ?? 0;
      if (r.rows.length === 0) await c.query('INSERT INTO apiary_schema (version) VALUES (0)');
      if (current > PG_MIGRATIONS.length) {
        throw new ApiaryError('APIARY_STORE_OPEN', `the PostgreSQL store has schema version ${current}, newer than this Apiary knows (${PG_MIGRATIONS.length}); upgrade Apiary`);
      }
      for (; current < PG_MIGRATIONS.length; current++) await c.query(PG_MIGRATIONS[current]!);
      await c.query('UPDATE apiary_schema SET version = $1', [current]);
    });
    const parts = await this.pool.query<{ part: string }>("SELECT to_char(part, 'YYYY-MM-DD') AS part FROM event_partitions WHERE dropped_at IS NULL");
    for (const r of parts.rows) this.partitions.add(r.part);
  }

  /** Makes the partitions PARTS (YYYY-MM-DD period starts) that do not exist yet. */
  private async ensurePartitions(parts: Iterable<string>): Promise<void> {
    const missing = [...new Set(parts)].filter((p) => !this.partitions.has(p));
    if (missing.length === 0) return;
    await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [DDL_LOCK]);
      for (const part of missing) {
        const name = `events_p${part.replace(/-/g, '')}`;
        const upper = periodEnd(part, this.period);
        const seen = await c.query<{ upper: string; dropped_at: string | null }>("SELECT to_char(upper, 'YYYY-MM-DD') AS upper, dropped_at FROM event_partitions WHERE part = $1", [part]);
        const row = seen.rows[0];
        if (row && row.dropped_at === null) continue;
        // Only digits and dashes reach the DDL: PART was made by partitionOf, never taken from input.
        if (!/^\d{4}-\d{2}-\d{2}$/.test(part) || !/^\d{4}-\d{2}-\d{2}$/.test(upper)) throw new Error(`bad partition bound ${part}`);
        await c.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF events FOR VALUES FROM ('${part}') TO ('${upper}')`);
        await c.query(
          'INSERT INTO event_partitions (part, upper, name, dropped_at) VALUES ($1, $2, $3, NULL) ON CONFLICT (part) DO UPDATE SET dropped_at = NULL',
          [part, upper, name],
        );
      }
    });
    for (const p of missing) this.partitions.add(p);
  }

  async insertBatch(events: readonly ApiaryEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const parts = events.map((e) => partitionOf(e, this.period));
    await this.ensurePartitions(parts);
    try {
      return await this.insertRows(events, parts);
    } catch (err) {
      // 23514: no partition for a row: another process's retention dropped one we thought we had.
      if ((err as { code?: string }).code !== '23514') throw err;
      this.partitions.clear();
      await this.ensurePartitions(parts);
      return this.insertRows(events, parts);
    }
  }

  private async insertRows(events: readonly ApiaryEvent[], parts: readonly string[]): Promise<number> {
    try {
      return await this.insertChunks(events, parts, '');
    } catch (err) {
      // 23505: some of these events are stored already (a batch delivered again). Only then pay for
      // ON CONFLICT, which costs PostgreSQL about a fifth more per row than a plain insert.
      if ((err as { code?: string }).code !== '23505') throw err;
      return this.insertChunks(events, parts, 'ON CONFLICT DO NOTHING');
    }
  }

  /** One INSERT per PG_INSERT_ROWS events, in one transaction when there are several. */
  private async insertChunks(events: readonly ApiaryEvent[], parts: readonly string[], onConflict: string): Promise<number> {
    // The rows travel as one JSON array (JSON.stringify is far cheaper than escaping 13 text arrays);
    // xid and seq (commit order, for readCommitted) come from the column defaults.
    const sql = `INSERT INTO events (part, ${EVENT_COLUMNS})
      SELECT r.a, r.b, r.c, r.d, r.e, r.f, r.g, r.h, r.i, r.j, r.k, r.l, r.m FROM json_to_recordset($1::json)
        AS r(a date, b text, c text, d text, e text, f text, g text, h text, i integer, j text, k integer, l text, m text)
      ${onConflict}`;
    const run = async (c: Queryable, from: number, to: number): Promise<number> => {
      const rows: Record<string, unknown>[] = new Array(to - from);
      for (let i = from; i < to; i++) {
        const e = events[i]!;
        rows[i - from] = {
          a: parts[i], b: wellFormed(e.id), c: e.time, d: wellFormed(e.type), e: wellFormed(e.sensor), f: wellFormed(e.session),
          g: wellFormed(e.protocol), h: wellFormed(e.src_ip), i: e.src_port, j: wellFormed(e.dst_ip), k: e.dst_port,
          l: JSON.stringify(e.payload), m: e.source === undefined ? null : JSON.stringify(e.source),
        };
      }
      return (await c.query(sql, [JSON.stringify(rows)])).rowCount ?? 0;
    };
    if (events.length <= PG_INSERT_ROWS) return run(this.pool, 0, events.length);
    return this.tx(async (c) => {
      let n = 0;
      for (let i = 0; i < events.length; i += PG_INSERT_ROWS) n += await run(c, i, Math.min(events.length, i + PG_INSERT_ROWS));
      return n;
    });
  }

  /**
   * Events in commit order: by (xid, seq), taking only rows of transactions that have all ended (xid
   * below the snapshot's xmin), so a later read can never find a row before the cursor. The cursor is
   * the xid and the seq of the last row, 20 decimal digits each.
   */
  async readCommitted(cursor: string | undefined, limit: number): Promise<{ events: ApiaryEvent[]; cursor: string | undefined }> {
    const after = cursor ?? '0'.repeat(40);
    if (!/^\d{40}$/.test(after)) throw new RangeError(`not a cursor of this PostgreSQL store: ${JSON.stringify(cursor)}`);
    // Walk the (xid, seq) index in order and stop at LIMIT. The planner cannot estimate how many rows
    // follow a cursor (a row comparison on a transaction id): guessing few, it collects them all and
    // sorts, which through a backlog of 100,000 rows costs a hundred times as much. Within this
    // transaction it is told not to.
    const r = await this.tx(async (c) => {
      await c.query('SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off');
      // Rows as arrays (the imported record is left in the database, as for every analysis read).
      return c.query<[...RawRow, string, string]>({
        text: `SELECT ${RAW_COLUMNS}, xid::text AS xid, seq::text FROM events
         WHERE (xid, seq) > ($1::text::xid8, $2::bigint) AND xid < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY events.xid, events.seq LIMIT $3`,
        values: [after.slice(0, 20).replace(/^0+(?=\d)/, ''), after.slice(20).replace(/^0+(?=\d)/, ''), Math.min(Math.max(1, limit), MAX_QUERY_ROWS)],
        rowMode: 'array',
      });
    });
    if (r.rows.length === 0) return { events: [], cursor };
    const last = r.rows[r.rows.length - 1]!;
    return {
      events: r.rows.map((row) => rawToEvent(row)),
      cursor: `${last[11].padStart(20, '0')}${last[12].padStart(20, '0')}`,
    };
  }

  private where(f: EventFilter, params: unknown[] = []): { sql: string; params: unknown[] } {
    const clauses: string[] = [];
    const add = (col: string, op: string, v: unknown): void => {
      params.push(v);
      clauses.push(`${col} ${op} $${params.length}`);
    };
    if (f.type !== undefined) add('type', '=', f.type);
    if (f.src !== undefined) add('src_ip', '=', f.src);
    if (f.session !== undefined) add('session', '=', f.session);
    if (f.sensor !== undefined) add('sensor', '=', f.sensor);
    if (f.since !== undefined) add('time', '>=', f.since);
    if (f.until !== undefined) add('time', '<', f.until);
    if (f.afterId !== undefined) add('id', '>', f.afterId);
    // The same bounds on the partition key let the planner skip partitions outside the period.
    if (f.since !== undefined && Number.isFinite(Date.parse(f.since))) add('part', '>=', partitionAt(f.since, this.period));
    if (f.until !== undefined && Number.isFinite(Date.parse(f.until))) add('part', '<=', partitionAt(f.until, this.period));
    return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
  }

  async query(f: EventFilter): Promise<ApiaryEvent[]> {
    const { sql, params } = this.where(f);
    const limit = Math.min(Math.max(1, f.limit ?? MAX_QUERY_ROWS), MAX_QUERY_ROWS);
    const order = f.order === 'desc' ? 'DESC' : 'ASC';
    params.push(limit);
    //: ids and times order by bytes, as in SQLite, whatever the database's locale.
    const r = await this.pool.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events ${sql} ORDER BY id ${order} LIMIT $${params.length}`, params);
    return r.rows.map((row) => eventFromRow(row));
  }

  async count(f: EventFilter = {}): Promise<number> {
    const { sql, params } = this.where(f);
    const r = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM events ${sql}`, params);
    return Number(r.rows[0]!.n);
  }

  async *scan(f: EventFilter): AsyncIterable<ApiaryEvent> {
    for await (const page of this.scanPages(f)) yield* page;
  }

  async *scanPages(f: EventFilter, opts: ScanOptions = {}): AsyncIterable<readonly ApiaryEvent[]> {
    const byTime = opts.byTime === true || isPeriod(f);
    const only = opts.payloadTypes;
    type Cursor = { afterId: string | undefined } | { time: string; id: string };
    // Payloads the pass will not parse are not sent (NULL); the types are the first parameter.
    const payloadTypes = only ? [[...only]] : [];
    const all = opts.counting ? COUNTING_COLUMNS : RAW_COLUMNS;
    const columns = only ? all.replace(/payload$/, 'CASE WHEN type = ANY($1::text[]) THEN payload END') : all;
    const fetchPage = async (cursor: Cursor, page: number): Promise<RawRow[]> => {
      // A period in time order, each page from the last (time, id) read (see EventStore.scan).
      const params: unknown[] = [...payloadTypes];
      const resume = 'time' in cursor;
      const { sql } = this.where(resume ? { ...f, since: cursor.time } : { ...f, afterId: cursor.afterId }, params);
      let next = sql;
      if (resume) {
        params.push(cursor.time, cursor.id);
        next = `${sql} AND (time > $${params.length - 1} OR id > $${params.length})`;
      }
      params.push(page);
      const r = await this.pool.query<RawRow>({ text: `SELECT ${columns} FROM events ${next} ORDER BY ${byTime ? 'time, id' : 'id'} LIMIT $${params.length}`, values: params, rowMode: 'array' });
      return r.rows;
    };
    let left = f.limit ?? Number.POSITIVE_INFINITY;
    let cursor: Cursor = { afterId: f.afterId };
    let ahead: Promise<RawRow[]> | undefined;
    for (;;) {
      const page = Math.min(PG_SCAN_PAGE, left);
      if (page <= 0) return;
      const rows: RawRow[] = await (ahead ?? fetchPage(cursor, page));
      ahead = undefined;
      left -= rows.length;
      const more = rows.length === page && left > 0;
      if (more) {
        const last = rows[rows.length - 1]!;
        cursor = byTime ? { time: last[1], id: last[0] } : { afterId: last[0] };
        if (opts.readAhead) {
          // The server reads the next page while the caller counts this one. Should the caller stop
          // early, nothing awaits it: its failure is caught here (and thrown by the await above).
          ahead = fetchPage(cursor, Math.min(PG_SCAN_PAGE, left));
          ahead.catch(() => undefined);
        }
      }
      yield rows.map((row) => rawToEvent(row, only));
      if (!more) return;
    }
  }

  async distinctSources(f: EventFilter): Promise<string[]> {
    const { sql, params } = this.where(f);
    return (await this.pool.query<{ src_ip: string }>(`SELECT DISTINCT src_ip FROM events ${sql}`, params)).rows.map((r) => r.src_ip);
  }

  async upsertEnrichment(records: readonly IpEnrichment[]): Promise<void> {
    if (records.length === 0) return;
    // Last record per address wins, as INSERT OR REPLACE would; one statement cannot touch a row twice.
    const byIp = new Map(records.map((r) => [r.ip, r]));
    const rs = [...byIp.values()];
    await this.pool.query(
      `INSERT INTO ip_enrichment (ip, scope, ignored, country, asn, as_org, site, source, enriched_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[])
       ON CONFLICT (ip) DO UPDATE SET scope = excluded.scope, ignored = excluded.ignored, country = excluded.country, asn = excluded.asn,
         as_org = excluded.as_org, site = excluded.site, source = excluded.source, enriched_at = excluded.enriched_at`,
      [
        rs.map((r) => r.ip),
        rs.map((r) => r.scope),
        rs.map((r) => r.ignored),
        rs.map((r) => r.country),
        rs.map((r) => r.asn),
        rs.map((r) => r.as_org),
        rs.map((r) => r.site),
        rs.map((r) => r.source),
        rs.map((r) => r.enriched_at),
      ],
    );
  }

  async getEnrichment(ips?: readonly string[]): Promise<Map<string, IpEnrichment>> {
    const r =
      ips === undefined
        ? await this.pool.query<EnrichmentRow>('SELECT * FROM ip_enrichment')
        : await this.pool.query<EnrichmentRow>('SELECT * FROM ip_enrichment WHERE ip = ANY($1::text[])', [[...new Set(ips)]]);
    return new Map(r.rows.map((row) => [row.ip, { ...row, asn: row.asn === null ? null : Number(row.asn) } as IpEnrichment]));
  }

  async commitIncidents(incidents: readonly IncidentRecord[], wm: { key: string; expected: string | undefined; next: string }): Promise<boolean> {
    return this.tx(async (c) => {
      if (!(await this.lockedCompare(c, wm.key, wm.expected))) return false;
      for (let i = 0; i < incidents.length; i += 1000) {
        const chunk = incidents.slice(i, i + 1000);
        // One JSON array, as events are inserted: activity and notes are JSON text, which costs far
        // more to escape as text array elements.
        const rows = chunk.map((x) => ({
          a: wellFormed(x.id), b: wellFormed(x.src_ip), c: x.scope, d: x.country, e: x.first_seen, f: x.last_seen, g: x.kind, h: x.severity,
          i: x.status, j: JSON.stringify(x.notes), k: JSON.stringify(x.activity), l: x.alerted_at,
        }));
        await c.query(
          `INSERT INTO incidents (id, src_ip, scope, country, first_seen, last_seen, kind, severity, status, notes, activity, alerted_at)
           SELECT r.a, r.b, r.c, r.d, r.e, r.f, r.g, r.h, r.i, r.j, r.k, r.l FROM json_to_recordset($1::json)
             AS r(a text, b text, c text, d text, e text, f text, g text, h text, i text, j text, k text, l text)
           ON CONFLICT (id) DO UPDATE SET scope = excluded.scope, country = excluded.country, first_seen = excluded.first_seen,
             last_seen = excluded.last_seen, kind = excluded.kind, severity = excluded.severity, activity = excluded.activity`,
          [JSON.stringify(rows)],
        );
      }
      await this.putState(c, wm.key, wm.next);
      return true;
    });
  }

  async commitAttacks(records: readonly AttackRecord[], wm: { key: string; expected: string | undefined; next: string }): Promise<boolean> {
    return this.tx(async (c) => {
      if (!(await this.lockedCompare(c, wm.key, wm.expected))) return false;
      const merged = records.flatMap((r) => r.merged.filter((old) => old !== r.id));
      if (merged.length) await c.query('DELETE FROM attacks WHERE id = ANY($1::text[])', [merged]);
      for (let i = 0; i < records.length; i += 1000) {
        const chunk = records.slice(i, i + 1000);
        // One JSON array, as incidents are saved: escaping each record's JSON as a text array element
        // was a twentieth of the analysis thread's time under ingest-bench.
        const rows = chunk.map((r) => ({ a: wellFormed(r.id), b: r.score, c: r.first_seen, d: r.last_seen, e: JSON.stringify(r) }));
        await c.query(
          `INSERT INTO attacks (id, score, first_seen, last_seen, record)
           SELECT r.a, r.b, r.c, r.d, r.e FROM json_to_recordset($1::json) AS r(a text, b integer, c text, d text, e text)
           ON CONFLICT (id) DO UPDATE SET score = excluded.score, first_seen = excluded.first_seen, last_seen = excluded.last_seen, record = excluded.record`,
          [JSON.stringify(rows)],
        );
      }
      await this.putState(c, wm.key, wm.next);
      return true;
    });
  }

  async listAttacks(f: AttackFilter = {}): Promise<AttackRecord[]> {
    const limit = Math.min(Math.max(1, f.limit ?? MAX_QUERY_ROWS), MAX_QUERY_ROWS);
    const r = await this.pool.query<{ record: string }>(
      'SELECT record FROM attacks WHERE score >= $1 AND ($4::text IS NULL OR last_seen >= $4) AND ($5::text IS NULL OR first_seen < $5) ORDER BY score DESC, last_seen DESC, id ASC LIMIT $2 OFFSET $3',
      [f.minScore ?? 0, limit, Math.max(0, f.offset ?? 0), f.since ?? null, f.until ?? null],
    );
    return r.rows.map((row) => JSON.parse(row.record) as AttackRecord);
  }

  async getAttack(id: string): Promise<AttackRecord | undefined> {
    const r = await this.pool.query<{ record: string }>('SELECT record FROM attacks WHERE id = $1', [id]);
    return r.rows[0] ? (JSON.parse(r.rows[0].record) as AttackRecord) : undefined;
  }

  /** In a transaction: locks KEY (an advisory lock, so a key with no row yet is locked too) and compares its value. */
  private async lockedCompare(c: Queryable, key: string, expected: string | undefined): Promise<boolean> {
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`apiary-state:${key}`]);
    const r = await c.query<{ value: string }>('SELECT value FROM tracker_state WHERE key = $1', [key]);
    return r.rows[0]?.value === expected;
  }

  private async putState(c: Queryable, key: string, value: string): Promise<void> {
    await c.query('INSERT INTO tracker_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  async reviseIncidents(incidents: readonly IncidentRecord[]): Promise<void> {
    if (incidents.length === 0) return;
    await this.pool.query(
      `UPDATE incidents AS i SET scope = u.scope, country = u.country, kind = u.kind, severity = u.severity
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(id, scope, country, kind, severity) WHERE i.id = u.id`,
      [incidents.map((x) => x.id), incidents.map((x) => x.scope), incidents.map((x) => x.country), incidents.map((x) => x.kind), incidents.map((x) => x.severity)],
    );
  }

  async listIncidents(f: IncidentFilter = {}): Promise<IncidentRecord[]> {
    const clauses: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown): void => {
      params.push(v);
      clauses.push(`${sql} $${params.length}`);
    };
    if (f.status !== undefined) add('status =', f.status);
    if (f.scope !== undefined) add('scope =', f.scope);
    if (f.src !== undefined) add('src_ip =', f.src);
    if (f.activeSince !== undefined) add('last_seen >=', f.activeSince);
    if (f.startedBefore !== undefined) add('first_seen <', f.startedBefore);
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    params.push(Math.min(Math.max(1, f.limit ?? MAX_QUERY_ROWS), MAX_QUERY_ROWS));
    const dir = f.order === 'desc' ? 'DESC' : 'ASC';
    const r = await this.pool.query<IncidentRow>(
      `SELECT * FROM incidents ${where} ORDER BY first_seen ${dir}, id ${dir} LIMIT $${params.length}`,
      params,
    );
    return r.rows.map(incidentFromRow);
  }

  async latestIncidents(ips: readonly string[], activeSince: string): Promise<Map<string, IncidentRecord>> {
    const out = new Map<string, IncidentRecord>();
    if (ips.length === 0) return out;
    const r = await this.pool.query<IncidentRow>(
      'SELECT * FROM incidents WHERE src_ip = ANY($1::text[]) AND last_seen >= $2 ORDER BY first_seen ASC, id ASC',
      [[...new Set(ips)], activeSince],
    );
    for (const row of r.rows) out.set(row.src_ip, incidentFromRow(row));
    return out;
  }

  async getIncident(id: string): Promise<IncidentRecord | undefined> {
    const r = await this.pool.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1', [id]);
    return r.rows[0] ? incidentFromRow(r.rows[0]) : undefined;
  }

  async updateIncident(id: string, change: { status?: IncidentStatus; note?: string; time: string }): Promise<IncidentRecord | undefined> {
    return this.tx(async (c) => {
      const r = await c.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1 FOR UPDATE', [id]);
      if (!r.rows[0]) return undefined;
      const inc = incidentFromRow(r.rows[0]);
      if (change.status !== undefined) inc.status = change.status;
      if (change.note !== undefined) inc.notes.push({ time: change.time, text: change.note });
      await c.query('UPDATE incidents SET status = $1, notes = $2 WHERE id = $3', [inc.status, JSON.stringify(inc.notes), id]);
      return inc;
    });
  }

  async claimAlert(id: string, time: string): Promise<boolean> {
    return ((await this.pool.query('UPDATE incidents SET alerted_at = $1 WHERE id = $2 AND alerted_at IS NULL', [time, id])).rowCount ?? 0) === 1;
  }

  async releaseAlert(id: string, time: string): Promise<void> {
    await this.pool.query('UPDATE incidents SET alerted_at = NULL WHERE id = $1 AND alerted_at = $2', [id, time]);
  }

  async getState(key: string): Promise<string | undefined> {
    return (await this.pool.query<{ value: string }>('SELECT value FROM tracker_state WHERE key = $1', [key])).rows[0]?.value;
  }

  async setState(key: string, value: string): Promise<void> {
    await this.putState(this.pool, key, value);
  }

  async swapState(key: string, expected: string | undefined, next: string | undefined): Promise<boolean> {
    return this.tx(async (c) => {
      if (!(await this.lockedCompare(c, key, expected))) return false;
      if (next === undefined) await c.query('DELETE FROM tracker_state WHERE key = $1', [key]);
      else await this.putState(c, key, next);
      return true;
    });
  }

  async listState(prefix: string): Promise<Map<string, string>> {
    // starts_with, not LIKE: a prefix with % or _ matches only itself.
    const r = await this.pool.query<{ key: string; value: string }>('SELECT key, value FROM tracker_state WHERE starts_with(key, $1) ORDER BY key', [prefix]);
    return new Map(r.rows.map((x) => [x.key, x.value]));
  }

  /** Partitions that hold events (period starts, oldest first). */
  async listPartitions(): Promise<string[]> {
    const r = await this.pool.query<{ part: string }>("SELECT to_char(part, 'YYYY-MM-DD') AS part FROM event_partitions WHERE dropped_at IS NULL ORDER BY part");
    return r.rows.map((x) => x.part);
  }

  /**
   * Retention: folds every partition that ends at or before BEFORE (YYYY-MM-DD) into the daily
   * aggregates (event_daily, source_daily), then drops it. Resolves with the partitions dropped.
   */
  async dropPartitionsBefore(before: string, now: string = new Date().toISOString()): Promise<string[]> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(before)) throw new RangeError(`retention cut-off must be YYYY-MM-DD, got ${before}`);
    const dropped = await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [DDL_LOCK]);
      const r = await c.query<{ part: string; name: string }>(
        "SELECT to_char(part, 'YYYY-MM-DD') AS part, name FROM event_partitions WHERE dropped_at IS NULL AND upper <= $1::date ORDER BY part",
        [before],
      );
      for (const p of r.rows) {
        if (!/^events_p\d{8}$/.test(p.name)) throw new Error(`unexpected partition name ${p.name}`);
        await c.query(
          `INSERT INTO event_daily (day, sensor, type, events) SELECT substr(time, 1, 10), sensor, type, count(*) FROM ${p.name} GROUP BY 1, 2, 3
           ON CONFLICT (day, sensor, type) DO UPDATE SET events = event_daily.events + excluded.events`,
        );
        await c.query(
          `INSERT INTO source_daily (day, sensor, src_ip, events) SELECT substr(time, 1, 10), sensor, src_ip, count(*) FROM ${p.name} GROUP BY 1, 2, 3
           ON CONFLICT (day, sensor, src_ip) DO UPDATE SET events = source_daily.events + excluded.events`,
        );
        await c.query(`DROP TABLE ${p.name}`);
        await c.query('UPDATE event_partitions SET dropped_at = $1 WHERE part = $2', [now, p.part]);
      }
      return r.rows.map((p) => p.part);
    });
    for (const p of dropped) this.partitions.delete(p);
    return dropped;
  }

  /** Events per day, sensor and type that retention kept after dropping their partitions. */
  async dailyAggregates(): Promise<{ day: string; sensor: string; type: string; events: number }[]> {
    const r = await this.pool.query<{ day: string; sensor: string; type: string; events: string }>('SELECT * FROM event_daily ORDER BY day, sensor, type');
    return r.rows.map((x) => ({ ...x, events: Number(x.events) }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

interface EnrichmentRow extends Omit<IpEnrichment, 'asn'> {
  asn: string | null;
}



