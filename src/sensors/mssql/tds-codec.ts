// The TDS (Tabular Data Stream) protocol of Microsoft SQL Server as pure functions: packet framing,
// PRELOGIN, LOGIN7 (with its reversible password obfuscation), the TDS 4.2 login old tools still
// send, SQL batches, and the response tokens. No I/O here. Layouts follow [MS-TDS].

/** Smallest and largest TDS packet (the length field is 16 bits and counts the 8-byte header). */
export const TDS_HEADER_BYTES = 8;
export const MAX_TDS_PACKET_BYTES = 65_535;
/** Largest message (packets up to the one with END OF MESSAGE) buffered from a client. */
export const MAX_TDS_MESSAGE_BYTES = 8 * 1024 * 1024;
/** Most packets in one message (each but the last carries at least one byte). */
export const MAX_TDS_PACKETS_PER_MESSAGE = 4096;
/** Longest string field kept from a login record (characters). */
export const MAX_LOGIN_FIELD_CHARS = 1024;
/** Packet size the server uses until the client negotiates another, and the bounds it accepts. */
export const DEFAULT_PACKET_SIZE = 4096;
export const MIN_PACKET_SIZE = 512;
export const MAX_PACKET_SIZE = 32_767;

// Packet types ([MS-TDS] 2.2.3.1.1).
export const PT_SQL_BATCH = 0x01;
export const PT_LOGIN42 = 0x02;
export const PT_RPC = 0x03;
export const PT_RESPONSE = 0x04;
export const PT_ATTENTION = 0x06;
export const PT_LOGIN7 = 0x10;
export const PT_SSPI = 0x11;
export const PT_PRELOGIN = 0x12;

const STATUS_EOM = 0x01;

export type Decoded<T> = { status: 'ok'; value: T; consumed: number } | { status: 'incomplete' } | { status: 'malformed'; reason: string };

export interface TdsMessage {
  type: number;
  payload: Buffer;
}

/**
 * Packet header ([MS-TDS] 2.2.3.1): int<1> type, int<1> status (0x01 end of message), int<2> BE
 * length including the header, int<2> BE SPID, int<1> packet id, int<1> window. A message is the
 * payloads of packets of one type up to the one with END OF MESSAGE.
 */
export function decodeTdsMessage(buf: Buffer, max = MAX_TDS_MESSAGE_BYTES): Decoded<TdsMessage> {
  return new TdsFramer().decode(buf, max);
}

/**
 * decodeTdsMessage for one connection's receive loop: it remembers how far the packets of the
 * message being received have been checked, so a message trickling in a byte at a time costs work
 * in proportion to its bytes, not to its packets times its chunks. DECODE must be given the
 * buffered bytes from the start of the same message each time (more of them than last time) until
 * it answers ok or malformed; it then starts over with the next message.
 */
export class TdsFramer {
  /** Bytes of whole packets already checked, their payload bytes, and how many they are. */
  private scanned = 0;
  private total = 0;
  private packets = 0;
  private type = -1;
  private headers = 0;

  /** Packet headers read so far, over all messages (for tests of the bound). */
  get headersRead(): number {
    return this.headers;
  }

  decode(buf: Buffer, max = MAX_TDS_MESSAGE_BYTES): Decoded<TdsMessage> {
    // Fewer bytes than were checked, or another first byte: not the message scanned so far.
    if (buf.length < this.scanned || (this.scanned > 0 && buf[0] !== this.type)) this.restart();
    for (;;) {
      if (this.packets >= MAX_TDS_PACKETS_PER_MESSAGE) return this.fail('too many packets in one message');
      const off = this.scanned;
      if (buf.length - off < TDS_HEADER_BYTES) return { status: 'incomplete' };
      this.headers++;
      const t = buf[off]!;
      const status = buf[off + 1]!;
      const len = buf.readUInt16BE(off + 2);
      if (len < TDS_HEADER_BYTES) return this.fail(`packet length ${len} shorter than its header`);
      if (this.type >= 0 && t !== this.type) return this.fail('packet type changed inside a message');
      // An empty packet that does not end the message carries nothing; thousands of them would only
      // make the message's packet count (and the work of framing it) grow for free.
      if (len === TDS_HEADER_BYTES && !(status & STATUS_EOM)) return this.fail('empty packet that does not end its message');
      if (this.total + len - TDS_HEADER_BYTES > max) return this.fail(`message larger than ${max} bytes`);
      if (buf.length - off < len) return { status: 'incomplete' };
      this.type = t;
      this.total += len - TDS_HEADER_BYTES;
      this.packets++;
      this.scanned += len;
      if (status & STATUS_EOM) return this.finish(buf);
    }
  }

