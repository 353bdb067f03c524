// `apiary import dionaea`: Dionaea's logsql SQLite database, streamed table by table with
// better-sqlite3's iterate() (constant memory). Every connection becomes a session; DCERPC binds and
// requests carry service and operation names, MS08-067 calls are exploit attempts, emulator
// profiles are shellcode, offers and downloads, logins, MySQL/MSSQL commands and p0f each map to a
// catalogued event. log_json / log_incident JSON lines go to the JSON importer beside this one.
import { basename } from 'node:path';
import Database from 'better-sqlite3';
import type { EventSource, EventType, Payload } from '../../events/catalogue.js';
import { derivedSession, EventStream, FileReport, hashHex, parseTimestamp, ProgressLine, type BatchWriter, type Envelope, type ImportOptions, type ImportRun } from '../core/import-core.js';
import { startsWith } from '../core/lines.js';
import { DionaeaJsonRun } from './dionaea-json.js';
import { decodeEmuProfile } from './emu-profile.js';
import { bulletinCve, knownOp, knownVuln, normaliseBulletin, protocolName } from './dionaea-names.js';

/** The tables and columns an importable logsql database must have. */
const REQUIRED_COLUMNS = ['connection', 'connection_type', 'connection_transport', 'connection_protocol', 'connection_timestamp', 'local_host', 'local_port', 'remote_host', 'remote_port'];

type Row = Record<string, unknown>;

/** The tables read, in order (also the order of events sharing a connection's timestamp). */
const TABLE_ORDER = ['connections', 'p0fs', 'mssql_fingerprints', 'logins', 'dcerpcbinds', 'dcerpcrequests', 'emu_profiles', 'emu_services', 'offers', 'downloads', 'mssql_commands', 'mysql_commands'];

interface Conn {
  connection: number;
  connection_type: string | null;
  connection_transport: string | null;
  connection_protocol: string | null;
  connection_timestamp: number | null;
  connection_root: number | null;
  connection_parent: number | null;
  local_host: string | null;
  local_port: number | null;
  remote_host: string | null;
  remote_hostname: string | null;
  remote_port: number | null;
}

/**
 * A connection's time in ms: logsql stores seconds since the epoch as a number; a database converted
 * by other tools may hold them as text, or a date and time. NaN (the row is skipped) when it has none.
 */
function dionaeaTime(v: unknown): number {
  if (typeof v === 'number') return Math.round(v * 1000);
  if (typeof v !== 'string' || v.trim() === '') return NaN;
  const seconds = Number(v);
  return Number.isFinite(seconds) ? Math.round(seconds * 1000) : parseTimestamp(v);
}

export class DionaeaRun implements ImportRun {
  private readonly stream: EventStream;
  private readonly json: DionaeaJsonRun;

  constructor(private readonly writer: BatchWriter, private readonly opts: ImportOptions) {
    this.stream = new EventStream(writer);
    this.json = new DionaeaJsonRun(writer, opts);
  }

  async finish(): Promise<void> {
    await this.json.finish();
    await this.writer.flush();
  }

