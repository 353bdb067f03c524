// SMB1 (CIFS, NT LM 0.12) message framing: the 32-byte header, parameter words and data bytes, and
// AndX chains walked with a depth cap and strictly increasing offsets ([MS-CIFS] 2.2.3, 2.2.3.4).
import { ByteReader, ByteWriter, type Decoded, incomplete, malformed, ok } from '../../../wire/reader.js';

export const SMB1_HEADER_LEN = 32;
/** AndX commands followed in one message; more ends the chain with a malformed result. */
export const MAX_ANDX_DEPTH = 8;

export const SMB1 = {
  CREATE_DIRECTORY: 0x00,
  DELETE_DIRECTORY: 0x01,
  CLOSE: 0x04,
  DELETE: 0x06,
  TRANSACTION: 0x25,
  TRANSACTION_SECONDARY: 0x26,
  ECHO: 0x2b,
  READ_ANDX: 0x2e,
  WRITE_ANDX: 0x2f,
  TRANSACTION2: 0x32,
  TRANSACTION2_SECONDARY: 0x33,
  TREE_DISCONNECT: 0x71,
  NEGOTIATE: 0x72,
  SESSION_SETUP_ANDX: 0x73,
  LOGOFF_ANDX: 0x74,
  TREE_CONNECT_ANDX: 0x75,
  NT_TRANSACT: 0xa0,
  NT_TRANSACT_SECONDARY: 0xa1,
  NT_CREATE_ANDX: 0xa2,
  NO_ANDX: 0xff,
} as const;

/** Commands whose first four parameter bytes are an AndX block (command, reserved, offset). */
export const ANDX_COMMANDS: ReadonlySet<number> = new Set([
  0x2d /* OPEN_ANDX */, 0x2e, 0x2f, 0x24 /* LOCKING_ANDX */, 0x73, 0x74, 0x75, 0xa2,
]);

export const FLAGS2 = {
  LONG_NAMES: 0x0001,
  EXTENDED_SECURITY: 0x0800,
  NT_STATUS: 0x4000,
  UNICODE: 0x8000,
} as const;

export interface Smb1Header {
  command: number;
  status: number;
  flags: number;
  flags2: number;
  pidHigh: number;
  signature: Uint8Array;
  tid: number;
  pid: number;
  uid: number;
  mid: number;
}

/** One command block of a message: its parameter words and data bytes, with offsets in the message. */
export interface Smb1Block {
  command: number;
  /** Offset of the WordCount byte from the start of the header. */
  offset: number;
  words: Uint8Array;
  bytes: Uint8Array;
  /** Offset of the first data byte from the start of the header (for alignment and offset fields). */
  bytesOffset: number;
}

export interface Smb1Message {
  header: Smb1Header;
  blocks: Smb1Block[];
  /** The whole message (offset fields inside parameters count from its start). */
  raw: Uint8Array;
}

/**
 * Header ([MS-CIFS] 2.2.3.1): "\xFFSMB", Command (1), Status (4), Flags (1), Flags2 (2), PIDHigh (2),
 * SecurityFeatures (8), Reserved (2), TID (2), PIDLow (2), UID (2), MID (2).
 */
export function decodeSmb1Header(msg: Uint8Array): Decoded<Smb1Header> {
  if (msg.length < SMB1_HEADER_LEN) return msg.length >= 4 && !isSmb1(msg) ? malformed('not an SMB1 message') : incomplete();
  if (!isSmb1(msg)) return malformed('not an SMB1 message');
  const r = new ByteReader(msg, 4);
  const command = r.u8()!;
  const status = r.u32le()!;
  const flags = r.u8()!;
  const flags2 = r.u16le()!;
  const pidHigh = r.u16le()!;
  const signature = r.bytes(8)!;
  r.advance(2);
  const tid = r.u16le()!;
  const pid = r.u16le()!;
  const uid = r.u16le()!;
  const mid = r.u16le()!;
  return ok({ command, status, flags, flags2, pidHigh, signature, tid, pid, uid, mid }, SMB1_HEADER_LEN);
}

export function isSmb1(msg: Uint8Array): boolean {
  return msg.length >= 4 && msg[0] === 0xff && msg[1] === 0x53 && msg[2] === 0x4d && msg[3] === 0x42;
}

/** Reads WordCount, words, ByteCount and bytes at `offset` ([MS-CIFS] 2.2.3.2, 2.2.3.3). */
function readBlock(msg: Uint8Array, command: number, offset: number): Smb1Block | string {
  const r = new ByteReader(msg, offset);
  const wc = r.u8();
  if (wc === undefined) return 'missing WordCount';
  const words = r.bytes(wc * 2);
  if (!words) return 'parameter words run past the message';
  const bc = r.u16le();
  // Some clients (and EternalBlue) send a ByteCount that runs past the end; keep what is there.
  if (bc === undefined) return { command, offset, words, bytes: new Uint8Array(0), bytesOffset: r.offset };
  const bytesOffset = r.offset;
  const bytes = msg.subarray(bytesOffset, Math.min(msg.length, bytesOffset + bc));
  return { command, offset, words, bytes, bytesOffset };
}