  /** The payloads of the packets checked, joined (one walk over their headers, once per message). */
  private finish(buf: Buffer): Decoded<TdsMessage> {
    const value: TdsMessage = { type: this.type, payload: buf.subarray(TDS_HEADER_BYTES, this.scanned) };
    if (this.packets > 1) {
      const payload = Buffer.allocUnsafe(this.total);
      let at = 0;
      for (let off = 0; off < this.scanned; ) {
        const len = buf.readUInt16BE(off + 2);
        at += buf.copy(payload, at, off + TDS_HEADER_BYTES, off + len);
        off += len;
      }
      value.payload = payload;
    }
    const consumed = this.scanned;
    this.restart();
    return { status: 'ok', value, consumed };
  }

  private fail(reason: string): Decoded<TdsMessage> {
    this.restart();
    return { status: 'malformed', reason };
  }

  private restart(): void {
    this.scanned = this.total = this.packets = 0;
    this.type = -1;
  }
}

/** Frames a message as packets of at most PACKET_SIZE bytes, packet ids counting from 1. */
export function encodeTdsMessage(type: number, payload: Buffer, packetSize = DEFAULT_PACKET_SIZE): Buffer {
  const room = Math.max(MIN_PACKET_SIZE, Math.min(MAX_PACKET_SIZE, packetSize)) - TDS_HEADER_BYTES;
  const out: Buffer[] = [];
  let off = 0;
  let id = 1;
  do {
    const chunk = payload.subarray(off, off + room);
    off += chunk.length;
    const h = Buffer.alloc(TDS_HEADER_BYTES);
    h[0] = type;
    h[1] = off >= payload.length ? STATUS_EOM : 0;
    h.writeUInt16BE(chunk.length + TDS_HEADER_BYTES, 2);
    h[6] = id & 0xff;
    id++;
    out.push(h, chunk);
  } while (off < payload.length);
  return Buffer.concat(out);
}

// ---- PRELOGIN ([MS-TDS] 2.2.6.5) ----

export const PL_VERSION = 0x00;
export const PL_ENCRYPTION = 0x01;
export const PL_INSTOPT = 0x02;
export const PL_THREADID = 0x03;
export const PL_MARS = 0x04;
export const PL_TERMINATOR = 0xff;

export const ENCRYPT_OFF = 0x00;
export const ENCRYPT_ON = 0x01;
export const ENCRYPT_NOT_SUP = 0x02;
export const ENCRYPT_REQ = 0x03;

export interface Prelogin {
  version?: string;
  encryption?: number;
  instance?: string;
  threadId?: number;
  mars?: number;
}

/**
 * PRELOGIN: option tokens (int<1> token, int<2> BE offset, int<2> BE length) up to 0xFF, then the
 * option data the offsets point at. Offsets and lengths outside the payload are malformed.
 */
export function decodePrelogin(p: Buffer): { status: 'ok'; value: Prelogin } | { status: 'malformed'; reason: string } {
  const out: Prelogin = {};
  let i = 0;
  for (let n = 0; ; n++) {
    if (n > 32) return { status: 'malformed', reason: 'too many prelogin options' };
    if (i >= p.length) return { status: 'malformed', reason: 'prelogin option list not terminated' };
    const token = p[i]!;
    if (token === PL_TERMINATOR) break;
    if (i + 5 > p.length) return { status: 'malformed', reason: 'prelogin option truncated' };
    const off = p.readUInt16BE(i + 1);
    const len = p.readUInt16BE(i + 3);
    i += 5;
    if (off + len > p.length) return { status: 'malformed', reason: 'prelogin option points outside the packet' };
    const d = p.subarray(off, off + len);
    switch (token) {
      case PL_VERSION:
        if (len >= 6) out.version = `${d[0]}.${d[1]}.${d.readUInt16BE(2)}.${d.readUInt16LE(4)}`;
        break;
      case PL_ENCRYPTION:
        if (len >= 1) out.encryption = d[0]!;
        break;
      case PL_INSTOPT: {
        const nul = d.indexOf(0);
        out.instance = d.subarray(0, nul < 0 ? d.length : nul).toString('latin1').slice(0, 256);
        break;
      }
      case PL_THREADID:
        if (len >= 4) out.threadId = d.readUInt32BE(0);
        break;
      case PL_MARS:
        if (len >= 1) out.mars = d[0]!;
        break;
      default:
        break;
    }
  }
  return { status: 'ok', value: out };
}

