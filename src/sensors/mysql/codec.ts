// The MySQL client/server wire protocol as pure functions: packet framing, the v10 greeting, the
// client's handshake response, commands, and the OK/ERR/EOF/result-set answers. No I/O here.

/** Largest payload of one wire packet (3-byte length); bigger payloads are split into several. */
export const MAX_PACKET_PAYLOAD = 0xffffff;
/** Largest logical message (a command with its continuation packets) we buffer from a client. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Longest user name, database or plugin name read from a handshake response. */
export const MAX_NAME_BYTES = 1024;
/** Longest authentication response kept (a native scramble is 20 bytes; RSA-encrypted ones 256-512). */
export const MAX_AUTH_RESPONSE_BYTES = 1024;
/** Most connection attributes kept from one handshake response. */
export const MAX_CONNECT_ATTRS = 64;

// Capability flags (MySQL: include/mysql_com.h, "Capabilities Flags").
export const CLIENT_LONG_PASSWORD = 0x1;
export const CLIENT_FOUND_ROWS = 0x2;
export const CLIENT_LONG_FLAG = 0x4;
export const CLIENT_CONNECT_WITH_DB = 0x8;
export const CLIENT_COMPRESS = 0x20;
export const CLIENT_PROTOCOL_41 = 0x200;
export const CLIENT_SSL = 0x800;
export const CLIENT_TRANSACTIONS = 0x2000;
export const CLIENT_SECURE_CONNECTION = 0x8000;
export const CLIENT_MULTI_STATEMENTS = 0x10000;
export const CLIENT_MULTI_RESULTS = 0x20000;
export const CLIENT_PS_MULTI_RESULTS = 0x40000;
export const CLIENT_PLUGIN_AUTH = 0x80000;
export const CLIENT_CONNECT_ATTRS = 0x100000;
export const CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 0x200000;
export const CLIENT_DEPRECATE_EOF = 0x1000000;

/**
 * What the decoy advertises: a stock server's flags with SSL (mysqld always has its auto-generated
 * certificates) but without compression (one codec less to expose), and without DEPRECATE_EOF and
 * SESSION_TRACK so every client reads the classic EOF-terminated result sets. A session that cannot
 * switch to TLS (no certificate) clears CLIENT_SSL.
 */
export const SERVER_CAPABILITIES = (0xffff & ~CLIENT_COMPRESS) | 0x7f0000;

export const SERVER_STATUS_AUTOCOMMIT = 0x0002;
export const SERVER_MORE_RESULTS_EXISTS = 0x0008;

export const NATIVE_PLUGIN = 'mysql_native_password';
export const CACHING_SHA2_PLUGIN = 'caching_sha2_password';

// Column types (enum_field_types).
export const TYPE_LONG = 0x03;
export const TYPE_LONGLONG = 0x08;
export const TYPE_DATETIME = 0x0c;
export const TYPE_DECIMAL = 0xf6;
export const TYPE_VAR_STRING = 0xfd;

export type Decoded<T> = { status: 'ok'; value: T; consumed: number } | { status: 'incomplete' } | { status: 'malformed'; reason: string };

export interface Packet {
  seq: number;
  payload: Buffer;
}

/**
 * Packet framing (Protocol::Packet): int<3> payload_length, int<1> sequence_id, payload. A payload of
 * exactly 0xffffff bytes continues in the next packet; the logical message ends with a shorter one.
 * Returns the whole logical message, or incomplete until all its packets are here.
 */
export function decodeMessage(buf: Buffer, max = MAX_MESSAGE_BYTES): Decoded<Packet> {
  let off = 0;
  let total = 0;
  let seq = -1;
  const parts: Buffer[] = [];
  for (;;) {
    if (buf.length - off < 4) return { status: 'incomplete' };
    const len = buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16);
    const s = buf[off + 3]!;
    if (seq >= 0 && s !== ((seq + 1) & 0xff)) return { status: 'malformed', reason: 'packet out of sequence' };
    seq = s;
    total += len;
    if (total > max) return { status: 'malformed', reason: `message larger than ${max} bytes` };
    if (buf.length - off - 4 < len) return { status: 'incomplete' };
    parts.push(buf.subarray(off + 4, off + 4 + len));
    off += 4 + len;
    if (len < MAX_PACKET_PAYLOAD) break;
  }
  const payload = parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
  return { status: 'ok', value: { seq, payload }, consumed: off };
}

