// Inter-keystroke times from a session's asciicast recording (DATA_DIR/recordings/<session>.cast, or the
// path an imported session.recording names): the gaps between single characters typed on one line.
// A person types one key at a time at an uneven pace; a script sends whole lines, or keys at once.
import { isAbsolute, join, relative, resolve } from 'node:path';
import { readFileHead } from './file-head.js';

/** Bytes of a recording read (its start holds the first commands typed). */
export const MAX_RECORDING_BYTES = 4 * 1024 * 1024;
/** Gaps returned per recording. */
export const MAX_KEY_GAPS = 256;

/** Gaps (ms) between consecutive one-character inputs of one line, from asciicast v2 TEXT. Pure; never throws. */
export function keystrokeGaps(text: string): number[] {
  const gaps: number[] = [];
  let last: number | undefined;
  for (const line of text.split('\n')) {
    if (gaps.length >= MAX_KEY_GAPS) break;
    if (!line.startsWith('[')) continue;
    let ev: unknown;
    try {
      ev = JSON.parse(line);
    } catch {
      continue;
    }
    if (!Array.isArray(ev) || ev[1] !== 'i' || typeof ev[0] !== 'number' || typeof ev[2] !== 'string') continue;
    const [t, , data] = ev as [number, string, string];
    if (data.length !== 1 || data === '\r' || data === '\n') {
      // Enter, a pasted line or an escape sequence: the next key starts a new run.
      last = undefined;
      continue;
    }
    if (last !== undefined && t >= last) {
      const gap = Math.round((t - last) * 1000);
      // Absurd times (a recording's timestamps are attacker-influenced) can overflow to Infinity: no gap.
      if (Number.isFinite(gap)) gaps.push(gap);
    }
    last = t;
  }
  return gaps;
}

/** A reader of recordings under DATA_DIR: by session id (live sessions) or by the path an import recorded. */
export function recordingKeystrokes(dataDir: string): (session: string, path?: string) => number[] | undefined {
  const root = resolve(dataDir);
  return (session, path) => {
    let file: string;
    if (path !== undefined) {
      file = resolve(root, path);
      const rel = relative(root, file);
      if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
    } else {
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(session) || session.startsWith('.')) return undefined;
      file = join(root, 'recordings', `${session}.cast`);
    }
    const head = readFileHead(file, MAX_RECORDING_BYTES);
    return head && keystrokeGaps(head.toString('utf8'));
  };
}
