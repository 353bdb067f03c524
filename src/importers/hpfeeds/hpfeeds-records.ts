// What Cowrie and Dionaea publish over hpfeeds, as catalogued events. Cowrie's `cowrie.sessions`
// carries one summary per closed session (addresses, times, failed and successful logins, commands,
// URLs, file hashes); Dionaea publishes connections, DCE/RPC requests and captured files as they
// happen, without ids and mostly without times. Every payload is attacker-influenced: parsed once,
// each list and string bounded, and a record that does not fit yields a reason, never an exception.
import { isIP } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { ApiaryEvent, EventType, Payload } from '../../events/catalogue.js';
import { BoundedMap, buildEvent, derivedSession, hashHex, parseTimestamp, type Envelope } from '../core/import-core.js';
import { BULLETIN_CVE, KNOWN_VULNS, normaliseBulletin, PROTOCOLS } from '../dionaea/dionaea-names.js';
import type { SavedRecording } from '../kippo/recordings.js';
import { MAX_TTYLOG_BYTES } from '../kippo/ttylog.js';
import { HPFEEDS_CHANNELS, type HpfeedsChannel } from '../../wire/hpfeeds.js';
import { getOwn } from '../../wire/own-property.js';
import { flatCopy } from '../../wire/flat-copy.js';
import { MAX_REMOTE_SOURCE_BYTES, MAX_REMOTE_SOURCE_DEPTH } from '../../collector/remote-event.js';

/**
 * Channels a feed publishes on that carry nothing to map, taken without an error: Dionaea sends each
 * unique capture's file itself on its own channel (the capture message before it has the hashes).
 */
export const IGNORED_CHANNELS: readonly string[] = ['mwbinary.dionaea.sensorunique'];

/** Most events one message becomes (a session summary lists its logins, commands and URLs); the rest are cut. */
export const MAX_EVENTS_PER_MESSAGE = 10_000;
/** Longest string kept from a record (a command line, a password, a URL); longer ones are cut. */
export const MAX_FIELD_CHARS = 16 * 1024;
/**
 * Longest string kept in an event's `source.record` at first (a command's, so its record keeps what its
 * payload keeps); a longer one is cut and ends in a marker of its length, `…[N chars]`.
 */
export const MAX_SOURCE_STRING_CHARS = MAX_FIELD_CHARS;
/** Items of an array, and keys of an object, kept in `source.record` at first; the rest are counted (`…[N more items]`, key `…`). */
export const MAX_SOURCE_ITEMS = 100;
/**
 * Objects and arrays nested in `source.record`, the record itself the first (the source holds it, so
 * MAX_REMOTE_SOURCE_DEPTH less one); one deeper is kept as its JSON text, cut as a string is.
 */
export const MAX_SOURCE_RECORD_DEPTH = MAX_REMOTE_SOURCE_DEPTH - 1;
/** `source.record` as JSON in UTF-8 bytes at most: MAX_REMOTE_SOURCE_BYTES less room for the source's own keys. */
export const MAX_SOURCE_RECORD_BYTES = MAX_REMOTE_SOURCE_BYTES - 1024;
/** Dionaea connections remembered so that its later DCE/RPC requests and captures join their session. */
export const MAX_REMEMBERED_CONNECTIONS = 50_000;

export interface PublishContext {
  /** The Apiary sensor name the feed's events are stored under. */
  sensor: string;
  /** The feed's hpfeeds ident (kept in each event's source). */
  ident: string;
  /** When the message arrived; Dionaea's connection and DCE/RPC messages carry no time of their own. */
  receivedMs: number;
  /**
   * The message's number in this run: Dionaea's messages have no id, so two identical ones in one
   * millisecond are told apart by it (a Cowrie summary's ids come from its session, so a summary
   * published twice is stored once).
   */
  messageNo?: number;
}

export type MapResult = { ok: true; events: ApiaryEvent[]; cut: number } | { ok: false; reason: string };