/** Frames PAYLOAD as packets starting at sequence SEQ; returns the bytes and the next sequence id. */
export function encodePacket(payload: Buffer, seq: number): { bytes: Buffer; next: number } {
  const out: Buffer[] = [];
  let off = 0;
  let s = seq & 0xff;
  for (;;) {
    const len = Math.min(MAX_PACKET_PAYLOAD, payload.length - off);
    const head = Buffer.from([len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, s]);
    out.push(head, payload.subarray(off, off + len));
    off += len;
    s = (s + 1) & 0xff;
    if (len < MAX_PACKET_PAYLOAD) break;
  }
  return { bytes: Buffer.concat(out), next: s };
}

/**
 * Frames PAYLOADS as consecutive packets starting at sequence SEQ, into one buffer (one allocation
 * for a whole answer); payloads of MAX_PACKET_PAYLOAD or more are split as encodePacket does.
 */
export function encodePackets(payloads: readonly Buffer[], seq: number): { bytes: Buffer; next: number } {
  let total = 0;
  for (const p of payloads) {
    if (p.length >= MAX_PACKET_PAYLOAD) {
      // Rare (a 16 MiB answer): frame each payload on its own and join them.
      const out: Buffer[] = [];
      let s = seq;
      for (const q of payloads) {
        const e = encodePacket(q, s);
        out.push(e.bytes);
        s = e.next;
      }
      return { bytes: Buffer.concat(out), next: s };
    }
    total += 4 + p.length;
  }
  const bytes = Buffer.allocUnsafe(total);
  let off = 0;
  let s = seq & 0xff;
  for (const p of payloads) {
    const len = p.length;
    bytes[off] = len & 0xff;
    bytes[off + 1] = (len >> 8) & 0xff;
    bytes[off + 2] = (len >> 16) & 0xff;
    bytes[off + 3] = s;
    p.copy(bytes, off + 4);
    off += 4 + len;
    s = (s + 1) & 0xff;
  }
  return { bytes, next: s };
}

// ---- length-encoded integers and strings (Protocol::LengthEncodedInteger) ----

/**
 * Largest length-encoded integer written. The field holds 64 bits, but numbers past this are not
 * exact in JavaScript (and BigInt() of 1e300 overflows the field); the decoder clamps to it as well.
 */
export const MAX_LENENC_VALUE = Number.MAX_SAFE_INTEGER;

/** A warning count as its int<2> field holds it: 0 to 65,535 (NaN and negatives are 0). */
function warningCount(n: number): number {
  return Math.min(0xffff, Math.max(0, n)) | 0;
}

/**
 * Protocol::LengthEncodedInteger. VALUE is clamped to a whole number from 0 to MAX_LENENC_VALUE: an
 * affected-rows count or insert id the decoy engine got from an attacker's value (1e300, -1, NaN)
 * is answered as the nearest value the field can carry instead of throwing or wrapping into a marker
 * byte (0xfb NULL, 0xff error).
 */
export function encodeLenenc(value: number): Buffer {
  const n = value > 0 ? Math.min(MAX_LENENC_VALUE, Math.floor(value)) : 0;
  if (n < 0xfb) return Buffer.from([n]);
  if (n < 0x10000) return Buffer.from([0xfc, n & 0xff, n >> 8]);
  if (n < 0x1000000) return Buffer.from([0xfd, n & 0xff, (n >> 8) & 0xff, n >> 16]);
  const b = Buffer.alloc(9);
  b[0] = 0xfe;
  b.writeBigUInt64LE(BigInt(n), 1);
  return b;
}

export function encodeLenencString(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([encodeLenenc(b.length), b]);
}

