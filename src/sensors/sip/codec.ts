// SIP message codec (RFC 3261 7, 20; framing over TCP per 18.3) and HTTP digest (RFC 2617 3.2.2)
// as SIP uses it. Pure: bytes in, messages out; never throws; every size has a named cap.
import { createHash } from 'node:crypto';
import { setOwn } from '../../wire/own-property.js';

/** Largest message (start line, headers and body) accepted. */
export const MAX_SIP_MESSAGE_BYTES = 16 * 1024;
/** Header fields per message. */
export const MAX_SIP_HEADERS = 64;
/** Body bytes (SDP is well under this). */
export const MAX_SIP_BODY_BYTES = 8 * 1024;

/** RFC 3261 7.3.3 compact header names. */
const COMPACT: Record<string, string> = { i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type', f: 'from', s: 'subject', k: 'supported', t: 'to', v: 'via' };

export interface SipMessage {
  kind: 'request' | 'response';
  /** Request method, or undefined for a response. */
  method?: string;
  uri?: string;
  status?: number;
  /** Header names lowercase with compact forms expanded, in order; repeated names kept. */
  headers: [string, string][];
  body: Buffer;
}

export type SipResult =
  | { status: 'incomplete' }
  | { status: 'ok'; message: SipMessage; consumed: number }
  | { status: 'malformed'; reason: string; consumed: number };

export function header(m: SipMessage, name: string): string | undefined {
  return m.headers.find(([k]) => k === name)?.[1];
}

/**
 * Decodes one message from the front of BUF. STREAM (TCP) frames by Content-Length (absent = 0);
 * a datagram (UDP) is one message, its body the rest of the datagram when Content-Length is absent.
 */
export function decodeSip(buf: Uint8Array, stream: boolean): SipResult {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  // Keep-alive CRLFs between messages (RFC 5626 4.4.1) are skipped.
  let start = 0;
  while (start + 1 < b.length && b[start] === 0x0d && b[start + 1] === 0x0a) start += 2;
  const headEnd = b.indexOf('\r\n\r\n', start, 'latin1');
  if (headEnd < 0) {
    if (b.length - start > MAX_SIP_MESSAGE_BYTES) return { status: 'malformed', reason: 'head larger than limit', consumed: b.length };
    return stream ? { status: 'incomplete' } : { status: 'malformed', reason: 'no end of head', consumed: b.length };
  }
  if (headEnd - start > MAX_SIP_MESSAGE_BYTES) return { status: 'malformed', reason: 'head larger than limit', consumed: b.length };
  const lines = b.toString('utf8', start, headEnd).split('\r\n');
  const first = lines.shift() ?? '';
  const headers: [string, string][] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      headers[headers.length - 1]![1] += ` ${line.trim()}`; // folded continuation line
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return { status: 'malformed', reason: 'header line without a name', consumed: b.length };
    const raw = line.slice(0, colon).trim().toLowerCase();
    if (!/^[a-z0-9!%'*+.^_`|~-]{1,64}$/.test(raw)) return { status: 'malformed', reason: 'bad header name', consumed: b.length };
    headers.push([COMPACT[raw] ?? raw, line.slice(colon + 1).trim()]);
    if (headers.length > MAX_SIP_HEADERS) return { status: 'malformed', reason: 'too many headers', consumed: b.length };
  }
  const lengthText = headers.find(([k]) => k === 'content-length')?.[1];
  const bodyStart = headEnd + 4;
  let length: number;
  if (lengthText !== undefined) {
    if (!/^\d{1,9}$/.test(lengthText)) return { status: 'malformed', reason: 'bad Content-Length', consumed: b.length };
    length = Number(lengthText);
  } else length = stream ? 0 : b.length - bodyStart;
  if (length > MAX_SIP_BODY_BYTES) return { status: 'malformed', reason: 'body larger than limit', consumed: b.length };
  if (b.length < bodyStart + length) return stream ? { status: 'incomplete' } : { status: 'malformed', reason: 'body shorter than Content-Length', consumed: b.length };
  const body = Buffer.from(b.subarray(bodyStart, bodyStart + length));
  const consumed = stream ? bodyStart + length : b.length;
  const req = /^([A-Za-z]{1,32}) (\S{1,2048}) SIP\/2\.0$/.exec(first);
  if (req) return { status: 'ok', message: { kind: 'request', method: req[1]!.toUpperCase(), uri: req[2]!, headers, body }, consumed };
  const res = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(first);
  if (res) return { status: 'ok', message: { kind: 'response', status: Number(res[1]), headers, body }, consumed };
  return { status: 'malformed', reason: 'not a SIP start line', consumed };
}

/** The user part of a SIP/SIPS/TEL URI inside a From/To/Contact value or a Request-URI. */
export function uriUser(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /(?:sips?|tel):([^@;>\s:]+)(?:[:@;>]|$)/i.exec(value);
  if (!m) return undefined;
  return /@/.test(value) || /^tel:/i.test(m[0]) ? decodeURIComponentSafe(m[1]!) : undefined;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Longest key and value kept from a Digest parameter (longer ones are cut). */
export const MAX_DIGEST_KEY_CHARS = 32;
export const MAX_DIGEST_VALUE_CHARS = 1024;
/** Parameters read from one Digest header; the rest are ignored. */
export const MAX_DIGEST_PARAMS = 64;

const isKeyChar = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45;
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 13 || c === 10;

/**
 * Parses `Digest k=v, k="v", ...` (RFC 2617 3.2.2). Returns undefined for other schemes. One pass over
 * the text: a regex with bounded repeats backtracked about 10^8 steps on `a=a=a=...` filling a 16 KB
 * head (0.1 s a message, and TCP lets them come back to back).
 */
export function parseDigest(value: string): Record<string, string> | undefined {
  const m = /^\s*Digest\s+/i.exec(value);
  if (!m) return undefined;
  const out: Record<string, string> = {};
  const n = value.length;
  let i = m[0].length;
  let params = 0;
  while (i < n && params < MAX_DIGEST_PARAMS) {
    while (i < n && (isSpace(value.charCodeAt(i)) || value.charCodeAt(i) === 44)) i++;
    const keyStart = i;
    while (i < n && isKeyChar(value.charCodeAt(i))) i++;
    const key = value.slice(keyStart, Math.min(i, keyStart + MAX_DIGEST_KEY_CHARS)).toLowerCase();
    while (i < n && isSpace(value.charCodeAt(i))) i++;
    if (key === '' || value.charCodeAt(i) !== 61) {
      // Not a key=value pair: skip to the next comma.
      while (i < n && value.charCodeAt(i) !== 44) i++;
      continue;
    }
    i++;
    while (i < n && isSpace(value.charCodeAt(i))) i++;
    let v = '';
    if (value.charCodeAt(i) === 34) {
      // Quoted string; a backslash escapes the next character.
      for (i++; i < n && value.charCodeAt(i) !== 34; i++) {
        if (value.charCodeAt(i) === 92 && i + 1 < n) i++;
        if (v.length < MAX_DIGEST_VALUE_CHARS) v += value[i];
      }
      i++;
    } else {
      const start = i;
      while (i < n && !isSpace(value.charCodeAt(i)) && value.charCodeAt(i) !== 44) i++;
      v = value.slice(start, Math.min(i, start + MAX_DIGEST_VALUE_CHARS));
    }
    setOwn(out, key, v);
    params++;
  }
  return out;
}

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

/** The digest response (RFC 2617 3.2.2.1) for PASSWORD: what a client that knows it would send. */
export function digestResponse(p: { username: string; realm: string; password: string; method: string; uri: string; nonce: string; qop?: string; nc?: string; cnonce?: string }): string {
  const ha1 = md5(`${p.username}:${p.realm}:${p.password}`);
  const ha2 = md5(`${p.method}:${p.uri}`);
  return p.qop ? md5(`${ha1}:${p.nonce}:${p.nc ?? ''}:${p.cnonce ?? ''}:${p.qop}:${ha2}`) : md5(`${ha1}:${p.nonce}:${ha2}`);
}

/**
 * The attempt in the `$sip$` form John the Ripper and hashcat (mode 11400) crack:
 * $sip$*server*client*user*realm*method*uri_prefix*uri_resource*uri_suffix*nonce*cnonce*nc*qop*algorithm*response
 */
export function crackableSipDigest(d: Record<string, string>, method: string, server: string, client: string): string {
  const uri = d.uri ?? '';
  const colon = uri.indexOf(':');
  const prefix = colon < 0 ? '' : uri.slice(0, colon);
  const rest = colon < 0 ? uri : uri.slice(colon + 1);
  const sep = rest.search(/[:;]/);
  const resource = sep < 0 ? rest : rest.slice(0, sep);
  const suffix = sep < 0 ? '' : rest.slice(sep + 1);
  const f = (s: string | undefined): string => (s ?? '').replace(/\*/g, '');
  return ['$sip$', server, client, f(d.username), f(d.realm), method, prefix, f(resource), f(suffix), f(d.nonce), f(d.cnonce), f(d.nc), f(d.qop), (d.algorithm ?? 'MD5').toUpperCase(), f(d.response)].join('*');
}

/** Builds a response to REQ: the request's Via, From, To (tagged), Call-ID and CSeq, then HEADERS. */
export function encodeResponse(req: SipMessage, status: number, reason: string, opts: { toTag: string; received: { address: string; port: number }; headers: [string, string][]; body?: string }): Buffer {
  const out: string[] = [`SIP/2.0 ${status} ${reason}`];
  let top = true;
  for (const [k, v] of req.headers) {
    if (k !== 'via') continue;
    let via = v;
    if (top) {
      // RFC 3261 18.2.1 received=, RFC 3581 rport=.
      via = via.replace(/;rport(?=;|$)/i, `;rport=${opts.received.port}`);
      if (!/;received=/i.test(via)) via += `;received=${opts.received.address}`;
      top = false;
    }
    out.push(`Via: ${via}`);
  }
  const to = header(req, 'to') ?? '';
  out.push(`Call-ID: ${header(req, 'call-id') ?? ''}`);
  out.push(`From: ${header(req, 'from') ?? ''}`);
  out.push(`To: ${/;tag=/i.test(to) || status === 100 ? to : `${to};tag=${opts.toTag}`}`);
  out.push(`CSeq: ${header(req, 'cseq') ?? ''}`);
  for (const [k, v] of opts.headers) out.push(`${k}: ${v}`);
  const body = opts.body ?? '';
  out.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return Buffer.from(`${out.join('\r\n')}\r\n\r\n${body}`, 'utf8');
}
