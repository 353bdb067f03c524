// Decoding Cowrie's JSON log lines of every era into one normalised record: legacy COW00xx/KIPP00xx
// ids, Python bytes-repr strings (2.x), string or float `duration` and 3.x `duration_ms`. Pure
// functions; attacker-controlled text never throws.
import { parseTimestamp } from '../core/import-core.js';

/** Longest `data` / key text decoded from a Python repr; more is cut. */
export const MAX_REPR_BYTES = 64 * 1024;

/** Cowrie's event ids (eventids.ALL) without the `cowrie.` prefix. */
export const COWRIE_EVENT_IDS = new Set([
  'session.connect', 'session.closed', 'session.params', 'client.version', 'client.kex', 'client.fingerprint',
  'client.size', 'client.var', 'client.malformed_packet', 'login.success', 'login.failed', 'command.input',
  'command.failed', 'command.success', 'command.chpasswd', 'session.input', 'session.file_download',
  'session.file_download.failed', 'session.file_upload', 'log.open', 'log.closed', 'direct-tcpip.request',
  'direct-tcpip.data', 'direct-tcpip.redirect', 'direct-tcpip.tunnel', 'direct-tcpip.ja4', 'direct-tcpip.ja4h',
  'tunnelproxy-tcpip.data', 'telnet.option', 'telnet.error', 'telnet.exploit_attempt', 'telnet.exploit_success',
  'proxy.backend_connected', 'proxy.backend_disconnected', 'proxy.backend_connect_error', 'proxy.client_disconnect',
  'proxy.ssh', 'reversedns.connect', 'reversedns.forward', 'greynoise.result', 'virustotal.scanfile',
  'virustotal.scanurl', 'urlhaus.submitted', 'abuseipdb.started', 'abuseipdb.wakeup', 'abuseipdb.ratelimited',
  'abuseipdb.reportedip', 'abuseipdb.reportfail',
]);

/** The ids of 2015 and before (renamed in January 2016), Cowrie's and Kippo's numbering alike. */
export const LEGACY_EVENT_IDS: Readonly<Record<string, string>> = {
  '0001': 'session.connect',
  '0002': 'login.success',
  '0003': 'login.failed',
  '0004': 'log.open',
  '0005': 'command.success',
  '0006': 'command.failed',
  '0007': 'session.file_download',
  '0008': 'session.input',
  '0009': 'client.version',
  '0010': 'client.size',
  '0011': 'session.closed',
  '0012': 'log.closed',
  '0013': 'client.var',
  '0016': 'client.fingerprint',
  '0017': 'session.file_upload',
};

export interface CowrieRecord {
  /** Normalised id without the `cowrie.` prefix (legacy ids translated). */
  id: string;
  /** The id as written in the file. */
  rawId: string;
  timeMs: number;
  fields: Record<string, unknown>;
}

export type DecodeResult = { kind: 'ok'; record: CowrieRecord } | { kind: 'malformed'; reason: string } | { kind: 'unknown'; rawId: string; reason: string };

/** Normalises an event id; undefined when it is none Cowrie ever wrote. */
export function normaliseEventId(raw: string): string | undefined {
  const legacy = /^(?:COW|KIPP)(\d{4})$/.exec(raw);
  if (legacy) return LEGACY_EVENT_IDS[legacy[1]!];
  if (!raw.startsWith('cowrie.')) return undefined;
  const id = raw.slice('cowrie.'.length);
  return COWRIE_EVENT_IDS.has(id) ? id : undefined;
}