/** A small cursor over one payload; every read returns undefined past the end instead of throwing. */
class Cursor {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get left(): number {
    return this.buf.length - this.pos;
  }
  u8(): number | undefined {
    return this.pos < this.buf.length ? this.buf[this.pos++] : undefined;
  }
  u16(): number | undefined {
    if (this.left < 2) return undefined;
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number | undefined {
    if (this.left < 4) return undefined;
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer | undefined {
    if (n < 0 || this.left < n) return undefined;
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  /** NUL-terminated; a missing terminator takes the rest (some clients omit the last one). */
  cstr(max: number): Buffer | undefined {
    const end = this.buf.indexOf(0, this.pos);
    const stop = end < 0 ? this.buf.length : end;
    if (stop - this.pos > max) return undefined;
    const b = this.buf.subarray(this.pos, stop);
    this.pos = end < 0 ? this.buf.length : end + 1;
    return b;
  }
  lenenc(): number | undefined {
    const f = this.u8();
    if (f === undefined) return undefined;
    if (f < 0xfb) return f;
    if (f === 0xfc) return this.u16();
    if (f === 0xfd) {
      const b = this.bytes(3);
      return b ? b[0]! | (b[1]! << 8) | (b[2]! << 16) : undefined;
    }
    if (f === 0xfe) {
      const b = this.bytes(8);
      if (!b) return undefined;
      const v = b.readBigUInt64LE(0);
      return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
    }
    return undefined; // 0xfb is NULL, 0xff an error marker: neither is a length here
  }
  lenencBytes(max: number): Buffer | undefined {
    const n = this.lenenc();
    if (n === undefined || n > max) return undefined;
    return this.bytes(n);
  }
}

// ---- the greeting ----

export interface Greeting {
  serverVersion: string;
  connectionId: number;
  /** 20 bytes of salt ("auth-plugin-data"). */
  salt: Buffer;
  capabilities: number;
  charset: number;
  status: number;
  plugin: string;
}

/**
 * Protocol::HandshakeV10: int<1> 0x0a, string<NUL> server version, int<4> connection id,
 * auth-plugin-data part 1 (8), filler 0x00, capabilities low int<2>, charset int<1>, status int<2>,
 * capabilities high int<2>, int<1> auth-plugin-data length, 10 reserved zero bytes,
 * auth-plugin-data part 2 (12 + NUL), string<NUL> auth plugin name.
 */
export function encodeGreeting(g: Greeting): Buffer {
  // One zeroed buffer written in place (a greeting goes out on every connection).
  const versionBytes = Buffer.byteLength(g.serverVersion);
  const headLen = 1 + versionBytes + 1 + 4;
  const out = Buffer.alloc(headLen + 8 + 19 + Math.max(0, g.salt.length - 8) + 1 + g.plugin.length + 1);
  out[0] = 0x0a;
  out.write(g.serverVersion, 1, 'latin1');
  out.writeUInt32LE(g.connectionId >>> 0, headLen - 4);
  let o = headLen;
  o += g.salt.copy(out, o, 0, Math.min(8, g.salt.length));
  out[o++] = 0;
  out.writeUInt16LE(g.capabilities & 0xffff, o);
  o += 2;
  out[o++] = g.charset;
  out.writeUInt16LE(g.status, o);
  o += 2;
  out.writeUInt16LE((g.capabilities >>> 16) & 0xffff, o);
  o += 2;
  out[o++] = g.salt.length + 1;
  o += 10;
  if (g.salt.length > 8) o += g.salt.copy(out, o, 8);
  out[o++] = 0;
  o += out.write(g.plugin, o, 'latin1');
  out[o++] = 0;
  return out.subarray(0, o);
}

// ---- the client's answer ----

export interface HandshakeResponse {
  kind: 'response';
  capabilities: number;
  maxPacket: number;
  charset: number;
  username: string;
  authResponse: Buffer;
  database?: string;
  plugin?: string;
  attrs: Record<string, string>;
}

export interface SslRequest {
  kind: 'ssl';
  capabilities: number;
}

function text(b: Buffer): string {
  return b.toString('utf8');
}

/**
 * Protocol::HandshakeResponse41: int<4> capabilities, int<4> max packet, int<1> charset, 23 filler
 * bytes, string<NUL> user, auth response (lenenc with PLUGIN_AUTH_LENENC_CLIENT_DATA, else int<1>
 * length with SECURE_CONNECTION, else string<NUL>), string<NUL> database if CONNECT_WITH_DB,
 * string<NUL> plugin if PLUGIN_AUTH, lenenc key/value attributes if CONNECT_ATTRS.
 * A 32-byte payload with CLIENT_SSL set is Protocol::SSLRequest (the client wants TLS first).
 * Pre-4.1 clients (Protocol::HandshakeResponse320) are malformed here: no server since 2004 takes them.
 */
export function decodeHandshakeResponse(payload: Buffer): { status: 'ok'; value: HandshakeResponse | SslRequest } | { status: 'malformed'; reason: string } {
  const c = new Cursor(payload);
  const caps = c.u32();
  if (caps === undefined) return { status: 'malformed', reason: 'handshake response too short' };
  if (!(caps & CLIENT_PROTOCOL_41)) return { status: 'malformed', reason: 'pre-4.1 handshake response' };
  const maxPacket = c.u32();
  const charset = c.u8();
  if (maxPacket === undefined || charset === undefined || !c.bytes(23)) return { status: 'malformed', reason: 'handshake response too short' };
  if (caps & CLIENT_SSL && c.left === 0) return { status: 'ok', value: { kind: 'ssl', capabilities: caps } };
  const user = c.cstr(MAX_NAME_BYTES);
  if (!user) return { status: 'malformed', reason: 'user name missing or too long' };
  let auth: Buffer | undefined;
  if (caps & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) auth = c.lenencBytes(MAX_AUTH_RESPONSE_BYTES);
  else if (caps & CLIENT_SECURE_CONNECTION) {
    const n = c.u8();
    auth = n === undefined ? undefined : c.bytes(n);
  } else auth = c.cstr(MAX_AUTH_RESPONSE_BYTES);
  // Old clients end the packet right after the user name.
  if (auth === undefined) {
    if (c.left !== 0) return { status: 'malformed', reason: 'auth response truncated or too long' };
    auth = Buffer.alloc(0);
  }
  const value: HandshakeResponse = { kind: 'response', capabilities: caps, maxPacket, charset, username: text(user), authResponse: Buffer.from(auth), attrs: {} };
  if (caps & CLIENT_CONNECT_WITH_DB && c.left > 0) {
    const db = c.cstr(MAX_NAME_BYTES);
    if (!db) return { status: 'malformed', reason: 'database name too long' };
    if (db.length) value.database = text(db);
  }
  if (caps & CLIENT_PLUGIN_AUTH && c.left > 0) {
    const p = c.cstr(MAX_NAME_BYTES);
    if (!p) return { status: 'malformed', reason: 'plugin name too long' };
    value.plugin = text(p);
  }
  if (caps & CLIENT_CONNECT_ATTRS && c.left > 0) {
    const total = c.lenenc();
    const block = total === undefined ? undefined : c.bytes(total);
    if (block) {
      const a = new Cursor(block);
      let n = 0;
      while (a.left > 0 && n < MAX_CONNECT_ATTRS) {
        const k = a.lenencBytes(MAX_NAME_BYTES);
        const v = a.lenencBytes(MAX_NAME_BYTES);
        if (!k || !v) break;
        value.attrs[text(k)] = text(v);
        n++;
      }
    }
  }
  return { status: 'ok', value };
}

// ---- commands ----

export const COM_QUIT = 0x01;
export const COM_INIT_DB = 0x02;
export const COM_QUERY = 0x03;
export const COM_FIELD_LIST = 0x04;
export const COM_STATISTICS = 0x09;
export const COM_PING = 0x0e;
export const COM_CHANGE_USER = 0x11;
export const COM_STMT_PREPARE = 0x16;
export const COM_SET_OPTION = 0x1b;
export const COM_RESET_CONNECTION = 0x1f;

export type Command =
  | { kind: 'quit' }
  | { kind: 'init_db'; database: Buffer }
  | { kind: 'query'; sql: Buffer }
  | { kind: 'field_list'; table: Buffer }
  | { kind: 'statistics' }
  | { kind: 'ping' }
  | { kind: 'set_option' }
  | { kind: 'prepare'; sql: Buffer }
  | { kind: 'change_user'; args: Buffer }
  | { kind: 'reset' }
  | { kind: 'unknown'; code: number };

/** The command phase: int<1> command code, then the command's arguments (the rest of the payload). */
export function decodeCommand(payload: Buffer): Command | undefined {
  const code = payload[0];
  if (code === undefined) return undefined;
  const rest = payload.subarray(1);
  switch (code) {
    case COM_QUIT:
      return { kind: 'quit' };
    case COM_INIT_DB:
      return { kind: 'init_db', database: rest };
    case COM_QUERY:
      return { kind: 'query', sql: rest };
    case COM_FIELD_LIST: {
      const nul = rest.indexOf(0);
      return { kind: 'field_list', table: nul < 0 ? rest : rest.subarray(0, nul) };
    }
    case COM_STATISTICS:
      return { kind: 'statistics' };
    case COM_PING:
      return { kind: 'ping' };
    case COM_SET_OPTION:
      return { kind: 'set_option' };
    case COM_STMT_PREPARE:
      return { kind: 'prepare', sql: rest };
    case COM_CHANGE_USER:
      return { kind: 'change_user', args: rest };
    case COM_RESET_CONNECTION:
      return { kind: 'reset' };
    default:
      return { kind: 'unknown', code };
  }
}

export interface ChangeUser {
  username: string;
  authResponse: Buffer;
  database?: string;
}

/**
 * COM_CHANGE_USER arguments: string<NUL> user, auth response (int<1> length + data with
 * SECURE_CONNECTION, else string<NUL>), string<NUL> database, then charset, plugin and attributes
 * (not needed here). Brute-force tools use it to try many passwords on one connection.
 */
export function decodeChangeUser(args: Buffer, clientCaps: number): ChangeUser | undefined {
  const c = new Cursor(args);
  const user = c.cstr(MAX_NAME_BYTES);
  if (!user) return undefined;
  let auth: Buffer | undefined;
  if (clientCaps & CLIENT_SECURE_CONNECTION) {
    const n = c.u8();
    auth = n === undefined ? undefined : c.bytes(n);
  } else auth = c.cstr(MAX_AUTH_RESPONSE_BYTES);
  if (auth === undefined) return undefined;
  const db = c.left > 0 ? c.cstr(MAX_NAME_BYTES) : undefined;
  return { username: text(user), authResponse: Buffer.from(auth), ...(db && db.length ? { database: text(db) } : {}) };
}

// ---- answers ----

/**
 * Protocol::OK_Packet (4.1): 0x00, lenenc affected rows, lenenc last insert id, int<2> status,
 * int<2> warnings, then the info text as a lenenc string when there is one (mysqld writes it with
 * net_store_data, and libmariadb reads it as lenenc).
 */
export function encodeOk(opts: { affectedRows?: number; insertId?: number; status?: number; warnings?: number; info?: string } = {}): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeUInt16LE((opts.status ?? SERVER_STATUS_AUTOCOMMIT) & 0xffff, 0);
  tail.writeUInt16LE(warningCount(opts.warnings ?? 0), 2);
  return Buffer.concat([Buffer.from([0]), encodeLenenc(opts.affectedRows ?? 0), encodeLenenc(opts.insertId ?? 0), tail, opts.info ? encodeLenencString(opts.info) : Buffer.alloc(0)]);
}

/** Protocol::ERR_Packet (4.1): 0xff, int<2> error code, '#', 5-char SQL state, message. */
export function encodeErr(code: number, sqlState: string, message: string): Buffer {
  const head = Buffer.alloc(3);
  head[0] = 0xff;
  head.writeUInt16LE(code & 0xffff, 1);
  return Buffer.concat([head, Buffer.from(`#${sqlState.padEnd(5, '0').slice(0, 5)}`, 'latin1'), Buffer.from(message, 'utf8')]);
}

/** Protocol::EOF_Packet (4.1): 0xfe, int<2> warnings, int<2> status. */
export function encodeEof(status = SERVER_STATUS_AUTOCOMMIT, warnings = 0): Buffer {
  const b = Buffer.alloc(5);
  b[0] = 0xfe;
  b.writeUInt16LE(warningCount(warnings), 1);
  b.writeUInt16LE(status & 0xffff, 3);
  return b;
}

/** Protocol::AuthSwitchRequest: 0xfe, string<NUL> plugin name, plugin data. */
export function encodeAuthSwitch(plugin: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xfe]), Buffer.from(`${plugin}\0`, 'latin1'), data]);
}

