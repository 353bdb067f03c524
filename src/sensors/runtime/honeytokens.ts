// Honeytokens served by the web, FTP and TFTP decoys: values derived per install from a secret seed
// (stable across restarts, unique to this install), planted with the shared Honeytoken shape
// (events/honeytokens.ts) and announced as `honeytoken.planted` events, as the shell announces its own.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSessionEmitter, type EventSink } from '../../events/emitter.js';
import type { Honeytoken, HoneytokenKind } from '../../events/honeytokens.js';

export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const HEX = '0123456789abcdef';

export interface PlantedToken extends Honeytoken {
  /** The sensor protocol that serves it (http, ftp, tftp). */
  service: string;
}

export interface HoneytokenRegistry {
  /** A value derived from LABEL: the same label gives the same value on this install. */
  derive(label: string, alphabet: string, length: number): string;
  /** Plants a decoy credential served by SERVICE at LOCATION; returns the secret. Planting it again adds the location. */
  plant(t: { service: string; kind: HoneytokenKind; username: string; secret: string; location: string; host?: string }): string;
  all(): readonly PlantedToken[];
}

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

/** The id the shell gives a token too: the same credential has the same id whichever sensor plants it. */
export function tokenId(kind: string, username: string, secret: string): string {
  return createHash('sha256').update(`${kind}\0${username}\0${secret}`).digest('hex').slice(0, 16);
}

/** The registry seeded from DIR/honeytoken.seed (made on first start). */
export function openHoneytokenRegistry(dir: string): HoneytokenRegistry {
  mkdirSync(dir, { recursive: true });
  const seedPath = join(dir, 'honeytoken.seed');
  if (!existsSync(seedPath)) writeFileSync(seedPath, randomBytes(32).toString('hex'), { mode: 0o600 });
  const seed = Buffer.from(readFileSync(seedPath, 'utf8').trim(), 'hex');
  const tokens = new Map<string, PlantedToken>();
  return {
    derive: (label, alphabet, length) => deriveString(seed, label, alphabet, length),
    plant({ service, kind, username, secret, location, host }) {
      const id = tokenId(kind, username, secret);
      const known = tokens.get(`${service}|${id}`);
      if (known) {
        if (!known.locations.includes(location)) known.locations.push(location);
      } else tokens.set(`${service}|${id}`, { id, kind, username, secret, ...(host ? { host } : {}), locations: [location], service });
      return secret;
    },
    all: () => [...tokens.values()],
  };
}

/** Emits one `honeytoken.planted` per planted token (once per start; consumers de-duplicate by token_id). */
export function announceHoneytokens(reg: HoneytokenRegistry, sink: EventSink, sensor: string): void {
  for (const t of reg.all()) {
    createSessionEmitter(sink, { sensor, protocol: t.service, src_ip: '0.0.0.0', src_port: 0, dst_ip: '0.0.0.0', dst_port: 0 }).emit('honeytoken.planted', {
      token_id: t.id,
      kind: t.kind,
      username: t.username,
      secret: t.secret,
      ...(t.host ? { host: t.host } : {}),
      locations: t.locations,
    });
  }
}
