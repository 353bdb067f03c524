// Names the client protocol from the first bytes sent to a port nothing serves (proxy hunting, RDP,
// VNC, TLS, SSH, ...). Pure: bytes in, a verdict out; never throws, reads at most MAX_PROBE_BYTES.

/** The most first bytes a port listener keeps and inspects. */
export const MAX_PROBE_BYTES = 4096;
/** Longest host name taken from a SOCKS4a or CONNECT request. */
export const MAX_TARGET_HOST_CHARS = 255;

export interface ProbeTarget {
  host: string;
  port: number;
}

export interface Recognition {
  /** Short protocol name: rdp, vnc, socks4, socks5, http-connect, http-proxy, http, tls, ssh, telnet, smtp, ... */
  name: string;
  /** Where a proxy client wants to go (SOCKS4, CONNECT, absolute-URI GET). */
  target?: ProbeTarget;
  /** Extra facts, such as the RDP cookie or the TLS server name. */
  detail?: string;
}

const ascii = (b: Uint8Array, from: number, to: number): string => Buffer.from(b.subarray(from, Math.min(to, b.length))).toString('latin1');

/** A printable request line (no control bytes besides the CR LF end). */
function firstLine(b: Uint8Array): string | undefined {
  const max = Math.min(b.length, 1024);
  for (let i = 0; i < max; i++) {
    const c = b[i]!;
    if (c === 0x0a) return ascii(b, 0, i).replace(/\r$/, '');
    if (c < 0x20 && c !== 0x09 && c !== 0x0d) return undefined;
    if (c > 0x7e) return undefined;
  }
  return b.length > 0 && b.length < 1024 ? ascii(b, 0, b.length) : undefined;
}

/**
 * RDP: TPKT (T.123) header 03 00 LEN(be16), then an X.224 Connection Request TPDU (LI, 0xE0, ...),
 * usually carrying "Cookie: mstshash=USER\r\n" or an RDP negotiation request (MS-RDPBCGR 2.2.1.1).
 */
function rdp(b: Uint8Array): Recognition | undefined {
  if (b.length < 7 || b[0] !== 0x03 || b[1] !== 0x00) return undefined;
  const len = (b[2]! << 8) | b[3]!;
  if (len < 7 || (b[5]! & 0xf0) !== 0xe0) return undefined;
  const text = ascii(b, 7, Math.min(len, b.length));
  const cookie = /Cookie: mstshash=([\x21-\x7e]{1,64})/.exec(text);
  return { name: 'rdp', ...(cookie ? { detail: `mstshash=${cookie[1]}` } : {}) };
}

/** SOCKS4/4a (no RFC; the NEC protocol note): 04 CMD PORT(2) IPV4(4) USERID NUL [HOST NUL for 4a]. */
function socks4(b: Uint8Array): Recognition | undefined {
  if (b.length < 9 || b[0] !== 0x04 || (b[1] !== 0x01 && b[1] !== 0x02)) return undefined;
  const port = (b[2]! << 8) | b[3]!;
  const userEnd = b.indexOf(0, 8);
  if (userEnd < 0 || userEnd > 8 + 255) return undefined;
  let host = `${b[4]}.${b[5]}.${b[6]}.${b[7]}`;
  const v4a = b[4] === 0 && b[5] === 0 && b[6] === 0 && b[7] !== 0;
  if (v4a) {
    const hostEnd = b.indexOf(0, userEnd + 1);
    if (hostEnd < 0) return { name: 'socks4a' };
    host = ascii(b, userEnd + 1, Math.min(hostEnd, userEnd + 1 + MAX_TARGET_HOST_CHARS));
  }
  const user = ascii(b, 8, userEnd);
  return { name: v4a ? 'socks4a' : 'socks4', target: { host, port }, ...(user ? { detail: `user=${user.slice(0, 64)}` } : {}) };
}

