// MySQL password scrambles: a fresh salt per connection, the mysql_native_password and
// caching_sha2_password scrambles, and recovering which known password produced one.
import { randomFillSync } from 'node:crypto';
import { hashBytes } from '../runtime/one-shot-hash.js';

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

function digest(alg: 'sha1' | 'sha256', parts: Buffer[]): Buffer {
  return hashBytes(alg, parts.length === 1 ? parts[0]! : Buffer.concat(parts));
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
  /** The stages as big-endian 32-bit words, for the one-block SHA-1 and SHA-256 below. */
  n1w: Int32Array;
  n2w: Int32Array;
  s1w: Int32Array;
  s2w: Int32Array;
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
    const s2 = sha256(s1);
    st = { n1, n2, s1, s2, n1w: words(n1), n2w: words(n2), s1w: words(s1), s2w: words(s2) };
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

// SHA-256 of one 52-byte message (stage 2 + salt), the only hash a caching_sha2 fast-path check needs
// per candidate: 52 bytes and the padding fill one block, 64 rounds with no allocation. node:crypto
// spent about 3 us a candidate on so short an input (Buffer.concat, the call, the digest Buffer),
// this about 0.5 us.
// Checked against node:crypto by a property test.
const K256 = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
  0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
  0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
  0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV256 = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const W256 = new Int32Array(64);
const H256 = new Int32Array(8);

function sha256Block52(stage2: Int32Array, salt: Int32Array): Int32Array {
  for (let i = 0; i < 8; i++) W256[i] = stage2[i]!;
  for (let i = 0; i < 5; i++) W256[8 + i] = salt[i]!;
  W256[13] = 0x80000000 | 0;
  W256[14] = 0;
  W256[15] = 52 * 8;
  for (let i = 16; i < 64; i++) {
    const x = W256[i - 15]!;
    const y = W256[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W256[i] = (W256[i - 16]! + s0 + W256[i - 7]! + s1) | 0;
  }
  let a = IV256[0]!;
  let b = IV256[1]!;
  let c = IV256[2]!;
  let d = IV256[3]!;
  let e = IV256[4]!;
  let f = IV256[5]!;
  let g = IV256[6]!;
  let h = IV256[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K256[i]! + W256[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H256[0] = (a + IV256[0]!) | 0;
  H256[1] = (b + IV256[1]!) | 0;
  H256[2] = (c + IV256[2]!) | 0;
  H256[3] = (d + IV256[3]!) | 0;
  H256[4] = (e + IV256[4]!) | 0;
  H256[5] = (f + IV256[5]!) | 0;
  H256[6] = (g + IV256[6]!) | 0;
  H256[7] = (h + IV256[7]!) | 0;
  return H256;
}

function bytesOf(h: Int32Array): Buffer {
  const out = Buffer.alloc(h.length * 4);
  for (let i = 0; i < h.length; i++) out.writeInt32BE(h[i]!, i * 4);
  return out;
}

/** SHA-1(SALT + STAGE2) for a 20-byte salt and stage 2 (exported for the property test). */
export function sha1SaltStage2(salt: Buffer, stage2: Buffer): Buffer {
  return bytesOf(sha1Block40(words(salt), words(stage2)));
}

/** SHA-256(STAGE2 + SALT) for a 32-byte stage 2 and a 20-byte salt (exported for the property test). */
export function sha256Stage2Salt(stage2: Buffer, salt: Buffer): Buffer {
  return bytesOf(sha256Block52(words(stage2), words(salt)));
}

/** Whether RESPONSE XOR STAGE1 equals H, all as big-endian words of the same count. */
function xorEquals(response: Int32Array, stage1: Int32Array, h: Int32Array): boolean {
  for (let i = 0; i < h.length; i++) if ((response[i]! ^ stage1[i]!) !== h[i]) return false;
  return true;
}

/**
 * Which of CANDIDATES produced RESPONSE for SALT, or undefined. Candidates are tried in order; the
 * caller bounds the list (auth-policy literals plus the built-in weak list, a few hundred at most).
 * The salt-independent stages are computed once per candidate, so each login costs one hash per
 * candidate: response = stage1 XOR H(salt + stage2) (native) or H(stage2 + salt) (caching_sha2),
 * for the 20-byte salts the sensor sends a one-block hash written out below.
 */
export function recoverPassword(plugin: ScramblePlugin, response: Buffer, salt: Buffer, candidates: Iterable<string>): string | undefined {
  if (response.length === 0) return '';
  const sha2 = plugin === 'caching_sha2_password';
  if (response.length !== (sha2 ? 32 : 20)) return undefined;
  if (salt.length === SALT_BYTES) {
    const saltW = words(salt);
    const r = words(response);
    for (const c of candidates) {
      if (c === '') continue;
      const st = stagesOf(c);
      if (sha2 ? xorEquals(r, st.s1w, sha256Block52(st.s2w, saltW)) : xorEquals(r, st.n1w, sha1Block40(saltW, st.n2w))) return c;
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
