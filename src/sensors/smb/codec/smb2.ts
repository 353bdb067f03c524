// SMB2 message framing: the 64-byte sync header and compound chains via NextCommand ([MS-SMB2] 2.2.1).
import { ByteReader, ByteWriter, type Decoded, malformed, ok } from '../../../wire/reader.js';

export const SMB2_HEADER_LEN = 64;
/** Commands followed in one compound message. */
export const MAX_COMPOUND = 16;

export const SMB2 = {
  NEGOTIATE: 0x0000,
  SESSION_SETUP: 0x0001,
  LOGOFF: 0x0002,
  TREE_CONNECT: 0x0003,
  TREE_DISCONNECT: 0x0004,
  CREATE: 0x0005,
  CLOSE: 0x0006,
  FLUSH: 0x0007,
  READ: 0x0008,
  WRITE: 0x0009,
  LOCK: 0x000a,
  IOCTL: 0x000b,
  CANCEL: 0x000c,
  ECHO: 0x000d,
  QUERY_DIRECTORY: 0x000e,
  CHANGE_NOTIFY: 0x000f,
  QUERY_INFO: 0x0010,
  SET_INFO: 0x0011,
  OPLOCK_BREAK: 0x0012,
} as const;

export const SMB2_FLAGS = { RESPONSE: 0x1, ASYNC: 0x2, RELATED: 0x4, SIGNED: 0x8 } as const;

export interface Smb2Header {
  creditCharge: number;
  status: number;
  command: number;
  credits: number;
  flags: number;
  nextCommand: number;
  messageId: bigint;
  processId: number;
  treeId: number;
  sessionId: bigint;
}

export interface Smb2Request {
  header: Smb2Header;
  /** The command's body (after the header, up to the next command or the end). */
  body: Uint8Array;
  /** The header and body together: offset fields in bodies count from the header start. */
  raw: Uint8Array;
}

export function isSmb2(msg: Uint8Array): boolean {
  return msg.length >= 4 && msg[0] === 0xfe && msg[1] === 0x53 && msg[2] === 0x4d && msg[3] === 0x42;
}

/**
 * Sync header: "\xFESMB", StructureSize (2) = 64, CreditCharge (2), Status (4), Command (2),
 * CreditRequest (2), Flags (4), NextCommand (4), MessageId (8), Reserved (4) = ProcessId,
 * TreeId (4), SessionId (8), Signature (16). Async headers carry AsyncId (8) instead of PID+TID.
 */
function decodeHeader(msg: Uint8Array, at: number): Smb2Header | undefined {
  const r = new ByteReader(msg, at);
  const magic = r.bytes(4);
  if (!magic || !isSmb2(magic) || r.u16le() !== 64) return undefined;
  const creditCharge = r.u16le()!;
  const status = r.u32le()!;
  const command = r.u16le()!;
  const credits = r.u16le()!;
  const flags = r.u32le()!;
  const nextCommand = r.u32le()!;
  const messageId = r.u64le()!;
  const processId = r.u32le()!;
  const treeId = r.u32le()!;
  const sessionId = r.u64le();
  if (sessionId === undefined || r.remaining < 16) return undefined;
  return { creditCharge, status, command, credits, flags, nextCommand, messageId, processId, treeId, sessionId };
}

/** Splits a frame into its compound requests; NextCommand must be 8-aligned and move forward. */
export function decodeSmb2Message(msg: Uint8Array): Decoded<Smb2Request[]> {
  const out: Smb2Request[] = [];
  let at = 0;
  for (;;) {
    if (out.length >= MAX_COMPOUND) return malformed(`compound chain longer than ${MAX_COMPOUND}`);
    const header = decodeHeader(msg, at);
    if (!header) return malformed(out.length === 0 ? 'bad SMB2 header' : 'bad SMB2 header inside a compound chain');
    const next = header.nextCommand;
    if (next !== 0 && (next < SMB2_HEADER_LEN || next % 8 !== 0 || at + next >= msg.length)) return malformed('NextCommand outside the message');
    const end = next === 0 ? msg.length : at + next;
    out.push({ header, raw: msg.subarray(at, end), body: msg.subarray(at + SMB2_HEADER_LEN, end) });
    if (next === 0) break;
    at = end;
  }
  return ok(out, msg.length);
}

export interface Smb2Reply {
  command: number;
  status: number;
  messageId: bigint;
  credits: number;
  treeId: number;
  sessionId: bigint;
  processId: number;
  /** Async replies (STATUS_PENDING) are not sent by this server, so flags stay sync. */
  related?: boolean;
  body: Uint8Array;
}

/** Encodes replies, chaining several into one compound frame with 8-byte aligned NextCommand. */
export function encodeSmb2Replies(replies: Smb2Reply[]): Uint8Array {
  const w = new ByteWriter(1 << 21);
  replies.forEach((rep, i) => {
    const start = w.length;
    w.bytes(Uint8Array.of(0xfe, 0x53, 0x4d, 0x42));
    w.u16le(64);
    w.u16le(1);
    w.u32le(rep.status);
    w.u16le(rep.command);
    w.u16le(rep.credits);
    w.u32le(SMB2_FLAGS.RESPONSE | (rep.related ? SMB2_FLAGS.RELATED : 0));
    const nextAt = w.length;
    w.u32le(0);
    w.u64le(rep.messageId);
    w.u32le(rep.processId);
    w.u32le(rep.treeId);
    w.u64le(rep.sessionId);
    w.zeros(16);
    w.bytes(rep.body);
    if (i < replies.length - 1) {
      w.align(8, start);
      w.patchU32le(nextAt, w.length - start);
    }
  });
  return w.finish();
}

/** The error response body ([MS-SMB2] 2.2.2): StructureSize 9, no error data. */
export const SMB2_ERROR_BODY = Uint8Array.of(9, 0, 0, 0, 0, 0, 0, 0, 0);
