// Decodes what an SSH client sends before encryption starts: its identification line and its
// KEXINIT, which give the client version and the HASSH fingerprint. Pure: bytes in, result out.
import { createHash } from 'node:crypto';
import { ByteReader } from '../../wire/reader.js';

/** RFC 4253 4.2: the identification line is at most 255 bytes including CR LF. */
export const MAX_IDENT_BYTES = 255;
/** RFC 4253 6.1: implementations must handle packets of 35000 bytes; we read no further. */
export const MAX_PACKET_BYTES = 35_000;
/** One name-list of a KEXINIT. */
export const MAX_NAME_LIST_BYTES = 4096;
/** Bytes buffered before giving up on the hello. */
export const MAX_HELLO_BYTES = MAX_IDENT_BYTES + 4 + MAX_PACKET_BYTES;

const SSH_MSG_KEXINIT = 20;

export interface ClientIdent {
  raw: string;
  protoversion: string;
  software: string;
  comments?: string;
}

export interface KexInit {
  kex_algs: string[];
  key_algs: string[];
  enc_cs: string[];
  enc_sc: string[];
  mac_cs: string[];
  mac_sc: string[];
  comp_cs: string[];
  comp_sc: string[];
}

export type HelloResult =
  | { status: 'incomplete'; ident?: ClientIdent }
  | { status: 'malformed'; reason: string; ident?: ClientIdent }
  | { status: 'ok'; ident: ClientIdent; kexinit: KexInit };

/**
 * Identification (RFC 4253 4.2): "SSH-protoversion-softwareversion SP comments CR LF", printable US-ASCII.
 * Then the first binary packet (RFC 4253 6): uint32 packet_length, byte padding_length, payload, padding.
 * KEXINIT payload (RFC 4253 7.1): byte 20, byte[16] cookie, ten name-lists
 * (kex, host key, enc c2s, enc s2c, mac c2s, mac s2c, comp c2s, comp s2c, lang c2s, lang s2c),
 * boolean first_kex_packet_follows, uint32 reserved.
 */
export function decodeClientHello(buf: Uint8Array): HelloResult {
  const nl = buf.indexOf(0x0a);
  if (nl === -1) {
    if (buf.length >= 4 && !startsWithSsh(buf)) return { status: 'malformed', reason: 'not an SSH identification line' };
    if (buf.length > MAX_IDENT_BYTES) return { status: 'malformed', reason: 'identification line too long' };
    return { status: 'incomplete' };
  }
  if (nl + 1 > MAX_IDENT_BYTES) return { status: 'malformed', reason: 'identification line too long' };
  if (!startsWithSsh(buf)) return { status: 'malformed', reason: 'not an SSH identification line' };
  const lineEnd = nl > 0 && buf[nl - 1] === 0x0d ? nl - 1 : nl;
  const line = Buffer.from(buf.subarray(0, lineEnd)).toString('latin1');
  const m = /^SSH-([^-\s]+)-([^\s]*)(?: (.*))?$/s.exec(line);
  if (!m || /[^\x20-\x7e]/.test(line)) return { status: 'malformed', reason: 'identification line not printable "SSH-x-y" form' };
  const ident: ClientIdent = { raw: line, protoversion: m[1]!, software: m[2]!, ...(m[3] !== undefined ? { comments: m[3] } : {}) };

  const r = new ByteReader(buf, nl + 1);
  const packetLength = r.u32be();
  if (packetLength === undefined) return { status: 'incomplete', ident };
  if (packetLength < 5 || packetLength > MAX_PACKET_BYTES) return { status: 'malformed', reason: `packet length ${packetLength} out of range`, ident };
  if (r.remaining < packetLength) return { status: 'incomplete', ident };
  const paddingLength = r.u8()!;
  if (paddingLength + 1 > packetLength) return { status: 'malformed', reason: 'padding longer than packet', ident };
  const payload = new ByteReader(buf, r.offset, r.offset + packetLength - 1 - paddingLength);
  if (payload.u8() !== SSH_MSG_KEXINIT) return { status: 'malformed', reason: 'first packet is not KEXINIT', ident };
  if (payload.bytes(16) === undefined) return { status: 'malformed', reason: 'KEXINIT truncated', ident };
  const lists: string[][] = [];
  for (let i = 0; i < 10; i++) {
    const s = payload.sshString(MAX_NAME_LIST_BYTES);
    if (s === undefined) return { status: 'malformed', reason: 'KEXINIT name-list truncated or too long', ident };
    const text = Buffer.from(s).toString('latin1');
    lists.push(text.length ? text.split(',') : []);
  }
  return {
    status: 'ok',
    ident,
    kexinit: {
      kex_algs: lists[0]!,
      key_algs: lists[1]!,
      enc_cs: lists[2]!,
      enc_sc: lists[3]!,
      mac_cs: lists[4]!,
      mac_sc: lists[5]!,
      comp_cs: lists[6]!,
      comp_sc: lists[7]!,
    },
  };
}

function startsWithSsh(buf: Uint8Array): boolean {
  return buf[0] === 0x53 && buf[1] === 0x53 && buf[2] === 0x48 && buf[3] === 0x2d;
}

/** HASSH (Salesforce): md5 of "kex;enc_c2s;mac_c2s;comp_c2s", each a comma-joined list. */
export function hassh(k: KexInit): { hassh: string; algorithms: string } {
  const algorithms = [k.kex_algs, k.enc_cs, k.mac_cs, k.comp_cs].map((l) => l.join(',')).join(';');
  return { hassh: createHash('md5').update(algorithms).digest('hex'), algorithms };
}
