// Session recordings in asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/): a JSON
// header line, then one [seconds, "o"|"i", text] line per chunk of output or input. Written as the
// session goes, to DATA_DIR/recordings/<session>.cast, with a size cap.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

export interface RecorderOptions {
  dir: string;
  session: string;
  width: number;
  height: number;
  maxBytes: number;
  env?: Record<string, string>;
  title?: string;
  now?: () => number;
}

export class AsciicastRecorder {
  private readonly out: WriteStream;
  private readonly start: number;
  private written = 0;
  private capped = false;
  private closed = false;
  readonly path: string;
  private readonly now: () => number;

  constructor(private readonly opts: RecorderOptions) {
    this.now = opts.now ?? Date.now;
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    this.path = join(opts.dir, `${opts.session}.cast`);
    this.out = createWriteStream(this.path, { flags: 'w', mode: 0o600 });
    this.out.on('error', () => {
      this.closed = true;
    });
    this.start = this.now();
    const header = {
      version: 2,
      width: opts.width,
      height: opts.height,
      timestamp: Math.floor(this.start / 1000),
      ...(opts.title ? { title: opts.title } : {}),
      env: { SHELL: '/bin/bash', TERM: 'xterm-256color', ...(opts.env ?? {}) },
    };
    this.line(JSON.stringify(header));
  }

  private line(s: string): void {
    if (this.closed) return;
    this.written += s.length + 1;
    this.out.write(`${s}\n`);
  }

  private event(kind: 'o' | 'i', data: string | Buffer): void {
    if (this.closed || this.capped) return;
    const text = typeof data === 'string' ? data : data.toString('utf8');
    if (text.length === 0) return;
    const t = Math.round(this.now() - this.start) / 1000;
    const ev = JSON.stringify([t, kind, text]);
    if (this.written + ev.length > this.opts.maxBytes) {
      this.capped = true;
      this.line(JSON.stringify([t, 'o', '\r\n[recording stopped: size limit reached]\r\n']));
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
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((r) => this.out.end(() => r()));
  }
}