  async importFile(path: string): Promise<FileReport> {
    if (!startsWith(path, Buffer.from('SQLite format 3\0', 'latin1'))) return this.json.importFile(path);
    const report = new FileReport(path);
    this.stream.report = report;
    const storedBefore = this.writer.stored;
    const writtenBefore = this.writer.written;
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
    } catch (err) {
      report.fatal = `cannot open ${path} as SQLite: ${(err as Error).message}`;
      return report;
    }
    try {
      const columns = new Set((db.prepare("SELECT name FROM pragma_table_info('connections')").all() as { name: string }[]).map((r) => r.name));
      const missing = REQUIRED_COLUMNS.filter((c) => !columns.has(c));
      if (missing.length > 0) {
        report.fatal = `not a Dionaea logsql database: ${columns.size === 0 ? 'no "connections" table' : `the connections table lacks ${missing.join(', ')}`}`;
        return report;
      }
      await this.importDb(db, path, report);
    } catch (err) {
      report.fatal = `reading ${basename(path)} failed: ${(err as Error).message}`;
    } finally {
      db.close();
    }
    await this.writer.flush();
    report.stored = this.writer.stored - storedBefore;
    report.duplicates = this.writer.written - writtenBefore - report.stored;
    return report;
  }

  private async importDb(db: Database.Database, path: string, report: FileReport): Promise<void> {
    const file = basename(path);
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    const first = db.prepare('SELECT * FROM connections ORDER BY connection LIMIT 1').get() as Conn | undefined;
    if (!first) return;
    // The database's identity: its first connection. A database that keeps growing keeps its ids.
    const dbId = hashHex('dionaea-db', first.connection, first.connection_timestamp ?? '', first.remote_host ?? '', first.remote_port ?? '', first.local_port ?? '');
    const sensorName = this.opts.sensor ?? 'dionaea';
    const services = lookup(db, tables);
    const total = (db.prepare('SELECT count(*) AS n FROM connections').get() as { n: number }).n;
    const progress = new ProgressLine(this.opts.progress);

    const envOf = (c: Conn): Envelope => ({
      timeMs: dionaeaTime(c.connection_timestamp),
      sensor: sensorName,
      session: derivedSession('dionaea', sensorName, `${dbId}:${c.connection}`),
      protocol: protocolName(c.connection_protocol),
      src_ip: c.remote_host || '0.0.0.0',
      src_port: clampPort(c.remote_port),
      dst_ip: c.local_host || '0.0.0.0',
      dst_port: clampPort(c.local_port),
    });
    const emit = async <T extends EventType>(type: T, payload: Payload<T>, c: Conn, table: string, id: number, record: Row, at: string): Promise<void> => {
      const source: EventSource = { format: 'dionaea.sqlite', file, table, line: id, record: plain(record) };
      // Rows share their connection's timestamp; table, row and event keep them in order within it.
      const seq = ((TABLE_ORDER.indexOf(table) + 1) * 2 ** 42 + (id % 2 ** 42)) * 4 + (type === 'exploit.attempt' ? 1 : 0);
      await this.stream.emit(type, payload, envOf(c), `${dbId}:${table}:${id}:${type}`, source, at, seq);
    };

    // Connections: one session each; the attack tree (root, parent) stays in the source record.
    let n = 0;
    for (const c of db.prepare('SELECT * FROM connections ORDER BY connection').iterate() as IterableIterator<Conn>) {
      report.records++;
      progress.updateRows(path, 'connection', ++n, total);
      if (c.connection_type === 'listen') {
        report.none('listening socket (no peer)');
        continue;
      }
      await emit('connection.open', { transport: c.connection_transport === 'udp' ? 'udp' : 'tcp' }, c, 'connections', c.connection, c as unknown as Row, `connections row ${c.connection}`);
    }

    // Child tables joined to their connection, each streamed in connection order.
    const each = (table: string, idCol: string): IterableIterator<Row & Conn> | undefined => {
      if (!tables.has(table)) return undefined;
      return db.prepare(`SELECT t.*, c.* , t.${idCol} AS _rowid FROM ${table} t LEFT JOIN connections c ON c.connection = t.connection ORDER BY t.${idCol}`).iterate() as IterableIterator<Row & Conn>;
    };
    const rows = async (table: string, idCol: string, fn: (r: Row & Conn, id: number, at: string) => Promise<void>): Promise<void> => {
      const it = each(table, idCol);
      if (!it) return;
      for (const r of it) {
        report.records++;
        const id = Number(r._rowid);
        const at = `${table} row ${id}`;
        if (r.connection_timestamp === null || r.connection_timestamp === undefined) {
          report.skipRecord(`${table} row whose connection ${r.connection === null || r.connection === undefined ? 'is missing' : 'has no timestamp'}`, at);
          continue;
        }
        await fn(r, id, at);
      }
    };
    const own = (r: Row, cols: string[]): Row => Object.fromEntries(cols.filter((k) => k in r).map((k) => [k, r[k]]));

    await rows('dcerpcbinds', 'dcerpcbind', async (r, id, at) => {
      const uuid = String(r.dcerpcbind_uuid ?? '');
      const service = services.name(uuid);
      await emit('rpc.bind', { interface_uuid: uuid, ...(r.dcerpcbind_transfersyntax ? { transfer_syntax: String(r.dcerpcbind_transfersyntax) } : {}), ...(service ? { interface: service.toLowerCase() } : {}) }, r, 'dcerpcbinds', id, own(r, ['dcerpcbind', 'connection', 'dcerpcbind_uuid', 'dcerpcbind_transfersyntax']), at);
    });
    await rows('dcerpcrequests', 'dcerpcrequest', async (r, id, at) => {
      const uuid = String(r.dcerpcrequest_uuid ?? '');
      const opnum = Number(r.dcerpcrequest_opnum ?? -1);
      const service = services.name(uuid);
      const op = services.op(uuid, opnum);
      const record = own(r, ['dcerpcrequest', 'connection', 'dcerpcrequest_uuid', 'dcerpcrequest_opnum']);
      const vuln = op?.vuln ? normaliseBulletin(op.vuln) : undefined;
      await emit('rpc.request', { interface_uuid: uuid, opnum, ...(service ? { interface: service.toLowerCase() } : {}), ...(op?.name ? { operation: op.name } : {}), ...(vuln ? { vuln } : {}) }, r, 'dcerpcrequests', id, record, at);
      if (vuln) {
        const cve = bulletinCve(vuln);
        await emit('exploit.attempt', { name: vuln, ...(cve ? { cve } : {}), detail: `${service ?? uuid} ${op?.name ?? ''} (opnum ${opnum})`.replace('  ', ' ') }, r, 'dcerpcrequests', id, record, at);
      }
    });
    await rows('emu_profiles', 'emu_profile', async (r, id, at) => {
      const p = decodeEmuProfile(String(r.emu_profile_json ?? ''));
      await emit('shellcode.detected', p, r, 'emu_profiles', id, own(r, ['emu_profile', 'connection', 'emu_profile_json']), at);
    });
    await rows('emu_services', 'emu_serivce', async (r, id, at) => {
      const url = String(r.emu_service_url ?? '');
      const bind = /^bindshell:\/\/(\d{1,5})/.exec(url);
      const back = /^connectbackshell:\/\/(.+)$/.exec(url);
      await emit('shellcode.detected', { urls: [], commands: [], ...(bind ? { bind_port: clampPort(Number(bind[1])) } : {}), ...(back ? { connect_back: back[1]! } : {}) }, r, 'emu_services', id, own(r, ['emu_serivce', 'connection', 'emu_service_url']), at);
    });
    const downloadedUrl = tables.has('downloads') ? db.prepare('SELECT 1 FROM downloads WHERE download_url = ? LIMIT 1') : undefined;
    await rows('offers', 'offer', async (r, id, at) => {
      const url = String(r.offer_url ?? '');
      if (downloadedUrl?.get(url)) {
        report.none('offer followed by a download of the same URL (the download is recorded)');
        return;
      }
      await emit('file.download', { url, outcome: 'failed', reason: 'offered by the attacker; Dionaea recorded no completed download' }, r, 'offers', id, own(r, ['offer', 'connection', 'offer_url']), at);
    });
    await rows('downloads', 'download', async (r, id, at) => {
      const md5 = String(r.download_md5_hash ?? '').toLowerCase();
      await emit('file.download', { url: String(r.download_url ?? ''), ...(/^[0-9a-f]{32}$/.test(md5) ? { md5 } : {}), outcome: 'stored' }, r, 'downloads', id, own(r, ['download', 'connection', 'download_url', 'download_md5_hash']), at);
    });
    await rows('logins', 'login', async (r, id, at) => {
      // Dionaea's MSSQL and MySQL emulations accept any credentials; other services log the attempt only.
      const accepts = r.connection_protocol === 'mssqld' || r.connection_protocol === 'mysqld';
      await emit('auth.attempt', { method: 'native', username: text(r.login_username), password: text(r.login_password), success: accepts }, r, 'logins', id, own(r, ['login', 'connection', 'login_username', 'login_password']), at);
    });
    await rows('mssql_fingerprints', 'mssql_fingerprint', async (r, id, at) => {
      await emit('client.version', { version: text(r.mssql_fingerprint_appname), comments: `host ${text(r.mssql_fingerprint_hostname)}; library ${text(r.mssql_fingerprint_cltintname)}` }, r, 'mssql_fingerprints', id, own(r, ['mssql_fingerprint', 'connection', 'mssql_fingerprint_hostname', 'mssql_fingerprint_appname', 'mssql_fingerprint_cltintname']), at);
    });
    await rows('mssql_commands', 'mssql_command', async (r, id, at) => {
      await emit('query', { query: text(r.mssql_command_cmd) }, r, 'mssql_commands', id, own(r, ['mssql_command', 'connection', 'mssql_command_status', 'mssql_command_cmd']), at);
    });
    const argsOf = tables.has('mysql_command_args') ? db.prepare('SELECT mysql_command_arg_data AS d FROM mysql_command_args WHERE mysql_command = ? ORDER BY mysql_command_arg_index') : undefined;
    const opName = tables.has('mysql_command_ops') ? db.prepare('SELECT mysql_command_op_name AS n FROM mysql_command_ops WHERE mysql_command_cmd = ?') : undefined;
    await rows('mysql_commands', 'mysql_command', async (r, id, at) => {
      const args = ((argsOf?.all(id) ?? []) as { d: unknown }[]).map((a) => text(a.d));
      const name = (opName?.get(r.mysql_command_cmd) as { n?: string } | undefined)?.n ?? `command ${String(r.mysql_command_cmd)}`;
      const query = name === 'COM_QUERY' && args.length > 0 ? args.join(' ') : [name, ...args].join(' ');
      await emit('query', { query }, r, 'mysql_commands', id, { ...own(r, ['mysql_command', 'connection', 'mysql_command_cmd']), args }, at);
    });
    await rows('p0fs', 'p0f', async (r, id, at) => {
      const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
      const uptime = num(r.p0f_uptime);
      const dist = num(r.p0f_dist);
      await emit(
        'client.os',
        {
          genre: text(r.p0f_genre),
          ...(r.p0f_detail ? { detail: text(r.p0f_detail) } : {}),
          ...(r.p0f_link ? { link: text(r.p0f_link) } : {}),
          ...(uptime !== undefined && uptime >= 0 ? { uptime_s: uptime } : {}),
          ...(dist !== undefined && dist >= 0 ? { distance: dist } : {}),
          ...(num(r.p0f_nat) !== undefined ? { nat: r.p0f_nat !== 0 } : {}),
          ...(num(r.p0f_fw) !== undefined ? { firewall: r.p0f_fw !== 0 } : {}),
        },
        r,
        'p0fs',
        id,
        own(r, ['p0f', 'connection', 'p0f_genre', 'p0f_link', 'p0f_detail', 'p0f_uptime', 'p0f_tos', 'p0f_dist', 'p0f_nat', 'p0f_fw']),
        at,
      );
    });
    for (const t of ['sip_commands', 'mqtt_fingerprints', 'mqtt_publish_commands', 'mqtt_subscribe_commands', 'virustotals']) {
      if (!tables.has(t)) continue;
      const c = (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
      for (let i = 0; i < c; i++) {
        report.records++;
        report.none(`${t} row (not mapped yet)`);
      }
    }
  }
}

