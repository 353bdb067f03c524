// Telnet (RFC 854) framing and option negotiation, as pure functions over bytes. The stream is
// data bytes interleaved with IAC (255) sequences: IAC IAC is a data 255; IAC WILL/WONT/DO/DONT opt
// (RFC 854 + 855) negotiates an option; IAC SB opt ... IAC SE carries a subnegotiation (NAWS RFC
// 1073, TTYPE RFC 1091, NEW-ENVIRON RFC 1572); other IAC commands (NOP, AYT, IP, ...) stand alone.
// In the data, CR NUL means a bare CR (RFC 854 "NVT"): the NUL is dropped.

export const IAC = 255;
export const DONT = 254;
export const DO = 253;
export const WONT = 252;
export const WILL = 251;
export const SB = 250;
export const SE = 240;

/** Option numbers (RFC 855 registry) the codec and the telnetd model handle. */
export const OPT = {
  BINARY: 0,
  ECHO: 1,
  SGA: 3,
  STATUS: 5,
  TM: 6,
  LOGOUT: 18,
  TTYPE: 24,
  NAWS: 31,
  TSPEED: 32,
  LFLOW: 33,
  LINEMODE: 34,
  XDISPLOC: 35,
  ENVIRON: 36,
  AUTHENTICATION: 37,
  ENCRYPT: 38,
  NEW_ENVIRON: 39,
} as const;

/** Longest subnegotiation accepted; longer ones are dropped and reported. */
export const MAX_SUBNEG_BYTES = 1024;
/** Longest run of bytes kept between feeds when a sequence is cut (IAC SB without IAC SE). */
export const MAX_PENDING_BYTES = MAX_SUBNEG_BYTES + 8;

export type Verb = 'will' | 'wont' | 'do' | 'dont';

export type TelnetEvent =
  | { kind: 'data'; data: Buffer }
  | { kind: 'option'; verb: Verb; option: number }
  | { kind: 'sub'; option: number; data: Buffer }
  | { kind: 'command'; code: number }
  | { kind: 'malformed'; reason: string };

export interface DecodeResult {
  events: TelnetEvent[];
  /** Bytes of an unfinished sequence to prepend to the next chunk. */
  rest: Buffer;
}

const VERBS: Record<number, Verb> = { [WILL]: 'will', [WONT]: 'wont', [DO]: 'do', [DONT]: 'dont' };

/**
 * Splits BUF into data and telnet commands. Never throws; an over-long subnegotiation is skipped
 * with a 'malformed' event. PREV_CR tells whether the previous chunk ended in a data CR.
 */
export function decodeTelnet(buf: Uint8Array, prevCr = false): DecodeResult & { endsWithCr: boolean } {
  const events: TelnetEvent[] = [];
  let data: number[] = [];
  let lastCr = prevCr;
  const flush = (): void => {
    if (data.length) {
      events.push({ kind: 'data', data: Buffer.from(data) });
      data = [];
    }
  };
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    if (b !== IAC) {
      if (b === 0 && lastCr) {
        lastCr = false;
        i++;
        continue;
      }
      data.push(b);
      lastCr = b === 13;
      i++;
      continue;
    }
    if (i + 1 >= buf.length) break;
    const c = buf[i + 1]!;
    if (c === IAC) {
      data.push(IAC);
      lastCr = false;
      i += 2;
      continue;
    }
    const verb = VERBS[c];
    if (verb) {
      if (i + 2 >= buf.length) break;
      flush();
      events.push({ kind: 'option', verb, option: buf[i + 2]! });
      i += 3;
      continue;
    }
    if (c === SB) {
      // Find IAC SE, honouring IAC IAC inside.
      let j = i + 2;
      const body: number[] = [];
      let closed = false;
      let tooLong = false;
      while (j < buf.length) {
        const d = buf[j]!;
        if (d === IAC) {
          if (j + 1 >= buf.length) break;
          const e = buf[j + 1]!;
          if (e === SE) {
            closed = true;
            j += 2;
            break;
          }
          if (e === IAC) {
            if (body.length < MAX_SUBNEG_BYTES + 1) body.push(IAC);
            j += 2;
            continue;
          }
          // IAC followed by something else inside SB: treat as the end of a broken subnegotiation.
          closed = true;
          tooLong = true;
          j += 1;
          break;
        }
        if (body.length < MAX_SUBNEG_BYTES + 1) body.push(d);
        else tooLong = true;
        j++;
      }
      if (!closed) {
        if (j - i > MAX_SUBNEG_BYTES + 4) {
          flush();
          events.push({ kind: 'malformed', reason: 'subnegotiation longer than limit' });
          i = buf.length;
          break;
        }
        break;
      }
      flush();
      if (tooLong || body.length === 0 || body.length > MAX_SUBNEG_BYTES) events.push({ kind: 'malformed', reason: body.length === 0 ? 'empty subnegotiation' : 'bad subnegotiation' });
      else events.push({ kind: 'sub', option: body[0]!, data: Buffer.from(body.slice(1)) });
      i = j;
      continue;
    }
    flush();
    events.push({ kind: 'command', code: c });
    i += 2;
  }
  flush();
  const rest = Buffer.from(buf.subarray(i));
  return { events, rest: rest.length > MAX_PENDING_BYTES ? Buffer.alloc(0) : rest, endsWithCr: lastCr };
}

