// Cryptocurrency wallet addresses in attacker text: Bitcoin and Litecoin (Base58Check, checksum
// verified so random strings are not taken for wallets) and Monero (95 Base58 characters).
import { createHash } from 'node:crypto';

export type Coin = 'bitcoin' | 'litecoin' | 'monero';

export interface Wallet {
  coin: Coin;
  address: string;
}

/** Text longer than this is searched only in its first MAX_WALLET_TEXT characters. */
export const MAX_WALLET_TEXT = 16_384;
/** Most wallets reported per text. */
export const MAX_WALLETS = 8;

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const B58_INDEX = new Map([...B58].map((c, i) => [c, i]));

/** Base58 decode; undefined on a character outside the alphabet. */
export function decodeBase58(s: string): Uint8Array | undefined {
  let n = 0n;
  for (const c of s) {
    const v = B58_INDEX.get(c);
    if (v === undefined) return undefined;
    n = n * 58n + BigInt(v);
  }
  const bytes: number[] = [];
  while (n > 0n) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  for (const c of s) {
    if (c !== '1') break;
    bytes.unshift(0);
  }
  return Uint8Array.from(bytes);
}

/** The version byte of a valid Base58Check string of 25 bytes (an address), else undefined. */
export function base58CheckVersion(s: string): number | undefined {
  const b = decodeBase58(s);
  if (!b || b.length !== 25) return undefined;
  const body = b.subarray(0, 21);
  const sum = createHash('sha256').update(createHash('sha256').update(body).digest()).digest();
  for (let i = 0; i < 4; i++) if (sum[i] !== b[21 + i]) return undefined;
  return b[0];
}

const CANDIDATE_RE = /\b[13LM][1-9A-HJ-NP-Za-km-z]{25,34}\b/g;
const MONERO_RE = /\b[48][0-9AB][1-9A-HJ-NP-Za-km-z]{93}\b/g;
const BECH32_RE = /\b(bc1|ltc1)[ac-hj-np-z02-9]{11,71}\b/g;

/** Wallet addresses in TEXT (checksummed where the coin allows it). */
export function findWallets(text: string): Wallet[] {
  const t = text.length > MAX_WALLET_TEXT ? text.slice(0, MAX_WALLET_TEXT) : text;
  const out: Wallet[] = [];
  const add = (w: Wallet): void => {
    if (out.length < MAX_WALLETS && !out.some((o) => o.address === w.address)) out.push(w);
  };
  for (const m of t.matchAll(CANDIDATE_RE)) {
    const v = base58CheckVersion(m[0]);
    // Bitcoin P2PKH 0x00 / P2SH 0x05; Litecoin P2PKH 0x30 / P2SH 0x32 (and the old 0x05 "3" form counts as bitcoin).
    if (v === 0x00 || v === 0x05) add({ coin: 'bitcoin', address: m[0] });
    else if (v === 0x30 || v === 0x32) add({ coin: 'litecoin', address: m[0] });
  }
  for (const m of t.matchAll(BECH32_RE)) add({ coin: m[1] === 'bc1' ? 'bitcoin' : 'litecoin', address: m[0] });
  for (const m of t.matchAll(MONERO_RE)) add({ coin: 'monero', address: m[0] });
  return out;
}
