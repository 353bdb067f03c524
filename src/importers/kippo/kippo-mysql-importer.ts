// Imports a mysqldump of Kippo's MySQL database (tables auth, clients, input, sensors, sessions,
// ttylog, downloads). Two passes over the file: the first gathers sessions, clients and sensors
// (what every other row refers to), the second maps rows to events in file order.
import { basename } from 'node:path';
import type { EventSource, EventType, Payload } from '../../events/catalogue.js';
import { derivedSession, importLines, parseTimestamp, type BatchWriter, type Envelope, type EventStream, type FileReport, type ImportOptions } from '../core/import-core.js';
import { readLines } from '../core/lines.js';
import { columnName, createTableName, decodeInsert, KIPPO_COLUMNS, MAX_DUMP_LINE_BYTES, type SqlValue } from './mysql-dump.js';
import { saveRecording } from './recordings.js';

/** Sessions remembered from the first pass (a dump's sessions table must fit in memory). */
export const MAX_DUMP_SESSIONS = 5_000_000;

/** Order of tables for events sharing a second. */
const TABLE_ORDER = ['sessions', 'auth', 'input', 'downloads', 'ttylog'];

interface SessionRow {
  start: number;
  end: number;
  sensor: number;
  ip: string;
  termsize: string;
  client: number;
}

type Row = Record<string, SqlValue>;

const text = (v: SqlValue | undefined): string => (Buffer.isBuffer(v) ? v.toString('utf8') : v === null || v === undefined ? '' : String(v));
const num = (v: SqlValue | undefined): number => (typeof v === 'number' ? v : Number(text(v)));
const rowObject = (cols: readonly string[], values: SqlValue[]): Row => Object.fromEntries(cols.map((c, i) => [c, values[i] ?? null]));
const plain = (r: Row): Record<string, unknown> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Buffer.isBuffer(v) ? (k === 'ttylog' ? `<${v.length} bytes>` : v.toString('utf8')) : v]));

/** True when the file starts like a mysqldump or SQL script. */
export function looksLikeSqlDump(head: string): boolean {
  return /^(--|\/\*|CREATE TABLE|INSERT INTO|SET |DROP TABLE|LOCK TABLES)/m.test(head.slice(0, 4096)) && /(CREATE TABLE|INSERT INTO)/i.test(head);
}

