// SPNEGO (RFC 4178) tokens around NTLMSSP: what clients send and the server's hint and responses.
import { decodeOid, encodeOid, readChildren, readTlv, tlv } from './asn1.js';

export const OID_SPNEGO = '1.3.6.1.5.5.2';
export const OID_NTLMSSP = '1.3.6.1.4.1.311.2.2.10';

export interface SpnegoToken {
  kind: 'init' | 'resp';
  mechTypes: string[];
  /** The inner mechanism token (NTLMSSP for us), if any. */
  mechToken?: Uint8Array;
  negState?: number;
}

/**
 * NegotiationToken: either [APPLICATION 0] { thisMech OID, [0] NegTokenInit } (the GSS wrapper of
 * the first token) or [1] NegTokenResp. NegTokenInit ::= SEQUENCE { [0] mechTypes SEQUENCE OF OID,
 * [1] reqFlags, [2] mechToken OCTET STRING, [3] mechListMIC }. NegTokenResp ::= SEQUENCE {
 * [0] negState ENUMERATED, [1] supportedMech OID, [2] responseToken OCTET STRING, [3] mechListMIC }.
 */
export function decodeSpnego(buf: Uint8Array): SpnegoToken | undefined {
  const outer = readTlv(buf);
  if (!outer) return undefined;
  if (outer.tag === 0x60) {
    const parts = readChildren(outer.value, 4);
    if (!parts || parts.length < 2 || parts[0]!.tag !== 0x06 || decodeOid(parts[0]!.value) !== OID_SPNEGO) return undefined;
    if (parts[1]!.tag !== 0xa0) return undefined;
    return decodeInit(parts[1]!.value);
  }
  if (outer.tag === 0xa0) return decodeInit(outer.value);
  if (outer.tag === 0xa1) {
    const seq = readTlv(outer.value);
    if (!seq || seq.tag !== 0x30) return undefined;
    const fields = readChildren(seq.value, 8);
    if (!fields) return undefined;
    const tok: SpnegoToken = { kind: 'resp', mechTypes: [] };
    for (const f of fields) {
      const inner = readTlv(f.value);
      if (!inner) return undefined;
      if (f.tag === 0xa0 && inner.tag === 0x0a && inner.value.length === 1) tok.negState = inner.value[0]!;
      else if (f.tag === 0xa1 && inner.tag === 0x06) tok.mechTypes.push(decodeOid(inner.value) ?? '?');
      else if (f.tag === 0xa2 && inner.tag === 0x04) tok.mechToken = inner.value;
    }
    return tok;
  }
  return undefined;
}

function decodeInit(v: Uint8Array): SpnegoToken | undefined {
  const seq = readTlv(v);
  if (!seq || seq.tag !== 0x30) return undefined;
  const fields = readChildren(seq.value, 8);
  if (!fields) return undefined;
  const tok: SpnegoToken = { kind: 'init', mechTypes: [] };
  for (const f of fields) {
    const inner = readTlv(f.value);
    if (!inner) return undefined;
    if (f.tag === 0xa0 && inner.tag === 0x30) {
      const oids = readChildren(inner.value, 16);
      if (!oids) return undefined;
      for (const o of oids) if (o.tag === 0x06) tok.mechTypes.push(decodeOid(o.value) ?? '?');
    } else if (f.tag === 0xa2 && inner.tag === 0x04) tok.mechToken = inner.value;
  }
  return tok;
}

/** The server's NegTokenInit hint in a negotiate reply, naming NTLMSSP only. */
export function encodeNegTokenInitHint(): Uint8Array {
  const mechTypes = tlv(0xa0, tlv(0x30, tlv(0x06, encodeOid(OID_NTLMSSP))));
  return tlv(0x60, tlv(0x06, encodeOid(OID_SPNEGO)), tlv(0xa0, tlv(0x30, mechTypes)));
}

export const NEG_STATE = { ACCEPT_COMPLETED: 0, ACCEPT_INCOMPLETE: 1, REJECT: 2 } as const;

/** A NegTokenResp with state, optionally the supported mechanism and a response token. */
export function encodeNegTokenResp(negState: number, token?: Uint8Array, withMech = false): Uint8Array {
  const parts = [tlv(0xa0, tlv(0x0a, Uint8Array.of(negState)))];
  if (withMech) parts.push(tlv(0xa1, tlv(0x06, encodeOid(OID_NTLMSSP))));
  if (token) parts.push(tlv(0xa2, tlv(0x04, token)));
  return tlv(0xa1, tlv(0x30, ...parts));
}

/** A client's NegTokenInit carrying one mechanism token (tests and benchmark clients use it). */
export function encodeNegTokenInit(mechToken: Uint8Array): Uint8Array {
  const fields = [tlv(0xa0, tlv(0x30, tlv(0x06, encodeOid(OID_NTLMSSP)))), tlv(0xa2, tlv(0x04, mechToken))];
  return tlv(0x60, tlv(0x06, encodeOid(OID_SPNEGO)), tlv(0xa0, tlv(0x30, ...fields)));
}
