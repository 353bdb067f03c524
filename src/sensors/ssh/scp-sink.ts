// The receiving side of the legacy SCP protocol (`scp -O`, or old clients: the server runs
// `scp -t TARGET`). The client sends control lines and file bodies; the sink answers each with a
// zero byte. Lines: "C<mode> <size> <name>\n" then SIZE bytes and "\0"; "D<mode> 0 <name>\n" enters
// a directory, "E\n" leaves it, "T<mtime> 0 <atime> 0\n" gives times. Pure: bytes in, acks and
// files out; never throws.

export const MAX_SCP_LINE = 4096;
export const MAX_SCP_FILES = 64;
export const MAX_SCP_DEPTH = 16;

export interface ScpFile {
  /** Path relative to the target, with directories entered on the way. */
  name: string;
  mode: number;
  data: Buffer;
  /** The body was longer than the cap and was cut. */
  truncated: boolean;
  declaredSize: number;
}

export type ScpEvent = { kind: 'ack' } | { kind: 'file'; file: ScpFile } | { kind: 'error'; reason: string };

export class ScpSink {
  private state: 'line' | 'body' | 'end' = 'line';
  private buf: Buffer = Buffer.alloc(0);
  private dirs: string[] = [];
  private cur: { name: string; mode: number; size: number; chunks: Buffer[]; got: number; kept: number } | undefined;
  private files = 0;

  constructor(private readonly maxFileBytes: number) {}

  /** Whether the sink has stopped (error, or too many files). */
  get done(): boolean {
    return this.state === 'end';
  }

  feed(data: Buffer): ScpEvent[] {
    const out: ScpEvent[] = [];
    if (this.state === 'end') return out;
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    for (;;) {
      if (this.state === 'line') {
        const nl = this.buf.indexOf(0x0a);
        if (nl < 0) {
          if (this.buf.length > MAX_SCP_LINE) return this.stop(out, 'control line too long');
          return out;
        }
        const line = this.buf.subarray(0, nl).toString('latin1');
        this.buf = this.buf.subarray(nl + 1);
        const r = this.handleLine(line);
        if (typeof r === 'string') return this.stop(out, r);
        out.push({ kind: 'ack' });
        continue;
      }
      if (this.state === 'body' && this.cur) {
        const need = this.cur.size - this.cur.got;
        if (need > 0) {
          if (this.buf.length === 0) return out;
          const take = this.buf.subarray(0, Math.min(need, this.buf.length));
          this.buf = this.buf.subarray(take.length);
          const room = this.maxFileBytes - this.cur.kept;
          if (room > 0) {
            const keep = take.length > room ? take.subarray(0, room) : take;
            this.cur.chunks.push(Buffer.from(keep));
            this.cur.kept += keep.length;
          }
          this.cur.got += take.length;
          continue;
        }
        if (this.buf.length === 0) return out;
        // The byte after the body is the client's status (0 = ok).
        this.buf = this.buf.subarray(1);
        const c = this.cur;
        this.cur = undefined;
        this.state = 'line';
        out.push({ kind: 'file', file: { name: [...this.dirs, c.name].join('/'), mode: c.mode, data: Buffer.concat(c.chunks), truncated: c.kept < c.size, declaredSize: c.size } });
        out.push({ kind: 'ack' });
        if (++this.files >= MAX_SCP_FILES) return this.stop(out, 'too many files');
        continue;
      }
      return out;
    }
  }

  private stop(out: ScpEvent[], reason: string): ScpEvent[] {
    this.state = 'end';
    out.push({ kind: 'error', reason });
    return out;
  }

  private handleLine(line: string): string | undefined {
    const kind = line[0];
    if (kind === 'T') return /^T\d+ \d+ \d+ \d+$/.test(line) ? undefined : 'bad T line';
    if (kind === 'E') {
      if (this.dirs.length === 0) return 'E without directory';
      this.dirs.pop();
      return undefined;
    }
    const m = /^([CD])([0-7]{4}) (\d{1,15}) ([^/\0]+)$/.exec(line);
    if (!m) return 'bad control line';
    const name = m[4]!;
    if (name === '..' || name === '.') return 'bad file name';
    if (m[1] === 'D') {
      if (this.dirs.length >= MAX_SCP_DEPTH) return 'directories nested too deep';
      this.dirs.push(name);
      return undefined;
    }
    this.cur = { name, mode: parseInt(m[2]!, 8), size: Number(m[3]), chunks: [], got: 0, kept: 0 };
    this.state = 'body';
    return undefined;
  }
}
