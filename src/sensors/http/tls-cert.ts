// The HTTPS certificate: generated once per install (a self-signed RSA 2048 certificate for the
// configured host name, as Debian's snakeoil certificate is) and kept under DATA_DIR/tls.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { ApiaryError } from '../../errors/errors.js';
import { writeOwnerOnly } from '../runtime/data-file.js';
import { installedValidity } from '../runtime/tls.js';

/** Days a Debian snakeoil certificate is valid (make-ssl-cert runs `openssl req -days 3650`). */
export const SNAKEOIL_DAYS = 3650;

export interface TlsMaterial {
  key: string;
  cert: string;
}

/** Loads DIR/server.key and DIR/server.crt, generating them for HOST when missing. */
export async function loadOrCreateCertificate(dir: string, host: string): Promise<TlsMaterial> {
  const keyPath = join(dir, 'server.key');
  const certPath = join(dir, 'server.crt');
  try {
    if (!existsSync(keyPath) || !existsSync(certPath)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // Made on a day some months back (as at install), valid for make-ssl-cert's 3650 days from then:
      // a validity that is not a whole 3650 days gives the certificate away as not Debian's.
      const pems = await generate([{ name: 'commonName', value: host }], {
        keySize: 2048,
        algorithm: 'sha256',
        ...installedValidity(SNAKEOIL_DAYS),
        extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: host }] }],
      });
      writeOwnerOnly(keyPath, pems.private);
      writeFileSync(certPath, pems.cert, { mode: 0o644 });
    }
    return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
  } catch (err) {
    throw new ApiaryError('APIARY_TLS_CERT', `the HTTPS certificate under ${dir} cannot be read or generated: ${(err as Error).message}; delete the directory to have a new one made`);
  }
}
