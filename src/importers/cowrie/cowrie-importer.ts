// `apiary import cowrie`: Cowrie JSON logs of every era (plain or gzip, rotated sets in order) mapped
// onto the event catalogue; a file that is Cowrie's text log (cowrie.log) goes to the text importer.
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { EventSource } from '../../events/catalogue.js';
import {
  BoundedMap,
  cleanSensor,
  derivedSession,
  EventStream,
  importLines,
  MAX_OPEN_SESSIONS,
  OccurrenceCounter,
  sqliteGivenAsLog,
  type BatchWriter,
  type Envelope,
  type FileReport,
  type Peer,
  type ImportRun,
} from '../core/import-core.js';
import { TextLogRun, looksLikeTextLog, looksLikeTtyLog, type TextLogOptions } from '../kippo/text-log-importer.js';
import { dataBytes, decodeCowrieLine, durationMs, int, str, strArray, stripRepr, type CowrieRecord } from './cowrie-json.js';

/** Bytes of tunnelled data kept as hex in a tunnel.request. */
export const MAX_TUNNEL_SAMPLE_BYTES = 256;
/** Bytes of a malformed packet kept as hex. */
export const MAX_MALFORMED_SAMPLE_BYTES = 64;

/** Events Cowrie writes that are about plugins or proxy plumbing, not the attacker: no event of ours. */
const OPERATIONAL = /^(proxy\.|reversedns\.|greynoise\.|virustotal\.|urlhaus\.|abuseipdb\.|telnet\.option|telnet\.error|direct-tcpip\.(redirect|tunnel|ja4|ja4h)$|tunnelproxy-tcpip\.)/;

/** Fields of Apiary's own events that Cowrie's format has no place for (written by the cowrie_json output). */
export interface ApiaryExtras {
  method?: string;
  known?: boolean;
  reason?: string;
  bytes_in?: number;
  bytes_out?: number;
  transport?: string;
  comments?: string;
  outcome?: string;
  size?: number;
  md5?: string;
  path?: string;
  malformed_reason?: string;
  format?: string;
  state?: string;
  sha256?: string;
  term?: string;
}

export class CowrieRun implements ImportRun {
  private readonly stream: EventStream;
  private readonly sessions = new BoundedMap<string, Peer>(MAX_OPEN_SESSIONS);
  private readonly occurrences = new OccurrenceCounter();
  private readonly text: TextLogRun;
  private readonly emit: EventStream['emit'];

  constructor(private readonly writer: BatchWriter, private readonly opts: TextLogOptions) {
    this.stream = new EventStream(writer);
    this.emit = this.stream.emit.bind(this.stream);
    this.text = new TextLogRun('cowrie.log', writer, opts);
  }

  async importFile(path: string): Promise<FileReport> {
    if (looksLikeTextLog(path) || looksLikeTtyLog(path)) return this.text.importFile(path);
    const file = basename(path);
    return importLines(path, this.stream, this.writer, this.opts, async (l, where, report) => {
      const d = decodeCowrieLine(l.text);
      if (d.kind === 'malformed' && l.n === 1 && !l.text.trimStart().startsWith('{')) {
        // Not JSON lines at all: one clear message instead of a skip per line.
        report.fatal = sqliteGivenAsLog(l.text, 'a Cowrie log') ?? 'not a Cowrie JSON log, cowrie.log or TTY log (the first line is not a JSON object)';
        return;
      }
      if (d.kind !== 'ok') {
        report.skipRecord(d.kind === 'unknown' ? 'unknown event id' : l.unterminated && d.reason === 'truncated JSON line' ? 'truncated last line' : d.reason, where, l.text);
        return;
      }
      await this.handle(d.record, l.text, { format: 'cowrie.json', file, line: l.n, record: d.record.fields }, where);
    });
  }

  async finish(): Promise<void> {
    await this.stream.releaseAll();
    await this.text.finish();
    await this.writer.flush();
  }

  private sensorOf(r: CowrieRecord): string {
    return this.opts.sensor ?? cleanSensor(r.fields.sensor) ?? 'cowrie';
  }

