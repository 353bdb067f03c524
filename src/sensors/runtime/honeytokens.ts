// Honeytokens: decoy secrets (passwords, API keys, ...) that sensors serve, derived per install from a
// secret seed so they are stable across restarts and unique to this install, and registered in
// DATA_DIR/honeytokens.jsonl so enrichment can flag any later use of one, on any service.
import { createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type HoneytokenKind = 'password' | 'username' | 'api_key' | 'aws_access_key' | 'aws_secret_key' | 'token' | 'hash' | 'email';

export interface Honeytoken {
  kind: HoneytokenKind;
  value: string;
  /** The sensor protocol that serves it (http, ftp, tftp, ssh, mysql, ...). */
  service: string;
  /** Where it is served: a path, a table, a file name. */
  where: string;
}

export interface HoneytokenRegistry {
  /** A value derived from LABEL: the same label gives the same value on this install. */
  derive(label: string, alphabet: string, length: number): string;
  /** Records that TOKEN is served; registering the same token twice is harmless. */
  register(token: Honeytoken): string;
  all(): readonly Honeytoken[];
}

export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const HEX = '0123456789abcdef';

/** Derives characters from HMAC-SHA256(seed, label#counter); deterministic for one seed. */
export function deriveString(seed: Buffer, label: string, alphabet: string, length: number): string {
  let out = '';
  for (let block = 0; out.length < length; block++) {
    const bytes = createHmac('sha256', seed).update(`${label}#${block}`).digest();
    for (const b of bytes) {
      // Rejection sampling keeps every character equally likely.
      if (b >= 256 - (256 % alphabet.length)) continue;
      out += alphabet[b % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** The registry kept in DIR (DATA_DIR): the seed in honeytoken.seed, tokens in honeytokens.jsonl. */
export function openHoneytokenRegistry(dir: string): HoneytokenRegistry {
  mkdirSync(dir, { recursive: true });
  const seedPath = join(dir, 'honeytoken.seed');
  if (!existsSync(seedPath)) writeFileSync(seedPath, randomBytes(32).toString('hex'), { mode: 0o600 });
  const seed = Buffer.from(readFileSync(seedPath, 'utf8').trim(), 'hex');
  const listPath = join(dir, 'honeytokens.jsonl');
  const tokens: Honeytoken[] = [];
  const seen = new Set<string>();
  const key = (t: Honeytoken): string => `${t.kind}\0${t.value}\0${t.service}\0${t.where}`;
  if (existsSync(listPath)) {
    for (const line of readFileSync(listPath, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const t = JSON.parse(line) as Honeytoken;
        if (!seen.has(key(t))) {
          seen.add(key(t));
          tokens.push(t);
        }
      } catch {
        /* a torn last line after a crash: ignored, the token is registered again */
      }
    }
  }
  return {
    derive: (label, alphabet, length) => deriveString(seed, label, alphabet, length),
    register(t) {
      if (!seen.has(key(t))) {
        seen.add(key(t));
        tokens.push(t);
        appendFileSync(listPath, `${JSON.stringify(t)}\n`, { mode: 0o600 });
      }
      return t.value;
    },
    all: () => tokens,
  };
}
