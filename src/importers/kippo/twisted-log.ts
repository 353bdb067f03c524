// Decoding the Twisted text logs Kippo (kippo.log) and Cowrie (cowrie.log) write: one line per
// message, "TIMESTAMP [CONTEXT] MESSAGE", with the session in the context ("HoneyPotTransport,<id>,<ip>")
// and continuation lines starting with a tab. Pure functions; attacker text never throws.
import { parseTimestamp } from '../core/import-core.js';
import { decodePyRepr } from '../cowrie/cowrie-json.js';

/** Longest context kept (the part in brackets). */
export const MAX_CONTEXT_CHARS = 512;

export type TwistedLine =
  | { kind: 'message'; timeMs: number; stamp: string; context: string; message: string }
  | { kind: 'continuation'; text: string }
  | { kind: 'malformed'; reason: string };

const LINE = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?) \[([^\]]{0,512})\] ?([\s\S]*)$/;

export function decodeTwistedLine(text: string): TwistedLine {
  if (text.startsWith('\t') || text.startsWith('    ')) return { kind: 'continuation', text: text.trim() };
  const m = LINE.exec(text);
  if (!m) return { kind: 'malformed', reason: text.trim() === '' ? 'empty line' : 'not a log line (no "TIMESTAMP [CONTEXT]" prefix)' };
  const timeMs = parseTimestamp(m[1]!);
  if (!Number.isFinite(timeMs)) return { kind: 'malformed', reason: 'unreadable timestamp' };
  return { kind: 'message', timeMs, stamp: m[1]!, context: m[2]!, message: m[3]! };
}

export interface TransportContext {
  /** The honeypot's connection number (an integer in Kippo, restarting with each run). */
  id: string;
  ip: string;
  protocol: 'ssh' | 'telnet';
}

/** "SSHService ssh-userauth on HoneyPotTransport,3,192.168.86.10" -> { id: "3", ip, protocol }. */
export function transportOf(context: string): TransportContext | undefined {
  const m = /([A-Za-z]*Transport),(\w{1,64}),([0-9A-Fa-f.:]{2,64})$/.exec(context);
  if (!m) return undefined;
  return { id: m[2]!, ip: m[3]!.replace(/^::ffff:(?=\d+\.)/, ''), protocol: /telnet/i.test(m[1]!) ? 'telnet' : 'ssh' };
}

export interface NewConnection {
  src_ip: string;
  src_port: number;
  dst_ip: string;
  dst_port: number;
  id: string;
}

/** "New connection: 1.2.3.4:5678 (10.0.0.1:22) [session: 7]". */
export function decodeNewConnection(message: string): NewConnection | undefined {
  const m = /^New connection: (\S+):(\d{1,5}) \((\S+):(\d{1,5})\) \[session: (\w{1,64})\]$/.exec(message);
  if (!m) return undefined;
  const port = (s: string): number => Math.min(65535, Number(s));
  const ip = (s: string): string => s.replace(/^::ffff:(?=\d+\.)/, '');
  return { src_ip: ip(m[1]!), src_port: port(m[2]!), dst_ip: ip(m[3]!), dst_port: port(m[4]!), id: m[5]! };
}

/** "login attempt [root/123456] succeeded" (also Cowrie 2.x's "[b'root'/b'123456']"). */
export function decodeLoginAttempt(message: string): { username: string; password: string; success: boolean } | undefined {
  const m = /^login attempt \[([\s\S]*)\] (failed|succeeded)$/.exec(message);
  if (!m) return undefined;
  const inner = m[1]!;
  const success = m[2] === 'succeeded';
  const bytes = /^b'((?:[^'\\]|\\.)*)'\/b'((?:[^'\\]|\\.)*)'$/.exec(inner);
  if (bytes) return { username: decodePyRepr(bytes[1]!).toString('utf8'), password: decodePyRepr(bytes[2]!).toString('utf8'), success };
  const slash = inner.indexOf('/');
  if (slash === -1) return { username: inner, password: '', success };
  return { username: inner.slice(0, slash), password: inner.slice(slash + 1), success };
}

/**
 * Kippo's "request_env: '\x00\x00\x00\x04LANG\x00\x00\x00\x0ben_US.UTF-8'": the repr of the SSH
 * env request's data, two SSH strings (uint32 length + bytes). Undefined when it does not decode.
 */
export function decodeEnvRequest(message: string): { name: string; value: string } | undefined {
  const m = /^request_env: b?'([\s\S]*)'$/.exec(message);
  if (!m) return undefined;
  const b = decodePyRepr(m[1]!);
  const strings: string[] = [];
  let off = 0;
  while (strings.length < 2) {
    if (off + 4 > b.length) return undefined;
    const len = b.readUInt32BE(off);
    off += 4;
    if (len > b.length - off) return undefined;
    strings.push(b.subarray(off, off + len).toString('utf8'));
    off += len;
  }
  return { name: strings[0]!, value: strings[1]! };
}
