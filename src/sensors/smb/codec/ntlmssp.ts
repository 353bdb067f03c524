// NTLMSSP messages ([MS-NLMP] 2.2.1): the client's NEGOTIATE and AUTHENTICATE decoded, the server's
// CHALLENGE encoded, and the response written in the form hashcat reads (NetNTLMv1 5500, v2 5600).
import { ByteReader, ByteWriter, latin1ToString, sliceAt, stringToUtf16le, utf16leToString } from '../../../wire/reader.js';

export const NTLMSSP_SIGNATURE = Uint8Array.of(0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00);
/** Longest user, domain or workstation name kept (characters). */
export const MAX_NTLM_NAME_CHARS = 256;
/** Longest NT response kept (NTLMv2 blobs carry AV pairs; real ones are a few hundred bytes). */
export const MAX_NT_RESPONSE_BYTES = 4096;

export const NTLM_FLAGS = {
  UNICODE: 0x00000001,
  OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  NTLM: 0x00000200,
  ANONYMOUS: 0x00000800,
  ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  TARGET_TYPE_SERVER: 0x00020000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  TARGET_INFO: 0x00800000,
  VERSION: 0x02000000,
  KEY_128: 0x20000000,
  KEY_EXCH: 0x40000000,
  KEY_56: 0x80000000,
} as const;

export type NtlmMessage =
  | { type: 1; flags: number; domain: string; workstation: string }
  | {
      type: 3;
      flags: number;
      lmResponse: Uint8Array;
      ntResponse: Uint8Array;
      domain: string;
      user: string;
      workstation: string;
    };

export function isNtlmssp(buf: Uint8Array): boolean {
  if (buf.length < 12) return false;
  for (let i = 0; i < 8; i++) if (buf[i] !== NTLMSSP_SIGNATURE[i]) return false;
  return true;
}

/** A security buffer field: Len (2), MaxLen (2), Offset (4) pointing into the message. */
function field(msg: Uint8Array, r: ByteReader, max: number): Uint8Array | undefined {
  const len = r.u16le();
  r.u16le();
  const off = r.u32le();
  if (len === undefined || off === undefined) return undefined;
  if (len === 0) return new Uint8Array(0);
  if (len > max) return undefined;
  return sliceAt(msg, off, len);
}

function text(b: Uint8Array, unicode: boolean): string {
  return unicode ? utf16leToString(b, MAX_NTLM_NAME_CHARS, false) : latin1ToString(b, MAX_NTLM_NAME_CHARS, false);
}

/**
 * NEGOTIATE: Signature (8), MessageType (4) = 1, NegotiateFlags (4), DomainNameFields (8),
 * WorkstationFields (8), [Version (8)]. AUTHENTICATE: Signature, MessageType = 3,
 * LmChallengeResponseFields, NtChallengeResponseFields, DomainNameFields, UserNameFields,
 * WorkstationFields, EncryptedRandomSessionKeyFields (8 each), NegotiateFlags (4), ...
 */
export function decodeNtlm(msg: Uint8Array): NtlmMessage | undefined {
  if (!isNtlmssp(msg)) return undefined;
  const r = new ByteReader(msg, 8);
  const type = r.u32le();
  if (type === 1) {
    const flags = r.u32le() ?? 0;
    // Old clients stop after the flags; the name fields are optional in practice.
    const domain = r.remaining >= 8 ? field(msg, r, 512) : new Uint8Array(0);
    const workstation = r.remaining >= 8 ? field(msg, r, 512) : new Uint8Array(0);
    return { type: 1, flags, domain: domain ? text(domain, false) : '', workstation: workstation ? text(workstation, false) : '' };
  }
  if (type === 3) {
    const lmResponse = field(msg, r, 1024);
    const ntResponse = field(msg, r, MAX_NT_RESPONSE_BYTES);
    const domain = field(msg, r, 2 * MAX_NTLM_NAME_CHARS);
    const user = field(msg, r, 2 * MAX_NTLM_NAME_CHARS);
    const workstation = field(msg, r, 2 * MAX_NTLM_NAME_CHARS);
    field(msg, r, 1024);
    const flags = r.u32le();
    if (!lmResponse || !ntResponse || !domain || !user || !workstation || flags === undefined) return undefined;
    const uni = (flags & NTLM_FLAGS.UNICODE) !== 0;
    return { type: 3, flags, lmResponse, ntResponse, domain: text(domain, uni), user: text(user, uni), workstation: text(workstation, uni) };
  }
  return undefined;
}

export interface ChallengeParams {
  challenge: Uint8Array;
  /** The flags the client asked for (NEGOTIATE), echoed where the server supports them. */
  clientFlags: number;
  netbiosDomain: string;
  netbiosComputer: string;
  dnsDomain: string;
  dnsComputer: string;
  /** What TargetName (the NetBIOS domain) names: a domain, or the server itself on a workgroup host. */
  targetType: 'domain' | 'server';
  /** The forest (MsvAvDnsTreeName), for domain members only. */
  dnsTree?: string;
  /** FILETIME for the MsvAvTimestamp pair. */
  timestamp: bigint;
  /** Windows version in the VERSION field: major, minor, build. */
  version: [number, number, number];
}