export interface ServerVersion {
  major: number;
  minor: number;
  build: number;
  revision: number;
}

export function parseServerVersion(s: string): ServerVersion {
  const [a, b, c, d] = s.split('.').map((x) => Number.parseInt(x, 10));
  return { major: (a ?? 15) & 0xff, minor: (b ?? 0) & 0xff, build: (c ?? 0) & 0xffff, revision: (d ?? 0) & 0xffff };
}

/**
 * The server's PRELOGIN answer as SQL Server sends it: VERSION, ENCRYPTION, INSTOPT, THREADID (empty),
 * so 29 payload bytes. Encryption is answered ENCRYPT_NOT_SUP: the decoy has no certificate, and a
 * client that insists ends the connection itself.
 */
export function encodePreloginResponse(v: ServerVersion, encryption = ENCRYPT_NOT_SUP): Buffer {
  const p = Buffer.alloc(29);
  const opts: [number, number, number][] = [
    [PL_VERSION, 21, 6],
    [PL_ENCRYPTION, 27, 1],
    [PL_INSTOPT, 28, 1],
    [PL_THREADID, 29, 0],
  ];
  opts.forEach(([t, off, len], i) => {
    p[i * 5] = t;
    p.writeUInt16BE(off, i * 5 + 1);
    p.writeUInt16BE(len, i * 5 + 3);
  });
  p[20] = PL_TERMINATOR;
  p[21] = v.major;
  p[22] = v.minor;
  p.writeUInt16BE(v.build, 23);
  p.writeUInt16BE(0, 25);
  p[27] = encryption;
  p[28] = 0;
  return p;
}

// ---- LOGIN7 ([MS-TDS] 2.2.6.4) ----

export interface Login {
  kind: 'login7' | 'login42';
  tdsVersion: number;
  packetSize: number;
  hostName: string;
  userName: string;
  password: string;
  appName: string;
  serverName: string;
  libraryName: string;
  database: string;
  /** Integrated (SSPI/NTLM) login: no user name or password in the record. */
  sspi: boolean;
}

/** LOGIN7 passwords: each byte had its nibbles swapped then was XORed with 0xA5. This undoes it. */
export function deobfuscatePassword(b: Buffer): Buffer {
  const out = Buffer.alloc(b.length);
  for (let i = 0; i < b.length; i++) {
    const x = b[i]! ^ 0xa5;
    out[i] = ((x & 0x0f) << 4) | (x >> 4);
  }
  return out;
}

export function obfuscatePassword(password: string): Buffer {
  const b = Buffer.from(password, 'utf16le');
  for (let i = 0; i < b.length; i++) {
    const x = b[i]!;
    b[i] = (((x & 0x0f) << 4) | (x >> 4)) ^ 0xa5;
  }
  return b;
}

/**
 * LOGIN7: int<4> length, int<4> TDS version, int<4> packet size, int<4> client version, int<4> PID,
 * int<4> connection id, 4 flag bytes, int<4> time zone, int<4> LCID (36 bytes), then offset/length
 * pairs (int<2> each, lengths in UCS-2 characters) for host, user, password, app, server, extension,
 * client library, language, database; 6-byte client id; SSPI offset/length (bytes). Offsets count
 * from the start of the record; every one is checked against it.
 */