type Rec = Record<string, unknown>;

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v.slice(0, MAX_FIELD_CHARS) : undefined);
const port = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && /^\d{1,5}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** An IP literal (Cowrie and Dionaea send nothing else), or undefined: nothing else is kept or remembered. */
const address = (v: unknown): string | undefined => (typeof v === 'string' && v.length <= 64 && isIP(v.replace(/^::ffff:(?=\d+\.)/i, '')) !== 0 ? v : undefined);

/** A time as Cowrie ("2019-04-16T10:12:33.123456Z") or Dionaea ("2019-04-16 10:12:33.123456 UTC +0000") writes it. */
export function feedTime(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.length > 64) return undefined;
  const ms = parseTimestamp(v.replace(/\s+[A-Z]{2,5}(?=\s*[+-]\d{2}:?\d{2}$)/, ''));
  return Number.isFinite(ms) ? ms : undefined;
}

/** Keeps a session's TTY log (Cowrie's binary format) as a replayable recording; the caller's I/O. */
export type SaveTtylog = (session: string, ttylog: Buffer, title: string) => SavedRecording;

/**
 * Cowrie's `ttylog`: hex of its TTY log file, gzipped when `ttylog_compress` is on; undefined when it
 * is not that, or when it is larger than MAX bytes (after decompression: a 130 KB message inflated to
 * 64 MiB, and its recording to 396 MB).
 */
export function ttylogBytes(v: unknown, max = MAX_TTYLOG_BYTES): Buffer | undefined {
  if (typeof v !== 'string' || v.length === 0 || v.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(v)) return undefined;
  const raw = Buffer.from(v, 'hex');
  if (raw[0] !== 0x1f || raw[1] !== 0x8b) return raw.length <= max ? raw : undefined;
  try {
    return gunzipSync(raw, { maxOutputLength: max });
  } catch {
    return undefined;
  }
}

/**
 * Turns hpfeeds messages into events. Holds the Dionaea connections seen last (a bounded map), so a
 * DCE/RPC request or a capture from the same address pair joins the connection's session.
 */
export class HpfeedsMapper {
  /** Session (and protocol, when its connection message named one) by Dionaea connection: sensor, ident and both address pairs. */
  private readonly connections = new BoundedMap<string, { session: string; protocol?: string }>(MAX_REMEMBERED_CONNECTIONS);

  /**
   * SAVE_TTYLOG: where a session's TTY log goes (recordings off: none, and the log is dropped);
   * MAX_TTYLOG: the largest TTY log kept (the recording limit of the process: config `recording.max_bytes`).
   */
  constructor(
    private readonly saveTtylog?: SaveTtylog,
    private readonly maxTtylog = MAX_TTYLOG_BYTES,
  ) {}

  map(channel: string, payload: Buffer, ctx: PublishContext): MapResult {
    if (!(HPFEEDS_CHANNELS as readonly string[]).includes(channel)) return { ok: false, reason: `channel ${channel} is not mapped` };
    let rec: unknown;
    try {
      rec = JSON.parse(payload.toString('utf8'));
    } catch {
      return { ok: false, reason: `${channel}: payload is not JSON` };
    }
    if (!rec || typeof rec !== 'object' || Array.isArray(rec)) return { ok: false, reason: `${channel}: payload is not a JSON object` };
    const out = new EventList(channel as HpfeedsChannel, ctx);
    const r = rec as Rec;
    switch (channel as HpfeedsChannel) {
      case 'cowrie.sessions':
        return out.result(this.session(r, out, ctx));
      case 'dionaea.connections':
        return out.result(this.connection(r, out, ctx));
      case 'dionaea.capture':
        return out.result(this.capture(r, out, ctx));
      case 'dionaea.dcerpcrequests':
        return out.result(this.dcerpc(r, out, ctx));
    }
  }

