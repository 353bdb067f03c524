// Dionaea's JSON outputs: log_json (one object per connection, written when it closes) and
// log_incident (one object per incident), both as JSON lines, plain or gzip.
import { basename } from 'node:path';
import type { EventSource, EventType, Payload } from '../../events/catalogue.js';
import { derivedSession, EventStream, importLines, OccurrenceCounter, parseTimestamp, type BatchWriter, type Envelope, type FileReport, type ImportOptions, type ImportRun } from '../core/import-core.js';
import { bulletinCve, knownOp, knownVuln, normaliseBulletin, protocolName } from './dionaea-names.js';
import { decodeEmuProfile } from './emu-profile.js';

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const s = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const port = (v: unknown): number => {
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : 0;
};

export class DionaeaJsonRun implements ImportRun {
  private readonly stream: EventStream;
  private readonly occurrences = new OccurrenceCounter();

  constructor(private readonly writer: BatchWriter, private readonly opts: ImportOptions) {
    this.stream = new EventStream(writer);
  }

  async finish(): Promise<void> {
    await this.writer.flush();
  }

  async importFile(path: string): Promise<FileReport> {
    const file = basename(path);
    let sawJson = false;
    return importLines(path, this.stream, this.writer, this.opts, async (l, where, report) => {
      let v: unknown;
      try {
        v = JSON.parse(l.text);
      } catch {
        if (!sawJson) report.fatal = 'neither a Dionaea logsql SQLite database nor Dionaea log_json / log_incident JSON lines';
        else report.skipRecord('invalid JSON', where, l.text);
        return;
      }
      const o = obj(v);
      if (!sawJson && typeof o.eventid === 'string') {
        report.fatal = 'this is a Cowrie JSON log; import it with "apiary import cowrie"';
        return;
      }
      sawJson = true;
      const source: EventSource = { format: 'dionaea.json', file, line: l.n, record: o };
      const key = this.occurrences.key(s(o.timestamp), l.text);
      if (typeof o.origin === 'string') await this.incident(o, key, source, where);
      else if (o.connection && typeof o.src_ip === 'string') await this.connection(o, key, source, where);
      else report.skipRecord('JSON line is neither a log_json connection nor a log_incident incident', where, l.text);
    });
  }

  private get sensor(): string {
    return this.opts.sensor ?? 'dionaea';
  }

  /** log_json: one connection with its credentials, FTP commands and p0f result. */
  private async connection(o: Obj, key: string, source: EventSource, where: string): Promise<void> {
    const c = obj(o.connection);
    const timeMs = parseTimestamp(s(o.timestamp));
    const proto = s(c.protocol);
    const env: Envelope = {
      timeMs,
      sensor: this.sensor,
      session: derivedSession('dionaea', this.sensor, `${s(o.src_ip)}:${s(o.src_port)}>${s(o.dst_ip)}:${s(o.dst_port)}@${s(o.timestamp)}`),
      protocol: protocolName(proto),
      src_ip: s(o.src_ip) || '0.0.0.0',
      src_port: port(o.src_port),
      dst_ip: s(o.dst_ip) || '0.0.0.0',
      dst_port: port(o.dst_port),
    };
    // Events of one line share its timestamp; SEQ keeps them in the order the line lists them.
    let seq = 0;
    const emit = <T extends EventType>(type: T, p: Payload<T>, k: string): Promise<boolean> => this.stream.emit(type, p, env, `${key}#${k}`, source, where, seq++);
    await emit('connection.open', { transport: c.transport === 'udp' ? 'udp' : 'tcp' }, 'open');
    // Credentials as a list of {username, password}, or with flat_data as {username: [...], password: [...]}.
    const cred = o.credentials;
    const pairs: [string, string][] = Array.isArray(cred)
      ? cred.map((x) => [s(obj(x).username), s(obj(x).password)])
      : Array.isArray(obj(cred).username)
        ? (obj(cred).username as unknown[]).map((u, i) => [s(u), s((obj(cred).password as unknown[] | undefined)?.[i])])
        : [];
    const accepts = proto === 'mssqld' || proto === 'mysqld';
    for (const [i, [username, password]] of pairs.entries()) await emit('auth.attempt', { method: 'native', username, password, success: accepts }, `cred${i}`);
    const p0f = obj(o.p0f);
    if (typeof p0f.genre === 'string' && p0f.genre !== '') await emit('client.os', { genre: p0f.genre, ...(p0f.detail ? { detail: s(p0f.detail) } : {}) }, 'p0f');
  }

