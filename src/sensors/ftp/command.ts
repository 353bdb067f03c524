// FTP control-connection codec (RFC 959 4.1, 5.3; RFC 2428 for EPRT/EPSV): splits the byte stream
// into command lines, parses verb and argument, and decodes PORT/EPRT host-port arguments.
// Pure: bytes in, results out; never throws.

/** Longest command line kept (vsftpd's VSFTP_MAX_COMMAND_LINE); longer lines are malformed. */
export const MAX_LINE_BYTES = 4096;
/** Longest verb: RFC 959 verbs are 3 or 4 letters; extensions (RFC 2389, 3659) stay within 4. */
export const MAX_VERB_CHARS = 4;

export interface FtpCommand {
  verb: string;
  arg: string;
  /** The line as sent, without CR LF (Telnet IAC sequences removed). */
  raw: string;
}

export type LineResult =
  | { status: 'incomplete' }
  | { status: 'ok'; command: FtpCommand; consumed: number }
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

/** Parses one command line (without its end). */
export function parseCommand(line: Uint8Array): FtpCommand | { reason: string } {
  const text = stripTelnet(line).toString('utf8');
  if (text.includes('\0')) return { reason: 'NUL in command line' };
  const sp = text.indexOf(' ');
  const verb = (sp < 0 ? text : text.slice(0, sp)).toUpperCase();
  if (!/^[A-Z]{3,4}$/.test(verb) || verb.length > MAX_VERB_CHARS) return { reason: 'not an FTP verb' };
  return { verb, arg: sp < 0 ? '' : text.slice(sp + 1), raw: text };
}

/** Takes the first line of BUF: LF ends a line (a CR before it is dropped), as vsftpd accepts. */
export function decodeLine(buf: Uint8Array): LineResult {
  const max = Math.min(buf.length, MAX_LINE_BYTES + 2);
  const lf = buf.subarray(0, max).indexOf(0x0a);
  if (lf < 0) return buf.length > MAX_LINE_BYTES ? { status: 'malformed', reason: 'command line too long', consumed: buf.length } : { status: 'incomplete' };
  const end = lf > 0 && buf[lf - 1] === 0x0d ? lf - 1 : lf;
  if (end > MAX_LINE_BYTES) return { status: 'malformed', reason: 'command line too long', consumed: lf + 1 };
  const parsed = parseCommand(buf.subarray(0, end));
  if ('reason' in parsed) return { status: 'malformed', reason: parsed.reason, consumed: lf + 1 };
  return { status: 'ok', command: parsed, consumed: lf + 1 };
}

export interface HostPort {
  host: string;
  port: number;
}

/** PORT h1,h2,h3,h4,p1,p2 (RFC 959 4.1.2). */
export function decodePortArg(arg: string): HostPort | undefined {
  const m = /^\s*(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})\s*$/.exec(arg);
  if (!m) return undefined;
  const n = m.slice(1).map(Number);
  if (n.some((x) => x > 255)) return undefined;
  return { host: n.slice(0, 4).join('.'), port: n[4]! * 256 + n[5]! };
}

/** EPRT |af|addr|port| (RFC 2428 2); the delimiter is any printable character. */
export function decodeEprtArg(arg: string): HostPort | undefined {
  const d = arg.charAt(0);
  if (!d || d.charCodeAt(0) < 33 || d.charCodeAt(0) > 126) return undefined;
  const parts = arg.split(d);
  if (parts.length !== 5 || parts[0] !== '' || parts[4] !== '') return undefined;
  const [, af, host, portText] = parts as [string, string, string, string, string];
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) return undefined;
  if (af === '1' && /^\d{1,3}(\.\d{1,3}){3}$/.test(host) && host.split('.').every((x) => Number(x) <= 255)) return { host, port };
  if (af === '2' && /^[0-9a-fA-F:.]{2,45}$/.test(host)) return { host, port };
  return undefined;
}

/** The PASV reply argument for HOST (IPv4) and PORT. */
export function encodePasv(host: string, port: number): string {
  return `${host.split('.').join(',')},${port >> 8},${port & 255}`;
}
