// The printable strings of a quarantined file (DATA_DIR/quarantine/<sha256>), so that attack
// reconstruction finds miner pools, wallets and C2 names inside the binaries attackers fetched.
import { join } from 'node:path';
import { readFileHead } from './file-head.js';

/** Bytes of a file read for strings (the start of a binary holds its data section often enough). */
export const MAX_SCANNED_BYTES = 1024 * 1024;
/** Shortest run of printable characters kept as a string (as strings(1) does with -n 6). */
export const MIN_STRING_CHARS = 6;
/** Characters of strings returned per file. */
export const MAX_STRINGS_CHARS = 256 * 1024;

/** Runs of printable ASCII at least MIN_STRING_CHARS long, one per line. Pure. */
export function printableStrings(bytes: Uint8Array): string {
  const out: string[] = [];
  let size = 0;
  let start = -1;
  for (let i = 0; i <= bytes.length; i++) {
    const b = i < bytes.length ? bytes[i]! : 0;
    const printable = b >= 0x20 && b < 0x7f;
    if (printable && start < 0) start = i;
    if (!printable && start >= 0) {
      if (i - start >= MIN_STRING_CHARS) {
        const s = Buffer.from(bytes.subarray(start, i)).toString('latin1');
        if (size + s.length > MAX_STRINGS_CHARS) break;
        out.push(s);
        size += s.length + 1;
      }
      start = -1;
    }
  }
  return out.join('\n');
}

/** A reader of quarantined files' strings under DIR; undefined for a file it cannot read. */
export function quarantineStrings(dir: string): (sha256: string) => string | undefined {
  return (sha256) => {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    const head = readFileHead(join(dir, sha256), MAX_SCANNED_BYTES);
    return head && printableStrings(head);
  };
}