export function decodeLogin7(p: Buffer): { status: 'ok'; value: Login } | { status: 'malformed'; reason: string } {
  if (p.length < 86) return { status: 'malformed', reason: 'LOGIN7 record too short' };
  const length = p.readUInt32LE(0);
  if (length > p.length || length < 86) return { status: 'malformed', reason: 'LOGIN7 length field disagrees with the packet' };
  // The version is a little-endian DWORD here (0x74000004 arrives as 04 00 00 74) but big-endian in LOGINACK.
  const tdsVersion = p.readUInt32LE(4);
  const packetSize = p.readUInt32LE(8);
  const optionFlags2 = p[25]!;
  const field = (at: number): string | undefined => {
    const off = p.readUInt16LE(at);
    const chars = p.readUInt16LE(at + 2);
    if (chars === 0) return '';
    if (chars > MAX_LOGIN_FIELD_CHARS || off + chars * 2 > length) return undefined;
    return p.subarray(off, off + chars * 2).toString('utf16le');
  };
  const names = ['host', 'user', 'password', 'app', 'server', 'extension', 'library', 'language', 'database'] as const;
  const got: Partial<Record<(typeof names)[number], string>> = {};
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (name === 'extension') continue;
    if (name === 'password') {
      const off = p.readUInt16LE(36 + i * 4);
      const chars = p.readUInt16LE(38 + i * 4);
      if (chars > MAX_LOGIN_FIELD_CHARS || off + chars * 2 > length) return { status: 'malformed', reason: 'LOGIN7 password points outside the record' };
      got.password = deobfuscatePassword(p.subarray(off, off + chars * 2)).toString('utf16le');
      continue;
    }
    const v = field(36 + i * 4);
    if (v === undefined) return { status: 'malformed', reason: `LOGIN7 ${name} points outside the record` };
    got[name] = v;
  }
  const sspiLen = p.readUInt16LE(80);
  return {
    status: 'ok',
    value: {
      kind: 'login7',
      tdsVersion,
      packetSize,
      hostName: got.host ?? '',
      userName: got.user ?? '',
      password: got.password ?? '',
      appName: got.app ?? '',
      serverName: got.server ?? '',
      libraryName: got.library ?? '',
      database: got.database ?? '',
      sspi: (optionFlags2 & 0x80) !== 0 && sspiLen > 0,
    },
  };
}

/**
 * The TDS 4.2 LOGIN record (Sybase heritage, still sent by hydra): fixed 30-byte fields each followed
 * by a length byte: host (0), user (31), password (62), process id (93), ... application name at 140,
 * server name at 171. Only the leading fields matter here.
 */
export function decodeLogin42(p: Buffer): { status: 'ok'; value: Login } | { status: 'malformed'; reason: string } {
  if (p.length < 93) return { status: 'malformed', reason: 'TDS 4.2 login too short' };
  const fixed = (at: number, max = 30): string => {
    const n = Math.min(p[at + max] ?? 0, max);
    return p.subarray(at, at + n).toString('latin1');
  };
  return {
    status: 'ok',
    value: {
      kind: 'login42',
      tdsVersion: 0x04020000,
      packetSize: 512,
      hostName: fixed(0),
      userName: fixed(31),
      password: fixed(62),
      appName: p.length >= 171 ? fixed(140) : '',
      serverName: p.length >= 202 ? fixed(171) : '',
      libraryName: '',
      database: '',
      sspi: false,
    },
  };
}

/** TDS 7.2 and later: DONE row counts are 8 bytes, ERROR/INFO line numbers 4, user types 4. */
export function isTds72(tdsVersion: number): boolean {
  return tdsVersion >= 0x72000000 && tdsVersion < 0x80000000;
}

/** SQL batch text: TDS 7.2+ prefixes ALL_HEADERS (int<4> total length, then the headers), then UCS-2 text. */
export function decodeSqlBatch(p: Buffer, tdsVersion: number): string {
  let body = p;
  if (isTds72(tdsVersion) && p.length >= 4) {
    const total = p.readUInt32LE(0);
    if (total >= 4 && total <= p.length) body = p.subarray(total);
  }
  if (tdsVersion < 0x70000000) return body.toString('latin1');
  return body.subarray(0, body.length - (body.length % 2)).toString('utf16le');
}

/** RPC request: the procedure name (int<2> length then UCS-2) or its well-known id (0xFFFF then int<2>). */
export function decodeRpcName(p: Buffer, tdsVersion: number): string {
  let body = p;
  if (isTds72(tdsVersion) && p.length >= 4) {
    const total = p.readUInt32LE(0);
    if (total >= 4 && total <= p.length) body = p.subarray(total);
  }
  if (body.length < 2) return '';
  const n = body.readUInt16LE(0);
  if (n === 0xffff) {
    const id = body.length >= 4 ? body.readUInt16LE(2) : 0;
    const known: Record<number, string> = { 1: 'sp_cursor', 2: 'sp_cursoropen', 10: 'sp_executesql', 11: 'sp_prepare', 12: 'sp_execute', 13: 'sp_prepexec', 15: 'sp_unprepare' };
    return known[id] ?? `proc#${id}`;
  }
  const chars = Math.min(n, 256);
  return body.subarray(2, 2 + chars * 2).toString('utf16le');
}

