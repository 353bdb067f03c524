// The MySQL server's TLS certificates as mysqld makes them at first start when it finds none
// (auto_generate_certs): a CA and a server certificate it signs, RSA 2048, valid ten years, kept
// beside the caching_sha2_password key under data_dir/keys/mysql with mysqld's file names.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { ApiaryError } from '../../errors/errors.js';
import { writeOwnerOnly } from '../runtime/data-file.js';
import { installedValidity } from '../runtime/tls.js';

/** Days mysqld's auto-generated certificates are valid (10 years, counted as mysqld does: 365 a year). */
export const AUTO_CERT_DAYS = 3650;

export interface MysqlTlsMaterial {
  key: string;
  cert: string;
  ca: string;
}

/** The common names mysqld gives its auto-generated certificates, e.g. MySQL_Server_8.0.36_Auto_Generated_CA_Certificate. */
export function autoCertNames(version: string): { ca: string; server: string } {
  const v = version.replace(/[^\w.-]/g, '');
  return { ca: `MySQL_Server_${v}_Auto_Generated_CA_Certificate`, server: `MySQL_Server_${v}_Auto_Generated_Server_Certificate` };
}

/**
 * Loads DIR/server-key.pem, server-cert.pem and ca.pem, generating them (and ca-key.pem) for VERSION
 * when missing. Generation takes a second or two, once per install.
 */
export async function loadOrCreateMysqlCertificates(dir: string, version: string): Promise<MysqlTlsMaterial> {
  const path = (f: string): string => join(dir, f);
  try {
    if (!['server-key.pem', 'server-cert.pem', 'ca.pem'].every((f) => existsSync(path(f)))) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const names = autoCertNames(version);
      // Made when mysqld was installed, some months back, and valid ten years from then.
      const validity = installedValidity(AUTO_CERT_DAYS);
      const ca = await generate([{ name: 'commonName', value: names.ca }], {
        keySize: 2048,
        algorithm: 'sha256',
        ...validity,
        extensions: [{ name: 'basicConstraints', cA: true, critical: true }],
      });
      const server = await generate([{ name: 'commonName', value: names.server }], {
        keySize: 2048,
        algorithm: 'sha256',
        ...validity,
        extensions: [{ name: 'basicConstraints', cA: false, critical: true }],
        ca: { key: ca.private, cert: ca.cert },
      });
      writeOwnerOnly(path('ca-key.pem'), ca.private);
      writeOwnerOnly(path('server-key.pem'), server.private);
      writeFileSync(path('ca.pem'), ca.cert, { mode: 0o644 });
      writeFileSync(path('server-cert.pem'), server.cert, { mode: 0o644 });
    }
    return { key: readFileSync(path('server-key.pem'), 'utf8'), cert: readFileSync(path('server-cert.pem'), 'utf8'), ca: readFileSync(path('ca.pem'), 'utf8') };
  } catch (err) {
    throw new ApiaryError('APIARY_TLS_CERT', `the MySQL TLS certificates under ${dir} cannot be read or generated: ${(err as Error).message}; delete server-key.pem, server-cert.pem and ca.pem to have new ones made`);
  }
}
