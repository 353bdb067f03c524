// hpfeeds, the publish/subscribe protocol Cowrie, Dionaea and the MHN honeynet ship their events over:
// messages of `uint32 length` (big-endian, the whole message including this 5-byte header), `uint8
// opcode`, then a body whose strings are `len8` (a length byte, then the bytes). A codec without I/O:
// encoders for each message, a stream decoder with the protocol's size limits, and the AUTH digest.
import { createHash } from 'node:crypto';

export const OP_ERROR = 0;
export const OP_INFO = 1;
export const OP_AUTH = 2;
export const OP_PUBLISH = 3;
export const OP_SUBSCRIBE = 4;
export const OP_UNSUBSCRIBE = 5;

/** The standard channels Apiary reads: Cowrie's session summaries and Dionaea's events. */
export const HPFEEDS_CHANNELS = ['cowrie.sessions', 'dionaea.connections', 'dionaea.capture', 'dionaea.dcerpcrequests'] as const;
export type HpfeedsChannel = (typeof HPFEEDS_CHANNELS)[number];

/** The header: length (4 bytes) and opcode (1). */
export const HEADER_BYTES = 5;
/** Largest publish payload the reference broker takes (MAXBUF), and so the largest message body. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;
/** Largest ident, channel or broker name: a len8 string. */
export const MAX_NAME_BYTES = 255;
/** The broker's random challenge in INFO. */
export const NONCE_BYTES = 4;
/** SHA-1 of nonce and secret in AUTH. */
export const AUTH_DIGEST_BYTES = 20;

/** Largest whole message per opcode, as the reference implementations bound them. */
export const MAX_MESSAGE_BYTES: Readonly<Record<number, number>> = {
  [OP_ERROR]: HEADER_BYTES + MAX_PAYLOAD_BYTES,
  [OP_INFO]: HEADER_BYTES + 1 + MAX_NAME_BYTES + NONCE_BYTES,
  [OP_AUTH]: HEADER_BYTES + 1 + MAX_NAME_BYTES + AUTH_DIGEST_BYTES,
  [OP_PUBLISH]: HEADER_BYTES + 2 + 2 * MAX_NAME_BYTES + MAX_PAYLOAD_BYTES,
  [OP_SUBSCRIBE]: HEADER_BYTES + 1 + 2 * MAX_NAME_BYTES,
  [OP_UNSUBSCRIBE]: HEADER_BYTES + 1 + 2 * MAX_NAME_BYTES,
};

export type HpfeedsMessage =
  | { op: typeof OP_ERROR; text: string }
  | { op: typeof OP_INFO; name: string; nonce: Buffer }
  | { op: typeof OP_AUTH; ident: string; digest: Buffer }
  | { op: typeof OP_PUBLISH; ident: string; channel: string; payload: Buffer }
  | { op: typeof OP_SUBSCRIBE | typeof OP_UNSUBSCRIBE; ident: string; channel: string };

/** What the decoder gives for a stream: messages, or the reason it stopped (the stream is then unusable). */
export type Decoded = { ok: true; message: HpfeedsMessage } | { ok: false; reason: string };

/** Names go on the wire as latin1, as the Python implementations encode them. */
function name(s: string): Buffer {
  const b = Buffer.from(s, 'latin1');
  if (b.length > MAX_NAME_BYTES) throw new RangeError(`hpfeeds name longer than ${MAX_NAME_BYTES} bytes`);
  return Buffer.concat([Buffer.from([b.length]), b]);
}

function frame(op: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeUInt32BE(HEADER_BYTES + body.length, 0);
  head[4] = op;
  return Buffer.concat([head, body]);
}

export function encodeError(text: string): Buffer {
  return frame(OP_ERROR, Buffer.from(text, 'utf8').subarray(0, MAX_PAYLOAD_BYTES));
}

export function encodeInfo(brokerName: string, nonce: Buffer): Buffer {
  return frame(OP_INFO, name(brokerName), nonce);
}

export function encodeAuth(ident: string, digest: Buffer): Buffer {
  return frame(OP_AUTH, name(ident), digest);
}

export function encodePublish(ident: string, channel: string, payload: Buffer): Buffer {
  if (payload.length > MAX_PAYLOAD_BYTES) throw new RangeError(`hpfeeds payload longer than ${MAX_PAYLOAD_BYTES} bytes`);
  return frame(OP_PUBLISH, name(ident), name(channel), payload);
}

export function encodeSubscribe(ident: string, channel: string, op: typeof OP_SUBSCRIBE | typeof OP_UNSUBSCRIBE = OP_SUBSCRIBE): Buffer {
  return frame(op, name(ident), Buffer.from(channel, 'latin1').subarray(0, 2 * MAX_NAME_BYTES));
}

