// Streams the lines of a plain or gzip-compressed log file with constant memory: every line is capped
// at MAX_LINE_BYTES, so one endless line cannot exhaust memory.
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { constants as zlibConstants, createGunzip, gunzipSync } from 'node:zlib';

/** Longest line kept; a longer one is reported (as `tooLong`) and its bytes dropped. */
export const MAX_LINE_BYTES = 1024 * 1024;
/** Read size per chunk. */
export const READ_CHUNK_BYTES = 1024 * 1024;

export interface Line {
  /** 1-based line number in the (decompressed) file. */
  n: number;
  text: string;
  /** The line was longer than MAX_LINE_BYTES; `text` is empty. */
  tooLong: boolean;
  /** The last line of the file had no newline (the file may have been cut while being written). */
  unterminated: boolean;
}

export interface ReadProgress {
  /** Bytes of the file read so far (compressed bytes for gzip). */
  bytesRead: number;
  bytesTotal: number;
}

/** True when the file starts with the gzip magic bytes. */
export function isGzip(path: string): boolean {
  return startsWith(path, Buffer.from([0x1f, 0x8b]));
}

/** True when the file starts with PREFIX (false when it cannot be read or is shorter). */
export function startsWith(path: string, prefix: Buffer): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(prefix.length);
    const n = readSync(fd, head, 0, head.length, 0);
    return n === prefix.length && head.equals(prefix);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Splits a byte stream into lines. Feed chunks with `push`, then call `end`; both return the complete
 * lines found. Pure (no I/O), so property tests can split input at any point.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private overflow = false;
  private n = 0;

  /** MAX_BYTES caps one line; ENCODING decodes it (latin1 keeps every byte as one character). */
  constructor(
    private readonly maxBytes = MAX_LINE_BYTES,
    private readonly encoding: BufferEncoding = 'utf8',
  ) {}

  push(chunk: Buffer): Line[] {
    const out: Line[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      if (this.partBytes === 0 && !this.overflow && nl - start <= this.maxBytes) {
        // The whole line is in this chunk: decode it in place, without copying its bytes first.
        out.push(this.line(chunk.toString(this.encoding, start, nl), false, false));
      } else {
        this.take(chunk.subarray(start, nl));
        out.push(this.emit(false));
      }
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start));
    return out;
  }

  end(): Line[] {
    if (this.partBytes === 0 && !this.overflow) return [];
    return [this.emit(true)];
  }

  private take(piece: Buffer): void {
    if (this.overflow) return;
    if (this.partBytes + piece.length > this.maxBytes) {
      this.overflow = true;
      this.parts = [];
      this.partBytes = 0;
      return;
    }
    if (piece.length > 0) {
      // Copy: the chunk buffer may be reused by the stream.
      this.parts.push(Buffer.from(piece));
      this.partBytes += piece.length;
    }
  }

  private emit(unterminated: boolean): Line {
    let text = '';
    if (!this.overflow) {
      const buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partBytes);
      text = buf.toString(this.encoding);
    }
    const line = this.line(text, this.overflow, unterminated);
    this.parts = [];
    this.partBytes = 0;
    this.overflow = false;
    return line;
  }

  private line(text: string, tooLong: boolean, unterminated: boolean): Line {
    this.n++;
    return { n: this.n, text: text.endsWith('\r') ? text.slice(0, -1) : text, tooLong, unterminated };
  }
}

/** Thrown (after every readable line was yielded) when the file cannot be read to its end. */
export class ReadError extends Error {}

/** Yields the lines of PATH, decompressing gzip. `progress` is updated as bytes are read. */
export async function* readLines(path: string, progress?: ReadProgress, opts: { maxBytes?: number; encoding?: BufferEncoding } = {}): AsyncGenerator<Line> {
  for await (const lines of readLineBatches(path, progress, opts)) yield* lines;
}

/** Gzip output per chunk: larger than zlib's 16 KiB default, so fewer lines straddle two chunks. */
export const GUNZIP_CHUNK_BYTES = 256 * 1024;

/**
 * Like readLines, but yields the lines of each chunk read at once: a hot loop over millions of lines
 * pays for one asynchronous step per chunk instead of one per line.
 */
export async function* readLineBatches(path: string, progress?: ReadProgress, opts: { maxBytes?: number; encoding?: BufferEncoding } = {}): AsyncGenerator<Line[]> {
  const total = statSync(path).size;
  if (progress) {
    progress.bytesTotal = total;
    progress.bytesRead = 0;
  }
  const raw = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  raw.on('data', (c) => {
    if (progress) progress.bytesRead += c.length;
  });
  const gz = isGzip(path);
  const source = gz ? raw.pipe(createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES })) : raw;
  if (gz) raw.on('error', (err) => source.destroy(err));
  const splitter = new LineSplitter(opts.maxBytes, opts.encoding);
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      const lines = splitter.push(chunk);
      if (lines.length > 0) yield lines;
    }
  } catch (err) {
    yield splitter.end();
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'Z_BUF_ERROR' || /unexpected end/i.test((err as Error).message) ? 'the gzip stream ends early (truncated file)' : (err as Error).message;
    throw new ReadError(why);
  } finally {
    raw.destroy();
  }
  const last = splitter.end();
  if (last.length > 0) yield last;
}

/** The first bytes of PATH as latin1 text, decompressed when it is gzip (for sniffing formats). */
export function peekText(path: string, n = 4096): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    // Compressed input is read generously: N decompressed bytes may need more than N compressed ones.
    const head = Buffer.alloc(Math.max(n, 64 * 1024));
    const got = readSync(fd, head, 0, head.length, 0);
    let b = head.subarray(0, got);
    if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
      try {
        b = gunzipSync(b, { finishFlush: zlibConstants.Z_SYNC_FLUSH }).subarray(0, n);
      } catch {
        return '';
      }
    }
    return b.subarray(0, n).toString('latin1');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