export interface Column {
  name: string;
  type: number;
  table?: string;
  schema?: string;
  length?: number;
  /** Column flags (NOT_NULL 1, PRI_KEY 2, UNSIGNED 32, BINARY 128, AUTO_INCREMENT 512, NUM 32768). */
  flags?: number;
}

/**
 * Protocol::ColumnDefinition41: lenenc "def", schema, table, org_table, name, org_name, lenenc 0x0c,
 * int<2> charset, int<4> column length, int<1> type, int<2> flags, int<1> decimals, 2 filler bytes.
 * A trailing default value follows only in answers to COM_FIELD_LIST.
 */
export function encodeColumn(col: Column, forFieldList = false): Buffer {
  // Column definitions repeat from one answer to the next (the same tables, the same expressions),
  // so each is encoded once and kept; the cache is bounded, and emptied when full.
  const key = `${col.type}|${col.flags ?? ''}|${col.length ?? ''}|${forFieldList ? 1 : 0}|${col.schema ?? ''}|${col.table ?? ''}|${col.name}`;
  const cached = columnCache.get(key);
  if (cached) return cached;
  const fixed = Buffer.alloc(13);
  fixed[0] = 0x0c;
  const numeric = col.type === TYPE_LONG || col.type === TYPE_LONGLONG || col.type === TYPE_DECIMAL;
  fixed.writeUInt16LE(numeric ? 63 : 255, 1); // binary for numbers, utf8mb4_0900_ai_ci for text
  fixed.writeUInt32LE(col.length ?? (numeric ? 11 : 1020), 3);
  fixed[7] = col.type;
  fixed.writeUInt16LE((col.flags ?? 0) | (numeric ? 0x8000 : 0), 8);
  fixed[10] = col.type === TYPE_DECIMAL ? 2 : 0;
  const parts = [
    encodeLenencString('def'),
    encodeLenencString(col.schema ?? ''),
    encodeLenencString(col.table ?? ''),
    encodeLenencString(col.table ?? ''),
    encodeLenencString(col.name),
    encodeLenencString(col.name),
    fixed,
  ];
  if (forFieldList) parts.push(Buffer.from([0xfb]));
  const out = Buffer.concat(parts);
  // An alias can be a megabyte-long string literal: only short definitions are kept.
  if (key.length > MAX_CACHED_COLUMN_KEY_CHARS) return out;
  if (columnCache.size >= MAX_CACHED_COLUMNS) columnCache.clear();
  columnCache.set(key, out);
  return out;
}