/** SOCKS5 greeting (RFC 1928 3): 05 NMETHODS METHODS[NMETHODS]. */
function socks5(b: Uint8Array): Recognition | undefined {
  if (b.length < 3 || b[0] !== 0x05) return undefined;
  const n = b[1]!;
  if (n === 0 || b.length !== 2 + n) return undefined;
  for (let i = 2; i < 2 + n; i++) if (b[i]! > 0x09 && b[i]! < 0x80) return undefined;
  const methods = Array.from(b.subarray(2, 2 + n), (m) => m.toString(16).padStart(2, '0'));
  return { name: 'socks5', detail: `methods=${methods.join(',')}` };
}

/**
 * SOCKS5 request (RFC 1928 4): 05 CMD 00 ATYP ADDR PORT(2); ATYP 1 = IPv4, 3 = length-prefixed name,
 * 4 = IPv6. Returns the target, or undefined while incomplete or when it is not one.
 */
export function decodeSocks5Request(b: Uint8Array): ProbeTarget | undefined {
  if (b.length < 7 || b[0] !== 0x05 || b[2] !== 0x00) return undefined;
  const atyp = b[3];
  let host: string;
  let at: number;
  if (atyp === 1) {
    if (b.length < 10) return undefined;
    host = `${b[4]}.${b[5]}.${b[6]}.${b[7]}`;
    at = 8;
  } else if (atyp === 3) {
    const len = b[4]!;
    if (len === 0 || b.length < 5 + len + 2) return undefined;
    host = ascii(b, 5, 5 + len);
    at = 5 + len;
  } else if (atyp === 4) {
    if (b.length < 22) return undefined;
    const parts: string[] = [];
    for (let i = 0; i < 16; i += 2) parts.push(((b[4 + i]! << 8) | b[5 + i]!).toString(16));
    host = parts.join(':');
    at = 20;
  } else return undefined;
  return { host, port: (b[at]! << 8) | b[at + 1]! };
}

/** RFB (VNC) client version reply, sent after the server's "RFB 003.008\n" (RFC 6143 7.1.1). */
function vnc(b: Uint8Array): Recognition | undefined {
  const s = ascii(b, 0, 12);
  return /^RFB \d{3}\.\d{3}\n$/.test(s) ? { name: 'vnc', detail: s.trim() } : undefined;
}

/** TLS record (RFC 8446 5.1) of type handshake (22) whose first message is a ClientHello (1). */
function tls(b: Uint8Array): Recognition | undefined {
  if (b.length < 6 || b[0] !== 0x16 || b[1] !== 0x03 || b[2]! > 0x04 || b[5] !== 0x01) return undefined;
  const sni = serverName(b);
  return { name: 'tls', ...(sni ? { detail: `sni=${sni}` } : {}) };
}

/** The server_name extension (RFC 6066 3) of a ClientHello held entirely in B, if present. */
function serverName(b: Uint8Array): string | undefined {
  // record(5) type(1) len(3) version(2) random(32) = 43, then session id, suites, compression, extensions.
  let p = 43;
  const need = (n: number): boolean => p + n <= b.length;
  if (!need(1)) return undefined;
  p += 1 + b[p]!;
  if (!need(2)) return undefined;
  p += 2 + ((b[p]! << 8) | b[p + 1]!);
  if (!need(1)) return undefined;
  p += 1 + b[p]!;
  if (!need(2)) return undefined;
  const end = Math.min(b.length, p + 2 + ((b[p]! << 8) | b[p + 1]!));
  p += 2;
  while (p + 4 <= end) {
    const type = (b[p]! << 8) | b[p + 1]!;
    const len = (b[p + 2]! << 8) | b[p + 3]!;
    p += 4;
    if (type === 0 && p + 5 <= end) {
      const nameLen = (b[p + 3]! << 8) | b[p + 4]!;
      if (b[p + 2] === 0 && p + 5 + nameLen <= end) {
        const name = ascii(b, p + 5, p + 5 + Math.min(nameLen, MAX_TARGET_HOST_CHARS));
        return /^[\x21-\x7e]+$/.test(name) ? name : undefined;
      }
      return undefined;
    }
    p += len;
  }
  return undefined;
}

