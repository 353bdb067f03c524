// The dashboard's read-only questions on SQLite, over a second, read-only connection (WAL lets it
// read while the collector writes). The SQL console runs each query in a child process that is
// killed at the time limit.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import {
  MAX_SESSION_RESULTS,
  MAX_SESSION_SCAN,
  type ConsoleResult,
  type DashboardReads,
  type SessionSearch,
  type SessionSearchResult,
  type SessionSummary,
} from '../dashboard-reads.js';

const CHILD = fileURLToPath(new URL('./console-child.js', import.meta.url));
/** Events a session search examines per step; the event loop gets a turn between steps. */
const SEARCH_STEP_ROWS = 5000;
/** Largest console answer read back from the child. */
const MAX_CONSOLE_OUTPUT = 32 * 1024 * 1024;

function timeConds(since: string | undefined, until: string | undefined, conds: string[], params: unknown[]): void {
  if (since) {
    conds.push('time >= ?');
    params.push(since);
  }
  if (until) {
    conds.push('time < ?');
    params.push(until);
  }
}

export class SqliteDashboardReads implements DashboardReads {
  private readonly db: Database.Database;

  constructor(private readonly path: string) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
    // Page searches read the same index pages again and again: keep them in memory.
    this.db.pragma('cache_size = -65536');
    this.db.pragma('mmap_size = 268435456');
  }

  async searchSessions(f: SessionSearch): Promise<SessionSearchResult> {
    const limit = Math.min(Math.max(1, f.limit ?? 100), MAX_SESSION_RESULTS);
    // Conditions an index answers (source, protocol, type, time) choose the events walked; the
    // payload conditions (json_extract, no index) are only tested on them, so a value that matches
    // nothing costs MAX_SESSION_SCAN events, not a walk over every login or command in the store.
    const conds: string[] = [];
    const params: unknown[] = [];
    const tests: string[] = [];
    const testParams: unknown[] = [];
    if (f.src) {
      conds.push('src_ip = ?');
      params.push(f.src);
    }
    if (f.protocol) {
      conds.push('protocol = ?');
      params.push(f.protocol);
    }
    if (f.username !== undefined) {
      conds.push("type = 'auth.attempt'");
      tests.push("json_extract(payload, '$.username') = ?");
      testParams.push(f.username);
    }
    if (f.password !== undefined) {
      conds.push("type = 'auth.attempt'");
      tests.push("json_extract(payload, '$.password') = ?");
      testParams.push(f.password);
    }
    if (f.command !== undefined) {
      conds.push("type = 'command.input'");
      tests.push("instr(json_extract(payload, '$.input'), ?) > 0");
      testParams.push(f.command);
    }
    timeConds(f.since, f.until, conds, params);
    // Newest first, SEARCH_STEP_ROWS events a step down the time order (by source, type or time
    // index), keeping the first LIMIT distinct sessions; the event loop gets a turn between steps, so
    // the sensors and other requests in this process are not held up by a search.
    const sql = (after: boolean): string => {
      const where = [...conds, ...(after ? ['(time, seq) < (?, ?)'] : [])];
      return `SELECT time, seq, session, ${tests.length ? tests.join(' AND ') : '1'} AS hit FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time DESC, seq DESC LIMIT ${SEARCH_STEP_ROWS}`;
    };
    const first = this.db.prepare(sql(false)).raw();
    const next = this.db.prepare(sql(true)).raw();
    const found: string[] = [];
    const seen = new Set<string>();
    let cursor: [string, number] | undefined;
    let walkedAll = false;
    for (let examined = 0; examined < MAX_SESSION_SCAN && found.length < limit; examined += SEARCH_STEP_ROWS) {
      if (cursor) await new Promise((r) => setImmediate(r));
      const rows = (cursor ? next.all(...testParams, ...params, ...cursor) : first.all(...testParams, ...params)) as [string, number, string, number][];
      for (const [, , session, hit] of rows) {
        if (!hit || seen.has(session)) continue;
        seen.add(session);
        found.push(session);
        if (found.length >= limit) break;
      }
      if (rows.length < SEARCH_STEP_ROWS) {
        walkedAll = true;
        break;
      }
      const last = rows[rows.length - 1]!;
      cursor = [last[0], last[1]];
    }
    const summary = this.db.prepare(
      `SELECT session, src_ip, protocol, sensor, max(dst_port) AS dst_port, min(time) AS first, max(time) AS last, count(*) AS events,
              sum(type = 'auth.attempt') AS logins, sum(type = 'command.input') AS commands
         FROM events WHERE session = ?`,
    );
    const sessions = found.map((s) => summary.get(s) as SessionSummary);
    // Stopped at the cap, not at the end nor at LIMIT sessions: say how far back it looked.
    return !walkedAll && found.length < limit && cursor ? { sessions, searched_to: cursor[0] } : { sessions };
  }


  runQuery(sql: string, opts: { timeoutMs: number; maxRows: number }): Promise<ConsoleResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'ignore'] });
      let out = '';
      let over = false;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the query ran longer than ${opts.timeoutMs} ms and was stopped`));
      }, opts.timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.length > MAX_CONSOLE_OUTPUT && !over) {
          over = true;
          child.kill('SIGKILL');
        }
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', () => {
        clearTimeout(timer);
        try {
          const r = JSON.parse(out) as { error?: string; columns: string[]; rows: unknown[][]; truncated: boolean };
          if (r.error !== undefined) reject(new Error(r.error));
          else resolve({ columns: r.columns, rows: r.rows, truncated: r.truncated, ms: Date.now() - started });
        } catch {
          reject(new Error(over ? 'the answer is too large' : 'the query was stopped'));
        }
      });
      child.stdin.end(JSON.stringify({ path: this.path, sql, maxRows: opts.maxRows }));
    });
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
