// A file an attacker writes at offsets (SMB WRITE, SFTP WRITE): one buffer updated in place. Keeping
// each write as a piece and assembling the pieces on read or close cost a rebuild per read and a piece
// per write however small (100,000 one-byte writes held 100,000 buffers). Pure; no I/O.

/** The bytes written so far: the first `size` bytes of `data` (gaps between writes stay zero). */
export interface SparseFile {
  data: Uint8Array;
  size: number;
  /** Bytes the writes carried, in all (a byte written twice counts twice). */
  written: number;
}

export function emptySparseFile(): SparseFile {
  return { data: new Uint8Array(0), size: 0, written: 0 };
}

/**
 * Zero bytes a file may have beyond what was written into it: room for the chunks of a transfer that
 * arrive out of order (an SMB client with several writes in flight).
 */
export const MAX_SPARSE_SLACK = 1024 * 1024;

/**
 * Whether LENGTH bytes written at OFFSET keep F no larger than twice what its writes carried, plus
 * MAX_SPARSE_SLACK. Without it one byte written at 16 MB - 1 made a 16 MB file, hashed and stored when
 * closed (47 ms of the event loop and 16 MB of quarantine for each such file, almost free to send).
 */
export function withinSparseAllowance(f: SparseFile, offset: number, length: number): boolean {
  const end = offset + length;
  return end <= f.size || end <= 2 * (f.written + length) + MAX_SPARSE_SLACK;
}

/** The file as written so far (a view of its buffer, not a copy). */
export function sparseBytes(f: SparseFile): Uint8Array {
  return f.data.subarray(0, f.size);
}

/**
 * Puts PART at OFFSET, growing the buffer to at most CAPACITY bytes. The buffer doubles, so a file
 * written in small pieces is copied a few times in all rather than once per piece; the caller has
 * checked that OFFSET + PART fits in CAPACITY.
 */
export function writeSparse(f: SparseFile, offset: number, part: Uint8Array, capacity: number): void {
  const end = offset + part.length;
  if (end > f.data.length) {
    const next = new Uint8Array(Math.min(capacity, Math.max(end, 2 * f.data.length)));
    next.set(f.data.subarray(0, f.size));
    f.data = next;
  }
  f.data.set(part, offset);
  f.size = Math.max(f.size, end);
  f.written += part.length;
}
