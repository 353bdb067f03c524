// Files a sensor keeps in the data directory about itself (the host's boot time, the SMB server's
// identity): written owner-only, their directory made first, and a failure stops start-up with a code.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ApiaryError } from '../../errors/errors.js';

/** Writes TEXT to PATH (mode 0600), making its directory; throws APIARY_DATA_DIR naming the file when it cannot. */
export function writeDataFile(path: string, text: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text, { mode: 0o600 });
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ApiaryError('APIARY_DATA_DIR', `cannot write ${path} (${reason}); check that data_dir is writable and has space left`);
  }
}
