// Reading mysqldump output (Kippo's MySQL database): `CREATE TABLE` column lists and the rows of
// `INSERT INTO t [(cols)] VALUES (...),(...);` statements, one statement per line as mysqldump writes
// them. Text is handled as latin1 (one char per byte) so BLOBs (ttylog) keep their bytes. Pure.
import { ByteWriter } from '../../wire/reader.js';

/** Longest INSERT line read (mysqldump's default max_allowed_packet is 16 MiB; TTY log blobs are big). */
export const MAX_DUMP_LINE_BYTES = 64 * 1024 * 1024;

/** A SQL value: text/BLOB as bytes, a number, or NULL. */
export type SqlValue = Buffer | number | null;

export type InsertDecode = { kind: 'ok'; table: string; columns?: string[]; rows: SqlValue[][] } | { kind: 'malformed'; reason: string };

const ESCAPES: Readonly<Record<string, number>> = { '0': 0, b: 8, n: 10, r: 13, t: 9, Z: 26 };

/** `CREATE TABLE \`auth\` (` -> "auth". */
export function createTableName(line: string): string | undefined {
  return /^CREATE TABLE (?:IF NOT EXISTS )?`?([A-Za-z0-9_]{1,64})`?\s*\(/i.exec(line)?.[1];
}

/** A column line inside CREATE TABLE: "  `session` char(32) NOT NULL," -> "session". */
export function columnName(line: string): string | undefined {
  const m = /^\s+`([A-Za-z0-9_]{1,64})`\s/.exec(line);
  return m ? m[1] : undefined;
}

/** Decodes one INSERT statement (latin1 text). Never throws. */
export function decodeInsert(line: string): InsertDecode {
  const head = /^INSERT (?:IGNORE )?INTO `?([A-Za-z0-9_]{1,64})`?(?:\s*\(([^)]{0,4096})\))?\s*VALUES\s*/i.exec(line);
  if (!head) return { kind: 'malformed', reason: 'not an INSERT statement' };
  const table = head[1]!;
  const columns = head[2]?.split(',').map((c) => c.trim().replace(/^`|`$/g, ''));
  const rows: SqlValue[][] = [];
  let i = head[0].length;
  const n = line.length;
  const skipWs = (): void => {
    while (i < n && /\s/.test(line[i]!)) i++;
  };
  for (;;) {
    skipWs();
    if (line[i] !== '(') return { kind: 'malformed', reason: `expected "(" at offset ${i}` };
    i++;
    const row: SqlValue[] = [];
    for (;;) {
      skipWs();
      const c = line[i];
      if (c === undefined) return { kind: 'malformed', reason: 'statement ends inside a row (truncated line?)' };
      if (c === "'" || line.startsWith("_binary '", i)) {
        if (c !== "'") i += "_binary ".length;
        i++;
        // Into a buffer that doubles as it fills (never past the line, so nothing is dropped): a JS
        // array of numbers took 25 bytes of memory per byte of the literal (63 MiB: 1.6 GB and 6 s).
        const bytes = new ByteWriter(Math.max(1, n - i));
        let closed = false;
        while (i < n) {
          const ch = line.charCodeAt(i);
          if (ch === 0x5c) {
            const e = line[i + 1];
            if (e === undefined) break;
            bytes.u8(ESCAPES[e] ?? e.charCodeAt(0));
            i += 2;
          } else if (ch === 0x27) {
            if (line[i + 1] === "'") {
              bytes.u8(0x27);
              i += 2;
            } else {
              i++;
              closed = true;
              break;
            }
          } else {
            bytes.u8(ch);
            i++;
          }
        }
        if (!closed) return { kind: 'malformed', reason: 'unterminated string (truncated line?)' };
        row.push(Buffer.from(bytes.finish()));
      } else if (/^0x[0-9A-Fa-f]*/.test(line.slice(i, i + 3))) {
        const m = /^0x([0-9A-Fa-f]*)/.exec(line.slice(i, i + MAX_DUMP_LINE_BYTES))!;
        if (m[1]!.length % 2 === 1) return { kind: 'malformed', reason: 'odd-length hex literal' };
        row.push(Buffer.from(m[1]!, 'hex'));
        i += m[0].length;
      } else if (line.startsWith('NULL', i)) {
        row.push(null);
        i += 4;
      } else {
        const m = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/.exec(line.slice(i, i + 64));
        if (!m) return { kind: 'malformed', reason: `unexpected ${JSON.stringify(line.slice(i, i + 10))} at offset ${i}` };
        row.push(Number(m[0]));
        i += m[0].length;
      }
      skipWs();
      if (line[i] === ',') {
        i++;
        continue;
      }
      if (line[i] === ')') {
        i++;
        break;
      }
      return { kind: 'malformed', reason: `expected "," or ")" at offset ${i}` };
    }
    rows.push(row);
    skipWs();
    if (line[i] === ',') {
      i++;
      continue;
    }
    if (line[i] === ';' || i >= n) return { kind: 'ok', table, ...(columns ? { columns } : {}), rows };
    return { kind: 'malformed', reason: `expected "," or ";" after a row at offset ${i}` };
  }
}

/** Kippo's schema (doc/sql/mysql.sql with update8), used when a dump has no CREATE TABLE. */
export const KIPPO_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  auth: ['id', 'session', 'success', 'username', 'password', 'timestamp'],
  clients: ['id', 'version'],
  input: ['id', 'session', 'timestamp', 'realm', 'success', 'input'],
  sensors: ['id', 'version', 'ip'],
  sessions: ['id', 'starttime', 'endtime', 'sensor', 'version', 'ip', 'termsize', 'client'],
  ttylog: ['id', 'session', 'ttylog'],
  downloads: ['id', 'session', 'timestamp', 'url', 'outfile'],
};