/** Telnet negotiation (RFC 854): IAC (0xFF) followed by WILL/WONT/DO/DONT/SB. */
function telnet(b: Uint8Array): Recognition | undefined {
  return b.length >= 3 && b[0] === 0xff && b[1]! >= 0xfa && b[1]! <= 0xfe ? { name: 'telnet' } : undefined;
}

function hostPort(s: string, defaultPort: number): ProbeTarget | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:/@]+))(?::(\d{1,5}))?$/.exec(s);
  if (!m) return undefined;
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (port > 65535) return undefined;
  return { host: (m[1] ?? m[2]!).slice(0, MAX_TARGET_HOST_CHARS), port };
}

/** Text protocols recognised by their first line. */
function textLine(line: string): Recognition | undefined {
  let m = /^CONNECT (\S+) HTTP\/1\.[01]$/i.exec(line);
  if (m) {
    const target = hostPort(m[1]!, 443);
    return { name: 'http-connect', ...(target ? { target } : {}) };
  }
  m = /^(GET|POST|HEAD|PUT|OPTIONS) (https?):\/\/([^/\s?#]+)(?:[/?#]\S*)? HTTP\/1\.[01]$/i.exec(line);
  if (m) {
    const target = hostPort(m[3]!.replace(/^[^@]*@/, ''), m[2]!.toLowerCase() === 'https' ? 443 : 80);
    return { name: 'http-proxy', ...(target ? { target } : {}) };
  }
  if (/^[A-Z]{3,12} \S+ HTTP\/\d\.\d$/.test(line)) return { name: 'http', detail: line.slice(0, 200) };
  m = /^(SSH-[\d.]+-[\x21-\x7e]+)/.exec(line);
  if (m) return { name: 'ssh', detail: m[1]!.slice(0, 200) };
  if (/^(EHLO|HELO) /i.test(line)) return { name: 'smtp' };
  if (/^(USER|CAPA|STLS|APOP)\b/i.test(line) && !/^USER \S+ \S+ \S+ :/i.test(line)) return { name: 'pop3' };
  if (/^[A-Za-z0-9.]{1,16} (CAPABILITY|LOGIN|STARTTLS|AUTHENTICATE)\b/i.test(line)) return { name: 'imap' };
  if (/^(NICK \S+|USER \S+ \S+ \S+ :.*|CAP LS.*|PASS \S+)$/i.test(line)) return { name: 'irc' };
  return undefined;
}

/** Names the protocol of BYTES (the first bytes a client sent), or undefined when nothing matches. */
export function recogniseProbe(bytes: Uint8Array): Recognition | undefined {
  const b = bytes.length > MAX_PROBE_BYTES ? bytes.subarray(0, MAX_PROBE_BYTES) : bytes;
  if (b.length === 0) return undefined;
  const binary = rdp(b) ?? socks5(b) ?? socks4(b) ?? tls(b) ?? telnet(b) ?? vnc(b);
  if (binary) return binary;
  const line = firstLine(b);
  return line === undefined ? undefined : textLine(line);
}

/** Whether more bytes could still change the verdict on B (a greeting sent in pieces). */
export function probeIncomplete(b: Uint8Array): boolean {
  if (b.length === 0) return true;
  if (b[0] === 0x03 && b.length >= 4) return b.length < Math.min((b[2]! << 8) | b[3]!, MAX_PROBE_BYTES);
  if (b[0] === 0x16 && b.length >= 5) return b.length < Math.min(5 + ((b[3]! << 8) | b[4]!), MAX_PROBE_BYTES);
  if (b[0] === 0x05 && b.length >= 2) return b.length < 2 + b[1]!;
  if (b[0] === 0x04) return b.indexOf(0, 8) < 0 && b.length < 8 + 256;
  if (b[0]! >= 0x20 && b[0]! < 0x7f) return b.indexOf(0x0a) < 0 && b.length < 1024;
  return b.length < 3;
}