/** A streaming decoder keeping the unfinished tail between chunks. */
export class TelnetDecoder {
  private rest: Buffer = Buffer.alloc(0);
  private cr = false;
  feed(chunk: Uint8Array): TelnetEvent[] {
    const input = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const r = decodeTelnet(input, this.cr);
    this.rest = r.rest;
    this.cr = r.endsWithCr;
    return r.events;
  }
}

export function encodeOption(verb: Verb, option: number): Buffer {
  const code = { will: WILL, wont: WONT, do: DO, dont: DONT }[verb];
  return Buffer.from([IAC, code, option & 0xff]);
}

/** IAC SB OPTION DATA IAC SE, with IAC in DATA doubled. */
export function encodeSub(option: number, data: Uint8Array): Buffer {
  const out: number[] = [IAC, SB, option & 0xff];
  for (const b of data) {
    out.push(b);
    if (b === IAC) out.push(IAC);
  }
  out.push(IAC, SE);
  return Buffer.from(out);
}

/** Data for the wire: IAC doubled, and a bare CR sent as CR NUL. */
export function encodeData(data: Uint8Array): Buffer {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    out.push(b);
    if (b === IAC) out.push(IAC);
    else if (b === 13 && data[i + 1] !== 10) out.push(0);
  }
  return Buffer.from(out);
}

/** NAWS: width and height as two 16-bit big-endian numbers. */
export function decodeNaws(data: Buffer): { width: number; height: number } | undefined {
  if (data.length !== 4) return undefined;
  return { width: data.readUInt16BE(0), height: data.readUInt16BE(2) };
}

/** TTYPE IS name (IS = 0). */
export function decodeTtype(data: Buffer): string | undefined {
  if (data.length < 1 || data[0] !== 0) return undefined;
  return data.subarray(1, 65).toString('latin1');
}

/** NEW-ENVIRON IS/INFO: VAR(0)/USERVAR(3) name VALUE(1) value, ESC(2) quoting the next byte. */
export function decodeNewEnviron(data: Buffer): { name: string; value: string }[] | undefined {
  if (data.length < 1 || (data[0] !== 0 && data[0] !== 2)) return undefined;
  const out: { name: string; value: string }[] = [];
  let cur: { name: number[]; value: number[] | undefined } | undefined;
  for (let i = 1; i < data.length && out.length < 64; i++) {
    const b = data[i]!;
    if (b === 0 || b === 3) {
      if (cur) out.push({ name: Buffer.from(cur.name).toString('latin1'), value: Buffer.from(cur.value ?? []).toString('latin1') });
      cur = { name: [], value: undefined };
    } else if (b === 1) {
      if (cur) cur.value = [];
    } else {
      const v = b === 2 && i + 1 < data.length ? data[++i]! : b;
      if (!cur) continue;
      if (cur.value) cur.value.push(v);
      else cur.name.push(v);
    }
  }
  if (cur) out.push({ name: Buffer.from(cur.name).toString('latin1'), value: Buffer.from(cur.value ?? []).toString('latin1') });
  return out;
}
