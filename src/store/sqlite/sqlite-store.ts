// The SQLite store: one file, WAL, migrations, batched inserts in one transaction each.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ApiaryEvent } from '../../events/catalogue.js';
import { ApiaryError } from '../../errors/errors.js';
import { MAX_QUERY_ROWS, type EventFilter, type EventStore } from '../store.js';
import { SQLITE_MIGRATIONS } from './migrations.js';

interface Row {
  id: string;
  time: string;
  type: string;
  sensor: string;
  session: string;
  protocol: string;
  src_ip: string;
  src_port: number;
  dst_ip: string;
  dst_port: number;
  payload: string;
  source: string | null;
}

export interface SqliteStoreOptions {
  readonly?: boolean;
}

export class SqliteStore implements EventStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly insertOne: Database.Statement;
  private readonly insertMany: (events: readonly ApiaryEvent[]) => number;

  constructor(readonly path: string, opts: SqliteStoreOptions = {}) {
    try {
      if (!opts.readonly) mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
      this.db.pragma('busy_timeout = 5000');
      if (!opts.readonly) {
        this.db.pragma('journal_mode = WAL');
        // NORMAL in WAL mode: a committed batch survives a process crash; only an OS crash can lose the last ones.
        this.db.pragma('synchronous = NORMAL');
        this.migrate();
      }
    } catch (err) {
      if (err instanceof ApiaryError) throw err;
      throw new ApiaryError('APIARY_STORE_OPEN', `cannot open the SQLite store at ${path}: ${(err as Error).message}; check store.sqlite.path and its directory's permissions`);
    }
    this.insertOne = this.db.prepare(
      `INSERT OR IGNORE INTO events (id, time, type, sensor, session, protocol, src_ip, src_port, dst_ip, dst_port, payload, source)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertMany = this.db.transaction((events: readonly ApiaryEvent[]) => {
      let n = 0;
      for (const e of events) {
        n += this.insertOne.run(e.id, e.time, e.type, e.sensor, e.session, e.protocol, e.src_ip, e.src_port, e.dst_ip, e.dst_port, JSON.stringify(e.payload), e.source === undefined ? null : JSON.stringify(e.source)).changes;
      }
      return n;
    });
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > SQLITE_MIGRATIONS.length) {
      throw new ApiaryError('APIARY_STORE_OPEN', `the store at ${this.path} has schema version ${current}, newer than this Apiary knows (${SQLITE_MIGRATIONS.length}); upgrade Apiary`);
    }
    for (let v = current; v < SQLITE_MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(SQLITE_MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  async insertBatch(events: readonly ApiaryEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    return this.insertMany(events);
  }

  private where(f: EventFilter): { sql: string; params: unknown[] } {
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
    return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
  }

  async query(f: EventFilter): Promise<ApiaryEvent[]> {
    const { sql, params } = this.where(f);
    const limit = Math.min(Math.max(1, f.limit ?? MAX_QUERY_ROWS), MAX_QUERY_ROWS);
    const order = f.order === 'desc' ? 'DESC' : 'ASC';
    const rows = this.db.prepare(`SELECT * FROM events ${sql} ORDER BY id ${order} LIMIT ?`).all(...params, limit) as Row[];
    return rows.map(rowToEvent);
  }

  async count(f: EventFilter = {}): Promise<number> {
    const { sql, params } = this.where(f);
    return (this.db.prepare(`SELECT count(*) AS n FROM events ${sql}`).get(...params) as { n: number }).n;
  }

  /** Runs SQLite's full integrity check; "ok" when the file is sound. */
  integrityCheck(): string {
    return String(this.db.pragma('integrity_check', { simple: true }));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function rowToEvent(r: Row): ApiaryEvent {
  const { payload, source, ...env } = r;
  const e = { ...env, payload: JSON.parse(payload) } as ApiaryEvent;
  if (source !== null && source !== undefined) e.source = JSON.parse(source) as ApiaryEvent['source'];
  return e;
}
