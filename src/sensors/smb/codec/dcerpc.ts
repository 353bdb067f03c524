// Connection-oriented DCE/RPC PDUs (C706 12.6, [MS-RPCE] 2.2.2): bind, alter context, request and
// their replies, with fragment reassembly bounded per call. Little-endian data representation only.
import type { ByteAccount } from '../../runtime/framed-input.js';
import { ByteReader, ByteWriter, copyBytes, type Decoded, incomplete, malformed, ok } from '../../../wire/reader.js';

/** Largest PDU accepted (Windows' max_xmit is 5840; exploit stubs fit in one). */
export const MAX_RPC_FRAG = 64 * 1024;
/** Largest reassembled request stub. */
export const MAX_RPC_STUB = 1024 * 1024;
/**
 * Fragments in one reassembled request. A 1 MiB stub in fragments of 1432 bytes (the size every
 * DCE/RPC peer must accept) takes about 750; the cap stops fragments with tiny or empty stubs from
 * piling up under the byte limit.
 */
export const MAX_RPC_FRAGMENTS = 4096;
/** Presentation context items read from one bind. */
export const MAX_CONTEXT_ITEMS = 16;
/** Transfer syntaxes read per context item. */
export const MAX_TRANSFER_SYNTAXES = 8;

export const PTYPE = {
  REQUEST: 0,
  RESPONSE: 2,
  FAULT: 3,
  BIND: 11,
  BIND_ACK: 12,
  BIND_NAK: 13,
  ALTER_CONTEXT: 14,
  ALTER_CONTEXT_RESP: 15,
  AUTH3: 16,
  SHUTDOWN: 17,
  CO_CANCEL: 18,
  ORPHANED: 19,
} as const;

export const PFC = { FIRST_FRAG: 0x01, LAST_FRAG: 0x02, OBJECT_UUID: 0x80 } as const;

export const NDR32 = '8a885d04-1ceb-11c9-9fe8-08002b104860';
export const NDR64 = '71710533-beba-4937-8319-b5dbef9ccc36';
/** Bind-time feature negotiation pseudo-syntaxes start with this ([MS-RPCE] 3.3.1.5.3). */
export const BIND_TIME_FEATURE_PREFIX = '6cb71c2c-9812-4540-';

export const FAULT = {
  OP_RNG_ERROR: 0x1c010002,
  UNK_IF: 0x1c010003,
  PROTO_ERROR: 0x1c01000b,
  ACCESS_DENIED: 0x00000005,
} as const;

export interface SyntaxId {
  uuid: string;
  version: number;
  minor: number;
}

export interface RpcHeader {
  ptype: number;
  flags: number;
  littleEndian: boolean;
  fragLength: number;
  authLength: number;
  callId: number;
}

export interface ContextItem {
  contextId: number;
  abstract: SyntaxId;
  transfers: SyntaxId[];
}

export type RpcPdu =
  | { kind: 'bind'; header: RpcHeader; maxXmit: number; maxRecv: number; assocGroup: number; contexts: ContextItem[] }
  | { kind: 'request'; header: RpcHeader; allocHint: number; contextId: number; opnum: number; stub: Uint8Array }
  | { kind: 'other'; header: RpcHeader };