function lookup(db: Database.Database, tables: Set<string>): { name(uuid: string): string | undefined; op(uuid: string, opnum: number): { name?: string; vuln?: string } | undefined } {
  const names = new Map<string, string>();
  const ops = new Map<string, { name?: string; vuln?: string }>();
  if (tables.has('dcerpcservices')) {
    for (const r of db.prepare('SELECT dcerpcservice AS id, dcerpcservice_uuid AS uuid, dcerpcservice_name AS name FROM dcerpcservices').iterate() as IterableIterator<{ id: number; uuid: string; name: string }>) {
      names.set(String(r.uuid).toLowerCase(), r.name);
      if (tables.has('dcerpcserviceops')) {
        for (const o of db.prepare('SELECT dcerpcserviceop_opnum AS opnum, dcerpcserviceop_name AS name, dcerpcserviceop_vuln AS vuln FROM dcerpcserviceops WHERE dcerpcservice = ?').all(r.id) as { opnum: number; name: string; vuln: string }[]) {
          ops.set(`${String(r.uuid).toLowerCase()}:${o.opnum}`, { ...(o.name ? { name: o.name } : {}), ...(o.vuln ? { vuln: o.vuln } : {}) });
        }
      }
    }
  }
  return {
    name: (uuid) => names.get(uuid.toLowerCase()) ?? knownVuln(uuid)?.service,
    op: (uuid, opnum) => {
      const o = ops.get(`${uuid.toLowerCase()}:${opnum}`);
      if (o) return o;
      const k = knownOp(uuid, opnum);
      return k ? { name: k[0], ...(k[1] ? { vuln: k[1] } : {}) } : undefined;
    },
  };
}

function clampPort(v: unknown): number {
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : 0;
}

/** A column that may be TEXT or BLOB -> text (BLOBs decoded as UTF-8). */
function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return String(v);
}

/** A row made JSON-safe (BLOBs as UTF-8 text). */
function plain(r: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) if (k !== '_rowid') out[k] = Buffer.isBuffer(v) ? v.toString('utf8') : v;
  return out;
}