/** Decodes a whole message (one NetBIOS frame) and walks its AndX chain. */
export function decodeSmb1Message(msg: Uint8Array): Decoded<Smb1Message> {
  const h = decodeSmb1Header(msg);
  if (h.status !== 'ok') return h.status === 'incomplete' ? malformed('SMB1 message shorter than its header') : h;
  const blocks: Smb1Block[] = [];
  let command = h.value.command;
  let offset = SMB1_HEADER_LEN;
  for (let depth = 0; ; depth++) {
    if (depth >= MAX_ANDX_DEPTH) return malformed(`AndX chain deeper than ${MAX_ANDX_DEPTH}`);
    const b = readBlock(msg, command, offset);
    if (typeof b === 'string') {
      if (depth === 0) return malformed(b);
      break; // a broken follower ends the chain; the commands before it still run
    }
    blocks.push(b);
    if (!ANDX_COMMANDS.has(command) || b.words.length < 4) break;
    const next = b.words[0]!;
    const nextOffset = b.words[2]! | (b.words[3]! << 8);
    if (next === SMB1.NO_ANDX) break;
    if (nextOffset <= offset || nextOffset >= msg.length) return malformed('AndX offset does not move forward inside the message');
    command = next;
    offset = nextOffset;
  }
  return ok({ header: h.value, blocks, raw: msg }, msg.length);
}

export interface Smb1ReplyBlock {
  command: number;
  words: Uint8Array;
  /** Rewrites the words once the data's offset from the header is known (READ_ANDX, TRANSACTION). */
  finalize?: (bytesOffset: number) => Uint8Array;
  /** Data bytes; `dataAlign` pads them so that they start at a multiple of it from the header. */
  bytes: Uint8Array;
}

/**
 * Builds a reply: header fields echo the request's, status and UID/TID as given, and the blocks
 * are chained with AndX offsets when there is more than one ([MS-CIFS] 2.2.3.4).
 */
export function encodeSmb1Reply(
  req: Smb1Header,
  fields: { status: number; tid?: number; uid?: number; mid?: number; flags?: number; flags2?: number; signature?: Uint8Array },
  blocks: Smb1ReplyBlock[],
): Uint8Array {
  const w = new ByteWriter(1 << 20);
  w.bytes(Uint8Array.of(0xff, 0x53, 0x4d, 0x42));
  w.u8(blocks[0]?.command ?? req.command);
  w.u32le(fields.status);
  w.u8(fields.flags ?? 0x98); // reply, case-insensitive, canonicalised paths
  w.u16le(fields.flags2 ?? ((req.flags2 & (FLAGS2.UNICODE | FLAGS2.EXTENDED_SECURITY | FLAGS2.LONG_NAMES | 0x0002 | 0x0040 | 0x1000)) | FLAGS2.NT_STATUS));
  w.u16le(req.pidHigh);
  w.bytes(fields.signature ?? new Uint8Array(8));
  w.u16le(0);
  w.u16le(fields.tid ?? req.tid);
  w.u16le(req.pid);
  w.u16le(fields.uid ?? req.uid);
  w.u16le(fields.mid ?? req.mid);
  blocks.forEach((b, i) => {
    const andxAt = w.length + 1;
    const ws = b.finalize ? b.finalize(w.length + 1 + b.words.length + 2) : b.words;
    w.u8(ws.length >> 1);
    w.bytes(ws);
    w.u16le(b.bytes.length);
    w.bytes(b.bytes);
    if (ANDX_COMMANDS.has(b.command) && b.words.length >= 4) {
      const next = blocks[i + 1];
      w.patchU8(andxAt, next ? next.command : SMB1.NO_ANDX);
      w.patchU8(andxAt + 1, 0);
      w.patchU16le(andxAt + 2, next ? w.length : 0);
    }
  });
  return w.finish();
}

/** Parameter words for a block; AndX blocks start with four placeholder bytes filled in by the encoder. */
export function words(build: (w: ByteWriter) => void, andx = false): Uint8Array {
  const w = new ByteWriter(512);
  if (andx) w.u32le(0x000000ff);
  build(w);
  return w.finish();
}

/** A NUL-terminated string in the message's encoding; Unicode strings are aligned to 2 from the header. */
export function smbString(s: string, unicode: boolean, offsetFromHeader: number): Uint8Array {
  const w = new ByteWriter(4 * s.length + 8);
  if (unicode) {
    if (offsetFromHeader % 2 === 1) w.u8(0);
    for (let i = 0; i < s.length; i++) w.u16le(s.charCodeAt(i));
    w.u16le(0);
  } else {
    for (let i = 0; i < s.length; i++) w.u8(s.charCodeAt(i) & 0xff);
    w.u8(0);
  }
  return w.finish();
}