export function uuidToString(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  const le = (s: string): string => s.match(/../g)!.reverse().join('');
  return `${le(h.slice(0, 8))}-${le(h.slice(8, 12))}-${le(h.slice(12, 16))}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function uuidToBytes(u: string): Uint8Array {
  const h = u.replace(/-/g, '');
  const le = (s: string): string => s.match(/../g)!.reverse().join('');
  return Uint8Array.from(Buffer.from(le(h.slice(0, 8)) + le(h.slice(8, 12)) + le(h.slice(12, 16)) + h.slice(16), 'hex'));
}

function readSyntax(r: ByteReader): SyntaxId | undefined {
  const u = r.bytes(16);
  const version = r.u16le();
  const minor = r.u16le();
  if (!u || version === undefined || minor === undefined) return undefined;
  return { uuid: uuidToString(u), version, minor };
}

/**
 * Common header (16 bytes): rpc_vers (1) = 5, rpc_vers_minor (1) = 0, PTYPE (1), pfc_flags (1),
 * packed_drep (4), frag_length (2), auth_length (2), call_id (4). Returns how long the PDU is.
 */
export function decodeRpcHeader(buf: Uint8Array): Decoded<RpcHeader> {
  if (buf.length < 16) return incomplete();
  if (buf[0] !== 5 || buf[1] !== 0) return malformed('not DCE/RPC version 5.0');
  const littleEndian = (buf[4]! & 0x10) !== 0;
  const r = new ByteReader(buf, 8);
  const fragLength = littleEndian ? r.u16le()! : r.u16be()!;
  const authLength = littleEndian ? r.u16le()! : r.u16be()!;
  const callId = littleEndian ? r.u32le()! : r.u32be()!;
  if (fragLength < 16 || fragLength > MAX_RPC_FRAG) return malformed(`fragment length ${fragLength} out of range`);
  if (authLength + 16 > fragLength) return malformed('auth_length larger than the fragment');
  return ok({ ptype: buf[2]!, flags: buf[3]!, littleEndian, fragLength, authLength, callId }, fragLength);
}

/** Decodes one whole PDU (the caller has `fragLength` bytes). Big-endian bodies are left undecoded. */
export function decodeRpcPdu(buf: Uint8Array): Decoded<RpcPdu> {
  const h = decodeRpcHeader(buf);
  if (h.status !== 'ok') return h;
  const header = h.value;
  if (buf.length < header.fragLength) return incomplete();
  // The body ends before the auth verifier (8-byte sec_trailer + auth_length) when there is one.
  const bodyEnd = header.fragLength - (header.authLength ? header.authLength + 8 : 0);
  if (bodyEnd < 16) return malformed('auth verifier overlaps the header');
  const r = new ByteReader(buf, 16, bodyEnd);
  if (!header.littleEndian) return ok({ kind: 'other', header }, header.fragLength);
  if (header.ptype === PTYPE.BIND || header.ptype === PTYPE.ALTER_CONTEXT) {
    // max_xmit_frag (2), max_recv_frag (2), assoc_group_id (4), p_context_elem: n (1), reserved (3),
    // then per item: p_cont_id (2), n_transfer_syn (1), reserved (1), abstract syntax (20), transfers (20 each).
    const maxXmit = r.u16le();
    const maxRecv = r.u16le();
    const assocGroup = r.u32le();
    const n = r.u8();
    if (n === undefined || assocGroup === undefined || maxXmit === undefined || maxRecv === undefined || !r.advance(3)) return malformed('bind too short');
    if (n > MAX_CONTEXT_ITEMS) return malformed(`bind with ${n} context items (limit ${MAX_CONTEXT_ITEMS})`);
    const contexts: ContextItem[] = [];
    for (let i = 0; i < n; i++) {
      const contextId = r.u16le();
      const nt = r.u8();
      if (contextId === undefined || nt === undefined || !r.advance(1)) return malformed('context item truncated');
      if (nt > MAX_TRANSFER_SYNTAXES) return malformed(`context item with ${nt} transfer syntaxes`);
      const abstract = readSyntax(r);
      if (!abstract) return malformed('abstract syntax truncated');
      const transfers: SyntaxId[] = [];
      for (let j = 0; j < nt; j++) {
        const t = readSyntax(r);
        if (!t) return malformed('transfer syntax truncated');
        transfers.push(t);
      }
      contexts.push({ contextId, abstract, transfers });
    }
    return ok({ kind: 'bind', header, maxXmit, maxRecv, assocGroup, contexts }, header.fragLength);
  }
  if (header.ptype === PTYPE.REQUEST) {
    // alloc_hint (4), p_cont_id (2), opnum (2), [object UUID (16)], stub.
    const allocHint = r.u32le();
    const contextId = r.u16le();
    const opnum = r.u16le();
    if (opnum === undefined || contextId === undefined || allocHint === undefined) return malformed('request too short');
    if (header.flags & PFC.OBJECT_UUID && !r.advance(16)) return malformed('object UUID truncated');
    let stubEnd = bodyEnd;
    if (header.authLength) {
      const pad = buf[bodyEnd + 2] ?? 0; // sec_trailer: auth_type, auth_level, auth_pad_length, ...
      stubEnd = Math.max(r.offset, bodyEnd - pad);
    }
    return ok({ kind: 'request', header, allocHint, contextId, opnum, stub: buf.subarray(r.offset, stubEnd) }, header.fragLength);
  }
  return ok({ kind: 'other', header }, header.fragLength);
}

function commonHeader(w: ByteWriter, ptype: number, callId: number, flags = PFC.FIRST_FRAG | PFC.LAST_FRAG): void {
  w.u8(5).u8(0).u8(ptype).u8(flags).u32le(0x10).u16le(0).u16le(0).u32le(callId);
}

function finishLength(w: ByteWriter): Uint8Array {
  w.patchU16le(8, w.length);
  return w.finish();
}

export type ContextResult = { result: 0 | 2 | 3; reason: number; transfer?: SyntaxId };

/**
 * BIND_ACK / ALTER_CONTEXT_RESP: max_xmit, max_recv, assoc_group, sec_addr (length + string with
 * NUL; empty for alter context), pad to 4, n_results (1), reserved (3), then per result: result (2),
 * reason (2), transfer syntax (20).
 */
export function encodeBindAck(p: {
  callId: number;
  alter: boolean;
  maxXmit: number;
  maxRecv: number;
  assocGroup: number;
  secondaryAddress: string;
  results: ContextResult[];
}): Uint8Array {
  const w = new ByteWriter(1024);
  commonHeader(w, p.alter ? PTYPE.ALTER_CONTEXT_RESP : PTYPE.BIND_ACK, p.callId);
  w.u16le(p.maxXmit).u16le(p.maxRecv).u32le(p.assocGroup);
  if (p.secondaryAddress) {
    w.u16le(p.secondaryAddress.length + 1);
    for (const c of p.secondaryAddress) w.u8(c.charCodeAt(0));
    w.u8(0);
  } else w.u16le(0);
  w.align(4);
  w.u8(p.results.length).zeros(3);
  for (const res of p.results) {
    w.u16le(res.result).u16le(res.reason);
    if (res.transfer) w.bytes(uuidToBytes(res.transfer.uuid)).u16le(res.transfer.version).u16le(res.transfer.minor);
    else w.zeros(20);
  }
  return finishLength(w);
}

/** BIND_NAK: provider_reject_reason (2), then the supported protocol versions (1: 5.0). */
export function encodeBindNak(callId: number, reason: number): Uint8Array {
  const w = new ByteWriter(64);
  commonHeader(w, PTYPE.BIND_NAK, callId);
  w.u16le(reason).u8(1).u8(5).u8(0).align(4);
  return finishLength(w);
}

/** RESPONSE PDUs: alloc_hint (4), p_cont_id (2), cancel_count (1), reserved (1), stub; split at maxFrag. */
export function encodeResponse(callId: number, contextId: number, stub: Uint8Array, maxFrag = 4280): Uint8Array[] {
  const room = Math.max(64, maxFrag - 24);
  const out: Uint8Array[] = [];
  let at = 0;
  do {
    const chunk = stub.subarray(at, Math.min(stub.length, at + room));
    const flags = (at === 0 ? PFC.FIRST_FRAG : 0) | (at + chunk.length >= stub.length ? PFC.LAST_FRAG : 0);
    const w = new ByteWriter(chunk.length + 32);
    commonHeader(w, PTYPE.RESPONSE, callId, flags);
    w.u32le(stub.length - at).u16le(contextId).u8(0).u8(0).bytes(chunk);
    out.push(finishLength(w));
    at += chunk.length;
  } while (at < stub.length);
  return out;
}

/** FAULT: alloc_hint (4), p_cont_id (2), cancel_count (1), reserved (1), status (4), reserved (4). */
export function encodeFault(callId: number, contextId: number, status: number): Uint8Array {
  const w = new ByteWriter(64);
  commonHeader(w, PTYPE.FAULT, callId);
  w.u32le(32).u16le(contextId).u8(0).u8(0).u32le(status).u32le(0);
  return finishLength(w);
}

/** A client BIND (tests use it): one context item per abstract syntax, each offering the given transfers. */
export function encodeBind(callId: number, items: { abstract: SyntaxId; transfers: SyntaxId[] }[]): Uint8Array {
  const w = new ByteWriter(2048);
  commonHeader(w, PTYPE.BIND, callId);
  w.u16le(4280).u16le(4280).u32le(0).u8(items.length).zeros(3);
  items.forEach((it, i) => {
    w.u16le(i).u8(it.transfers.length).u8(0);
    for (const s of [it.abstract, ...it.transfers]) w.bytes(uuidToBytes(s.uuid)).u16le(s.version).u16le(s.minor);
  });
  return finishLength(w);
}

/** A client REQUEST (tests use it). */
export function encodeRequest(callId: number, contextId: number, opnum: number, stub: Uint8Array): Uint8Array {
  const w = new ByteWriter(stub.length + 64);
  commonHeader(w, PTYPE.REQUEST, callId);
  w.u32le(stub.length).u16le(contextId).u16le(opnum).bytes(stub);
  return finishLength(w);
}

/**
 * Collects one call's request fragments into a stub, refusing more than MAX_RPC_STUB bytes or
 * MAX_RPC_FRAGMENTS fragments, or (given MEMORY) more than it lets the fragments kept take. A new
 * call starts with FIRST_FRAG; the stub is returned with LAST_FRAG. dispose() gives back what is held.
 */
export class RequestAssembler {
  private parts: Uint8Array[] = [];
  private size = 0;
  private fragments = 0;
  /** Bytes of parts taken from MEMORY. */
  private charged = 0;
  private first: Extract<RpcPdu, { kind: 'request' }> | undefined;

  constructor(private readonly memory?: ByteAccount) {}

  push(pdu: Extract<RpcPdu, { kind: 'request' }>): Decoded<Extract<RpcPdu, { kind: 'request' }>> {
    if (pdu.header.flags & PFC.FIRST_FRAG || !this.first) this.reset(pdu);
    this.size += pdu.stub.length;
    if (this.size > MAX_RPC_STUB) {
      this.reset(undefined);
      return malformed(`request stub over ${MAX_RPC_STUB} bytes`);
    }
    if (++this.fragments > MAX_RPC_FRAGMENTS) {
      this.reset(undefined);
      return malformed(`request in more than ${MAX_RPC_FRAGMENTS} fragments`);
    }
    const last = (pdu.header.flags & PFC.LAST_FRAG) !== 0;
    if (last && this.fragments === 1) {
      // A call in one fragment (the usual case) is handled at once, so its stub needs no copy.
      this.reset(undefined);
      return ok(pdu, pdu.header.fragLength);
    }
    if (pdu.stub.length > 0) {
      if (this.memory && !this.memory.take(pdu.stub.length)) {
        this.reset(undefined);
        return malformed('request stub refused: the sensor memory for it is full');
      }
      this.charged += pdu.stub.length;
      // A copy: the stub is a view into the whole pipe write, which a kept view would keep alive.
      this.parts.push(copyBytes(pdu.stub));
    }
    if (!last) return incomplete();
    const stub = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    const whole = { ...this.first!, stub };
    this.reset(undefined);
    return ok(whole, pdu.header.fragLength);
  }

  /** Fragments held for the call being assembled (empty stubs are counted but not kept). */
  get held(): { fragments: number; parts: readonly Uint8Array[] } {
    return { fragments: this.fragments, parts: this.parts };
  }

  /** Drops the call being assembled (the pipe closed). */
  dispose(): void {
    this.reset(undefined);
  }

  /** Starts over: with FIRST (a new call), or with nothing. The first fragment is kept without its stub. */
  private reset(first: Extract<RpcPdu, { kind: 'request' }> | undefined): void {
    this.memory?.give(this.charged);
    this.charged = 0;
    this.first = first && { ...first, stub: new Uint8Array(0) };
    this.parts = [];
    this.size = 0;
    this.fragments = 0;
  }
}
