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

/** encodeTime(lastTime), made once per millisecond. */
let lastTimeText = encodeTime(lastTime);

/** A new monotonic ULID for `nowMs`. */
export function newEventId(nowMs: number = Date.now()): string {
  if (nowMs <= lastTime) {
    incrementRandom();
  } else {
    lastTime = nowMs;
    lastTimeText = encodeTime(nowMs);
    nextRandomBytes(lastRandom);
  }
  return lastTimeText + encodeRandom(lastRandom);
}

let sessionSecond = -1;
let sessionCounter = 0;
const counterStart = new Uint8Array(4);

/**
 * A session id: 16 lowercase hex characters, the start time in Unix seconds then a counter that begins
 * at a random value each second and counts up. Ids sort by start time, so the store's index by session
 * grows at its end like its index by event id (random ids put every insert somewhere in the middle:
 * about a quarter more of SQLite's time per event). Unique within a process; two sensors share an id
 * only if they start sessions in the same second from 32-bit random starts closer than their counts.
 */
export function newSessionId(nowMs: number = Date.now()): string {
  const second = Math.min(Math.max(0, Math.floor(nowMs / 1000)), 0xffffffff);
  if (second !== sessionSecond) {
    sessionSecond = second;
    nextRandomBytes(counterStart);
    sessionCounter = counterStart.reduce((n, b) => n * 256 + b, 0);
  } else {
    sessionCounter = (sessionCounter + 1) % 0x1_0000_0000;
  }
  return second.toString(16).padStart(8, '0') + sessionCounter.toString(16).padStart(8, '0');
}

export const EVENT_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** A ULID from a time and 10 given bytes: importers derive them from a hash so ids are deterministic. */
export function eventIdFrom(ms: number, random: Uint8Array): string {
  if (random.length < 10) throw new RangeError('eventIdFrom needs 10 bytes');
  const t = Math.min(Math.max(0, Math.floor(ms)), 2 ** 48 - 1);
  return encodeTime(t) + encodeRandom(random.subarray(0, 10));
}
