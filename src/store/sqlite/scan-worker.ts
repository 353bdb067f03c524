// The thread that reads a scan ahead (ScanOptions.readAhead, read-ahead.ts): its own read-only
// connection pages through the events as SqliteStore.scanPages would and posts each page, payloads
// parsed, as JSON text, at most READ_AHEAD_PAGES before the reader has taken them. It waits to be ended
// once it has said 'done'.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { payloadsParsed } from '../rows.js';
import { BUSY_TIMEOUT_MS } from './event-insert.js';
import { cursorAfter, READ_AHEAD_PAGES, scanPageQuery, SCAN_PAGE, type ScanMessage, type ScanRow, type ScanWork } from './scan-query.js';

const port = parentPort!;
const work = workerData as ScanWork;
let taken = 0;
let wake: (() => void) | undefined;
port.on('message', () => {
  taken++;
  wake?.();
});

async function run(): Promise<void> {
  const db = new Database(work.path, { readonly: true, fileMustExist: true });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const statements = new Map<string, Database.Statement>();
  const payloadTypes = work.plan.payloadTypes ? new Set(work.plan.payloadTypes) : undefined;
  let cursor = work.cursor;
  let left = work.limit ?? Number.POSITIVE_INFINITY;
  let posted = 0;
  for (;;) {
    const page = Math.min(SCAN_PAGE, left);
    if (page <= 0) break;
    const { sql, params } = scanPageQuery(work.plan, cursor, page);
    let st = statements.get(sql);
    if (!st) statements.set(sql, (st = db.prepare(sql).raw()));
    const rows = st.all(...params) as ScanRow[];
    if (rows.length > 0) {
      while (posted - taken >= READ_AHEAD_PAGES) await new Promise<void>((r) => (wake = r));
      // Payloads parsed here: the reader, the busier thread in a report, then parses the page once.
      port.postMessage({ rows: JSON.stringify(payloadsParsed(rows, payloadTypes)) } satisfies ScanMessage);
      posted++;
    }
    left -= rows.length;
    if (rows.length < page) break;
    cursor = cursorAfter(work.plan, rows);
  }
  db.close();
}

run().then(
  () => port.postMessage({ done: true } satisfies ScanMessage),
  (err: unknown) => port.postMessage({ error: err instanceof Error ? err.message : String(err) } satisfies ScanMessage),
);