  private async handle(r: CowrieRecord, raw: string, source: EventSource, where: string): Promise<void> {
    const f = r.fields;
    const report = this.stream.report;
    const sensor = this.sensorOf(r);
    const logSession = str(f.session) ?? (typeof f.session === 'number' ? String(f.session) : undefined);
    if (logSession === undefined) {
      // Plugin bookkeeping (abuseipdb...) has no session: nothing an attacker did.
      if (OPERATIONAL.test(r.id)) report.none(`cowrie.${r.id} (operational, no attacker activity)`);
      else report.skipRecord(`cowrie.${r.id} without a session`, where, raw);
      return;
    }
    const stateKey = `${sensor}\0${logSession}`;
    // Same key for a re-import; identical lines at the same instant get distinct keys.
    const key = this.occurrences.key(String(r.timeMs), raw.trim());

    if (r.id !== 'command.failed' && r.id !== 'command.success') await this.stream.release(stateKey);

    let st = this.sessions.get(stateKey);
    if (r.id === 'session.connect' || !st) {
      const src_ip = str(f.src_ip);
      if (src_ip === undefined) {
        report.skipRecord(`cowrie.${r.id} without src_ip`, where, raw);
        return;
      }
      const tunnel = r.id.startsWith('direct-tcpip');
      const dst_port = tunnel ? 0 : (int(f.dst_port) ?? 0);
      const protocol = str(f.protocol) ?? (dst_port === 23 || dst_port === 2223 ? 'telnet' : 'ssh');
      st = {
        session: /^[0-9a-f]{16}$/.test(logSession) ? logSession : derivedSession('cowrie', sensor, logSession),
        protocol: protocol.slice(0, 32) || 'ssh',
        src_ip,
        src_port: tunnel ? 0 : (int(f.src_port) ?? 0),
        dst_ip: tunnel ? '0.0.0.0' : (str(f.dst_ip) ?? '0.0.0.0'),
        dst_port,
      };
      this.sessions.set(stateKey, st);
    }
    const env: Envelope = { timeMs: r.timeMs, sensor, ...st };
    const x = (f.apiary && typeof f.apiary === 'object' ? f.apiary : {}) as ApiaryExtras;
    const emit = this.emit;

    switch (r.id) {
      case 'session.connect':
        await emit('connection.open', { transport: x.transport === 'udp' ? 'udp' : 'tcp' }, env, key, source, where);
        return;
      case 'session.closed': {
        this.sessions.delete(stateKey);
        const reason = (['client', 'idle_timeout', 'login_timeout', 'session_timeout', 'shutdown', 'error', 'policy'] as const).find((v) => v === x.reason) ?? 'client';
        await emit('connection.close', { duration_ms: durationMs(f) ?? 0, bytes_in: x.bytes_in ?? 0, bytes_out: x.bytes_out ?? 0, reason }, env, key, source, where);
        return;
      }
      case 'client.version': {
        const version = stripRepr(str(f.version) ?? '');
        await emit('client.version', { version, ...(x.comments !== undefined ? { comments: x.comments } : {}) }, env, key, source, where);
        // Cowrie 1.x put the client's KEX offer inside client.version (before client.kex existed).
        if (Array.isArray(f.kexAlgs)) await this.emitKex(f, env, `${key}#kex`, source, where);
        return;
      }
      case 'client.kex':
        await this.emitKex(f, env, key, source, where);
        return;
      case 'client.size':
        await emit('client.size', { width: int(f.width) ?? 0, height: int(f.height) ?? 0, ...(typeof x.term === 'string' ? { term: x.term } : {}) }, env, key, source, where);
        return;
      case 'client.var':
        await emit('client.env', { name: stripRepr(str(f.name) ?? '', true), value: stripRepr(str(f.value) ?? '', true) }, env, key, source, where);
        return;
      case 'client.fingerprint':
        await emit(
          'auth.attempt',
          { method: 'publickey', username: str(f.username) ?? '', ...keyFields(f), success: false },
          env,
          key,
          source,
          where,
        );
        return;
      case 'client.malformed_packet': {
        const sample = Buffer.from(str(f.data) ?? '', 'hex').subarray(0, MAX_MALFORMED_SAMPLE_BYTES);
        await emit('protocol.malformed', { reason: x.malformed_reason ?? `malformed SSH packet (message ${int(f.messagenum) ?? '?'})`, sample_hex: sample.toString('hex') }, env, key, source, where);
        return;
      }
      case 'login.success':
      case 'login.failed': {
        const pubkey = f.fingerprint !== undefined || f.key !== undefined;
        const method = (x.method as 'password' | undefined) ?? (pubkey ? 'publickey' : 'password');
        const password = str(f.password);
        await emit(
          'auth.attempt',
          {
            method,
            username: str(f.username) ?? '',
            ...(password !== undefined ? { password } : {}),
            ...(pubkey ? keyFields(f) : {}),
            success: r.id === 'login.success',
          },
          env,
          key,
          source,
          where,
        );
        return;
      }
      case 'command.input':
        await this.stream.holdCommand(stateKey, str(f.input) ?? '', env, key, source, where);
        if (x.known !== undefined) this.stream.foldCommandResult(stateKey, x.known, { apiary: x });
        return;
      case 'command.failed':
      case 'command.success': {
        const known = r.id === 'command.success';
        if (this.stream.foldCommandResult(stateKey, known, f)) {
          report.none(`cowrie.${r.id} (folded into its command.input)`);
          return;
        }
        // The 2015 era (COW0005/COW0006) logged only these: each is the command line itself.
        await emit('command.input', { input: str(f.input) ?? '', known }, env, key, source, where);
        return;
      }
      case 'command.chpasswd':
      case 'session.input':
        await emit('command.stdin', { realm: str(f.realm) ?? 'chpasswd', input: str(f.input) ?? str(f.username) ?? '' }, env, key, source, where);
        return;
      case 'session.params':
        await emit('session.params', { arch: str(f.arch) ?? '' }, env, key, source, where);
        return;
      case 'session.file_download': {
        const sha = shaOf(f);
        const outcome = x.outcome as 'stored' | undefined;
        await emit(
          'file.download',
          {
            ...(str(f.url) !== undefined ? { url: str(f.url) } : {}),
            ...(sha ? { sha256: sha } : {}),
            ...(x.md5 !== undefined ? { md5: x.md5 } : {}),
            ...(x.size !== undefined ? { size: x.size } : {}),
            ...(str(f.destfile) !== undefined ? { path: str(f.destfile) } : x.path !== undefined ? { path: x.path } : {}),
            outcome: outcome ?? (f.duplicate === true ? 'duplicate' : 'stored'),
            ...(x.reason !== undefined ? { reason: x.reason } : {}),
          },
          env,
          key,
          source,
          where,
        );
        return;
      }
      case 'session.file_download.failed':
        await emit(
          'file.download',
          {
            ...(str(f.url) !== undefined ? { url: str(f.url) } : {}),
            ...(x.sha256 !== undefined ? { sha256: x.sha256 } : {}),
            ...(x.md5 !== undefined ? { md5: x.md5 } : {}),
            ...(x.size !== undefined ? { size: x.size } : {}),
            ...(x.path !== undefined ? { path: x.path } : {}),
            outcome: (x.outcome as 'failed' | undefined) ?? 'failed',
            ...(str(f.error) !== undefined ? { reason: str(f.error) } : {}),
          },
          env,
          key,
          source,
          where,
        );
        return;
      case 'session.file_upload': {
        const sha = shaOf(f);
        if (!sha) {
          report.skipRecord('cowrie.session.file_upload without a SHA-256', where, raw);
          return;
        }
        await emit(
          'file.upload',
          { filename: str(f.filename) ?? str(f.destfile) ?? '', sha256: sha, size: x.size ?? 0, outcome: (x.outcome as 'stored' | undefined) ?? (f.duplicate === true ? 'duplicate' : 'stored') },
          env,
          key,
          source,
          where,
        );
        return;
      }
      case 'log.open':
      case 'log.closed': {
        const sha = /^[0-9a-f]{64}$/.test(str(f.shasum) ?? '') ? str(f.shasum) : undefined;
        const size = int(f.size);
        const dur = durationMs(f);
        await emit(
          'session.recording',
          {
            state: x.state === 'stored' ? 'stored' : r.id === 'log.open' ? 'open' : 'closed',
            path: str(f.ttylog) ?? '',
            format: x.format === 'asciicast' ? 'asciicast' : 'ttylog',
            ...(sha ? { sha256: sha } : {}),
            ...(size !== undefined ? { size } : {}),
            ...(dur !== undefined ? { duration_ms: dur } : {}),
          },
          env,
          key,
          source,
          where,
        );
        return;
      }
      case 'direct-tcpip.request':
      case 'direct-tcpip.data': {
        const data = r.id === 'direct-tcpip.data' ? dataBytes(f.data).subarray(0, MAX_TUNNEL_SAMPLE_BYTES) : undefined;
        const origIp = str(f.orig_ip);
        const origPort = int(f.orig_port);
        await emit(
          'tunnel.request',
          {
            target_host: str(f.dst_ip) ?? '',
            target_port: int(f.dst_port) ?? 0,
            ...(origIp !== undefined ? { orig_ip: origIp } : {}),
            ...(origPort !== undefined ? { orig_port: origPort } : {}),
            ...(data ? { first_bytes_hex: data.toString('hex') } : {}),
          },
          env,
          key,
          source,
          where,
        );
        return;
      }
      case 'telnet.exploit_attempt':
      case 'telnet.exploit_success':
        await emit(
          'exploit.attempt',
          { name: r.id === 'telnet.exploit_success' ? 'telnet USER=-f login bypass (succeeded)' : 'telnet USER=-f login bypass', ...(str(f.cve) ? { cve: str(f.cve) } : {}), detail: JSON.stringify({ name: f.name, value: f.value, username: f.username, attempted_command: f.attempted_command }).slice(0, 1024) },
          env,
          key,
          source,
          where,
        );
        return;
      default:
        if (OPERATIONAL.test(r.id)) report.none(`cowrie.${r.id} (operational, no attacker activity)`);
        else report.skipRecord(`cowrie.${r.id} has no mapping`, where, raw);
    }
  }

