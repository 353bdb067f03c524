// `apiary events`: stored events as a table for people or JSON lines for tools.
import { ApiaryError } from '../errors/errors.js';
import { loadConfig } from '../config/load.js';
import { EVENT_TYPES, flattenEvent, type ApiaryEvent } from '../events/catalogue.js';
import { canonicalIp } from '../enrich/networks.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { openStore } from '../store/open.js';
import { MAX_QUERY_ROWS, type EventFilter } from '../store/store.js';
import { existsSync } from 'node:fs';
import { parseFlags } from './flags.js';
import { counted, hostPort, inert, table } from './terminal.js';

/** Seconds per unit of a relative time flag (`30m`, `1h`, `7d`, `2w`). */
const RELATIVE_UNITS_S: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const RELATIVE_RE = /^(\d{1,7})([smhdw])$/;

/**
 * Parses a --since/--until (or --from/--to) value: a date (2026-01-31), a date and time
 * (2026-01-31T12:00:00Z), or a time before NOW_MS (`30m`, `1h`, `7d`, `2w`: minutes, hours, days, weeks).
 */
export function parseTimeFlag(flag: string, v: string, nowMs = Date.now()): string {
  const rel = RELATIVE_RE.exec(v);
  const ok = rel !== null || /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v);
  const d = !ok ? new Date(NaN) : rel ? new Date(nowMs - Number(rel[1]) * RELATIVE_UNITS_S[rel[2]!]! * 1000) : new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  const year = d.getUTCFullYear();
  if (Number.isNaN(d.getTime()) || year < 1970 || year > 9999) {
    throw new ApiaryError('APIARY_CLI_USAGE', `flag --${flag}: expected a date such as 2026-01-31 or 2026-01-31T12:00:00Z between 1970 and 9999, or a time ago such as 30m, 1h, 7d or 2w, got ${JSON.stringify(v)}`);
  }
  return d.toISOString();
}

export async function runEvents(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    config: { type: 'string', short: 'c' },
    type: { type: 'string' },
    src: { type: 'string' },
    session: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    limit: { type: 'string' },
    last: { type: 'string' },
    json: { type: 'boolean' },
    source: { type: 'boolean' },
  });
  const { config } = loadConfig(values.config, { checkDataDir: false });
  const filter: EventFilter = {};
  if (values.type !== undefined) filter.type = typeFlag(values.type);
  if (values.src !== undefined) filter.src = sourceFlag(values.src);
  if (values.session) filter.session = values.session;
  if (values.since) filter.since = parseTimeFlag('since', values.since);
  if (values.until) filter.until = parseTimeFlag('until', values.until);
  if (values.limit !== undefined && values.last !== undefined) {
    throw new ApiaryError('APIARY_CLI_USAGE', 'flags --limit and --last: give one (--limit N: the oldest N events; --last N: the newest N)');
  }
  if (values.limit !== undefined) filter.limit = countFlag('limit', values.limit);
  // The newest N, read newest first and printed oldest first like the rest.
  if (values.last !== undefined) {
    filter.limit = countFlag('last', values.last);
    filter.order = 'desc';
  }
  const path = config.store.sqlite.path;
  if (config.store.kind === 'sqlite' && !existsSync(path)) {
    throw new ApiaryError('APIARY_STORE_OPEN', `no store at ${path} yet; run "apiary start" first (or pass the --config that names the store)`);
  }
  const store = config.store.kind === 'postgres' ? await openStore(config) : new SqliteStore(path, { readonly: true });
  try {
    const events = await store.query(filter);
    if (filter.order === 'desc') events.reverse();
    if (filter.limit === undefined && events.length >= MAX_QUERY_ROWS) {
      process.stderr.write(`apiary: listed the oldest ${MAX_QUERY_ROWS} events, the most one listing shows; narrow with --since, --until, --type or --src, or see the newest with --last N\n`);
    }
    if (values.json) {
      let out = '';
      // --source adds an imported event's original record (see docs/importers.md).
      for (const e of events) out += `${JSON.stringify(values.source && e.source ? { ...flattenEvent(e), source: e.source } : flattenEvent(e))}\n`;
      process.stdout.write(out);
    } else {
      const rows = events.map((e) => [e.time, e.type, e.session, hostPort(e.src_ip, e.src_port), inert(summarise(e)).slice(0, 160)]);
      process.stdout.write(`${table(['TIME', 'TYPE', 'SESSION', 'SOURCE', 'DETAIL'], rows)}\n${counted(events.length, 'event')}\n`);
    }
  } finally {
    await store.close();
  }
  return 0;
}

/** The value of --type: an event type of the catalogue (a misspelt one would list nothing, silently). */
export function typeFlag(v: string): string {
  if ((EVENT_TYPES as readonly string[]).includes(v)) return v;
  const near = nearest(v.slice(0, 80), EVENT_TYPES);
  throw new ApiaryError(
    'APIARY_CLI_USAGE',
    `flag --type: no event type ${JSON.stringify(inert(v.slice(0, 80)))}${near ? `; did you mean ${near}?` : '.'} Event types (docs/events.md): ${EVENT_TYPES.join(', ')}`,
  );
}

/**
 * The value of --src as sensors store an address: IPv4 as written, an IPv4-mapped IPv6 address as its
 * IPv4 address, IPv6 in the compressed lowercase form the socket gives (2001:DB8:0::1 is 2001:db8::1).
 */
export function sourceFlag(v: string): string {
  const ip = canonicalIp(v);
  if (ip === undefined) throw new ApiaryError('APIARY_CLI_USAGE', `flag --src: expected an IPv4 or IPv6 address such as 203.0.113.7 or 2001:db8::7, got ${JSON.stringify(inert(v.slice(0, 80)))}`);
  return ip;
}

/** The candidate closest to V by edit distance, when it is close enough to be a slip (at most a third of V changed). */
function nearest(v: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(1, Math.floor(v.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(v.toLowerCase(), c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

/** Levenshtein distance (V is a flag value, bounded by the caller). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The value of --NAME as a whole number of at least 1. */
function countFlag(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ApiaryError('APIARY_CLI_USAGE', `flag --${name}: expected a whole number of at least 1, got ${JSON.stringify(v)}`);
  return n;
}

function summarise(e: ApiaryEvent): string {
  const p = e.payload as Record<string, unknown>;
  switch (e.type) {
    case 'auth.attempt':
      return `${p.method} ${JSON.stringify(p.username)} ${p.password !== undefined ? JSON.stringify(p.password) : (p.hash ?? p.key_fingerprint ?? '')} ${p.success ? 'SUCCESS' : 'failed'}`;
    case 'connection.close':
      return `${p.reason} after ${p.duration_ms} ms, ${p.bytes_in} B in, ${p.bytes_out} B out`;
    default:
      return Object.entries(p)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v)}`)
        .join(' ');
  }
}