/** Column definitions kept encoded (a few hundred distinct ones in any real session). */
export const MAX_CACHED_COLUMNS = 1024;
/** Longest cache key (names included) of a kept column definition; longer ones are encoded each time. */
export const MAX_CACHED_COLUMN_KEY_CHARS = 512;
const columnCache = new Map<string, Buffer>();

/** How many column definitions are kept encoded now (for tests of the bound). */
export function cachedColumnCount(): number {
  return columnCache.size;
}

/** One text-protocol row: each value a lenenc string, NULL as 0xfb. */
export function encodeRow(values: readonly (string | null)[]): Buffer {
  // Sized first, then written into one buffer.
  let total = 0;
  for (const v of values) {
    if (v === null) total += 1;
    else {
      const n = Buffer.byteLength(v, 'utf8');
      total += lenencSize(n) + n;
    }
  }
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (const v of values) {
    if (v === null) {
      out[off++] = 0xfb;
      continue;
    }
    const n = Buffer.byteLength(v, 'utf8');
    off = writeLenenc(out, off, n);
    off += out.write(v, off, 'utf8');
  }
  return out;
}

function lenencSize(n: number): number {
  return n < 0xfb ? 1 : n < 0x10000 ? 3 : n < 0x1000000 ? 4 : 9;
}

/** Writes N as a length-encoded integer at OFF; returns the offset after it. */
function writeLenenc(out: Buffer, off: number, n: number): number {
  if (n < 0xfb) {
    out[off] = n;
    return off + 1;
  }
  const b = encodeLenenc(n);
  b.copy(out, off);
  return off + b.length;
}

/**
 * A text result set as payloads: column count, column definitions, EOF, rows, EOF (the classic form,
 * since the decoy never advertises DEPRECATE_EOF). STATUS goes into the closing EOF.
 */
export function encodeResultSet(columns: readonly Column[], rows: readonly (readonly (string | null)[])[], status = SERVER_STATUS_AUTOCOMMIT): Buffer[] {
  return [encodeLenenc(columns.length), ...columns.map((c) => encodeColumn(c)), encodeEof(), ...rows.map(encodeRow), encodeEof(status)];
}