  /** A Cowrie session summary: open, version, failed logins, the successful one, commands, downloads. */
  private session(r: Rec, out: EventList, ctx: PublishContext): string | undefined {
    const id = text(r.session);
    const start = feedTime(r.startTime);
    if (!id || start === undefined) return 'session summary without session or startTime';
    const src = address(r.peerIP);
    const dst = address(r.hostIP);
    const srcPort = port(r.peerPort);
    const dstPort = port(r.hostPort);
    if (!src || !dst || srcPort === undefined || dstPort === undefined) return 'session summary without peer or host address';
    const protocol = r.protocol === 'telnet' ? 'telnet' : 'ssh';
    const env: Envelope = { timeMs: start, sensor: ctx.sensor, session: derivedSession('hpfeeds', ctx.sensor, `${ctx.ident}\0${id}`), protocol, src_ip: src, src_port: srcPort, dst_ip: dst, dst_port: dstPort };
    out.add('connection.open', { transport: 'tcp' }, env, { session: id });
    const version = text(r.version);
    if (version) out.add('client.version', { version }, env, { session: id, version });
    for (const c of list(r.credentials)) {
      const pair = list(c);
      const username = text(pair[0]);
      if (username !== undefined) out.add('auth.attempt', { method: 'password', username, password: text(pair[1]) ?? '', success: false }, env, { session: id, credentials: c });
    }
    const loggedin = list(r.loggedin);
    const user = text(loggedin[0]);
    if (user !== undefined) out.add('auth.attempt', { method: 'password', username: user, password: text(loggedin[1]) ?? '', success: true }, env, { session: id, loggedin: r.loggedin });
    const unknown = new Set(list(r.unknownCommands).slice(0, MAX_EVENTS_PER_MESSAGE).map(text));
    for (const c of list(r.commands)) {
      const input = text(c);
      if (input !== undefined) out.add('command.input', { input, known: !unknown.has(input) }, env, { session: id, command: input });
    }
    // Cowrie sends its hashes as a set: a URL and a hash pair up only when there is one of each.
    const urls = list(r.urls).map(text).filter((u): u is string => u !== undefined);
    const hashes = list(r.hashes).map(text).filter((h): h is string => h !== undefined && /^[0-9a-f]{64}$/i.test(h)).map((h) => h.toLowerCase());
    const paired = urls.length === 1 && hashes.length === 1;
    for (const url of urls) out.add('file.download', { url, ...(paired ? { sha256: hashes[0]! } : {}), outcome: 'stored' }, env, { session: id, url });
    if (!paired) for (const sha256 of hashes) out.add('file.download', { sha256, outcome: 'stored' }, env, { session: id, hash: sha256 });
    const tty = this.saveTtylog ? ttylogBytes(r.ttylog, this.maxTtylog) : undefined;
    if (tty) {
      const saved = this.saveTtylog!(env.session, tty, `${protocol} session ${id.slice(0, 32)} from ${src} (hpfeeds ${ctx.ident})`);
      if (saved.ok) {
        out.add('session.recording', { state: 'stored', path: saved.path, format: 'asciicast', sha256: saved.sha256, size: tty.length, duration_ms: saved.durationMs }, env, { session: id, ttylog_bytes: tty.length });
      }
    }
    const end = feedTime(r.endTime);
    if (end !== undefined && end >= start) {
      out.add('connection.close', { duration_ms: Math.round(end - start), bytes_in: 0, bytes_out: 0, reason: 'client' }, { ...env, timeMs: end }, { session: id, endTime: r.endTime });
    }
    return undefined;
  }

  /** An accepted connection (Dionaea also reports its listens, outbound connects and rejects: not an attacker's step). */
  private connection(r: Rec, out: EventList, ctx: PublishContext): string | undefined {
    if (r.connection_type !== 'accept') return `dionaea connection of type ${String(r.connection_type).slice(0, 16)} is not an attacker's`;
    const env = this.dionaeaEnvelope(address(r.remote_host), port(r.remote_port), address(r.local_host), port(r.local_port), r.connection_protocol, ctx, true);
    if (!env) return 'dionaea connection without addresses';
    out.add('connection.open', { transport: r.connection_transport === 'udp' ? 'udp' : 'tcp' }, env, r);
    return undefined;
  }

