// Checking a SIP digest response (RFC 2617 3.2.2.1) against the passwords the auth policy lists for
// the user, at the cost of one MD5 per listed password: HA1 = MD5(username:realm:password) depends on
// neither the request nor the nonce, so it is kept per (username, realm) in a bounded LRU.
import type { AuthPolicy } from '../runtime/auth-policy.js';
import { MAX_CREDENTIAL_CHARS } from '../runtime/auth-policy.js';
import { hashHex } from '../runtime/one-shot-hash.js';

/** (username, realm) pairs whose HA1 list is kept; the least recently used goes first. */
export const MAX_HA1_CACHE_ENTRIES = 256;
/** HA1 values kept over all pairs (32 bytes each); a user with more listed passwords is not cached. */
export const MAX_CACHED_HA1S = 16_384;
/** Longest username plus realm kept as a key; longer pairs are hashed at every attempt. */
export const MAX_HA1_KEY_CHARS = 256;

/** The Digest fields a check reads, as parseDigest gives them (absent ones as undefined). */
export interface DigestAttempt {
  username: string;
  realm: string;
  method: string;
  uri: string;
  nonce: string;
  response: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
}

export interface Ha1CacheStats {
  entries: number;
  ha1s: number;
}

interface Ha1Entry {
  passwords: readonly string[];
  /** Each password's HA1 as its 32 lowercase hex characters, packed 4 to a little-endian word. */
  ha1: Int32Array;
}

const md5Hex = (s: string): string => hashHex('md5', s);

/** Little-endian words of ASCII text whose length is a multiple of 4. */
function asciiWords(s: string, out: Int32Array, at: number): void {
  for (let i = 0; i < s.length; i += 4) out[at + (i >> 2)] = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24);
}

// MD5 (RFC 1321 3.4) over whole 64-byte blocks of little-endian words, its 64 steps written out as
// the RFC lists them (a loop over tables cost twice as much). The message of a response check is HA1
// hex + ":nonce...:HA2" with its padding laid out once per request, and only its first 8 words change
// from one password to the next: about half of node:crypto's cost at these sizes, with no string
// built or hex string returned per password. Checked against node:crypto by a property test.
const STATE = new Int32Array(4);
const rotl = (x: number, s: number): number => (x << s) | (x >>> (32 - s));

