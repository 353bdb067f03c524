// Session recordings in asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/): a JSON
// header line, then one [seconds, "o"|"i", text] line per chunk of output or input. Written as the
// session goes, to DATA_DIR/recordings/<session>.cast, with a size cap per session and a space all
// recordings share.
import { createWriteStream, mkdirSync, readdirSync, statSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { BufferBudget } from './framed-input.js';

/** The disk space all recordings of a process share: a byte budget (config `recording.max_total_bytes`). */
export type RecordingSpace = BufferBudget;

/** The spaces made in this process, by directory: every writer into one directory shares its space. */
const spaces = new Map<string, RecordingSpace>();

/**
 * The space for DIR's recordings, counting the .cast files there when it is first asked for and what
 * is written since (files deleted meanwhile are not noticed until the next start). A cap per session
 * alone let an attacker who opens sessions in a loop, each printing its cap, fill the disk. The shell's
 * sessions and the hpfeeds input's TTY logs write into one directory and get the same space (asked for
 * again with another LIMIT, it is counted anew). Never throws.
 */
export function recordingSpace(dir: string, limit: number): RecordingSpace {
  const key = resolve(dir);
  const known = spaces.get(key);
  if (known && known.limit === limit) return known;
  let used = 0;
  try {
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.cast')) continue;
      try {
        used += statSync(join(dir, f)).size;
      } catch {
        /* gone meanwhile */
      }
    }
  } catch {
    /* no directory yet */
  }
  const space = new BufferBudget(limit, used);
  spaces.set(key, space);
  return space;
}

export interface RecorderOptions {
  dir: string;
  session: string;
  width: number;
  height: number;
  maxBytes: number;
  /** The space all recordings share; when it is full, recording stops (and a session starting then is not recorded). */
  space?: RecordingSpace;
  env?: Record<string, string>;
  title?: string;
  now?: () => number;
}

/** Space taken with a recording's header for the line that says why it stopped. */
const STOP_LINE_RESERVE = 80;

export class AsciicastRecorder {
  private readonly out: WriteStream | undefined;
  private readonly start: number;
  private written = 0;
  private capped = false;
  /**
   * One decoder per direction: a UTF-8 character split across two chunks (one packet ends mid-way)
   * is recorded whole in the second, not as two replacement characters.
   */
  private readonly decoders = { o: new StringDecoder('utf8'), i: new StringDecoder('utf8') };
  private finished: Promise<void> | undefined;
  private onFinished: ((r: { size: number; durationMs: number }) => void) | undefined;
  private closed = false;
  readonly path: string;
  private readonly now: () => number;

  constructor(private readonly opts: RecorderOptions) {
    this.now = opts.now ?? Date.now;
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    this.path = join(opts.dir, `${opts.session}.cast`);
    this.start = this.now();
    const header = JSON.stringify({
      version: 2,
      width: opts.width,
      height: opts.height,
      timestamp: Math.floor(this.start / 1000),
      ...(opts.title ? { title: opts.title } : {}),
      env: { SHELL: '/bin/bash', TERM: 'xterm-256color', ...(opts.env ?? {}) },
    });
    if (opts.space && !opts.space.take(header.length + 1 + STOP_LINE_RESERVE)) {
      // No space left for recordings: this session is not recorded (no file is made).
      this.closed = true;
      this.out = undefined;
      return;
    }
    this.out = createWriteStream(this.path, { flags: 'w', mode: 0o600 });
    this.out.on('error', () => {
      this.closed = true;
    });
    this.line(header);
  }

  /** Whether this session is being recorded (false when the recordings' space was full at its start). */
  get recording(): boolean {
    return this.out !== undefined;
  }

  private line(s: string): void {
    if (this.closed || !this.out) return;
    this.written += Buffer.byteLength(s) + 1;
    this.out.write(`${s}\n`);
  }

  private event(kind: 'o' | 'i', data: string | Buffer): void {
    if (this.closed || this.capped) return;
    const text = typeof data === 'string' ? data : this.decoders[kind].write(data);
    if (text.length === 0) return;
    const t = Math.round(this.now() - this.start) / 1000;
    const ev = JSON.stringify([t, kind, text]);
    const full = this.written + ev.length > this.opts.maxBytes;
    if (full || (this.opts.space && !this.opts.space.take(ev.length + 1))) {
      this.capped = true;
      // The stop line's space was taken with the header (STOP_LINE_RESERVE).
      this.line(JSON.stringify([t, 'o', full ? '\r\n[recording stopped: size limit reached]\r\n' : '\r\n[recording stopped: recordings space full]\r\n']));
      return;
    }
    this.line(ev);
  }

  output(data: string | Buffer): void {
    this.event('o', data);
  }

  input(data: string | Buffer): void {
    this.event('i', data);
  }

  /** Records a terminal resize (asciicast "r" event). */
  resize(width: number, height: number): void {
    if (this.closed || this.capped) return;
    this.line(JSON.stringify([Math.round(this.now() - this.start) / 1000, 'r', `${width}x${height}`]));
  }

  close(): Promise<void> {
    if (this.finished) return this.finished;
    const done = (): void => this.onFinished?.({ size: this.written, durationMs: Math.max(0, Math.round(this.now() - this.start)) });
    const out = this.out;
    // A file that failed to write (closed on its error) is as complete as it will get.
    this.finished = this.closed || !out ? Promise.resolve().then(done) : new Promise<void>((r) => out.end(() => r())).then(done);
    this.closed = true;
    return this.finished;
  }

  /**
   * Resolves with the recording's size (bytes written) and length once close() has written it out;
   * never, for a session that was not recorded (recording false).
   */
  whenClosed(): Promise<{ size: number; durationMs: number }> {
    return new Promise((r) => {
      this.onFinished = r;
    });
  }
}