  private async emitKex(f: Record<string, unknown>, env: Envelope, key: string, source: EventSource, where: string): Promise<void> {
    const kex = strArray(f.kexAlgs) ?? [];
    const enc = strArray(f.encCS) ?? [];
    const mac = strArray(f.macCS) ?? [];
    const comp = strArray(f.compCS) ?? [];
    // HASSH = md5("kex;enc;mac;comp"); Cowrie 1.x logged the lists before it logged the hash.
    const algorithms = str(f.hasshAlgorithms) ?? [kex, enc, mac, comp].map((l) => l.join(',')).join(';');
    const hassh = str(f.hassh) ?? createHash('md5').update(algorithms).digest('hex');
    await this.stream.emit(
      'client.kex',
      { hassh, hassh_algorithms: algorithms, kex_algs: kex, key_algs: strArray(f.keyAlgs) ?? [], enc_cs: enc, mac_cs: mac, comp_cs: comp },
      env,
      key,
      source,
      where,
    );
  }
}

function shaOf(f: Record<string, unknown>): string | undefined {
  const s = str(f.shasum) ?? str(f.sha256);
  return s && /^[0-9a-f]{64}$/.test(s) ? s : undefined;
}

function keyFields(f: Record<string, unknown>): { key_type?: string; key_fingerprint?: string } {
  const out: { key_type?: string; key_fingerprint?: string } = {};
  const t = str(f.type);
  const fp = str(f.fingerprint);
  if (t !== undefined) out.key_type = t;
  if (fp !== undefined) out.key_fingerprint = fp;
  return out;
}