export async function importKippoDump(path: string, stream: EventStream, writer: BatchWriter, opts: ImportOptions): Promise<FileReport> {
  const columns = new Map<string, string[]>();
  const clients = new Map<number, string>();
  const sensors = new Map<number, string>();
  const sessions = new Map<string, SessionRow>();
  const colsOf = (table: string, given?: string[]): readonly string[] => given ?? (columns.get(table)?.length ? columns.get(table)! : (KIPPO_COLUMNS[table] ?? []));
  const read = { maxBytes: MAX_DUMP_LINE_BYTES, encoding: 'latin1' as const };

  // Pass 1: the tables every other row refers to.
  let creating: string | undefined;
  for await (const l of readLines(path, undefined, read)) {
    const t = createTableName(l.text);
    if (t) {
      creating = t;
      columns.set(t, []);
      continue;
    }
    if (creating) {
      const c = columnName(l.text);
      if (c) columns.get(creating)!.push(c);
      else if (/^\)/.test(l.text)) creating = undefined;
      continue;
    }
    if (!/^INSERT (?:IGNORE )?INTO `?(clients|sensors|sessions)`?/.test(l.text)) continue;
    const d = decodeInsert(l.text);
    if (d.kind !== 'ok') continue;
    for (const values of d.rows) {
      const r = rowObject(colsOf(d.table, d.columns), values);
      if (d.table === 'clients') clients.set(num(r.id), text(r.version));
      else if (d.table === 'sensors') sensors.set(num(r.id), text(r.ip));
      else if (sessions.size < MAX_DUMP_SESSIONS) {
        sessions.set(text(r.id), { start: parseTimestamp(text(r.starttime)), end: parseTimestamp(text(r.endtime)), sensor: num(r.sensor), ip: text(r.ip), termsize: text(r.termsize), client: num(r.client) });
      }
    }
  }

  // Pass 2: every row, in file order.
  const file = basename(path);
  const sensorName = (s: SessionRow): string => opts.sensor ?? (sensors.get(s.sensor) || 'kippo');
  const envOf = (id: string, s: SessionRow, timeMs: number): Envelope => {
    const sensor = sensorName(s);
    return { timeMs, sensor, session: derivedSession('kippo.mysql', sensor, id), protocol: 'ssh', src_ip: s.ip || '0.0.0.0', src_port: 0, dst_ip: sensors.get(s.sensor) || '0.0.0.0', dst_port: 0 };
  };
  return importLines(
    path,
    stream,
    writer,
    opts,
    async (l, where, report) => {
      report.records--;
      if (!/^INSERT /i.test(l.text)) return;
      const d = decodeInsert(l.text);
      if (d.kind !== 'ok') {
        report.records++;
        report.skipRecord(`INSERT statement: ${d.reason}`, where, l.text.slice(0, 120));
        return;
      }
      for (const values of d.rows) {
        report.records++;
        await mapRow(d.table, rowObject(colsOf(d.table, d.columns), values), where, report);
      }
    },
    read,
  );

  async function mapRow(table: string, r: Row, where: string, report: FileReport): Promise<void> {
    if (table === 'clients' || table === 'sensors') {
      report.none(`${table} row (folded into each session's events)`);
      return;
    }
    if (!TABLE_ORDER.includes(table)) {
      report.none(`${table} row (not a Kippo table)`);
      return;
    }
    const sessionId = text(table === 'sessions' ? r.id : r.session);
    const s = sessions.get(sessionId);
    if (!s) {
      report.skipRecord(`${table} row of a session the dump does not hold`, where, JSON.stringify(plain(r)));
      return;
    }
    const source: EventSource = { format: 'kippo.mysql', file, table, line: num(r.id) || 0, record: plain(r) };
    const seqBase = (TABLE_ORDER.indexOf(table) + 1) * 2 ** 40;
    const emit = async <T extends EventType>(type: T, payload: Payload<T>, timeMs: number, sub = 0): Promise<void> => {
      const rowId = table === 'sessions' ? 0 : num(r.id) % 2 ** 38;
      await stream.emit(type, payload, envOf(sessionId, s, timeMs), `${table}:${text(r.id)}:${sub}`, source, where, (seqBase + rowId) * 4 + sub);
    };
    switch (table) {
      case 'sessions': {
        await emit('connection.open', { transport: 'tcp' }, s.start);
        const version = clients.get(s.client);
        if (version) await emit('client.version', { version }, s.start, 1);
        const size = /^(\d{1,5})x(\d{1,5})$/.exec(s.termsize);
        if (size) await emit('client.size', { width: Number(size[1]), height: Number(size[2]) }, s.start, 2);
        if (Number.isFinite(s.end)) await emit('connection.close', { duration_ms: Math.max(0, s.end - s.start), bytes_in: 0, bytes_out: 0, reason: 'client' }, s.end, 3);
        return;
      }
      case 'auth':
        await emit('auth.attempt', { method: 'password', username: text(r.username), password: text(r.password), success: num(r.success) === 1 }, parseTimestamp(text(r.timestamp)));
        return;
      case 'input': {
        const t = parseTimestamp(text(r.timestamp));
        const realm = text(r.realm);
        if (realm) await emit('command.stdin', { realm, input: text(r.input) }, t);
        else await emit('command.input', { input: text(r.input), ...(r.success === null ? {} : { known: num(r.success) === 1 }) }, t);
        return;
      }
      case 'downloads':
        await emit('file.download', { url: text(r.url), path: text(r.outfile), outcome: 'stored' }, parseTimestamp(text(r.timestamp)));
        return;
      case 'ttylog': {
        const blob = Buffer.isBuffer(r.ttylog) ? r.ttylog : Buffer.alloc(0);
        const saved = saveRecording(opts.recordingsDir, envOf(sessionId, s, s.start).session, blob, `kippo.mysql ttylog ${text(r.id)}`);
        if (!saved.ok) {
          report.skipRecord(`ttylog row: ${saved.reason}`, where);
          return;
        }
        if (saved.problem) report.skipRecord(`ttylog row: ${saved.problem}`, where);
        await emit('session.recording', { state: 'stored', path: saved.path, format: 'asciicast', sha256: saved.sha256, size: blob.length, duration_ms: saved.durationMs }, saved.startMs);
        return;
      }
    }
  }
}