/**
 * CHALLENGE: Signature, MessageType = 2, TargetNameFields (8), NegotiateFlags (4), ServerChallenge (8),
 * Reserved (8), TargetInfoFields (8), Version (8), then the payload (target name, AV pairs). nmap reads
 * the challenge at fixed offsets 24-31, so the layout is fixed with the payload at 56.
 */
export function encodeNtlmChallenge(p: ChallengeParams): Uint8Array {
  const uni = (p.clientFlags & NTLM_FLAGS.UNICODE) !== 0 || (p.clientFlags & NTLM_FLAGS.OEM) === 0;
  const targetName = uni ? stringToUtf16le(p.netbiosDomain) : new TextEncoder().encode(p.netbiosDomain);
  const av = new ByteWriter(1024);
  const pair = (id: number, s: string): void => {
    const b = stringToUtf16le(s);
    av.u16le(id).u16le(b.length).bytes(b);
  };
  pair(2, p.netbiosDomain);
  pair(1, p.netbiosComputer);
  pair(4, p.dnsDomain);
  pair(3, p.dnsComputer);
  if (p.dnsTree) pair(5, p.dnsTree);
  av.u16le(7).u16le(8).u64le(p.timestamp);
  av.u16le(0).u16le(0);
  const targetInfo = av.finish();
  let flags =
    NTLM_FLAGS.REQUEST_TARGET |
    NTLM_FLAGS.NTLM |
    NTLM_FLAGS.ALWAYS_SIGN |
    (p.targetType === 'domain' ? NTLM_FLAGS.TARGET_TYPE_DOMAIN : NTLM_FLAGS.TARGET_TYPE_SERVER) |
    NTLM_FLAGS.TARGET_INFO |
    NTLM_FLAGS.VERSION |
    (uni ? NTLM_FLAGS.UNICODE : NTLM_FLAGS.OEM);
  flags |= p.clientFlags & (NTLM_FLAGS.EXTENDED_SESSIONSECURITY | NTLM_FLAGS.KEY_128 | NTLM_FLAGS.KEY_56 | NTLM_FLAGS.KEY_EXCH | 0x00000010 | 0x00000020);
  const w = new ByteWriter(2048);
  w.bytes(NTLMSSP_SIGNATURE).u32le(2);
  w.u16le(targetName.length).u16le(targetName.length).u32le(56);
  w.u32le(flags >>> 0);
  w.bytes(p.challenge.subarray(0, 8));
  w.zeros(8);
  w.u16le(targetInfo.length).u16le(targetInfo.length).u32le(56 + targetName.length);
  w.u8(p.version[0]).u8(p.version[1]).u16le(p.version[2]).zeros(3).u8(15);
  w.bytes(targetName).bytes(targetInfo);
  return w.finish();
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export interface NtlmHash {
  format: 'netntlmv1' | 'netntlmv2';
  /** The line hashcat (-m 5500 / 5600) and John read. */
  hash: string;
}

/**
 * Hashcat form: v1 `user::domain:lm:nt:challenge`, v2 `user::domain:challenge:ntproof:blob`. Empty
 * responses (anonymous) give undefined: there is nothing to crack.
 */
export function ntlmHashLine(auth: Extract<NtlmMessage, { type: 3 }>, challenge: Uint8Array): NtlmHash | undefined {
  const nt = auth.ntResponse;
  const ch = hex(challenge.subarray(0, 8));
  if (nt.length === 24) return { format: 'netntlmv1', hash: `${auth.user}::${auth.domain}:${hex(auth.lmResponse)}:${hex(nt)}:${ch}` };
  if (nt.length > 24) return { format: 'netntlmv2', hash: `${auth.user}::${auth.domain}:${ch}:${hex(nt.subarray(0, 16))}:${hex(nt.subarray(16))}` };
  return undefined;
}

/** A client NEGOTIATE or AUTHENTICATE (tests and the benchmark client use these). */
export function encodeNtlmNegotiate(flags = 0xe2088297): Uint8Array {
  return new ByteWriter(64).bytes(NTLMSSP_SIGNATURE).u32le(1).u32le(flags >>> 0).zeros(16).finish();
}

export function encodeNtlmAuthenticate(a: { user: string; domain: string; workstation: string; lm: Uint8Array; nt: Uint8Array }): Uint8Array {
  const parts = [a.lm, a.nt, stringToUtf16le(a.domain), stringToUtf16le(a.user), stringToUtf16le(a.workstation), new Uint8Array(0)];
  const w = new ByteWriter(8192).bytes(NTLMSSP_SIGNATURE).u32le(3);
  let off = 72;
  for (const p of parts) {
    w.u16le(p.length).u16le(p.length).u32le(off);
    off += p.length;
  }
  w.u32le((NTLM_FLAGS.UNICODE | NTLM_FLAGS.NTLM | NTLM_FLAGS.EXTENDED_SESSIONSECURITY) >>> 0);
  w.zeros(8);
  for (const p of parts) w.bytes(p);
  return w.finish();
}