  private capture(r: Rec, out: EventList, ctx: PublishContext): string | undefined {
    const env = this.dionaeaEnvelope(address(r.saddr), port(r.sport), address(r.daddr), port(r.dport), undefined, ctx, false);
    if (!env) return 'dionaea capture without addresses';
    const md5 = text(r.md5)?.toLowerCase();
    const url = text(r.url);
    // Its `time` is Dionaea's local time labelled with GMT's offset (datetime.now() beside gmtime()),
    // so the arrival time, which its connection's events have too, is the truer one.
    out.add('file.download', { ...(url ? { url } : {}), ...(md5 && /^[0-9a-f]{32}$/.test(md5) ? { md5 } : {}), outcome: 'stored' }, env, r);
    return undefined;
  }

  private dcerpc(r: Rec, out: EventList, ctx: PublishContext): string | undefined {
    const env = this.dionaeaEnvelope(address(r.saddr), port(r.sport), address(r.daddr), port(r.dport), undefined, ctx, false);
    const uuid = text(r.uuid)?.toLowerCase();
    const opnum = port(r.opnum);
    if (!env || !uuid || opnum === undefined) return 'dionaea DCE/RPC request without addresses, uuid or opnum';
    // Names from a feed may be "constructor" or "__proto__": own properties only.
    const known = getOwn(KNOWN_VULNS, uuid);
    const op = known ? getOwn(known.ops, String(opnum)) : undefined;
    const vuln = op?.[1] ? normaliseBulletin(op[1]) : undefined;
    out.add('rpc.request', { interface_uuid: uuid, opnum, ...(known ? { interface: known.service.toLowerCase() } : {}), ...(op ? { operation: op[0] } : {}), ...(vuln ? { vuln } : {}) }, env, r);
    if (vuln) {
      const cve = BULLETIN_CVE[vuln];
      out.add('exploit.attempt', { name: vuln, ...(cve ? { cve } : {}), detail: `${known!.service} ${op![0]} (opnum ${opnum})` }, env, r);
    }
    return undefined;
  }

  /**
   * The envelope of a Dionaea message: the session of the connection between these two address
   * pairs if one was seen (a new connection starts one), else a session of its own.
   */
  private dionaeaEnvelope(src: string | undefined, srcPort: number | undefined, dst: string | undefined, dstPort: number | undefined, protocol: unknown, ctx: PublishContext, opens: boolean): Envelope | undefined {
    if (!src || !dst || srcPort === undefined || dstPort === undefined) return undefined;
    const pair = `${ctx.sensor}\0${ctx.ident}\0${src}\0${srcPort}\0${dst}\0${dstPort}`;
    let conn = opens ? undefined : this.connections.get(pair);
    const name = typeof protocol === 'string' ? (getOwn(PROTOCOLS, protocol) ?? protocol.slice(0, 32)) : (conn?.protocol ?? guessProtocol(dstPort));
    if (!conn) {
      conn = { session: derivedSession('hpfeeds-dionaea', ctx.sensor, `${pair}\0${ctx.receivedMs}`), ...(opens ? { protocol: name } : {}) };
      // Set again, it is the newest: the oldest connection is the one forgotten.
      this.connections.delete(pair);
      this.connections.set(pair, conn);
    }
    return { timeMs: ctx.receivedMs, sensor: ctx.sensor, session: conn.session, protocol: name || 'tcp', src_ip: src, src_port: srcPort, dst_ip: dst, dst_port: dstPort };
  }
}

/** Dionaea's DCE/RPC and capture messages name no protocol: by port, as its services listen by default. */
function guessProtocol(dstPort: number): string {
  return dstPort === 445 || dstPort === 139 ? 'smb' : dstPort === 135 ? 'dcerpc' : dstPort === 80 ? 'http' : dstPort === 21 ? 'ftp' : 'tcp';
}

/** The events one message becomes, in order, each with a deterministic id and the record it came from. */
class EventList {
  readonly events: ApiaryEvent[] = [];
  cut = 0;
  private rejected: string | undefined;

  constructor(private readonly channel: HpfeedsChannel, private readonly ctx: PublishContext) {}

