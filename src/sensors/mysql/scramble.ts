// MySQL password scrambles: a fresh salt per connection, the mysql_native_password and
// caching_sha2_password scrambles, and recovering which known password produced one.
import { createHash, randomBytes } from 'node:crypto';

/** Salt length the server sends in the greeting and in an auth switch. */
export const SALT_BYTES = 20;

/**
 * A salt as mysqld makes it: printable ASCII, never NUL (it ends the string on the wire) nor '$'.
 * RANDOM is injectable so tests compare bytes.
 */
export function newSalt(random: (n: number) => Buffer = randomBytes): Buffer {
  const raw = random(SALT_BYTES);
  const out = Buffer.alloc(SALT_BYTES);
  for (let i = 0; i < SALT_BYTES; i++) {
    let c = 0x21 + ((raw[i] ?? 0) % 94);
    if (c === 0x24) c = 0x25;
    out[i] = c;
  }
  return out;
}

function sha1(...parts: Buffer[]): Buffer {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest();
}

function sha256(...parts: Buffer[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ (b[i] ?? 0);
  return out;
}

/** mysql_native_password: SHA1(password) XOR SHA1(salt + SHA1(SHA1(password))); empty password sends nothing. */
export function nativeScramble(password: string, salt: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0);
  const p1 = sha1(Buffer.from(password, 'utf8'));
  return xor(p1, sha1(salt, sha1(p1)));
}

/** caching_sha2_password fast path: SHA256(password) XOR SHA256(SHA256(SHA256(password)) + salt). */
export function cachingSha2Scramble(password: string, salt: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0);
  const p1 = sha256(Buffer.from(password, 'utf8'));
  return xor(p1, sha256(sha256(p1), salt));
}

export type ScramblePlugin = 'mysql_native_password' | 'caching_sha2_password';

/**
 * Which of CANDIDATES produced RESPONSE for SALT, or undefined. Candidates are tried in order; the
 * caller bounds the list (auth-policy literals plus the built-in weak list, a few hundred at most).
 */
export function recoverPassword(plugin: ScramblePlugin, response: Buffer, salt: Buffer, candidates: Iterable<string>): string | undefined {
  if (response.length === 0) return '';
  const fn = plugin === 'caching_sha2_password' ? cachingSha2Scramble : nativeScramble;
  for (const c of candidates) {
    if (c === '') continue;
    if (fn(c, salt).equals(response)) return c;
  }
  return undefined;
}

/**
 * The scramble in the form password crackers read: hashcat mode 11200 / John "mysqlna" for the native
 * plugin (`$mysqlna$<salt hex>*<response hex>`). caching_sha2 fast-path scrambles have no cracker
 * format, so they are kept as `$mysql-sha2$<salt hex>*<response hex>` for completeness.
 */
export function crackerForm(plugin: ScramblePlugin, response: Buffer, salt: Buffer): string {
  const tag = plugin === 'caching_sha2_password' ? 'mysql-sha2' : 'mysqlna';
  return `$${tag}$${salt.toString('hex')}*${response.toString('hex')}`;
}
