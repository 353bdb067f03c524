// Turns a binary TTY log into a replayable asciicast v2 file at DIR/SESSION.cast (what `apiary replay`
// plays and the live SSH sensor writes).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeTtyLog, ttyToAsciicast } from './ttylog.js';

export type SavedRecording =
  | { ok: true; path: string; sha256: string; durationMs: number; startMs: number; records: number; problem?: string }
  | { ok: false; reason: string };

export interface SaveRecordingOptions {
  /** The terminal's size. */
  size?: { width?: number; height?: number };
  /** The longest recording written (output past it is left out, as a live sensor's). */
  maxChars?: number;
  /** Space the recordings directory may take (recording.max_total_bytes), shared with whatever else writes there. */
  space?: { take(bytes: number): boolean };
}

export function saveRecording(dir: string, session: string, buf: Buffer, title: string, opts: SaveRecordingOptions = {}): SavedRecording {
  const { size, maxChars } = opts;
  const d = decodeTtyLog(buf);
  let problem: string | undefined;
  if (d.kind === 'malformed') problem = `TTY log: ${d.reason} at byte ${d.offset}; the records before it were kept`;
  else if (d.consumed < buf.length) problem = 'TTY log ends inside a record (truncated); the complete records were kept';
  if (d.records.length === 0) return { ok: false, reason: problem ?? 'TTY log holds no records' };
  const sha256 = createHash('sha256').update(buf).digest('hex');
  const cast = ttyToAsciicast(d.records, { ...(size?.width ? { width: size.width, height: size.height } : {}), title, ...(maxChars ? { maxChars } : {}) });
  mkdirSync(dir, { recursive: true });
  // A session with several TTY logs (channels) keeps one file each.
  let path = join(dir, `${session}.cast`);
  if (existsSync(path) && readFileSync(path, 'utf8') !== cast.text) path = join(dir, `${session}-${sha256.slice(0, 12)}.cast`);
  // Only what the directory grows by is charged (a file written again, as by a second import, is not).
  const grows = Buffer.byteLength(cast.text) - (existsSync(path) ? statSync(path).size : 0);
  if (grows > 0 && opts.space && !opts.space.take(grows)) return { ok: false, reason: 'the recordings directory is full (recording.max_total_bytes)' };
  writeFileSync(path, cast.text);
  return { ok: true, path, sha256, durationMs: cast.durationMs, startMs: Math.floor(d.records[0]!.time * 1000), records: d.records.length, ...(problem ? { problem } : {}) };
}
