// FTP control-connection codec (RFC 959 4.1, 5.3; RFC 2428 for EPRT/EPSV): splits the byte stream
// into command lines, parses verb and argument, and decodes the arguments vsftpd 3.0.3 parses itself
// (PORT, EPRT, EPSV, REST, LIST filters) with its rules, quirks included.
// Pure: bytes in, results out; never throws.
import { isIP } from 'node:net';

/**
 * Longest command line, its LF included (vsftpd's VSFTP_MAX_COMMAND_LINE): 4095 bytes and LF pass,
 * 4096 without an LF are "500 Input line too long." and the end of the connection.
 */
export const MAX_LINE_BYTES = 4096;
/** Longest verb: RFC 959 verbs are 3 or 4 letters; extensions (RFC 2389, 3659) stay within 4. */
export const MAX_VERB_CHARS = 4;
/** Digits REST takes: vsftpd's str_a_to_filesize_t reads 0 for anything longer ("petabytes!"). */
export const MAX_REST_DIGITS = 15;
/** Steps a LIST filter may take before it fails (vsftpd's VSFTP_MATCHITERS_MAX). */
export const MAX_FILTER_STEPS = 1000;
/** Digits atoi() is given; any more is far outside every range checked here. */
const MAX_ATOI_DIGITS = 40;

export interface FtpCommand {
  verb: string;
  arg: string;
  /** The line as sent, without its end (Telnet IAC sequences removed, NUL read as LF as vsftpd does). */
  raw: string;
}

export type LineResult =
  | { status: 'incomplete' }
  | { status: 'ok'; command: FtpCommand; consumed: number }
  /** A line with nothing on it (CRs only): vsftpd reads it and says nothing. */
  | { status: 'empty'; consumed: number }
  | { status: 'malformed'; reason: string; consumed: number };

const IAC = 0xff;

/**
 * Removes Telnet commands (RFC 854) from a line: IAC IAC is a literal 0xFF; IAC WILL/WONT/DO/DONT x
 * is three bytes; any other IAC x (IP, DM, ... sent before ABOR) is two bytes.
 */
function stripTelnet(b: Uint8Array): Buffer {
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c !== IAC) {
      out.push(c);
      continue;
    }
    const next = b[i + 1];
    if (next === IAC) {
      out.push(IAC);
      i++;
    } else if (next !== undefined && next >= 251 && next <= 254) i += 2;
    else i++;
  }
  return Buffer.from(out);
}

/** Upper-cases a-z only, as C's toupper() does ("ß" must not become "SS" and make a verb). */
export function asciiUpper(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x61 && c <= 0x7a ? String.fromCharCode(c - 32) : s[i]!;
  }
  return out;
}

/**
 * Parses one command line (without its end). Like vsftpd's vsf_cmdio_get_cmd_and_arg: NUL reads as LF
 * ("as mandated by the FTP specifications"), the verb is everything up to the first space, upper-cased,
 * and the argument everything after it, spaces kept. Lines whose verb is no FTP verb are malformed
 * here; the session answers them as vsftpd answers any unknown verb.
 */
export function parseCommand(line: Uint8Array): FtpCommand | { reason: string } {
  const text = stripTelnet(line).toString('utf8').replace(/\0/g, '\n');
  const sp = text.indexOf(' ');
  const verb = asciiUpper(sp < 0 ? text : text.slice(0, sp));
  // "P@SW" is PASV to vsftpd (for a broken client it once met).
  if (verb.length < 3 || verb.length > MAX_VERB_CHARS || (!/^[A-Z]+$/.test(verb) && verb !== 'P@SW')) return { reason: 'not an FTP verb' };
  return { verb, arg: sp < 0 ? '' : text.slice(sp + 1), raw: text };
}

/** Takes the first line of BUF: LF ends a line and every CR before it is dropped, as vsftpd does. */
export function decodeLine(buf: Uint8Array): LineResult {
  const lf = buf.subarray(0, MAX_LINE_BYTES).indexOf(0x0a);
  if (lf < 0) return buf.length >= MAX_LINE_BYTES ? { status: 'malformed', reason: 'command line too long', consumed: buf.length } : { status: 'incomplete' };
  let end = lf;
  while (end > 0 && buf[end - 1] === 0x0d) end--;
  if (end === 0) return { status: 'empty', consumed: lf + 1 };
  const parsed = parseCommand(buf.subarray(0, end));
  if ('reason' in parsed) return { status: 'malformed', reason: parsed.reason, consumed: lf + 1 };
  return { status: 'ok', command: parsed, consumed: lf + 1 };
}

/**
 * C's atoi() as glibc has it: leading white space, a sign, digits up to the first non-digit (none: 0),
 * the value clamped to a 64-bit long, then cut to a 32-bit int.
 */
export function atoi(s: string): number {
  let i = 0;
  while (i < s.length && ' \t\n\v\f\r'.includes(s[i]!)) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') neg = s[i++] === '-';
  const start = i;
  while (i < s.length && i - start < MAX_ATOI_DIGITS && s[i]! >= '0' && s[i]! <= '9') i++;
  if (i === start) return 0;
  let v = BigInt(s.slice(start, i));
  if (neg) v = -v;
  const LONG_MAX = (1n << 63n) - 1n;
  if (v > LONG_MAX) v = LONG_MAX;
  if (v < -LONG_MAX - 1n) v = -LONG_MAX - 1n;
  return Number(BigInt.asIntN(32, v));
}