function md5Words(m: Int32Array): Int32Array {
  let a0 = 0x67452301;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  for (let o = 0; o < m.length; o += 16) {
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    // Round 1
    a = (b + rotl(a + ((b & c) | (~b & d)) + m[o + 0]! + 0xd76aa478, 7)) | 0;
    d = (a + rotl(d + ((a & b) | (~a & c)) + m[o + 1]! + 0xe8c7b756, 12)) | 0;
    c = (d + rotl(c + ((d & a) | (~d & b)) + m[o + 2]! + 0x242070db, 17)) | 0;
    b = (c + rotl(b + ((c & d) | (~c & a)) + m[o + 3]! + 0xc1bdceee, 22)) | 0;
    a = (b + rotl(a + ((b & c) | (~b & d)) + m[o + 4]! + 0xf57c0faf, 7)) | 0;
    d = (a + rotl(d + ((a & b) | (~a & c)) + m[o + 5]! + 0x4787c62a, 12)) | 0;
    c = (d + rotl(c + ((d & a) | (~d & b)) + m[o + 6]! + 0xa8304613, 17)) | 0;
    b = (c + rotl(b + ((c & d) | (~c & a)) + m[o + 7]! + 0xfd469501, 22)) | 0;
    a = (b + rotl(a + ((b & c) | (~b & d)) + m[o + 8]! + 0x698098d8, 7)) | 0;
    d = (a + rotl(d + ((a & b) | (~a & c)) + m[o + 9]! + 0x8b44f7af, 12)) | 0;
    c = (d + rotl(c + ((d & a) | (~d & b)) + m[o + 10]! + 0xffff5bb1, 17)) | 0;
    b = (c + rotl(b + ((c & d) | (~c & a)) + m[o + 11]! + 0x895cd7be, 22)) | 0;
    a = (b + rotl(a + ((b & c) | (~b & d)) + m[o + 12]! + 0x6b901122, 7)) | 0;
    d = (a + rotl(d + ((a & b) | (~a & c)) + m[o + 13]! + 0xfd987193, 12)) | 0;
    c = (d + rotl(c + ((d & a) | (~d & b)) + m[o + 14]! + 0xa679438e, 17)) | 0;
    b = (c + rotl(b + ((c & d) | (~c & a)) + m[o + 15]! + 0x49b40821, 22)) | 0;
    // Round 2
    a = (b + rotl(a + ((b & d) | (c & ~d)) + m[o + 1]! + 0xf61e2562, 5)) | 0;
    d = (a + rotl(d + ((a & c) | (b & ~c)) + m[o + 6]! + 0xc040b340, 9)) | 0;
    c = (d + rotl(c + ((d & b) | (a & ~b)) + m[o + 11]! + 0x265e5a51, 14)) | 0;
    b = (c + rotl(b + ((c & a) | (d & ~a)) + m[o + 0]! + 0xe9b6c7aa, 20)) | 0;
    a = (b + rotl(a + ((b & d) | (c & ~d)) + m[o + 5]! + 0xd62f105d, 5)) | 0;
    d = (a + rotl(d + ((a & c) | (b & ~c)) + m[o + 10]! + 0x02441453, 9)) | 0;
    c = (d + rotl(c + ((d & b) | (a & ~b)) + m[o + 15]! + 0xd8a1e681, 14)) | 0;
    b = (c + rotl(b + ((c & a) | (d & ~a)) + m[o + 4]! + 0xe7d3fbc8, 20)) | 0;
    a = (b + rotl(a + ((b & d) | (c & ~d)) + m[o + 9]! + 0x21e1cde6, 5)) | 0;
    d = (a + rotl(d + ((a & c) | (b & ~c)) + m[o + 14]! + 0xc33707d6, 9)) | 0;
    c = (d + rotl(c + ((d & b) | (a & ~b)) + m[o + 3]! + 0xf4d50d87, 14)) | 0;
    b = (c + rotl(b + ((c & a) | (d & ~a)) + m[o + 8]! + 0x455a14ed, 20)) | 0;
    a = (b + rotl(a + ((b & d) | (c & ~d)) + m[o + 13]! + 0xa9e3e905, 5)) | 0;
    d = (a + rotl(d + ((a & c) | (b & ~c)) + m[o + 2]! + 0xfcefa3f8, 9)) | 0;
    c = (d + rotl(c + ((d & b) | (a & ~b)) + m[o + 7]! + 0x676f02d9, 14)) | 0;
    b = (c + rotl(b + ((c & a) | (d & ~a)) + m[o + 12]! + 0x8d2a4c8a, 20)) | 0;
    // Round 3
    a = (b + rotl(a + (b ^ c ^ d) + m[o + 5]! + 0xfffa3942, 4)) | 0;
    d = (a + rotl(d + (a ^ b ^ c) + m[o + 8]! + 0x8771f681, 11)) | 0;
    c = (d + rotl(c + (d ^ a ^ b) + m[o + 11]! + 0x6d9d6122, 16)) | 0;
    b = (c + rotl(b + (c ^ d ^ a) + m[o + 14]! + 0xfde5380c, 23)) | 0;
    a = (b + rotl(a + (b ^ c ^ d) + m[o + 1]! + 0xa4beea44, 4)) | 0;
    d = (a + rotl(d + (a ^ b ^ c) + m[o + 4]! + 0x4bdecfa9, 11)) | 0;
    c = (d + rotl(c + (d ^ a ^ b) + m[o + 7]! + 0xf6bb4b60, 16)) | 0;
    b = (c + rotl(b + (c ^ d ^ a) + m[o + 10]! + 0xbebfbc70, 23)) | 0;
    a = (b + rotl(a + (b ^ c ^ d) + m[o + 13]! + 0x289b7ec6, 4)) | 0;
    d = (a + rotl(d + (a ^ b ^ c) + m[o + 0]! + 0xeaa127fa, 11)) | 0;
    c = (d + rotl(c + (d ^ a ^ b) + m[o + 3]! + 0xd4ef3085, 16)) | 0;
    b = (c + rotl(b + (c ^ d ^ a) + m[o + 6]! + 0x04881d05, 23)) | 0;
    a = (b + rotl(a + (b ^ c ^ d) + m[o + 9]! + 0xd9d4d039, 4)) | 0;
    d = (a + rotl(d + (a ^ b ^ c) + m[o + 12]! + 0xe6db99e5, 11)) | 0;
    c = (d + rotl(c + (d ^ a ^ b) + m[o + 15]! + 0x1fa27cf8, 16)) | 0;
    b = (c + rotl(b + (c ^ d ^ a) + m[o + 2]! + 0xc4ac5665, 23)) | 0;
    // Round 4
    a = (b + rotl(a + (c ^ (b | ~d)) + m[o + 0]! + 0xf4292244, 6)) | 0;
    d = (a + rotl(d + (b ^ (a | ~c)) + m[o + 7]! + 0x432aff97, 10)) | 0;
    c = (d + rotl(c + (a ^ (d | ~b)) + m[o + 14]! + 0xab9423a7, 15)) | 0;
    b = (c + rotl(b + (d ^ (c | ~a)) + m[o + 5]! + 0xfc93a039, 21)) | 0;
    a = (b + rotl(a + (c ^ (b | ~d)) + m[o + 12]! + 0x655b59c3, 6)) | 0;
    d = (a + rotl(d + (b ^ (a | ~c)) + m[o + 3]! + 0x8f0ccc92, 10)) | 0;
    c = (d + rotl(c + (a ^ (d | ~b)) + m[o + 10]! + 0xffeff47d, 15)) | 0;
    b = (c + rotl(b + (d ^ (c | ~a)) + m[o + 1]! + 0x85845dd1, 21)) | 0;
    a = (b + rotl(a + (c ^ (b | ~d)) + m[o + 8]! + 0x6fa87e4f, 6)) | 0;
    d = (a + rotl(d + (b ^ (a | ~c)) + m[o + 15]! + 0xfe2ce6e0, 10)) | 0;
    c = (d + rotl(c + (a ^ (d | ~b)) + m[o + 6]! + 0xa3014314, 15)) | 0;
    b = (c + rotl(b + (d ^ (c | ~a)) + m[o + 13]! + 0x4e0811a1, 21)) | 0;
    a = (b + rotl(a + (c ^ (b | ~d)) + m[o + 4]! + 0xf7537e82, 6)) | 0;
    d = (a + rotl(d + (b ^ (a | ~c)) + m[o + 11]! + 0xbd3af235, 10)) | 0;
    c = (d + rotl(c + (a ^ (d | ~b)) + m[o + 2]! + 0x2ad7d2bb, 15)) | 0;
    b = (c + rotl(b + (d ^ (c | ~a)) + m[o + 9]! + 0xeb86d391, 21)) | 0;
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  STATE[0] = a0;
  STATE[1] = b0;
  STATE[2] = c0;
  STATE[3] = d0;
  return STATE;
}

/** MD5 of BYTES (exported for the property test against node:crypto). */
export function md5(bytes: Uint8Array): Buffer {
  const h = md5Words(padded(bytes, 0));
  const out = Buffer.alloc(16);
  for (let i = 0; i < 4; i++) out.writeInt32LE(h[i]!, i * 4);
  return out;
}

/** PREFIX zero bytes then TAIL, MD5-padded, as little-endian words. */
function padded(tail: Uint8Array, prefix: number): Int32Array {
  const length = prefix + tail.length;
  const blocks = ((length + 8) >> 6) + 1;
  const bytes = Buffer.alloc(blocks * 64);
  bytes.set(tail, prefix);
  bytes[length] = 0x80;
  const bits = length * 8;
  bytes.writeUInt32LE(bits >>> 0, blocks * 64 - 8);
  bytes.writeUInt32LE(Math.floor(bits / 2 ** 32), blocks * 64 - 4);
  const m = new Int32Array(blocks * 16);
  for (let i = 0; i < m.length; i++) m[i] = bytes.readInt32LE(i * 4);
  return m;
}

/**
 * Checks digest responses against POLICY: the first password the policy lists for the user whose
 * response is the one sent and that the policy lets in, exactly as trying
 * `digestResponse(...) === response.toLowerCase()` for each listed password in order (MD5 whatever
 * the algorithm parameter says, qop's form whenever qop is present) would find it.
 */
export class DigestChecker {
  private readonly cache = new Map<string, Ha1Entry>();
  private ha1s = 0;

  constructor(private readonly policy: AuthPolicy) {}

  check(a: DigestAttempt): string | undefined {
    const response = a.response.toLowerCase();
    // Only 32 hex digits can be an MD5 response: anything else matches no password.
    if (!/^[0-9a-f]{32}$/.test(response)) return undefined;
    const user = a.username.slice(0, MAX_CREDENTIAL_CHARS);
    const entry = this.ha1Of(a.username, a.realm, user);
    if (entry.passwords.length === 0) return undefined;
    const ha2 = md5Hex(`${a.method}:${a.uri}`);
    const rest = a.qop ? `:${a.nonce}:${a.nc ?? ''}:${a.cnonce ?? ''}:${a.qop}:${ha2}` : `:${a.nonce}:${ha2}`;
    const m = padded(Buffer.from(rest, 'utf8'), 32);
    const bytes = Buffer.from(response, 'hex');
    const want = [bytes.readInt32LE(0), bytes.readInt32LE(4), bytes.readInt32LE(8), bytes.readInt32LE(12)];
    const { passwords, ha1 } = entry;
    for (let k = 0; k < passwords.length; k++) {
      for (let i = 0; i < 8; i++) m[i] = ha1[k * 8 + i]!;
      const h = md5Words(m);
      if (h[0] === want[0] && h[1] === want[1] && h[2] === want[2] && h[3] === want[3] && this.policy.allows(user, passwords[k]!)) return passwords[k];
    }
    return undefined;
  }

  /** How much the HA1 cache holds (for the bound's test). */
  stats(): Ha1CacheStats {
    return { entries: this.cache.size, ha1s: this.ha1s };
  }

  private ha1Of(username: string, realm: string, user: string): Ha1Entry {
    const cacheable = username.length + realm.length <= MAX_HA1_KEY_CHARS;
    const key = `${username.length}:${username}${realm}`;
    const hit = cacheable ? this.cache.get(key) : undefined;
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const passwords = this.policy.candidatePasswords(user);
    const ha1 = new Int32Array(passwords.length * 8);
    passwords.forEach((pw, k) => asciiWords(md5Hex(`${username}:${realm}:${pw}`), ha1, k * 8));
    const entry = { passwords, ha1 };
    if (cacheable && passwords.length > 0 && passwords.length <= MAX_CACHED_HA1S) {
      while (this.cache.size >= MAX_HA1_CACHE_ENTRIES || this.ha1s + passwords.length > MAX_CACHED_HA1S) {
        const [oldKey, old] = this.cache.entries().next().value as [string, Ha1Entry];
        this.cache.delete(oldKey);
        this.ha1s -= old.passwords.length;
      }
      this.cache.set(key, entry);
      this.ha1s += passwords.length;
    }
    return entry;
  }
}
