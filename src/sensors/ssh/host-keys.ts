// SSH host keys: generated on first start (ed25519, ECDSA P-256, RSA 3072) and kept in the data dir,
// so the sensor presents the same keys across restarts, as a real server does.
import { createPrivateKey, sign } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { ApiaryError } from '../../errors/errors.js';

const KEY_TYPES = [
  { file: 'ssh_host_ed25519_key', type: 'ed25519' as const, opts: {} },
  { file: 'ssh_host_ecdsa_key', type: 'ecdsa' as const, opts: { bits: 256 } },
  { file: 'ssh_host_rsa_key', type: 'rsa' as const, opts: { bits: 3072 } },
];

/** Loads the host keys from DIR, generating any that are missing. Returns private keys in OpenSSH format. */
export function loadOrCreateHostKeys(dir: string): Buffer<ArrayBuffer>[] {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new ApiaryError('APIARY_HOST_KEY', `cannot create the key directory ${dir}: ${(err as Error).message}`);
  }
  return KEY_TYPES.map(({ file, type, opts }) => {
    const path = join(dir, file);
    try {
      if (!existsSync(path)) {
        const pair = generateParseable(type, opts);
        writeFileSync(path, pair.private, { mode: 0o600 });
        writeFileSync(`${path}.pub`, `${pair.public}\n`, { mode: 0o644 });
        chmodSync(path, 0o600);
      }
      const key = readFileSync(path);
      const parsed = ssh2.utils.parseKey(key);
      if (parsed instanceof Error) throw parsed;
      return key;
    } catch (err) {
      throw new ApiaryError('APIARY_HOST_KEY', `SSH host key ${path} cannot be read or generated: ${(err as Error).message}; delete it to have a new one generated`);
    }
  });
}

/** Tries for a key ssh2 can read back (a few ed25519 keys in a thousand that ssh2 writes, it cannot parse). */
const MAX_KEYGEN_TRIES = 20;

export function generateParseable(type: 'ed25519' | 'ecdsa' | 'rsa', opts: object): { private: string; public: string } {
  let last: unknown;
  for (let i = 0; i < MAX_KEYGEN_TRIES; i++) {
    const pair = ssh2.utils.generateKeyPairSync(type, opts as never);
    const parsed = ssh2.utils.parseKey(pair.private);
    if (!(parsed instanceof Error)) return pair;
    last = parsed;
  }
  throw last instanceof Error ? last : new Error('key generation failed');
}

/** The digest ssh2 signs with for each host key type when the key exchange names none (its defaults). */
const DEFAULT_DIGEST: Readonly<Record<string, string | null>> = {
  'ssh-ed25519': null,
  'ecdsa-sha2-nistp256': 'sha256',
  'ecdsa-sha2-nistp384': 'sha384',
  'ecdsa-sha2-nistp521': 'sha512',
  'ssh-rsa': 'sha1',
};

/**
 * Host keys for ssh2's server, parsed once, each signing with a key object made once. ssh2's own
 * sign() hands OpenSSL the key's PEM text, which is decoded again at every key exchange: 730 µs per
 * ed25519 signature on this machine against 48 µs with a key object, a tenth of the server's CPU for
 * a whole login. The signatures are the same bytes (ed25519 is deterministic; the test checks each
 * type against ssh2's own verify()). A key type not in DEFAULT_DIGEST keeps ssh2's sign().
 */
export function signingHostKeys(keys: readonly Buffer[]): { key: ParsedKey }[] {
  return keys.map((buf) => {
    const parsed = ssh2.utils.parseKey(buf);
    if (parsed instanceof Error) throw new ApiaryError('APIARY_HOST_KEY', `an SSH host key cannot be read: ${parsed.message}`);
    const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
    const digest = DEFAULT_DIGEST[key.type];
    if (digest === undefined) return { key };
    const keyObject = createPrivateKey(key.getPrivatePEM());
    // ssh2 treats a returned Error as a failed key exchange, as with its own sign().
    key.sign = ((data: Buffer | string, algo?: string): Buffer | Error => {
      try {
        return sign(algo || digest, typeof data === 'string' ? Buffer.from(data) : data, keyObject);
      } catch (err) {
        return err as Error;
      }
    }) as ParsedKey['sign'];
    return { key };
  });
}

/** Debian's sshd_config loads its host keys in this order, and sshd offers them in it. */
const DEBIAN_HOST_KEY_ORDER = ['ssh-rsa', 'ecdsa-sha2-nistp256', 'ssh-ed25519'];

/**
 * The host keys ordered and named so ssh2's KEXINIT offers what OpenSSH 8.8 and later do:
 * "rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519", without ssh-rsa (SHA-1 signatures,
 * off by default since 8.8). ssh2 always adds ssh-rsa for a key whose type is ssh-rsa; it offers a
 * key under its `type`, signs with the digest the offered name implies, and sends the key's blob
 * (still "ssh-rsa", as RFC 8332 3 wants) unchanged. So the RSA key goes in as two views of itself,
 * one per SHA-2 name; nothing else of the key changes.
 */
export function opensshHostKeys(keys: readonly (Buffer | { key: ParsedKey })[]): { key: ParsedKey }[] {
  const parsed = keys.map((k) => {
    if (!Buffer.isBuffer(k)) return k.key;
    const p = ssh2.utils.parseKey(k);
    if (p instanceof Error) throw new ApiaryError('APIARY_HOST_KEY', `an SSH host key cannot be read: ${p.message}`);
    return Array.isArray(p) ? (p[0] as ParsedKey) : p;
  });
  const rank = (k: ParsedKey): number => {
    const i = DEBIAN_HOST_KEY_ORDER.indexOf(k.type);
    return i < 0 ? DEBIAN_HOST_KEY_ORDER.length : i;
  };
  return [...parsed]
    .sort((a, b) => rank(a) - rank(b))
    .flatMap((key) => (key.type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256'].map((type) => ({ key: Object.create(key, { type: { value: type } }) as ParsedKey })) : [{ key }]));
}