  /** log_incident: {name, origin, timestamp, data: {connection: {...}, ...}}. */
  private async incident(o: Obj, key: string, source: EventSource, where: string): Promise<void> {
    const origin = s(o.origin);
    const data = obj(o.data);
    const c = obj(data.connection);
    const proto = s(c.protocol);
    const env: Envelope = {
      timeMs: parseTimestamp(s(o.timestamp)),
      sensor: this.sensor,
      session: derivedSession('dionaea', this.sensor, s(c.id) || `${s(c.remote_ip)}:${s(c.remote_port)}@${s(o.timestamp)}`),
      protocol: protocolName(proto),
      src_ip: s(c.remote_ip) || '0.0.0.0',
      src_port: port(c.remote_port),
      dst_ip: s(c.local_ip) || '0.0.0.0',
      dst_port: port(c.local_port),
    };
    const emit = <T extends EventType>(type: T, p: Payload<T>, k = ''): Promise<boolean> => this.stream.emit(type, p, env, `${key}#${k}`, source, where, k === '' ? 0 : 1);
    const report = this.stream.report;
    if (/^dionaea\.connection\.(tcp|tls|udp|dtls)\.(accept|connect)$/.test(origin)) {
      await emit('connection.open', { transport: origin.includes('.udp.') ? 'udp' : 'tcp' });
    } else if (origin.endsWith('.dcerpc.bind')) {
      const uuid = s(data.uuid);
      const service = knownVuln(uuid)?.service;
      await emit('rpc.bind', { interface_uuid: uuid, ...(data.transfersyntax ? { transfer_syntax: s(data.transfersyntax) } : {}), ...(service ? { interface: service.toLowerCase() } : {}) });
    } else if (origin.endsWith('.dcerpc.request')) {
      const uuid = s(data.uuid);
      const opnum = Number(data.opnum);
      const known = knownVuln(uuid);
      const op = knownOp(uuid, opnum);
      const vuln = op?.[1] ? normaliseBulletin(op[1]) : undefined;
      await emit('rpc.request', { interface_uuid: uuid, opnum, ...(known ? { interface: known.service.toLowerCase() } : {}), ...(op ? { operation: op[0] } : {}), ...(vuln ? { vuln } : {}) });
      const cve = vuln ? bulletinCve(vuln) : undefined;
      if (vuln) await emit('exploit.attempt', { name: vuln, ...(cve ? { cve } : {}), detail: `${known?.service} ${op?.[0]} (opnum ${opnum})` }, 'exploit');
    } else if (origin === 'dionaea.download.complete.hash') {
      const md5 = s(data.md5hash).toLowerCase();
      await emit('file.download', { url: s(data.url), ...(/^[0-9a-f]{32}$/.test(md5) ? { md5 } : {}), outcome: 'stored' });
    } else if (/\.(mysql|mssql|ftp)\.login$/.test(origin)) {
      await emit('auth.attempt', { method: 'native', username: s(data.username), password: s(data.password), success: !origin.includes('.ftp.') });
    } else if (origin.endsWith('.mysql.command')) {
      const args = Array.isArray(data.args) ? data.args.map(s) : [];
      await emit('query', { query: args.length > 0 ? args.join(' ') : `command ${s(data.command)}` });
    } else if (origin.endsWith('.mssql.cmd')) {
      await emit('query', { query: s(data.cmd) });
    } else if (origin === 'dionaea.module.emu.profile') {
      await emit('shellcode.detected', decodeEmuProfile(typeof data.profile === 'string' ? data.profile : JSON.stringify(data.profile ?? [])));
    } else if (origin.endsWith('.p0f')) {
      await emit('client.os', { genre: s(data.genre), ...(data.detail ? { detail: s(data.detail) } : {}) });
    } else {
      report.none(`${origin.slice(0, 80)} (no attacker activity of its own)`);
    }
  }
}