  add<T extends EventType>(type: T, payload: Payload<T>, env: Envelope, record: unknown): void {
    if (this.events.length >= MAX_EVENTS_PER_MESSAGE) {
      this.cut++;
      return;
    }
    const seq = this.events.length;
    const message = this.channel === 'cowrie.sessions' ? '' : String(this.ctx.messageNo ?? this.ctx.receivedMs);
    const key = `${this.ctx.ident}\0${this.channel}\0${message}\0${env.session}\0${seq}\0${hashHex(JSON.stringify(record) ?? '')}`;
    const kept = cutRecord({ ident: this.ctx.ident, ...(record as object) });
    const built = buildEvent(type, payload, env, key, { format: `hpfeeds:${this.channel}`, record: kept.record, ...(kept.cut > 0 ? { record_cut: kept.cut } : {}) }, seq);
    if (built.ok) this.events.push(built.event);
    else this.rejected ??= built.reason;
  }

  result(reason: string | undefined): MapResult {
    if (reason !== undefined) return { ok: false, reason };
    if (this.events.length === 0) return { ok: false, reason: this.rejected ?? 'no event' };
    return { ok: true, events: this.events, cut: this.cut };
  }
}

/**
 * RECORD as an event's `source.record` can hold it: within MAX_SOURCE_RECORD_DEPTH and
 * MAX_SOURCE_RECORD_BYTES, so that the collector stores the event instead of dropping it (a 1 MB field
 * in a Dionaea message, a credential pair of 20,000 control characters, 6 bytes each as JSON). Strings
 * past MAX_SOURCE_STRING_CHARS and lists past MAX_SOURCE_ITEMS are cut, and both limits halved until
 * the record fits; CUT counts what was cut (0: the record as it came).
 */
export function cutRecord(record: unknown): { record: unknown; cut: number } {
  for (let chars = MAX_SOURCE_STRING_CHARS, items = MAX_SOURCE_ITEMS; ; chars >>= 1, items >>= 1) {
    const cutter = new RecordCutter(chars, items);
    const kept = cutter.copy(record, 1);
    if ((chars === 0 && items === 0) || Buffer.byteLength(JSON.stringify(kept) ?? '') <= MAX_SOURCE_RECORD_BYTES) return { record: kept, cut: cutter.cut };
  }
}

/** One pass of cutRecord: copies a JSON value with strings and lists cut at CHARS and ITEMS. */
class RecordCutter {
  cut = 0;

  constructor(private readonly chars: number, private readonly items: number) {}

  copy(v: unknown, depth: number): unknown {
    if (typeof v === 'string') return this.text(v);
    if (v === null || typeof v !== 'object') return v;
    if (depth > MAX_SOURCE_RECORD_DEPTH) {
      this.cut++;
      let json: string | undefined;
      try {
        json = JSON.stringify(v);
      } catch {
        // Thousands deep: past JSON.stringify's stack.
        return '…[nested too deep to copy]';
      }
      return this.text(json ?? '');
    }
    if (Array.isArray(v)) {
      const out = v.slice(0, this.items).map((item) => this.copy(item, depth + 1));
      if (v.length > out.length) {
        this.cut++;
        out.push(`…[${v.length - out.length} more items]`);
      }
      return out;
    }
    const entries = Object.entries(v);
    const out: Record<string, unknown> = {};
    // defineProperty: a key from a feed may be "__proto__".
    for (const [key, item] of entries.slice(0, this.items)) Object.defineProperty(out, this.text(key), { value: this.copy(item, depth + 1), enumerable: true, writable: true, configurable: true });
    if (entries.length > this.items) {
      this.cut++;
      out['…'] = `${entries.length - this.items} more keys`;
    }
    return out;
  }

  private text(s: string): string {
    if (s.length <= this.chars) return s;
    this.cut++;
    // Not half a surrogate pair.
    const end = this.chars > 0 && /[\uD800-\uDBFF]/.test(s.charAt(this.chars - 1)) ? this.chars - 1 : this.chars;
    return `${flatCopy(s.slice(0, end))}…[${s.length} chars]`;
  }
}
