// MySQL password scrambles: a fresh salt per connection, the mysql_native_password and
// caching_sha2_password scrambles, and recovering which known password produced one.
import * as crypto from 'node:crypto';
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

// One-shot hashing (crypto.hash, Node 20.12+) is about twice as fast as createHash for these short
// inputs, and recovery runs one hash per candidate password per login.
const oneShot = (crypto as { hash?: (alg: string, data: Buffer, enc: 'buffer') => Buffer }).hash;

function digest(alg: 'sha1' | 'sha256', parts: Buffer[]): Buffer {
  const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  if (oneShot) return oneShot(alg, data, 'buffer');
  return createHash(alg).update(data).digest();
}

function sha1(...parts: Buffer[]): Buffer {
  return digest('sha1', parts);
}

function sha256(...parts: Buffer[]): Buffer {
  return digest('sha256', parts);
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

/** Candidate passwords whose salt-independent hash stages are kept (config literals and the weak list fit). */
export const MAX_CACHED_CANDIDATES = 4096;

/** Per candidate: stage 1 (H(password)) and stage 2 (H(H(password))) of each plugin's scramble. */
const stages = new Map<string, { n1: Buffer; n2: Buffer; s1: Buffer; s2: Buffer }>();

function stagesOf(password: string): { n1: Buffer; n2: Buffer; s1: Buffer; s2: Buffer } {
  let st = stages.get(password);
  if (!st) {
    const pw = Buffer.from(password, 'utf8');
    const n1 = sha1(pw);
    const s1 = sha256(pw);
    st = { n1, n2: sha1(n1), s1, s2: sha256(s1) };
    if (stages.size >= MAX_CACHED_CANDIDATES) stages.clear();
    stages.set(password, st);
  }
  return st;
}

/**
 * Which of CANDIDATES produced RESPONSE for SALT, or undefined. Candidates are tried in order; the
 * caller bounds the list (auth-policy literals plus the built-in weak list, a few hundred at most).
 * The salt-independent stages are computed once per candidate, so each login costs one hash per
 * candidate: response = stage1 XOR H(salt + stage2) (native) or H(stage2 + salt) (caching_sha2).
 */
export function recoverPassword(plugin: ScramblePlugin, response: Buffer, salt: Buffer, candidates: Iterable<string>): string | undefined {
  if (response.length === 0) return '';
  const sha2 = plugin === 'caching_sha2_password';
  if (response.length !== (sha2 ? 32 : 20)) return undefined;
  for (const c of candidates) {
    if (c === '') continue;
    const st = stagesOf(c);
    const expected = sha2 ? xor(st.s1, sha256(st.s2, salt)) : xor(st.n1, sha1(salt, st.n2));
    if (expected.equals(response)) return c;
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
