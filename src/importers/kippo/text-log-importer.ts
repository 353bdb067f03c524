// Imports Twisted text logs (Kippo's kippo.log, Cowrie's cowrie.log) and Kippo/Cowrie binary TTY logs:
// sessions from the transport context, logins, commands found and not found, downloads, client
// versions, terminal sizes, env requests and TTY log names; TTY logs become asciicast v2 recordings.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { EventSource } from '../../events/catalogue.js';
import {
  BoundedMap,
  derivedSession,
  EventStream,
  FileReport,
  MAX_OPEN_SESSIONS,
  importLines,
  OccurrenceCounter,
  rotationOf,
  sqliteGivenAsLog,
  type BatchWriter,
  type Envelope,
  type Peer,
  type ImportOptions,
  type ImportRun,
} from '../core/import-core.js';
import { peekText } from '../core/lines.js';
import { stripRepr } from '../cowrie/cowrie-json.js';
import { decodeEnvRequest, decodeLoginAttempt, decodeNewConnection, decodeTwistedLine, transportOf } from './twisted-log.js';
import { MAX_TTYLOG_BYTES } from './ttylog.js';
import { saveRecording } from './recordings.js';
import { importKippoDump, looksLikeSqlDump } from './kippo-mysql-importer.js';

/** Sniffs the first bytes: a Twisted log line starts with a date. */
export function looksLikeTextLog(path: string): boolean {
  return /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}/.test(peekText(path, 256));
}

/** Sniffs a binary TTY log: the first record header is plausible (OPEN or WRITE, sane length). */
export function looksLikeTtyLog(path: string): boolean {
  const h = readHead(path, 24);
  if (h.length < 24) return false;
  const op = h.readInt32LE(0);
  const len = h.readInt32LE(8);
  const dir = h.readInt32LE(12);
  return op >= 1 && op <= 4 && len >= 0 && len < 1 << 20 && dir >= 0 && dir <= 3;
}

