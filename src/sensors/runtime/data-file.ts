// Files a sensor keeps in the data directory about itself (the host's boot time, the SMB server's
// identity, private keys): written owner-only, and for the first two their directory made first and a
// failure stopping start-up with a code.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ApiaryError } from '../../errors/errors.js';

/** Writes TEXT to PATH readable by its owner only (also when the file was already there). */
export function writeOwnerOnly(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Writes TEXT to PATH owner-only, making its directory; throws APIARY_DATA_DIR naming the file when it cannot. */
export function writeDataFile(path: string, text: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeOwnerOnly(path, text);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ApiaryError('APIARY_DATA_DIR', `cannot write ${path} (${reason}); check that data_dir is writable and has space left`);
  }
}
