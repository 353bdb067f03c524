// MySQL password scrambles: a fresh salt per connection, the mysql_native_password and
// caching_sha2_password scrambles, and recovering which known password produced one.
import * as crypto from 'node:crypto';
import { createHash, randomFillSync } from 'node:crypto';

/** Salt length the server sends in the greeting and in an auth switch. */
export const SALT_BYTES = 20;

/** Random bytes drawn per refill of the salt pool (one syscall for about 200 greetings). */
export const RANDOM_POOL_BYTES = 4096;

let pool = Buffer.alloc(0);
let poolOffset = 0;

/** N cryptographically random bytes taken from a pool refilled by randomFillSync (salts are public anyway). */
export function pooledRandom(n: number): Buffer {
  if (n > RANDOM_POOL_BYTES) return randomFillSync(Buffer.allocUnsafe(n));
  if (poolOffset + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(RANDOM_POOL_BYTES));
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}

/**
 * A salt as mysqld makes it: printable ASCII, never NUL (it ends the string on the wire) nor '$'.
 * RANDOM is injectable so tests compare bytes.
 */
export function newSalt(random: (n: number) => Buffer = pooledRandom): Buffer {
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
interface Stages {
  n1: Buffer;
  n2: Buffer;
  s1: Buffer;
  s2: Buffer;
  /** n1 and n2 as big-endian 32-bit words, for the one-block SHA-1 below. */
  n1w: Int32Array;
  n2w: Int32Array;
}

const stages = new Map<string, Stages>();

function words(b: Buffer): Int32Array {
  const w = new Int32Array(b.length >> 2);
  for (let i = 0; i < w.length; i++) w[i] = b.readInt32BE(i * 4);
  return w;
}

function stagesOf(password: string): Stages {
  let st = stages.get(password);
  if (!st) {
    const pw = Buffer.from(password, 'utf8');
    const n1 = sha1(pw);
    const s1 = sha256(pw);
    const n2 = sha1(n1);
    st = { n1, n2, s1, s2: sha256(s1), n1w: words(n1), n2w: words(n2) };
    if (stages.size >= MAX_CACHED_CANDIDATES) stages.clear();
    stages.set(password, st);
  }
  return st;
}

// SHA-1 of one 40-byte message (salt + stage 2), the only hash a native login check needs per
// candidate. A 40-byte message fills one 64-byte block, so the hash is 80 rounds over 16 words with
// no allocation; node:crypto costs about twice as much for so short an input (call, copy, Buffer).
// Checked against node:crypto by a property test.
const W = new Int32Array(80);
const H = new Int32Array(5);

function sha1Block40(salt: Int32Array, stage2: Int32Array): Int32Array {
  for (let i = 0; i < 5; i++) {
    W[i] = salt[i]!;
    W[5 + i] = stage2[i]!;
  }
  W[10] = 0x80000000 | 0;
  W[11] = W[12] = W[13] = W[14] = 0;
  W[15] = 40 * 8;
  for (let i = 16; i < 80; i++) {
    const v = W[i - 3]! ^ W[i - 8]! ^ W[i - 14]! ^ W[i - 16]!;
    W[i] = (v << 1) | (v >>> 31);
  }
  let a = 0x67452301;
  let b = 0xefcdab89 | 0;
  let c = 0x98badcfe | 0;
  let d = 0x10325476;
  let e = 0xc3d2e1f0 | 0;
  for (let i = 0; i < 80; i++) {
    let f: number;
    let k: number;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc | 0;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6 | 0;
    }
    const t = (((a << 5) | (a >>> 27)) + f + e + k + W[i]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  H[0] = (a + 0x67452301) | 0;
  H[1] = (b + (0xefcdab89 | 0)) | 0;
  H[2] = (c + (0x98badcfe | 0)) | 0;
  H[3] = (d + 0x10325476) | 0;
  H[4] = (e + (0xc3d2e1f0 | 0)) | 0;
  return H;
}

/** SHA-1(SALT + STAGE2) for a 20-byte salt and stage 2 (exported for the property test). */
export function sha1SaltStage2(salt: Buffer, stage2: Buffer): Buffer {
  const h = sha1Block40(words(salt), words(stage2));
  const out = Buffer.alloc(20);
  for (let i = 0; i < 5; i++) out.writeInt32BE(h[i]!, i * 4);
  return out;
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
  if (!sha2 && salt.length === SALT_BYTES) {
    // response XOR stage1 must equal H(salt + stage2), compared word by word.
    const saltW = words(salt);
    const r = words(response);
    for (const c of candidates) {
      if (c === '') continue;
      const st = stagesOf(c);
      const h = sha1Block40(saltW, st.n2w);
      const n1 = st.n1w;
      if ((r[0]! ^ n1[0]!) === h[0] && (r[1]! ^ n1[1]!) === h[1] && (r[2]! ^ n1[2]!) === h[2] && (r[3]! ^ n1[3]!) === h[3] && (r[4]! ^ n1[4]!) === h[4]) return c;
    }
    return undefined;
  }
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