function readHead(path: string, n: number): Buffer {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const b = Buffer.alloc(n);
    const got = readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } catch {
    return Buffer.alloc(0);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

interface Session extends Peer {
  startMs: number;
  method?: 'password' | 'keyboard-interactive' | 'publickey' | 'none';
  error?: boolean;
  width?: number;
  height?: number;
}

/** What the TTY importer needs to know about the session a recording belongs to. */
export interface RecordingOwner {
  env: Peer & { sensor: string };
  width?: number;
  height?: number;
}

type Format = 'kippo.log' | 'cowrie.log';

/** Connections from one address waiting for their transport's first line (cowrie.log). */
export const MAX_UNBOUND_PER_IP = 64;

export interface TextLogOptions extends ImportOptions {
  /** Finds the session that opened a TTY log (by its file name) among events already stored. */
  findRecording?: (name: string) => Promise<RecordingOwner | undefined>;
}

export class TextLogRun implements ImportRun {
  private readonly stream: EventStream;
  private readonly sessions = new BoundedMap<string, Session>(MAX_OPEN_SESSIONS);
  private readonly recordings = new BoundedMap<string, RecordingOwner>(MAX_OPEN_SESSIONS);
  private readonly occurrences = new OccurrenceCounter();
  /** The rotated set the last file belonged to. */
  private set: string | undefined;
  /** Cowrie connections announced but not yet seen on a transport, by source address. */
  private readonly unbound = new BoundedMap<string, Session[]>(MAX_OPEN_SESSIONS);
  /** The last message's session and text, for the tab-indented "reason:" line that follows it. */
  private last: { stateKey: string; message: string; env: Envelope; key: string; source: EventSource; where: string } | undefined;

  constructor(
    private readonly format: Format,
    private readonly writer: BatchWriter,
    private readonly opts: TextLogOptions,
  ) {
    this.stream = new EventStream(writer);
  }

  private get sensor(): string {
    return this.opts.sensor ?? (this.format === 'kippo.log' ? 'kippo' : 'cowrie');
  }

  async importFile(path: string): Promise<FileReport> {
    if (!looksLikeTextLog(path)) {
      if (looksLikeTtyLog(path)) return this.importTty(path);
      if (this.format === 'kippo.log' && looksLikeSqlDump(peekText(path))) return importKippoDump(path, this.stream, this.writer, this.opts);
    }
    const file = basename(path);
    // Session numbers only continue within one rotated set: another log starts from a clean slate.
    const set = rotationOf(path).base;
    if (set !== this.set) await this.forgetSessions();
    this.set = set;
    let seenLogLine = false;
    return importLines(path, this.stream, this.writer, this.opts, async (l, where, report) => {
      const d = decodeTwistedLine(l.text);
      if (d.kind === 'malformed') {
        // A file of another format gives one clear message, not a skip per line.
        if (!seenLogLine && l.n === 1) report.fatal = /^\s*\{/.test(l.text) ? 'this is JSON, not a Twisted text log; Cowrie JSON logs are imported with "apiary import cowrie"' : sqliteGivenAsLog(l.text, `a ${this.format === 'kippo.log' ? 'Kippo' : 'Cowrie'} log`) ?? `not a ${this.format === 'kippo.log' ? 'Kippo' : 'Cowrie'} text log, TTY log or MySQL dump (the first line has no "TIMESTAMP [CONTEXT]" prefix)`;
        else report.skipRecord(d.reason, where, l.text);
      } else if (d.kind === 'continuation') {
        report.records--;
        await this.continuation(d.text);
      } else {
        seenLogLine = true;
        await this.message(d.timeMs, d.stamp, d.context, d.message, l.text, { format: this.format, file, line: l.n, record: { line: l.text } }, where);
      }
    });
  }

  async finish(): Promise<void> {
    await this.stream.releaseAll();
    await this.writer.flush();
  }

  /** The honeypot restarted (or another log begins): its connection numbers start again. */
  private async forgetSessions(): Promise<void> {
    await this.stream.releaseAll();
    this.sessions.clear();
    this.unbound.clear();
  }

  private async continuation(text: string): Promise<void> {
    const last = this.last;
    if (!last) return;
    // "Disconnecting with error, code 2" + "\treason: bad packet length 1886872589": bytes that are not SSH.
    if (/^Disconnecting with error/.test(last.message) && /^reason: bad packet length/.test(text)) {
      (last.source.merged ??= []).push({ line: `\t${text}` });
      await this.stream.emit('protocol.malformed', { reason: text.slice('reason: '.length), sample_hex: '' }, last.env, `${last.key}#malformed`, last.source, last.where);
    }
    this.last = undefined;
  }

  private async message(timeMs: number, stamp: string, context: string, rawMessage: string, raw: string, source: EventSource, where: string): Promise<void> {
    const report = this.stream.report;
    const message = rawMessage.replace(/^:dispatch: /, '');
    const key = this.occurrences.key(stamp, raw);
    const sensor = this.sensor;
    this.last = undefined;

    const conn = decodeNewConnection(message);
    if (conn) {
      const s: Session = {
        // Kippo numbers restart with each run, so the start time is part of the key; Cowrie's hex ids
        // give the same session as its JSON log would.
        session: /^\d+$/.test(conn.id) ? derivedSession(this.format, sensor, `${conn.id}@${timeMs}`) : derivedSession('cowrie', sensor, conn.id),
        protocol: /telnet/i.test(context) ? 'telnet' : 'ssh',
        src_ip: conn.src_ip,
        src_port: conn.src_port,
        dst_ip: conn.dst_ip,
        dst_port: conn.dst_port,
        startMs: timeMs,
      };
      if (/^\d+$/.test(conn.id)) {
        // Kippo: the session number is the transport's number in the context of later lines.
        const stateKey = `${sensor}\0${conn.id}`;
        await this.stream.release(stateKey);
        this.sessions.set(stateKey, s);
      } else {
        // Cowrie: a hex session id, while later lines carry the transport's number: the first
        // unknown transport from the same address takes it.
        const waiting = this.unbound.get(conn.src_ip) ?? [];
        if (waiting.length < MAX_UNBOUND_PER_IP) waiting.push(s);
        this.unbound.set(conn.src_ip, waiting);
      }
      await this.stream.emit('connection.open', { transport: 'tcp' }, { timeMs, sensor, ...envOf(s) }, key, source, where);
      return;
    }
    const t = transportOf(context);
    if (!t) {
      // Twisted's first line after a (re)start: Kippo numbers connections from 0 again.
      if (message === 'Log opened.') await this.forgetSessions();
      report.none('honeypot housekeeping line (no session)');
      return;
    }
    const stateKey = `${sensor}\0${t.id}`;
    let s = this.sessions.get(stateKey);
    if (!s) {
      const waiting = this.unbound.get(t.ip);
      s = waiting?.shift();
      if (waiting?.length === 0) this.unbound.delete(t.ip);
      if (s) this.sessions.set(stateKey, s);
    }
    if (!s) {
      // The file starts inside a session whose "New connection" line is in an older (unread) file.
      s = { session: derivedSession(this.format, sensor, `${t.id}@orphan@${t.ip}@${timeMs}`), protocol: t.protocol, src_ip: t.ip, src_port: 0, dst_ip: '0.0.0.0', dst_port: 0, startMs: timeMs };
      this.sessions.set(stateKey, s);
    }
    const env: Envelope = { timeMs, sensor, ...envOf(s) };
    const found = /^Command (not )?found: ([\s\S]*)$/.exec(message);
    if (found) {
      const known = found[1] === undefined;
      if (this.stream.foldCommandResult(stateKey, known, { line: raw })) report.none(`"Command ${known ? '' : 'not '}found" (folded into its CMD line)`);
      else await this.stream.emit('command.input', { input: found[2]!, known }, env, key, source, where);
      return;
    }
    await this.stream.release(stateKey);

    let m: RegExpExecArray | null;
    const login = decodeLoginAttempt(message);
    if (login) {
      await this.stream.emit('auth.attempt', { method: s.method ?? 'password', username: login.username, password: login.password, success: login.success }, env, key, source, where);
    } else if (message.startsWith('CMD: ')) {
      await this.stream.holdCommand(stateKey, message.slice(5), env, key, source, where);
    } else if ((m = /^Executing command "([\s\S]*)"$/.exec(message))) {
      await this.stream.holdCommand(stateKey, m[1]!, env, key, source, where);
    } else if ((m = /^Remote SSH version: ([\s\S]*)$/.exec(message))) {
      await this.stream.emit('client.version', { version: stripRepr(m[1]!) }, env, key, source, where);
    } else if ((m = /^\S+ trying auth (none|password|keyboard-interactive|publickey)$/.exec(message))) {
      s.method = m[1] as Session['method'];
      report.none('"trying auth" (the method is kept on the login attempt)');
    } else if ((m = /^Terminal size: (\d{1,6}) (\d{1,6})$/.exec(message))) {
      s.height = Number(m[1]);
      s.width = Number(m[2]);
      await this.stream.emit('client.size', { width: s.width, height: s.height }, env, key, source, where);
    } else if (message.startsWith('request_env: ')) {
      const e = decodeEnvRequest(message);
      if (e) await this.stream.emit('client.env', e, env, key, source, where);
      else report.skipRecord('request_env that does not decode', where, raw);
    } else if ((m = /^INPUT \((\w+)\): ([\s\S]*)$/.exec(message))) {
      await this.stream.emit('command.stdin', { realm: m[1]!, input: m[2]! }, env, key, source, where);
    } else if ((m = /^Opening TTY [Ll]og: ([\s\S]+)$/.exec(message))) {
      this.recordings.set(basename(m[1]!), { env: { ...envOf(s), sensor }, ...(s.width ? { width: s.width, height: s.height } : {}) });
      await this.stream.emit('session.recording', { state: 'open', path: m[1]!, format: 'ttylog' }, env, key, source, where);
    } else if ((m = /^Closing TTY [Ll]og: (\S+) after (\d+) seconds?$/.exec(message))) {
      this.recordings.set(basename(m[1]!), { env: { ...envOf(s), sensor }, ...(s.width ? { width: s.width, height: s.height } : {}) });
      await this.stream.emit('session.recording', { state: 'closed', path: m[1]!, format: 'ttylog', duration_ms: Number(m[2]) * 1000 }, env, key, source, where);
    } else if ((m = /^Saving URL \(([\s\S]*)\) to ([\s\S]*)$/.exec(message))) {
      await this.stream.emit('file.download', { url: m[1]!, path: m[2]!, outcome: 'stored' }, env, key, source, where);
    } else if ((m = /^Not saving URL \(([\s\S]*)\) due to file size limit$/.exec(message))) {
      await this.stream.emit('file.download', { url: m[1]!, outcome: 'refused', reason: 'larger than the download size limit' }, env, key, source, where);
    } else if (/^[Cc]onnection lost( after \d+ seconds?)?$/.test(message)) {
      this.sessions.delete(stateKey);
      await this.stream.emit('connection.close', { duration_ms: Math.max(0, timeMs - s.startMs), bytes_in: 0, bytes_out: 0, reason: s.error ? 'error' : 'client' }, env, key, source, where);
    } else if (/^Disconnecting with error/.test(message)) {
      s.error = true;
      report.none('"Disconnecting with error" (kept as the close reason)');
      this.last = { stateKey, message, env, key, source, where };
    } else {
      report.none('protocol detail line (no attacker activity to record)');
    }
  }

  /** A binary TTY log: converted to DATA_DIR/recordings/SESSION.cast and recorded as session.recording. */
  async importTty(path: string): Promise<FileReport> {
    const report = new FileReport(path);
    this.stream.report = report;
    const storedBefore = this.writer.stored;
    const writtenBefore = this.writer.written;
    const size = statSync(path).size;
    report.records = 1;
    if (size > MAX_TTYLOG_BYTES) {
      report.skipRecord(`TTY log larger than ${MAX_TTYLOG_BYTES} bytes`, 'file');
      return report;
    }
    const buf = readFileSync(path);
    const sha = createHash('sha256').update(buf).digest('hex');
    const name = basename(path);
    const owner = this.recordings.get(name) ?? (await this.opts.findRecording?.(name));
    const sensor = this.opts.sensor ?? owner?.env.sensor ?? this.sensor;
    const env: Peer & { sensor: string } = owner?.env ?? {
      sensor,
      session: derivedSession('ttylog', sensor, sha),
      protocol: 'ssh',
      src_ip: '0.0.0.0',
      src_port: 0,
      dst_ip: '0.0.0.0',
      dst_port: 0,
    };
    const saved = saveRecording(this.opts.recordingsDir, env.session, buf, `${env.session} (${name})`, { size: owner });
    if (!saved.ok) {
      report.skipRecord(saved.reason, 'file');
      return report;
    }
    if (saved.problem) report.skipRecord(saved.problem, 'file');
    if (!owner) report.none('recording not linked to a session (import the log that opened it first, or with it)');
    const source: EventSource = { format: 'ttylog', file: name, record: { sha256: sha, bytes: buf.length, records: saved.records } };
    await this.stream.emit(
      'session.recording',
      { state: 'stored', path: saved.path, format: 'asciicast', sha256: sha, size: buf.length, duration_ms: saved.durationMs },
      { ...env, sensor: this.opts.sensor ?? env.sensor, timeMs: saved.startMs },
      `ttylog:${sha}`,
      source,
      'file',
    );
    await this.writer.flush();
    report.stored = this.writer.stored - storedBefore;
    report.duplicates = this.writer.written - writtenBefore - report.stored;
    return report;
  }
}

function envOf(s: Session): Peer {
  return { session: s.session, protocol: s.protocol, src_ip: s.src_ip, src_port: s.src_port, dst_ip: s.dst_ip, dst_port: s.dst_port };
}