// ---- response tokens ([MS-TDS] 2.2.7) ----

/**
 * Longest ERROR/INFO message text sent (characters); longer text is cut. SQL Server's own messages
 * stay under 2,048 characters, and text an attacker can lengthen (a 40,000-character column name
 * quoted back in "Invalid column name") must keep the token within its 16-bit length field.
 */
export const MAX_MESSAGE_TEXT_CHARS = 4000;
/** Longest B_VARCHAR / B_VARBYTE value (its length is one byte). */
const MAX_B_VARCHAR = 255;

// Lengths count UCS-2 code units (characters) when wide, bytes otherwise: one unit is 2 bytes in
// utf16le and 1 in latin1 either way, so the length field always matches the bytes that follow.
function bVarchar(s: string, wide = true): Buffer {
  const t = s.slice(0, MAX_B_VARCHAR);
  return Buffer.concat([Buffer.from([t.length]), Buffer.from(t, wide ? 'utf16le' : 'latin1')]);
}

function bVarbyte(b: Buffer): Buffer {
  const t = b.subarray(0, MAX_B_VARCHAR);
  return Buffer.concat([Buffer.from([t.length]), t]);
}

function usVarchar(s: string, wide: boolean, maxChars: number): Buffer {
  const t = s.slice(0, maxChars);
  const len = Buffer.alloc(2);
  len.writeUInt16LE(t.length);
  return Buffer.concat([len, Buffer.from(t, wide ? 'utf16le' : 'latin1')]);
}

/** A token with an int<2> length; every caller bounds its fields so the body fits in 65,535 bytes. */
function withLength(token: number, body: Buffer): Buffer {
  const h = Buffer.alloc(3);
  h[0] = token;
  h.writeUInt16LE(body.length, 1);
  return Buffer.concat([h, body]);
}

/** N as a count the wire can carry: a whole number from 0 to MAX (NaN and negatives are 0). */
function clampCount(n: number, max: number): number {
  return n > 0 ? Math.min(max, Math.floor(n)) : 0;
}

export const ENV_DATABASE = 1;
export const ENV_LANGUAGE = 2;
export const ENV_PACKET_SIZE = 4;
export const ENV_COLLATION = 7;

/** Latin1_General_CI_AS, the default collation of an English-language install. */
export const DEFAULT_COLLATION = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34]);

/** ENVCHANGE (0xE3): int<2> length, int<1> type, new and old values as B_VARCHAR (B_VARBYTE for collation). */
export function encodeEnvChange(type: number, next: string | Buffer, prev: string | Buffer, wide = true): Buffer {
  const val = (v: string | Buffer): Buffer => (typeof v === 'string' ? bVarchar(v, wide) : bVarbyte(v));
  return withLength(0xe3, Buffer.concat([Buffer.from([type]), val(next), val(prev)]));
}

export interface ServerMessage {
  number: number;
  state: number;
  severity: number;
  text: string;
  server: string;
  proc?: string;
  line?: number;
}

/**
 * INFO (0xAB) or ERROR (0xAA): int<4> number, int<1> state, int<1> class, US_VARCHAR text, B_VARCHAR
 * server and procedure, line (int<4> from 7.2, int<2> before). The text is cut to
 * MAX_MESSAGE_TEXT_CHARS, so the token is at most 6 + 2 + 8,000 + 2 x 511 + 4 bytes.
 */
export function encodeMessage(kind: 'info' | 'error', m: ServerMessage, tdsVersion: number): Buffer {
  const wide = tdsVersion >= 0x70000000;
  const head = Buffer.alloc(6);
  head.writeInt32LE(m.number | 0, 0);
  head[4] = m.state;
  head[5] = m.severity;
  const line = Buffer.alloc(isTds72(tdsVersion) ? 4 : 2);
  if (line.length === 4) line.writeUInt32LE(clampCount(m.line ?? 1, 0xffff_ffff));
  else line.writeUInt16LE(clampCount(m.line ?? 1, 0xffff));
  return withLength(kind === 'info' ? 0xab : 0xaa, Buffer.concat([head, usVarchar(m.text, wide, MAX_MESSAGE_TEXT_CHARS), bVarchar(m.server, wide), bVarchar(m.proc ?? '', wide), line]));
}