/** The AUTH digest: SHA-1 of the broker's nonce followed by the secret (as the Python client encodes it, latin1). */
export function authDigest(nonce: Buffer, secret: string): Buffer {
  return createHash('sha1').update(nonce).update(Buffer.from(secret, 'latin1')).digest();
}

/** Reads a len8 string at AT; undefined when it runs past the end. */
function readName(b: Buffer, at: number): { value: string; next: number } | undefined {
  if (at >= b.length) return undefined;
  const n = b[at]!;
  if (at + 1 + n > b.length) return undefined;
  return { value: b.toString('latin1', at + 1, at + 1 + n), next: at + 1 + n };
}

/** One message body by opcode; a reason when it does not parse. */
export function decodeBody(op: number, body: Buffer): Decoded {
  switch (op) {
    case OP_ERROR:
      return { ok: true, message: { op, text: body.toString('utf8') } };
    case OP_INFO: {
      const n = readName(body, 0);
      if (!n || body.length - n.next !== NONCE_BYTES) return { ok: false, reason: 'malformed INFO' };
      return { ok: true, message: { op, name: n.value, nonce: Buffer.from(body.subarray(n.next)) } };
    }
    case OP_AUTH: {
      const n = readName(body, 0);
      if (!n || body.length - n.next !== AUTH_DIGEST_BYTES) return { ok: false, reason: 'malformed AUTH' };
      return { ok: true, message: { op, ident: n.value, digest: Buffer.from(body.subarray(n.next)) } };
    }
    case OP_PUBLISH: {
      const ident = readName(body, 0);
      const channel = ident && readName(body, ident.next);
      if (!ident || !channel) return { ok: false, reason: 'malformed PUBLISH' };
      return { ok: true, message: { op, ident: ident.value, channel: channel.value, payload: Buffer.from(body.subarray(channel.next)) } };
    }
    case OP_SUBSCRIBE:
    case OP_UNSUBSCRIBE: {
      const ident = readName(body, 0);
      if (!ident) return { ok: false, reason: `malformed ${op === OP_SUBSCRIBE ? 'SUBSCRIBE' : 'UNSUBSCRIBE'}` };
      return { ok: true, message: { op, ident: ident.value, channel: body.toString('latin1', ident.next) } };
    }
    default:
      return { ok: false, reason: `unknown opcode ${op}` };
  }
}

/**
 * Splits a byte stream into messages. A declared length below the header, above the opcode's limit
 * (or `cap`), or an unknown opcode ends the stream (the reference broker drops such a client): the
 * reason comes last and every later call gives it again. Holds at most one partial message, so what
 * it buffers is bounded by MAX_MESSAGE_BYTES. `feed` then `next` one message at a time lets the
 * caller change `cap` between messages (after AUTH); `push` does both.
 */
export class HpfeedsDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failed: string | undefined;
  /** A lower bound on whole messages than the opcode's (a broker takes only an AUTH-sized one before AUTH). */
  cap: number | undefined;

  feed(data: Buffer): void {
    if (this.failed || data.length === 0) return;
    this.chunks.push(data);
    this.buffered += data.length;
  }

  /** The next whole message, the reason the stream ended, or undefined until more bytes come. */
  next(): Decoded | undefined {
    if (this.failed) return { ok: false, reason: this.failed };
    if (this.buffered < HEADER_BYTES) return undefined;
    const head = this.peek(HEADER_BYTES);
    const length = head.readUInt32BE(0);
    const op = head[4]!;
    const opLimit = MAX_MESSAGE_BYTES[op];
    if (opLimit === undefined) return this.fail(`unknown opcode ${op}`);
    const limit = this.cap === undefined ? opLimit : Math.min(opLimit, this.cap);
    if (length < HEADER_BYTES || length > limit) return this.fail(`message of ${length} bytes for opcode ${op} (limit ${limit})`);
    if (this.buffered < length) return undefined;
    const decoded = decodeBody(op, this.take(length).subarray(HEADER_BYTES));
    return decoded.ok ? decoded : this.fail(decoded.reason);
  }

  /** Feeds DATA and returns every message now whole; a failure ends the list. */
  push(data: Buffer): Decoded[] {
    if (this.failed) return [{ ok: false, reason: this.failed }];
    this.feed(data);
    const out: Decoded[] = [];
    for (let d = this.next(); d; d = this.next()) {
      out.push(d);
      if (!d.ok) break;
    }
    return out;
  }

  private fail(reason: string): Decoded {
    this.failed = reason;
    this.chunks = [];
    this.buffered = 0;
    return { ok: false, reason };
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0]!;
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}
