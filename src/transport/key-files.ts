// Reading the honeynet's key material (the collector's CA, a sensor's credentials) so that what an
// operator gets wrong is told apart: a file that is not there, and one this user may not read (made
// by running apiary as root, say, and then run by the service's user).
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { userInfo } from 'node:os';
import { ApiaryError, type ErrorCode } from '../errors/errors.js';

/** The user this process runs as, for messages. */
export function processUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/** The PEM text of each of PATHS, undefined for each that does not exist; any other failure is an ApiaryError of CODE naming the file and the fix. */
export function readKeyFiles<K extends string>(paths: Record<K, string>, code: ErrorCode): Record<K, string | undefined> {
  const out = {} as Record<K, string | undefined>;
  for (const k of Object.keys(paths) as K[]) {
    try {
      out[k] = readFileSync(paths[k], 'utf8');
    } catch (err) {
      const errno = (err as NodeJS.ErrnoException).code;
      if (errno === 'ENOENT') {
        out[k] = undefined;
        continue;
      }
      throw keyFileError(code, paths[k], err);
    }
  }
  return out;
}

/** CODE for PATH that could not be read or written: the system's reason and, for a permission, who must own what. */
export function keyFileError(code: ErrorCode, path: string, err: unknown): ApiaryError {
  const errno = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  const user = processUser();
  const fix = errno === 'EACCES' || errno === 'EPERM' ? `; apiary runs as ${user} here: give it the directory (chown -R ${user} ${dirname(path)}), or run apiary as the user that made it` : '';
  return new ApiaryError(code, `${path} cannot be used (${errno})${fix}`, { cause: err });
}
