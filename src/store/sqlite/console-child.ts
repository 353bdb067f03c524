// The SQL console's query runner, run as its own process so that a runaway query can be killed:
// reads {path, sql, maxRows} as JSON on stdin, opens the store read-only (query_only too) and prints
// {columns, rows, truncated} or {error} as JSON on stdout.
import Database from 'better-sqlite3';

/** Longest text kept per cell. */
const MAX_CELL_CHARS = 2000;

function cell(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return `x'${v.subarray(0, MAX_CELL_CHARS / 2).toString('hex')}'`;
  if (typeof v === 'string' && v.length > MAX_CELL_CHARS) return `${v.slice(0, MAX_CELL_CHARS)}…`;
  return v;
}

function run(input: { path: string; sql: string; maxRows: number }): unknown {
  const db = new Database(input.path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('query_only = ON');
    const stmt = db.prepare(input.sql);
    if (!stmt.reader) return { error: 'only statements that return rows (SELECT, WITH, EXPLAIN, read-only PRAGMA) are allowed' };
    stmt.raw(true);
    const columns = stmt.columns().map((c) => c.name);
    const rows: unknown[][] = [];
    let truncated = false;
    for (const r of stmt.iterate() as Iterable<unknown[]>) {
      if (rows.length >= input.maxRows) {
        truncated = true;
        break;
      }
      rows.push(r.map(cell));
    }
    return { columns, rows, truncated };
  } finally {
    db.close();
  }
}

let text = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d: string) => (text += d));
process.stdin.on('end', () => {
  let out: unknown;
  try {
    out = run(JSON.parse(text) as { path: string; sql: string; maxRows: number });
  } catch (err) {
    out = { error: (err as Error).message };
  }
  process.stdout.write(JSON.stringify(out));
});