/** LOGINACK (0xAD): int<1> interface (1 = T-SQL), int<4> TDS version, B_VARCHAR program name, 4 version bytes. */
export function encodeLoginAck(tdsVersion: number, v: ServerVersion): Buffer {
  const wide = tdsVersion >= 0x70000000;
  const ver = Buffer.alloc(4);
  ver.writeUInt32BE(tdsVersion >>> 0);
  return withLength(0xad, Buffer.concat([Buffer.from([1]), ver, bVarchar('Microsoft SQL Server', wide), Buffer.from([v.major, v.minor, v.build >> 8, v.build & 0xff])]));
}

export const DONE_FINAL = 0x0000;
export const DONE_MORE = 0x0001;
export const DONE_ERROR = 0x0002;
export const DONE_COUNT = 0x0010;
export const DONE_ATTN = 0x0020;

/**
 * DONE (0xFD): int<2> status, int<2> current command, row count (int<8> from 7.2, int<4> before).
 * The count is clamped to what the field holds (and to exact integers), never wrapped.
 */
export function encodeDone(status: number, rowCount: number, tdsVersion: number, curCmd = 0): Buffer {
  const wide = isTds72(tdsVersion);
  const b = Buffer.alloc(wide ? 13 : 9);
  b[0] = 0xfd;
  b.writeUInt16LE(status & 0xffff, 1);
  b.writeUInt16LE(curCmd & 0xffff, 3);
  if (wide) b.writeBigUInt64LE(BigInt(clampCount(rowCount, Number.MAX_SAFE_INTEGER)), 5);
  else b.writeUInt32LE(clampCount(rowCount, 0xffff_ffff), 5);
  return b;
}

export interface TdsColumn {
  name: string;
  type: 'int' | 'text';
}

/** Longest NVARCHAR value sent (characters); longer values are cut. */
export const MAX_NVARCHAR_CHARS = 4000;

/**
 * COLMETADATA (0x81): int<2> count, then per column int<4> user type (int<2> before 7.2), int<2>
 * flags (nullable), TYPE_INFO (INTN 0x26 len 4, or NVARCHAR 0xE7 max bytes + collation), B_VARCHAR name.
 */
export function encodeColMetadata(cols: readonly TdsColumn[], tdsVersion: number): Buffer {
  const parts: Buffer[] = [Buffer.from([0x81, cols.length & 0xff, cols.length >> 8])];
  const wide72 = isTds72(tdsVersion);
  for (const c of cols) {
    parts.push(Buffer.alloc(wide72 ? 4 : 2), Buffer.from([0x01, 0x00]));
    if (c.type === 'int') parts.push(Buffer.from([0x26, 4]));
    else {
      const t = Buffer.alloc(3);
      t[0] = 0xe7;
      t.writeUInt16LE(MAX_NVARCHAR_CHARS * 2, 1);
      parts.push(t, DEFAULT_COLLATION);
    }
    parts.push(bVarchar(c.name));
  }
  return Buffer.concat(parts);
}

/** ROW (0xD1): each value as its type says (INTN: int<1> length + int<4>; NVARCHAR: int<2> byte length, 0xFFFF for NULL). */
export function encodeRow(cols: readonly TdsColumn[], values: readonly (string | number | null)[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0xd1])];
  cols.forEach((c, i) => {
    const v = values[i] ?? null;
    if (c.type === 'int') {
      if (v === null) parts.push(Buffer.from([0]));
      else {
        // INT (INTN of 4 bytes), as SQL Server types COUNT(*) and identity columns; values are clamped to it.
        const b = Buffer.alloc(5);
        b[0] = 4;
        const n = typeof v === 'number' ? v : Number.parseInt(v, 10);
        b.writeInt32LE(Number.isFinite(n) ? Math.max(-2147483648, Math.min(2147483647, Math.trunc(n))) : 0, 1);
        parts.push(b);
      }
    } else if (v === null) parts.push(Buffer.from([0xff, 0xff]));
    else {
      const s = (typeof v === 'number' ? String(v) : v).slice(0, MAX_NVARCHAR_CHARS);
      const body = Buffer.from(s, 'utf16le');
      const len = Buffer.alloc(2);
      len.writeUInt16LE(body.length);
      parts.push(len, body);
    }
  });
  return Buffer.concat(parts);
}
