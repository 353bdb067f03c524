// Kippo/Cowrie binary TTY logs (the UML tty_log format) and their conversion to asciicast v2, the
// recording format `apiary replay` plays and the live SSH sensor writes.
//
// Layout: a sequence of records, each a 24-byte little-endian header `<iLiiLL`
//   op (int32: OPEN=1 CLOSE=2 WRITE=3 EXEC=4), tty (uint32), length (int32),
//   direction (int32: INPUT=1 OUTPUT=2 INTERACT=3), sec (uint32), usec (uint32)
// followed by `length` bytes of data.

import { StringDecoder } from 'node:string_decoder';

export const TTYLOG_HEADER_BYTES = 24;
/** Largest data part of one record accepted; a bigger length means the file is not a TTY log. */
export const MAX_TTYLOG_RECORD_BYTES = 1024 * 1024;
/** Largest TTY log read (Kippo itself never stored more than 10 MiB in its database). */
export const MAX_TTYLOG_BYTES = 64 * 1024 * 1024;

export const TTY_OP = { OPEN: 1, CLOSE: 2, WRITE: 3, EXEC: 4 } as const;
export const TTY_DIR = { INPUT: 1, OUTPUT: 2, INTERACT: 3 } as const;

export interface TtyRecord {
  op: number;
  tty: number;
  direction: number;
  /** Seconds since the epoch, with microseconds. */
  time: number;
  data: Buffer;
}

export type TtyDecode =
  | { kind: 'ok'; records: TtyRecord[]; consumed: number }
  | { kind: 'malformed'; reason: string; records: TtyRecord[]; offset: number };

/**
 * Decodes every complete record in BUF. Stops at the first impossible header (malformed) and reports
 * how many bytes made complete records (`consumed`), so a cut-off last record is not an error.
 */
export function decodeTtyLog(buf: Buffer): TtyDecode {
  const records: TtyRecord[] = [];
  let off = 0;
  while (off + TTYLOG_HEADER_BYTES <= buf.length) {
    const op = buf.readInt32LE(off);
    const tty = buf.readUInt32LE(off + 4);
    const length = buf.readInt32LE(off + 8);
    const direction = buf.readInt32LE(off + 12);
    const sec = buf.readUInt32LE(off + 16);
    const usec = buf.readUInt32LE(off + 20);
    if (op < 1 || op > 4) return { kind: 'malformed', reason: `unknown record type ${op}`, records, offset: off };
    if (length < 0 || length > MAX_TTYLOG_RECORD_BYTES) return { kind: 'malformed', reason: `record length ${length} out of range`, records, offset: off };
    if (direction < 0 || direction > 3) return { kind: 'malformed', reason: `unknown direction ${direction}`, records, offset: off };
    if (usec >= 1_000_000) return { kind: 'malformed', reason: 'microseconds out of range', records, offset: off };
    if (off + TTYLOG_HEADER_BYTES + length > buf.length) break;
    const start = off + TTYLOG_HEADER_BYTES;
    records.push({ op, tty, direction, time: sec + usec / 1e6, data: buf.subarray(start, start + length) });
    off = start + length;
  }
  return { kind: 'ok', records, consumed: off };
}

/** Builds a TTY log record (for tests and fixtures). */
export function encodeTtyRecord(r: TtyRecord): Buffer {
  const h = Buffer.alloc(TTYLOG_HEADER_BYTES);
  h.writeInt32LE(r.op, 0);
  h.writeUInt32LE(r.tty, 4);
  h.writeInt32LE(r.data.length, 8);
  h.writeInt32LE(r.direction, 12);
  const sec = Math.floor(r.time);
  h.writeUInt32LE(sec, 16);
  h.writeUInt32LE(Math.min(999_999, Math.round((r.time - sec) * 1e6)), 20);
  return Buffer.concat([h, r.data]);
}

export interface CastOptions {
  width?: number;
  height?: number;
  title?: string;
  /** Longest text made; records past it are left out (control bytes take six characters each in JSON). */
  maxChars?: number;
}

/**
 * asciicast v2 text: a header line then `[seconds, "o"|"i", data]` lines. Output to the attacker
 * becomes "o", the attacker's keystrokes "i". Times are relative to the first record.
 */
export function ttyToAsciicast(records: readonly TtyRecord[], opts: CastOptions = {}): { text: string; durationMs: number } {
  const writes = records.filter((r) => r.op === TTY_OP.WRITE && r.data.length > 0);
  const start = records[0]?.time ?? 0;
  const header: Record<string, unknown> = {
    version: 2,
    width: opts.width ?? 80,
    height: opts.height ?? 24,
    timestamp: Math.floor(start),
    env: { TERM: 'xterm', SHELL: '/bin/sh' },
  };
  if (opts.title !== undefined) header.title = opts.title;
  const lines = [JSON.stringify(header)];
  let last = 0;
  let chars = lines[0]!.length;
  // One decoder per direction: a record may end inside a multi-byte character that the next record
  // of the same direction completes. Each direction's last record flushes what is left.
  const decoders = { i: new StringDecoder('utf8'), o: new StringDecoder('utf8') };
  const lastOf = { i: -1, o: -1 };
  writes.forEach((r, n) => (lastOf[r.direction === TTY_DIR.INPUT ? 'i' : 'o'] = n));
  for (const [n, r] of writes.entries()) {
    const kind = r.direction === TTY_DIR.INPUT ? 'i' : 'o';
    const data = decoders[kind].write(r.data) + (n === lastOf[kind] ? decoders[kind].end() : '');
    if (data === '') continue;
    const t = Math.max(last, Math.round((r.time - start) * 1e6) / 1e6);
    last = t;
    const line = JSON.stringify([t, kind, data]);
    chars += line.length + 1;
    if (opts.maxChars !== undefined && chars > opts.maxChars) break;
    lines.push(line);
  }
  const end = records[records.length - 1]?.time ?? start;
  return { text: `${lines.join('\n')}\n`, durationMs: Math.max(0, Math.round((end - start) * 1000)) };
}
