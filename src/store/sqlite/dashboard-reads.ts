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
  type SessionSummary,
} from '../dashboard-reads.js';

const CHILD = fileURLToPath(new URL('./console-child.js', import.meta.url));
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

  async searchSessions(f: SessionSearch): Promise<SessionSummary[]> {
    const limit = Math.min(Math.max(1, f.limit ?? 100), MAX_SESSION_RESULTS);
    const conds: string[] = [];
    const params: unknown[] = [];
    if (f.src) {
      conds.push('src_ip = ?');
      params.push(f.src);
    }
    if (f.protocol) {
      conds.push('protocol = ?');
      params.push(f.protocol);
    }
    if (f.username !== undefined) {
      conds.push("type = 'auth.attempt' AND json_extract(payload, '$.username') = ?");
      params.push(f.username);
    }
    if (f.password !== undefined) {
      conds.push("type = 'auth.attempt' AND json_extract(payload, '$.password') = ?");
      params.push(f.password);
    }
    if (f.command !== undefined) {
      conds.push("type = 'command.input' AND instr(json_extract(payload, '$.input'), ?) > 0");
      params.push(f.command);
    }
    timeConds(f.since, f.until, conds, params);
    // Newest first: walk matching events down the time order (by source, type or time index) and keep
    // the first LIMIT distinct sessions; the walk is capped so a rare filter cannot scan everything.
    const walk = this.db.prepare(`SELECT session FROM events ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ORDER BY time DESC LIMIT ${MAX_SESSION_SCAN}`).pluck();
    const found: string[] = [];
    const seen = new Set<string>();
    for (const s of walk.iterate(...params) as Iterable<string>) {
      if (seen.has(s)) continue;
      seen.add(s);
      found.push(s);
      if (found.length >= limit) break;
    }
    const summary = this.db.prepare(
      `SELECT session, src_ip, protocol, sensor, max(dst_port) AS dst_port, min(time) AS first, max(time) AS last, count(*) AS events,
              sum(type = 'auth.attempt') AS logins, sum(type = 'command.input') AS commands
         FROM events WHERE session = ?`,
    );
    return found.map((s) => summary.get(s) as SessionSummary);
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
