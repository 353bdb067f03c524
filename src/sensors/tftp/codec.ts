// TFTP packet codec (RFC 1350 5; options per RFC 2347). Pure: one datagram in, one packet out;
// never throws. Options are decoded (and recorded) but the server ignores them, as RFC 2347 permits.
//
//   RRQ/WRQ  | 01/02 | filename | 0 | mode | 0 | [option | 0 | value | 0]* |
//   DATA     | 03    | block (2) | 0..512 bytes |
//   ACK      | 04    | block (2) |
//   ERROR    | 05    | code (2)  | message | 0 |
import { setOwn } from '../../wire/own-property.js';

/** Block size without options (RFC 1350). */
export const BLOCK_SIZE = 512;
/** Longest file name accepted (no RFC limit; far beyond real names). */
export const MAX_FILENAME_BYTES = 512;
/** Options decoded from one request. */
export const MAX_OPTIONS = 16;
/** Longest option name or value. */
export const MAX_OPTION_BYTES = 64;

export type TftpPacket =
  | { op: 'RRQ' | 'WRQ'; filename: string; mode: string; options: Record<string, string> }
  | { op: 'DATA'; block: number; data: Buffer }
  | { op: 'ACK'; block: number }
  | { op: 'ERROR'; code: number; message: string };

export type TftpResult = { status: 'ok'; packet: TftpPacket } | { status: 'malformed'; reason: string };

function cstrings(b: Buffer, from: number, max: number): string[] | undefined {
  const out: string[] = [];
  let at = from;
  while (at < b.length) {
    const end = b.indexOf(0, at);
    if (end < 0) return undefined;
    out.push(b.toString('latin1', at, end));
    at = end + 1;
    if (out.length > max) return undefined;
  }
  return out;
}

export function decodeTftp(datagram: Uint8Array): TftpResult {
  const b = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  if (b.length < 4) return { status: 'malformed', reason: 'shorter than 4 bytes' };
  const op = b.readUInt16BE(0);
  switch (op) {
    case 1:
    case 2: {
      const parts = cstrings(b, 2, 2 + MAX_OPTIONS * 2);
      if (!parts || parts.length < 2) return { status: 'malformed', reason: 'request without NUL-terminated file name and mode' };
      const [filename, mode, ...opts] = parts as [string, string, ...string[]];
      if (filename.length === 0 || filename.length > MAX_FILENAME_BYTES) return { status: 'malformed', reason: 'bad file name length' };
      if (!/^(netascii|octet|mail)$/i.test(mode)) return { status: 'malformed', reason: 'unknown transfer mode' };
      if (opts.length % 2 !== 0) return { status: 'malformed', reason: 'option without value' };
      const options: Record<string, string> = {};
      for (let i = 0; i < opts.length; i += 2) {
        const k = opts[i]!.toLowerCase();
        const v = opts[i + 1]!;
        if (k.length === 0 || k.length > MAX_OPTION_BYTES || v.length > MAX_OPTION_BYTES) return { status: 'malformed', reason: 'bad option' };
        setOwn(options, k, v);
      }
      return { status: 'ok', packet: { op: op === 1 ? 'RRQ' : 'WRQ', filename, mode: mode.toLowerCase(), options } };
    }
    case 3:
      if (b.length > 4 + BLOCK_SIZE) return { status: 'malformed', reason: 'DATA larger than the block size' };
      return { status: 'ok', packet: { op: 'DATA', block: b.readUInt16BE(2), data: Buffer.from(b.subarray(4)) } };
    case 4:
      return b.length === 4 ? { status: 'ok', packet: { op: 'ACK', block: b.readUInt16BE(2) } } : { status: 'malformed', reason: 'ACK of wrong length' };
    case 5: {
      const end = b.indexOf(0, 4);
      return { status: 'ok', packet: { op: 'ERROR', code: b.readUInt16BE(2), message: b.toString('latin1', 4, end < 0 ? Math.min(b.length, 4 + 256) : Math.min(end, 4 + 256)) } };
    }
    default:
      return { status: 'malformed', reason: `unknown opcode ${op}` };
  }
}

/**
 * What tftpd-hpa sends back (as an EBADOP error's text) for a read or write request it cannot parse,
 * walking the strings as its tftp() does: a string that runs to the end of the datagram is "Request
 * not null-terminated", a mode it lacks is "Unknown mode", and an empty string before the mode (an
 * empty file name, a missing mode) ends the walk with "Missing mode". Requests that fail only our own
 * caps (name or option lengths) get the generic text.
 */
export function requestErrorText(datagram: Uint8Array): string {
  const b = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  let at = 2;
  let strings = 0;
  while (at < b.length && b[at] !== 0) {
    const end = b.indexOf(0, at);
    if (end < 0) return 'Request not null-terminated';
    strings++;
    if (strings === 2 && !/^(netascii|octet|mail)$/i.test(b.toString('latin1', at, end))) return 'Unknown mode';
    at = end + 1;
  }
  return strings < 2 ? 'Missing mode' : 'Illegal TFTP operation';
}

export function encodeData(block: number, data: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + data.length);
  out.writeUInt16BE(3, 0);
  out.writeUInt16BE(block & 0xffff, 2);
  out.set(data, 4);
  return out;
}

export function encodeAck(block: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt16BE(4, 0);
  out.writeUInt16BE(block & 0xffff, 2);
  return out;
}

/** RFC 1350 error codes: 0 not defined, 1 file not found, 2 access violation, 3 disk full, 4 illegal operation, 5 unknown TID, 6 file exists. */
export function encodeError(code: number, message: string): Buffer {
  return Buffer.concat([Buffer.from([0, 5, 0, code & 0xff]), Buffer.from(message, 'latin1'), Buffer.from([0])]);
}
