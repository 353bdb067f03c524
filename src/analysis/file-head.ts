// The start of a file that analysis reads beside the store (a quarantined binary, a recording).
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

/**
 * Up to MAX_BYTES from the start of the regular file at PATH; undefined for anything else (missing,
 * a directory, a path through a file, too long or looping). Most lookups name no file at all: a stat
 * that does not throw for a missing one answers them without the cost of a failed open's error.
 */
export function readFileHead(path: string, maxBytes: number): Buffer | undefined {
  let fd: number | undefined;
  try {
    if (!statSync(path, { throwIfNoEntry: false })?.isFile()) return undefined;
    fd = openSync(path, 'r');
    const buf = Buffer.allocUnsafe(Math.min(maxBytes, fstatSync(fd).size));
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
