// NetBIOS session service framing (RFC 1002 4.3) as used on 139 and, with a 24-bit length, on 445.
import { ByteReader, type Decoded, incomplete, malformed, ok } from '../../../wire/reader.js';

/** Largest SMB message accepted in one frame; bigger frames end the connection. */
export const MAX_NBSS_PAYLOAD = 256 * 1024;
/** Longest NetBIOS name (with scope labels) read from a session request. */
export const MAX_NETBIOS_NAME_BYTES = 255;

export const NBSS_MESSAGE = 0x00;
export const NBSS_SESSION_REQUEST = 0x81;
export const NBSS_POSITIVE_RESPONSE = 0x82;
export const NBSS_NEGATIVE_RESPONSE = 0x83;
export const NBSS_KEEPALIVE = 0x85;

export interface NbssFrame {
  type: number;
  payload: Uint8Array;
}

/**
 * One frame: type (1), flags/length-high (1), length (2, big-endian). On 445 ("direct") the type is
 * 0 and the three bytes after it are a 24-bit length; on 139 the flags byte holds only bit 0 (E).
 */
export function decodeNbssFrame(buf: Uint8Array, direct: boolean, max = MAX_NBSS_PAYLOAD): Decoded<NbssFrame> {
  if (buf.length < 4) return incomplete();
  const type = buf[0]!;
  const b1 = buf[1]!;
  if (!direct && (b1 & 0xfe) !== 0) return malformed('reserved NetBIOS flag bits set');
  const len = ((direct ? b1 : b1 & 1) << 16) | (buf[2]! << 8) | buf[3]!;
  if (len > max) return malformed(`NetBIOS frame of ${len} bytes exceeds ${max}`);
  if (buf.length < 4 + len) return incomplete();
  return ok({ type, payload: buf.subarray(4, 4 + len) }, 4 + len);
}

export function encodeNbssFrame(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  out[0] = type;
  out[1] = (payload.length >>> 16) & 0xff;
  out[2] = (payload.length >>> 8) & 0xff;
  out[3] = payload.length & 0xff;
  out.set(payload, 4);
  return out;
}

export interface SessionRequest {
  called: string;
  calling: string;
}

/** Decodes one first-level-encoded name (RFC 1001 14.1): length 32, 32 letters A-P, scope labels, 0. */
function decodeName(r: ByteReader): string | undefined {
  const start = r.offset;
  const len = r.u8();
  if (len !== 32) return undefined;
  const enc = r.bytes(32);
  if (!enc) return undefined;
  let name = '';
  for (let i = 0; i < 32; i += 2) {
    const hi = enc[i]! - 0x41;
    const lo = enc[i + 1]! - 0x41;
    if (hi < 0 || hi > 15 || lo < 0 || lo > 15) return undefined;
    name += String.fromCharCode((hi << 4) | lo);
  }
  // Scope labels follow until a zero length byte.
  for (;;) {
    const l = r.u8();
    if (l === undefined) return undefined;
    if (l === 0) break;
    if (l > 63 || !r.advance(l) || r.offset - start > MAX_NETBIOS_NAME_BYTES) return undefined;
  }
  return name.slice(0, 15).replace(/[\x00 ]+$/, '');
}

/** The session request body: called name then calling name. */
export function decodeSessionRequest(payload: Uint8Array): Decoded<SessionRequest> {
  const r = new ByteReader(payload);
  const called = decodeName(r);
  const calling = called === undefined ? undefined : decodeName(r);
  if (called === undefined || calling === undefined) return malformed('bad NetBIOS name in session request');
  return ok({ called, calling }, r.offset);
}

/** First-level encodes a name padded to 15 with spaces plus a suffix byte (for tests and clients). */
export function encodeNetbiosName(name: string, suffix = 0x20): Uint8Array {
  const raw = (name.toUpperCase() + ' '.repeat(15)).slice(0, 15) + String.fromCharCode(suffix);
  const out = new Uint8Array(34);
  out[0] = 32;
  for (let i = 0; i < 16; i++) {
    const c = raw.charCodeAt(i) & 0xff;
    out[1 + 2 * i] = 0x41 + (c >> 4);
    out[2 + 2 * i] = 0x41 + (c & 15);
  }
  return out;
}