/** Splits S at the first SEP as vsftpd's str_split_char does: no SEP leaves the right side empty. */
function splitChar(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/** vsftpd's parse_uchar_string_sep: exactly COUNT fields split by SEP, each atoi() in 0..255. */
function decodeByteFields(s: string, sep: string, count: number): number[] | undefined {
  const out: number[] = [];
  let rest = s;
  for (let i = 0; i < count; i++) {
    const [field, rhs] = splitChar(rest, sep);
    if ((i < count - 1 && rhs === '') || (i === count - 1 && rhs !== '')) return undefined;
    const n = atoi(field);
    if (n < 0 || n > 255) return undefined;
    out.push(n);
    rest = rhs;
  }
  return out;
}

export interface HostPort {
  host: string;
  port: number;
}

/** PORT h1,h2,h3,h4,p1,p2 (RFC 959 4.1.2), each field read by atoi() as vsftpd does (" 127" is 127). */
export function decodePortArg(arg: string): HostPort | undefined {
  const n = decodeByteFields(arg, ',', 6);
  if (!n) return undefined;
  return { host: n.slice(0, 4).join('.'), port: n[4]! * 256 + n[5]! };
}

export type EprtResult = { ok: true; proto: 1 | 2; host: string; port: number } | { ok: false; reply: 'Bad EPRT command.' | 'Bad EPRT protocol.' };

/**
 * EPRT |af|addr|port| (RFC 2428 2) as vsftpd's handle_eprt reads it: "|" is the only delimiter, af by
 * atoi() (2 only when the control connection is IPv6, which a dual-stack listener makes of every
 * IPv4 client), the last "|" may be missing, the port by atoi() in 0..65535.
 */
export function decodeEprtArg(arg: string, ipv6Control: boolean): EprtResult {
  const bad = { ok: false, reply: 'Bad EPRT command.' } as const;
  const [lead, afRest] = splitChar(arg, '|');
  if (lead !== '') return bad;
  const [afText, addrRest] = splitChar(afRest, '|');
  const af = atoi(afText);
  if (af < 1 || af > 2 || (af === 2 && !ipv6Control)) return { ok: false, reply: 'Bad EPRT protocol.' };
  const [addr, portRest] = splitChar(addrRest, '|');
  let host: string;
  if (af === 2) {
    if (!isIpv6Text(addr)) return bad;
    host = addr.toLowerCase();
  } else {
    const n = decodeByteFields(addr, '.', 4);
    if (!n) return bad;
    host = n.join('.');
  }
  const [portText, tail] = splitChar(portRest, '|');
  if (tail !== '' || portText === '') return bad;
  const port = atoi(portText);
  if (port < 0 || port > 65535) return bad;
  return { ok: true, proto: af === 2 ? 2 : 1, host, port };
}

/** An IPv6 address in text (RFC 4291 2.2), no zone. */
function isIpv6Text(s: string): boolean {
  return s.length <= 45 && !s.includes('%') && isIP(s) === 6;
}

/** EPSV's argument by atoi(): "ALL", or the network protocol 1 or 2 (2 when the control connection is IPv6). */
export function decodeEpsvArg(arg: string, ipv6Control: boolean): 'all' | 'ok' | 'bad' {
  if (arg === '') return 'ok';
  if (asciiUpper(arg) === 'ALL') return 'all';
  const n = atoi(arg);
  return n < 1 || n > 2 || (n === 2 && !ipv6Control) ? 'bad' : 'ok';
}

/** REST's offset as vsftpd reads it: digits only and at most MAX_REST_DIGITS of them, anything else 0. */
export function decodeRestArg(arg: string): number {
  if (arg.length > MAX_REST_DIGITS || !/^\d*$/.test(arg)) return 0;
  return arg === '' ? 0 : Number(arg);
}

/**
 * Whether NAME passes a LIST/NLST filter, by vsftpd's own matcher (ls.c vsf_filename_passes_filter):
 * literal runs, "?" for one character and "*" for any run, matched left to right at the first place a
 * run fits and never revisited, so "*.txt" misses "a.txt.txt" there too. Braces are taken literally.
 */
export function filterMatches(name: string, filter: string): boolean {
  let pattern = filter;
  let rest = name;
  let anchored = true;
  let lastToken = '';
  let steps = 0;
  while (pattern !== '' && steps < MAX_FILTER_STEPS) {
    steps++;
    let i = 0;
    while (i < pattern.length && pattern[i] !== '*' && pattern[i] !== '?') i++;
    const literal = pattern.slice(0, i);
    lastToken = i < pattern.length ? pattern[i]! : '';
    pattern = i < pattern.length ? pattern.slice(i + 1) : '';
    if (literal !== '') {
      const at = rest.indexOf(literal);
      if (at < 0 || (anchored && at > 0)) return false;
      rest = rest.slice(at + literal.length);
    }
    if (lastToken === '?') {
      if (rest === '') return false;
      rest = rest.slice(1);
      anchored = true;
    } else if (lastToken === '*') anchored = false;
  }
  if (rest !== '' && lastToken !== '*') return false;
  return steps < MAX_FILTER_STEPS;
}

/** The PASV reply argument for HOST (IPv4) and PORT. */
export function encodePasv(host: string, port: number): string {
  return `${host.split('.').join(',')},${port >> 8},${port & 255}`;
}