/** One line of cowrie.json -> a record, or why it is not one. Never throws. */
export function decodeCowrieLine(text: string): DecodeResult {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'malformed', reason: 'empty line' };
  let v: unknown;
  try {
    v = JSON.parse(trimmed);
  } catch {
    return { kind: 'malformed', reason: trimmed.startsWith('{') && !trimmed.endsWith('}') ? 'truncated JSON line' : 'invalid JSON' };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { kind: 'malformed', reason: 'JSON line is not an object' };
  const fields = v as Record<string, unknown>;
  const rawId = fields.eventid;
  if (typeof rawId !== 'string') return { kind: 'malformed', reason: 'no eventid' };
  const id = normaliseEventId(rawId);
  if (id === undefined) return { kind: 'unknown', rawId: rawId.slice(0, 80), reason: `unknown event id ${JSON.stringify(rawId.slice(0, 80))}` };
  let timeMs = typeof fields.timestamp === 'string' ? parseTimestamp(fields.timestamp) : NaN;
  if (Number.isNaN(timeMs) && typeof fields.epoch === 'number') timeMs = fields.epoch;
  if (Number.isNaN(timeMs) && typeof fields.time === 'number') timeMs = fields.time * 1000;
  if (!Number.isFinite(timeMs)) return { kind: 'malformed', reason: 'missing or unreadable timestamp' };
  return { kind: 'ok', record: { id, rawId, timeMs, fields } };
}

/** `b'SSH-2.0-Go'` or `'SSH-2.0-PUTTY'` (Cowrie 2.0-2.1 reprs) -> `SSH-2.0-Go`; ONLY_BYTES: only the b'' form. */
export function stripRepr(s: string, onlyBytes = false): string {
  const m = (onlyBytes ? /^b(['"])([\s\S]*)\1$/ : /^b?(['"])([\s\S]*)\1$/).exec(s);
  if (!m) return s;
  return decodePyRepr(m[2]!, m[1]!).toString('latin1');
}

/** Decodes the body of a Python bytes literal (`\xNN`, `\n`, `\\`, `\'` ...) to bytes, cut at MAX_REPR_BYTES. */
export function decodePyRepr(body: string, quote = "'"): Buffer {
  const out: number[] = [];
  for (let i = 0; i < body.length && out.length < MAX_REPR_BYTES; i++) {
    const c = body.charCodeAt(i);
    if (c !== 0x5c || i + 1 >= body.length) {
      // Characters above 0xff cannot be in a bytes repr; keep their UTF-8 bytes.
      if (c <= 0xff) out.push(c);
      else for (const b of Buffer.from(body[i]!, 'utf8')) out.push(b);
      continue;
    }
    const e = body[++i]!;
    switch (e) {
      case 'n': out.push(10); break;
      case 'r': out.push(13); break;
      case 't': out.push(9); break;
      case '0': out.push(0); break;
      case '\\': out.push(0x5c); break;
      case "'": case '"': out.push(e.charCodeAt(0)); break;
      case 'x': {
        const hex = body.slice(i + 1, i + 3);
        if (/^[0-9a-fA-F]{2}$/.test(hex)) {
          out.push(parseInt(hex, 16));
          i += 2;
        } else out.push(0x5c, 0x78);
        break;
      }
      default:
        out.push(0x5c);
        if (e !== quote) i--;
    }
  }
  return Buffer.from(out);
}

/** A data field that may be a bytes repr (`b"\x16\x03"`, or 1.x's Python 2 `'\x16\x03'`) or plain text -> bytes. */
export function dataBytes(v: unknown): Buffer {
  if (typeof v !== 'string') return Buffer.alloc(0);
  const m = /^b?(['"])([\s\S]*)\1$/.exec(v);
  if (m) return decodePyRepr(m[2]!, m[1]!);
  return Buffer.from(v.slice(0, MAX_REPR_BYTES), 'utf8');
}

/** Duration in ms from `duration_ms` (3.x), `duration` as a number or a string (2.x). */
export function durationMs(fields: Record<string, unknown>): number | undefined {
  const ms = fields.duration_ms;
  if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const d = fields.duration;
  const n = typeof d === 'number' ? d : typeof d === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(d) ? Number(d) : NaN;
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 1000) : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function int(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d{1,10}$/.test(v)) return Number(v);
  return undefined;
}

export function strArray(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : String(x))) : undefined;
}
