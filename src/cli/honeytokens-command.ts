// `apiary honeytokens`: the fake secrets planted in decoys, with where and when; values masked.
import { existsSync } from 'node:fs';
import { ApiaryError } from '../errors/errors.js';
import { loadConfig } from '../config/load.js';
import type { ApiaryEvent, Payload } from '../events/catalogue.js';
import { maskSecret } from '../events/mask.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { MAX_QUERY_ROWS } from '../store/store.js';
import { compileAuthPolicy, type AuthPolicy } from '../sensors/runtime/auth-policy.js';
import { parseFlags } from './flags.js';
import { counted, inert, table } from './terminal.js';

export interface HoneytokenListing {
  token_id: string;
  kind: string;
  username: string;
  secret_masked: string;
  locations: string[];
  accepted: boolean;
  sensor: string;
  first_planted: string;
  last_planted: string;
}

/**
 * One row per token (by id and sensor), from its `honeytoken.planted` events. A token is accepted when
 * its sensor said so (a decoy database's accounts, put before the operator's rules) or when POLICY, the
 * login policy the sensors decide with, lets its user and secret in (a shell's planted root password
 * that the auth rules list, say): what an attacker trying it at a login would see.
 */
export function listHoneytokens(events: readonly ApiaryEvent[], policy?: AuthPolicy): HoneytokenListing[] {
  const byId = new Map<string, HoneytokenListing>();
  for (const e of events) {
    if (e.type !== 'honeytoken.planted') continue;
    const p = e.payload as Payload<'honeytoken.planted'>;
    const key = `${e.sensor}\0${p.token_id}`;
    const seen = byId.get(key);
    if (seen) {
      if (e.time < seen.first_planted) seen.first_planted = e.time;
      if (e.time > seen.last_planted) seen.last_planted = e.time;
      continue;
    }
    byId.set(key, {
      token_id: p.token_id,
      kind: p.kind,
      username: p.username,
      secret_masked: maskSecret(p.secret),
      locations: p.locations,
      accepted: p.accepted === true || (policy?.allows(p.username, p.secret) ?? false),
      sensor: e.sensor,
      first_planted: e.time,
      last_planted: e.time,
    });
  }
  return [...byId.values()].sort((a, b) => a.first_planted.localeCompare(b.first_planted) || a.locations.join().localeCompare(b.locations.join()));
}

export async function runHoneytokens(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } });
  const { config } = loadConfig(values.config, { checkDataDir: false });
  const path = config.store.sqlite.path;
  if (!existsSync(path)) {
    throw new ApiaryError('APIARY_STORE_OPEN', `no store at ${path} yet; run "apiary start" first (or pass the --config that names the store)`);
  }
  const store = new SqliteStore(path, { readonly: true });
  try {
    const rows = listHoneytokens(await store.query({ type: 'honeytoken.planted', limit: MAX_QUERY_ROWS, order: 'asc' }), compileAuthPolicy(config.auth));
    if (values.json) {
      process.stdout.write(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    } else {
      const lines = rows.map((r) => [r.token_id, r.kind, inert(r.username), inert(r.secret_masked), inert(r.locations.join(', ')), r.accepted ? 'yes' : 'no', r.first_planted, r.last_planted]);
      process.stdout.write(`${table(['TOKEN', 'KIND', 'USER', 'SECRET', 'PLANTED IN', 'ACCEPTED', 'FIRST PLANTED', 'LAST PLANTED'], lines)}\n${counted(rows.length, 'honeytoken')}\n`);
    }
  } finally {
    await store.close();
  }
  return 0;
}
