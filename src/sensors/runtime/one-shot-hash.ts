// Hashing a short input in one call: crypto.hash (Node 20.12+) where it exists, createHash otherwise.
// One-shot hashing is about twice as fast for inputs of tens of bytes (no Hash object), which login
// checks hash once per listed password.
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';

type OneShot = (alg: string, data: string | Buffer, enc: 'buffer' | 'hex') => Buffer | string;
const oneShot = (crypto as { hash?: OneShot }).hash;

/** ALG of DATA (a string is hashed as UTF-8), as bytes. */
export function hashBytes(alg: string, data: string | Buffer): Buffer {
  return oneShot ? (oneShot(alg, data, 'buffer') as Buffer) : createHash(alg).update(data).digest();
}

/** ALG of DATA (a string is hashed as UTF-8), as lowercase hex. */
export function hashHex(alg: string, data: string | Buffer): string {
  return oneShot ? (oneShot(alg, data, 'hex') as string) : createHash(alg).update(data).digest('hex');
}
