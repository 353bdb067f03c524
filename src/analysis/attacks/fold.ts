// Folds events into attack-reconstruction state: facts per source (ATT&CK techniques and intents with
// their evidence, timeline steps), indexes the link finders consult, and the links themselves, whose
// endpoints are joined into chains (union-find). Pure: no I/O; every list is capped, so a source with a
// million events costs constant memory, and no event shape (missing, absurd or hostile fields) throws.
import type { ApiaryEvent } from '../../events/catalogue.js';
import { MIN_MATCH_CHARS } from '../../events/honeytokens.js';
import { COMMON_PASSWORDS } from '../../config/common-passwords.js';
import type { AttackLink, AttackLinkType, AttackStep, IpEnrichment, Scope } from '../../store/store.js';
import { isAttackerEvent } from '../incidents.js';
import { MAX_COMMAND_CHARS, hashOf, networkOf, normaliseCommand, urlHost, urlsIn } from './normalise.js';
import {
  COMMAND_TECHNIQUES,
  DATA_THEFT_RE,
  DOS_RE,
  IRC_RE,
  MINER_RE,
  PERSISTENCE_RE,
  PROXY_RE,
  SCANNER_RE,
  SQL_THEFT_RE,
  STRATUM_RE,
  type TechniqueId,
} from './techniques.js';
import { findWallets } from './wallets.js';
import { makeRoom } from '../../wire/bounded.js';

// Limits: everything kept per source, per key and per chain is bounded.
export const MAX_EVIDENCE = 5;
/** Evidence kept per intent of a source (an intent is shown by several kinds of clue). */
export const MAX_INTENT_EVIDENCE = 8;
export const MAX_STEPS_PER_SOURCE = 48;
export const MAX_STEPS_PER_KIND = 12;
export const MAX_LISTED = 32;
export const MAX_GAPS = 64;
export const MAX_OPEN_SESSIONS = 50_000;
export const MAX_SOURCES = 500_000;
export const MAX_KEY_ENTRIES = 16;
/**
 * Link keys kept (hosts, files, pools, wallets, command sequences, password lists, credentials, scanned
 * ports): each source can make new ones with every command (a `wget` of 8 new hosts makes 8), so one
 * session could fill memory (80,000 such commands held 640,000 keys, 419 MB). Past the cap the key
 * recorded least recently goes; about 65 MB of single-entry keys.
 */
export const MAX_KEYS = 100_000;
/**
 * Ids of absorbed chains a chain keeps until its record is next saved (the store deletes their
 * records then). A burst of new sources joining one chain within one save adds one id each; past the
 * cap the ids are dropped, and a record already saved under one of them stays listed.
 */
export const MAX_MERGED = 5_000;
/**
 * Usernames and passwords as kept for linking (password-list fingerprints, spraying, handoff keys):
 * longer ones are cut to a prefix and a hash of the whole, so they stay distinct but cost at most this
 * many characters each (1,024-character credentials from 13,000 sources made a state too long to save).
 */
export const MAX_CREDENTIAL_CHARS = 256;
export const MAX_LINKS_PER_CHAIN = 500;
export const MAX_TEXT = 4096;
/** Failed logins before a success that make the success "found by brute force". */
export const BRUTE_FORCE_FAILURES = 3;
/** A handoff's receiver logs in at its first or second try: at most this many failures first. */
export const HANDOFF_MAX_FAILURES = 1;
/** Login attempts whose order makes a source's password-list fingerprint. */
export const PASSWORD_LIST_PREFIX = 4;
/** Commands whose normalised order makes a session's behaviour fingerprint. */
export const COMMAND_PREFIX = 4;
export const MIN_COMMANDS_FOR_BEHAVIOUR = 3;
/** A scanner links to a later exploit or login from its /24 or ASN within this window. */
export const SCAN_EXPLOIT_WINDOW_MS = 7 * 24 * 3600_000;
/** Sensors' clocks may disagree by this much: "before" allows it. */
export const CLOCK_SKEW_MS = 120_000;
/** A client fingerprint shared by more sources than this is a common tool, not shared infrastructure. */
export const MAX_FINGERPRINT_SOURCES = 5;

const COMMON = new Set(COMMON_PASSWORDS);

/**
 * SSH client banners of stock tools and libraries used by countless unrelated people and bots: the same
 * HASSH and banner from two of them says nothing about who is behind them.
 */
export const COMMON_SSH_CLIENTS = /^SSH-2\.0-(Go|PUTTY|PuTTY_Release_[\d.]+|libssh2?[-_][\d.]+|paramiko_[\d.]+|OpenSSH_[\w.]+( .*)?|JSCH-[\d.]+|AsyncSSH_[\d.]+|dropbear_[\d.]+|WinSCP_release_[\d.]+|ssh2js[\d.]+|Twisted(Conch)?|SSHJ_[\d.]+)$/i;

export interface Evidence {
  event_id: string;
  detail: string;
}

export interface SourceState {
  ip: string;
  role: 'attacker' | 'server';
  scope: Scope | 'unknown';
  country: string | null;
  asn: number | null;
  first: string;
  last: string;
  events: number;
  services: string[];
  sensors: string[];
  techniques: Record<string, string[]>;
  intents: Record<string, Evidence[]>;
  failed: number;
  successes: number;
  /** Login attempts' (user, password) in order, up to PASSWORD_LIST_PREFIX. */
  pwList: string[];
  exploited: boolean;
  fetched: boolean;
  /** Distinct days with activity (counted as events arrive in order; a late event of an earlier day is not recounted). */
  dayCount: number;
  lastDay: string;
  /** Longest absence between two active days, in days. */
  maxGapDays: number;
  /** Gaps between typed commands in a session (ms), for the human-typing factor. */
  gaps: number[];
  /** Gaps between keystrokes read from the source's session recordings (ms). */
  keyGaps?: number[];
  authFirst: string | null;
  authLast: string | null;
  steps: AttackStep[];
  stepKinds: Record<string, number>;
  tokensUsed: number;
  /** Accounts tried per password (the first SPRAY_PASSWORDS passwords). */
  spray: Record<string, string[]>;
}

interface SessionState {
  src: string;
  active: boolean;
  failed: number;
  cmds: string[];
  /** Commands typed in the session (all of them, not only the first few kept in cmds). */
  typed: number;
  keyed: boolean;
  lastCmd: number;
  version: string | null;
  hassh: string | null;
}

interface KeyEntry {
  src: string;
  t: number;
  id: string;
  net?: string | undefined;
  asn?: number | null | undefined;
}

interface Token {
  id: string;
  kind: string;
  username: string;
  secret: string;
  locations: string[];
}

interface ChainMeta {
  id: string;
  first: string;
  members: string[];
  links: string[];
  merged: string[];
}

export interface AttackState {
  sources: Map<string, SourceState>;
  sessions: Map<string, SessionState>;
  tokens: Map<string, Token>;
  keys: Map<string, { count: number; entries: KeyEntry[] }>;
  links: Map<string, AttackLink>;
  parent: Map<string, string>;
  chains: Map<string, ChainMeta>;
}

export function emptyState(): AttackState {
  return { sources: new Map(), sessions: new Map(), tokens: new Map(), keys: new Map(), links: new Map(), parent: new Map(), chains: new Map() };
}

// --- small guarded accessors: payloads come from anywhere -----------------------------------------

function str(v: unknown): string {
  return typeof v === 'string' ? (v.length > MAX_TEXT ? v.slice(0, MAX_TEXT) : v) : '';
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, MAX_LISTED).map(str) : [];
}

function pushCapped<T>(list: T[], v: T, cap: number): void {
  if (list.length < cap) list.push(v);
}

function addListed(list: string[], v: string): void {
  if (v && list.length < MAX_LISTED && !list.includes(v)) list.push(v);
}

/** Appends ITEMS to LIST up to CAP, one at a time (a spread of a long list overflows the call stack). */
function appendCapped<T>(list: T[], items: readonly T[], cap: number): void {
  for (const v of items) {
    if (list.length >= cap) return;
    list.push(v);
  }
}

/** A username or password as kept for linking: at most MAX_CREDENTIAL_CHARS, a long one as a prefix and a hash of the whole. */
function credentialText(v: string): string {
  if (v.length <= MAX_CREDENTIAL_CHARS) return v;
  const hash = hashOf([v]);
  return `${v.slice(0, MAX_CREDENTIAL_CHARS - hash.length - 1)}#${hash}`;
}

// --- union-find over chain members ------------------------------------------------------------------

export function findRoot(st: AttackState, node: string): string {
  let r = node;
  for (let p = st.parent.get(r); p !== undefined && p !== r; p = st.parent.get(r)) r = p;
  // Path compression keeps later finds O(1).
  for (let n = node, p = st.parent.get(n); p !== undefined && p !== r; p = st.parent.get(n)) {
    st.parent.set(n, r);
    n = p;
  }
  return r;
}

function ensureNode(st: AttackState, node: string, firstEventId: string, time: string): void {
  if (st.parent.has(node)) return;
  st.parent.set(node, node);
  st.chains.set(node, { id: firstEventId, first: time, members: [node], links: [], merged: [] });
}

function union(st: AttackState, a: string, b: string, dirty: Set<string>): void {
  const ra = findRoot(st, a);
  const rb = findRoot(st, b);
  if (ra === rb) return;
  const ca = st.chains.get(ra)!;
  const cb = st.chains.get(rb)!;
  // The older chain keeps its id; the smaller member list is moved.
  const [keep, gone, keepRoot, goneRoot] = ca.first < cb.first || (ca.first === cb.first && ca.id <= cb.id) ? [ca, cb, ra, rb] : [cb, ca, rb, ra];
  // The absorbed chain goes first and gives up its lists, so no two chains ever share one.
  st.parent.set(goneRoot, keepRoot);
  st.chains.delete(goneRoot);
  dirty.delete(goneRoot);
  dirty.add(keepRoot);
  const [big, small] = keep.members.length >= gone.members.length ? [keep.members, gone.members] : [gone.members, keep.members];
  gone.members = [];
  keep.members = big;
  for (const m of small) big.push(m);
  appendCapped(keep.links, gone.links, MAX_LINKS_PER_CHAIN);
  pushCapped(keep.merged, gone.id, MAX_MERGED);
  appendCapped(keep.merged, gone.merged, MAX_MERGED);
}

// --- per-source facts --------------------------------------------------------------------------------

function newSource(ip: string, time: string, info: IpEnrichment | undefined, role: 'attacker' | 'server'): SourceState {
  return {
    ip, role, scope: info?.scope ?? 'unknown', country: info?.country ?? null, asn: info?.asn ?? null, first: time, last: time, events: 0,
    services: [], sensors: [], techniques: {}, intents: {}, failed: 0, successes: 0, pwList: [], exploited: false, fetched: false,
    dayCount: 0, lastDay: '', maxGapDays: 0, gaps: [], authFirst: null, authLast: null, steps: [], stepKinds: {}, tokensUsed: 0, spray: {},
  };
}

export interface FoldOptions {
  /** The printable strings of a stored file, by SHA-256 (downloads and drops are searched for pools, wallets, tools). */
  fileText?: (sha256: string) => string | undefined;
  /** Inter-keystroke gaps (ms) of a session's terminal recording (live: by session id; imported: by its path). */
  keystrokes?: (session: string, path?: string) => number[] | undefined;
}

/** Context for one event: who, when, and the dirty-chain set. */
interface Ctx {
  opts: FoldOptions;
  st: AttackState;
  e: ApiaryEvent;
  src: SourceState;
  t: number;
  dirty: Set<string>;
}

function tag(c: Ctx, id: TechniqueId, eventId = c.e.id): void {
  const list = (c.src.techniques[id] ??= []);
  if (!list.includes(eventId)) pushCapped(list, eventId, MAX_EVIDENCE);
}

function intent(c: Ctx, name: string, detail: string): void {
  const list = (c.src.intents[name] ??= []);
  if (!list.some((x) => x.event_id === c.e.id && x.detail === detail)) pushCapped(list, { event_id: c.e.id, detail: detail.slice(0, 200) }, MAX_INTENT_EVIDENCE);
}

function step(c: Ctx, kind: string, technique: TechniqueId | null, summary: string, cap = MAX_STEPS_PER_KIND): void {
  const n = c.src.stepKinds[kind] ?? 0;
  if (n >= cap || c.src.steps.length >= MAX_STEPS_PER_SOURCE) return;
  c.src.stepKinds[kind] = n + 1;
  c.src.steps.push({
    time: c.e.time, src_ip: c.src.ip, country: c.src.country, service: str(c.e.protocol), sensor: str(c.e.sensor),
    technique, summary: summary.slice(0, 300), event_id: c.e.id,
  });
}

// --- link index ---------------------------------------------------------------------------------------

function addLink(c: Ctx, type: AttackLinkType, from: string, to: string, explanation: string, evidence: string[]): void {
  if (from === to) return;
  const key = `${type}|${from}|${to}`;
  const rev = `${type}|${to}|${from}`;
  if (c.st.links.has(key) || c.st.links.has(rev)) return;
  const link: AttackLink = { type, from, to, explanation: explanation.slice(0, 300), evidence: [...new Set(evidence)].slice(0, MAX_EVIDENCE) };
  c.st.links.set(key, link);
  union(c.st, from, to, c.dirty);
  const chain = c.st.chains.get(findRoot(c.st, from))!;
  pushCapped(chain.links, key, MAX_LINKS_PER_CHAIN);
  c.dirty.add(findRoot(c.st, from));
}

/** Records ENTRY under KEY; returns the entries recorded before it from other sources. */
function remember(st: AttackState, key: string, entry: KeyEntry): { earlier: KeyEntry[]; count: number; isNew: boolean } {
  let k = st.keys.get(key);
  // Last in the map's order: the keys recorded least recently are evicted first.
  if (k) st.keys.delete(key);
  else {
    k = { count: 0, entries: [] };
    evictKeys(st, MAX_KEYS - 1);
  }
  st.keys.set(key, k);
  const isNew = !k.entries.some((x) => x.src === entry.src);
  const earlier = k.entries.filter((x) => x.src !== entry.src);
  if (isNew) {
    k.count++;
    if (k.entries.length >= MAX_KEY_ENTRIES) k.entries.shift();
    k.entries.push(entry);
  }
  return { earlier, count: k.count, isNew };
}

/** Drops the keys recorded least recently until at most KEEP are left. */
function evictKeys(st: AttackState, keep: number): void {
  for (const key of st.keys.keys()) {
    if (st.keys.size <= keep) return;
    st.keys.delete(key);
  }
}

/** Shared infrastructure and shared behaviour: the first source with KEY links to each new one. */
function shared(c: Ctx, type: 'shared_infrastructure' | 'shared_behaviour', key: string, what: string, maxSources = Number.POSITIVE_INFINITY): void {
  const { earlier, count, isNew } = remember(c.st, key, { src: c.src.ip, t: c.t, id: c.e.id });
  if (!isNew || count > maxSources) return;
  const first = earlier[0];
  if (first) addLink(c, type, first.src, c.src.ip, `both ${what}`, [first.id, c.e.id]);
}

// --- honeytokens --------------------------------------------------------------------------------------

function handlePlanted(st: AttackState, e: ApiaryEvent): void {
  const p = (e.payload ?? {}) as Record<string, unknown>;
  const secret = str(p.secret);
  if (secret.length === 0) return;
  const token: Token = { id: str(p.token_id) || secret.slice(0, 16), kind: str(p.kind), username: str(p.username), secret, locations: strings(p.locations) };
  const known = st.tokens.get(secret);
  if (known) for (const l of token.locations) addListed(known.locations, l);
  else if (st.tokens.size < 10_000) st.tokens.set(secret, token);
}

/** Tokens whose planted location TEXT reads: a file path in a command, a table in a query, a path over HTTP. */
function tokensRead(st: AttackState, e: ApiaryEvent, text: string): Token[] {
  if (st.tokens.size === 0 || text.length === 0) return [];
  const out: Token[] = [];
  const expanded = text.replace(/~\//g, '/root/');
  for (const t of st.tokens.values()) {
    for (const loc of t.locations) {
      let hit = false;
      if (loc.startsWith('mysql:') || loc.startsWith('mssql:')) {
        if (e.type !== 'query') continue;
        const [db, table] = loc.slice(loc.indexOf(':') + 1).split('.');
        if (table && cachedRe(`t:${loc}`, () => new RegExp(`\\bfrom\\s+[\`"\\[]?(${escapeRe(db ?? '')}[\`"\\]]?\\.[\`"\\[]?)?${escapeRe(table)}\\b`, 'i')).test(expanded)) hit = true;
      } else if (e.type === 'http.request') {
        hit = expanded === loc;
      } else if (e.type === 'command.input') {
        const base = loc.slice(loc.lastIndexOf('/') + 1);
        hit = expanded.includes(loc) || (base.startsWith('.') && base.length > 3 && cachedRe(`f:${base}`, () => new RegExp(`(^|[\\s/])${escapeRe(base)}(\\s|$)`)).test(expanded)) ||
          (loc.endsWith('.bash_history') && HISTORY_READ_RE.test(expanded));
      }
      if (hit) {
        out.push(t);
        break;
      }
    }
  }
  return out;
}

/** `history` or `history 20` lists the history file; `history -c` clears it (not a read). */
const HISTORY_READ_RE = /(^|[;&|]\s*)history(\s+\d+)?\s*($|[;&|])/;

/** Patterns made from planted locations, compiled once (there are few tokens; the cache is bounded anyway). */
const PATTERNS = new Map<string, RegExp>();

function cachedRe(key: string, make: () => RegExp): RegExp {
  let re = PATTERNS.get(key);
  if (!re) {
    if (PATTERNS.size >= 20_000) PATTERNS.clear();
    PATTERNS.set(key, (re = make()));
  }
  return re;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function tokenRead(c: Ctx, tokens: Token[], where: string): void {
  for (const t of tokens) {
    tag(c, 'T1552.001');
    intent(c, 'data_theft', `read the decoy credential of ${t.username} (${where})`);
    step(c, 'token-read', 'T1552.001', `read decoy credential for ${t.username} in ${where}`);
    remember(c.st, `token-read|${t.id}`, { src: c.src.ip, t: c.t, id: c.e.id });
    // A use folded before this read (sensors' clocks disagree, events arrive late) still links read -> use.
    for (const u of c.st.keys.get(`token-use|${t.id}`)?.entries ?? []) {
      if (u.src === c.src.ip || u.t + CLOCK_SKEW_MS < c.t) continue;
      addLink(c, 'honeytoken', c.src.ip, u.src, `${u.src} used the decoy credential of ${t.username} that ${c.src.ip} read in ${where}`, [c.e.id, u.id]);
    }
  }
}

function tokenUse(c: Ctx, t: Token, how: string): void {
  c.src.tokensUsed++;
  tag(c, 'T1078');
  step(c, 'token-use', 'T1078', `used the decoy credential of ${t.username} (${how})`);
  remember(c.st, `token-use|${t.id}`, { src: c.src.ip, t: c.t, id: c.e.id });
  const reads = c.st.keys.get(`token-read|${t.id}`)?.entries ?? [];
  for (const r of reads) {
    if (r.src === c.src.ip || r.t > c.t + CLOCK_SKEW_MS) continue;
    addLink(c, 'honeytoken', r.src, c.src.ip, `${c.src.ip} used the decoy credential of ${t.username} (${how}) that ${r.src} had read`, [r.id, c.e.id]);
  }
}

function tokensInText(st: AttackState, text: string): Token[] {
  const out: Token[] = [];
  if (text.length < MIN_MATCH_CHARS) return out;
  for (const t of st.tokens.values()) if (t.secret.length >= MIN_MATCH_CHARS && text.includes(t.secret)) out.push(t);
  return out;
}

// --- what each event says ----------------------------------------------------------------------------

function handleAuth(c: Ctx, session: SessionState | undefined): void {
  const p = (c.e.payload ?? {}) as Record<string, unknown>;
  const user = credentialText(str(p.username));
  const fullPassword = str(p.password);
  const password = credentialText(fullPassword);
  const success = p.success === true;
  const s = c.src;
  if (s.authFirst === null || c.e.time < s.authFirst) s.authFirst = c.e.time;
  if (s.authLast === null || c.e.time > s.authLast) s.authLast = c.e.time;
  if (session) session.active = true;
  if (s.pwList.length < PASSWORD_LIST_PREFIX) {
    s.pwList.push(`${user}\0${password}`);
    if (s.pwList.length === PASSWORD_LIST_PREFIX && new Set(s.pwList).size >= 3) {
      shared(c, 'shared_behaviour', `pwlist|${hashOf(s.pwList)}`, `tried the same ${PASSWORD_LIST_PREFIX} credentials in the same order`);
    }
  }
  const token = fullPassword.length >= MIN_MATCH_CHARS ? c.st.tokens.get(fullPassword) : undefined;
  if (!success) {
    s.failed++;
    if (session) session.failed++;
    if (s.failed === 1) step(c, 'auth-fail', null, `failed login as ${user}`, 1);
    if (s.failed === BRUTE_FORCE_FAILURES) {
      tag(c, 'T1110.001');
      step(c, 'brute', 'T1110.001', `brute force: ${BRUTE_FORCE_FAILURES} failed logins`, 1);
    } else if (s.failed > BRUTE_FORCE_FAILURES && s.failed % 1000 === 0) {
      tag(c, 'T1110.001');
    }
    trackSpraying(c, user, password);
    if (token) tokenUse(c, token, `failed login as ${user}`);
    return;
  }
  const priorFailures = s.failed;
  s.successes++;
  tag(c, 'T1078');
  step(c, 'auth-ok', 'T1078', `logged in as ${user}${priorFailures ? ` after ${priorFailures} failed attempts` : ' at first try'}`);
  if (token) {
    tokenUse(c, token, `login as ${user}`);
    return;
  }
  // Someone who had to guess is not the exploit half of a scan/exploit split: they did both themselves.
  if (priorFailures <= HANDOFF_MAX_FAILURES) scanThenExploit(c, 'logged in at its first or second try');
  if (password.length === 0 || COMMON.has(password)) return;
  const cred = `${user}\0${password}`;
  if (priorFailures >= BRUTE_FORCE_FAILURES) {
    const { earlier } = remember(c.st, `found|${cred}`, { src: s.ip, t: c.t, id: c.e.id });
    if (earlier.length === 0) {
      for (const q of c.st.keys.get(`quick|${cred}`)?.entries ?? []) {
        if (q.src !== s.ip && q.t + CLOCK_SKEW_MS >= c.t) addLink(c, 'credential_handoff', s.ip, q.src, handoffText(s.ip, q.src, user), [c.e.id, q.id]);
      }
    }
  } else if (priorFailures <= HANDOFF_MAX_FAILURES) {
    remember(c.st, `quick|${cred}`, { src: s.ip, t: c.t, id: c.e.id });
    const finder = c.st.keys.get(`found|${cred}`)?.entries[0];
    if (finder && finder.src !== s.ip && finder.t <= c.t + CLOCK_SKEW_MS) addLink(c, 'credential_handoff', finder.src, s.ip, handoffText(finder.src, s.ip, user), [finder.id, c.e.id]);
  }
}

function handoffText(finder: string, user: string, account: string): string {
  return `${finder} found the password of ${account} by brute force; ${user} logged in with it at its first or second try`;
}

/** Passwords whose accounts are followed per source for spraying (one password, many accounts). */
export const SPRAY_PASSWORDS = 8;

function trackSpraying(c: Ctx, user: string, password: string): void {
  const spray = c.src.spray;
  // Prefixed: an attacker's password such as "__proto__" must not reach the object's prototype.
  const key = `p:${password}`;
  let users = Object.hasOwn(spray, key) ? spray[key] : undefined;
  if (!users) {
    if (Object.keys(spray).length >= SPRAY_PASSWORDS) return;
    users = spray[key] = [];
  }
  if (users.length >= 3 || users.includes(user)) return;
  users.push(user);
  if (users.length === 3) {
    tag(c, 'T1110.003');
    step(c, 'spray', 'T1110.003', 'password spraying: one password tried on several accounts', 1);
  }
}

/** A login or exploit from the /24 or ASN of an earlier scanner of the same service. */
function scanThenExploit(c: Ctx, what: string): void {
  const net = networkOf(c.src.ip);
  const entries = c.st.keys.get(`scan|${c.e.dst_port}`)?.entries ?? [];
  for (const s of entries) {
    if (s.src === c.src.ip || s.t > c.t + CLOCK_SKEW_MS || c.t - s.t > SCAN_EXPLOIT_WINDOW_MS) continue;
    const sameNet = net !== undefined && s.net === net;
    const sameAsn = c.src.asn !== null && s.asn === c.src.asn;
    if (!sameNet && !sameAsn) continue;
    addLink(c, 'scan_then_exploit', s.src, c.src.ip, `${s.src} scanned port ${c.e.dst_port}; ${c.src.ip}, in the same ${sameNet ? '/24' : `AS${c.src.asn}`}, ${what} there later`, [s.id, c.e.id]);
  }
}

function registerScan(c: Ctx): void {
  tag(c, c.src.scope === 'internal' ? 'T1046' : 'T1595');
  tag(c, 'T1046');
  const port = c.e.dst_port;
  step(c, `scan-${port}`, 'T1046', `scanned port ${port}`, 1);
  const k = c.st.keys.get(`scan|${port}`);
  if (k?.entries.some((x) => x.src === c.src.ip)) return;
  remember(c.st, `scan|${port}`, { src: c.src.ip, t: c.t, id: c.e.id, net: networkOf(c.src.ip), asn: c.src.asn });
}

function handleText(c: Ctx, text: string, where: string): void {
  if (MINER_RE.test(text)) {
    tag(c, 'T1496');
    intent(c, 'mining', `miner named in ${where}: ${text.slice(0, 120)}`);
  }
  for (const m of text.matchAll(STRATUM_RE)) {
    tag(c, 'T1496');
    intent(c, 'mining', `pool stratum+tcp://${m[1]}`);
    shared(c, 'shared_infrastructure', `pool|${m[1]!.toLowerCase()}`, `used mining pool ${m[1]}`);
  }
  for (const w of findWallets(text)) {
    tag(c, 'T1496');
    intent(c, 'mining', `${w.coin} wallet ${w.address}`);
    shared(c, 'shared_infrastructure', `wallet|${w.address}`, `named ${w.coin} wallet ${w.address}`);
  }
  if (DOS_RE.test(text)) {
    tag(c, 'T1498');
    intent(c, 'dos_bot', `flooder or DoS bot in ${where}: ${text.slice(0, 120)}`);
  }
  const irc = IRC_RE.exec(text);
  if (irc) {
    intent(c, 'dos_bot', `IRC command and control: ${irc[0]}`);
    if (irc[0].toLowerCase().startsWith('irc.')) shared(c, 'shared_infrastructure', `c2|${irc[0].toLowerCase()}`, `used IRC server ${irc[0]}`);
  }
  if (PROXY_RE.test(text)) {
    tag(c, 'T1090');
    intent(c, 'proxy', `proxy software in ${where}: ${text.slice(0, 120)}`);
  }
  if (SCANNER_RE.test(text)) intent(c, 'scanning', `scanner in ${where}: ${text.slice(0, 120)}`);
}

function handleUrls(c: Ctx, urls: readonly string[], how: string): void {
  for (const url of urls) {
    const host = urlHost(url);
    if (!host) continue;
    shared(c, 'shared_infrastructure', `host|${host}`, `fetched files from ${host}`);
    if (c.src.scope === 'internal') {
      const server = serverNode(c, host);
      addLink(c, 'internal_propagation', c.src.ip, server, `internal host ${c.src.ip} ${how} ${url.slice(0, 200)} from outside server ${host}`, [c.e.id]);
    }
  }
}

function serverNode(c: Ctx, host: string): string {
  let s = c.st.sources.get(host);
  if (!s) {
    s = newSource(host, c.e.time, undefined, 'server');
    c.st.sources.set(host, s);
  }
  ensureNode(c.st, host, `${c.e.id}:${host}`.slice(0, 64), c.e.time);
  pushCapped(s.steps, { time: c.e.time, src_ip: host, country: null, service: str(c.e.protocol), sensor: str(c.e.sensor), technique: 'T1105', summary: `served a file to ${c.src.ip}`, event_id: c.e.id }, MAX_STEPS_PER_SOURCE);
  return host;
}

function handleCommand(c: Ctx, input: string, session: SessionState | undefined): void {
  tag(c, 'T1059.004');
  if (session) {
    session.active = true;
    if (session.lastCmd > 0 && c.t > session.lastCmd) pushCapped(c.src.gaps, c.t - session.lastCmd, MAX_GAPS);
    session.lastCmd = c.t;
    session.typed++;
    if (session.cmds.length < COMMAND_PREFIX) session.cmds.push(normaliseCommand(input));
    if (session.cmds.length === COMMAND_PREFIX) keyBehaviour(c, session);
  }
  let technique: TechniqueId | null = null;
  // Patterns run over at most MAX_COMMAND_CHARS: a repeated prefix ("rm rm rm ...") makes some of them quadratic.
  const probe = input.length > MAX_COMMAND_CHARS ? input.slice(0, MAX_COMMAND_CHARS) : input;
  for (const { id, re } of COMMAND_TECHNIQUES) {
    if (re.test(probe)) {
      tag(c, id);
      technique ??= id;
    }
  }
  step(c, 'command', technique ?? 'T1059.004', `ran: ${input}`, 24);
  handleText(c, probe, 'a command');
  if (PERSISTENCE_RE.test(probe)) intent(c, 'persistence', `persistence: ${input.slice(0, 160)}`);
  if (DATA_THEFT_RE.test(probe)) intent(c, 'data_theft', `read credentials or data: ${input.slice(0, 160)}`);
  const urls = urlsIn(input);
  if (urls.length && /\b(wget|curl|tftp|ftpget|lwp-download|fetch)\b/.test(input)) handleUrls(c, urls, 'fetched');
  const read = tokensRead(c.st, c.e, input);
  if (read.length) tokenRead(c, read, input.slice(0, 80));
  for (const t of tokensInText(c.st, input)) tokenUse(c, t, 'in a command');
}

function keyBehaviour(c: Ctx, session: SessionState): void {
  if (session.keyed || session.cmds.length < MIN_COMMANDS_FOR_BEHAVIOUR) return;
  session.keyed = true;
  shared(c, 'shared_behaviour', `cmds|${hashOf(session.cmds)}`, `ran the same command sequence (${session.cmds.join(' ; ').slice(0, 120)})`);
}

/** A file moved onto the sensor (fetched or dropped): ingress tool transfer, and its hash as shared infrastructure. */
function transferred(c: Ctx, session: SessionState | undefined, kind: 'download' | 'upload', summary: string, sha: string, verb: string, text: string): void {
  if (session) session.active = true;
  tag(c, 'T1105');
  c.src.fetched = true;
  step(c, kind, 'T1105', summary);
  if (sha) shared(c, 'shared_infrastructure', `sha256|${sha}`, `${verb} the same file ${sha.slice(0, 16)}`);
  handleText(c, text, `a file ${verb}`);
  const inside = sha ? c.opts.fileText?.(sha) : undefined;
  if (inside) handleText(c, inside, `the strings of file ${sha.slice(0, 16)}`);
}

/** Once a session's client version and HASSH are both known: the pair, unless a stock client's, as shared infrastructure. */
function fingerprint(c: Ctx, session: SessionState): void {
  if (session.version === null || !session.hassh || COMMON_SSH_CLIENTS.test(session.version)) return;
  shared(c, 'shared_infrastructure', `hassh|${session.hassh}|${session.version}`, `used SSH client ${session.version} (HASSH ${session.hassh})`, MAX_FINGERPRINT_SOURCES);
}

function addKeystrokes(c: Ctx, gaps: number[] | undefined): void {
  if (!gaps?.length) return;
  const list = (c.src.keyGaps ??= []);
  for (const g of gaps) pushCapped(list, g, MAX_GAPS * 4);
}

function spreading(c: Ctx, why: string): void {
  if (c.src.exploited && c.src.fetched) intent(c, 'spreading', why);
}

function handleEvent(c: Ctx, session: SessionState | undefined): void {
  const e = c.e;
  const p = (e.payload ?? {}) as Record<string, unknown>;
  switch (e.type) {
    case 'scan.probe':
      registerScan(c);
      break;
    case 'connection.close':
      if (session && !session.active) registerScan(c);
      if (session) {
        keyBehaviour(c, session);
        if (session.typed > 0) addKeystrokes(c, c.opts.keystrokes?.(e.session));
        c.st.sessions.delete(e.session);
      }
      break;
    case 'session.recording':
      // A live session's recording is read when its connection closes (above): its 'closed' comes
      // first, while the session is still open, and counting it too would count the keys twice.
      if (p.format === 'asciicast' && (p.state === 'stored' || (p.state === 'closed' && !session)) && typeof p.path === 'string') addKeystrokes(c, c.opts.keystrokes?.(e.session, p.path));
      break;
    case 'client.version':
      if (session) {
        session.version = str(p.version);
        fingerprint(c, session);
      }
      break;
    case 'client.kex':
      if (session) {
        session.hassh = str(p.hassh);
        fingerprint(c, session);
      }
      break;
    case 'auth.attempt':
      handleAuth(c, session);
      break;
    case 'command.input':
      handleCommand(c, str(p.input), session);
      break;
    case 'command.stdin': {
      const input = str(p.input);
      handleText(c, input, 'typed input');
      for (const t of tokensInText(c.st, input)) tokenUse(c, t, 'in typed input');
      break;
    }
    case 'query': {
      const q = str(p.query);
      if (session) session.active = true;
      step(c, 'query', null, `query: ${q}`, 30);
      if (SQL_THEFT_RE.test(q)) intent(c, 'data_theft', `read a database table: ${q.slice(0, 160)}`);
      handleText(c, q, 'a database query');
      const read = tokensRead(c.st, e, q);
      if (read.length) tokenRead(c, read, q.slice(0, 80));
      for (const t of tokensInText(c.st, q)) tokenUse(c, t, 'in a query');
      break;
    }
    case 'http.request': {
      if (session) session.active = true;
      const path = str(p.path);
      const read = tokensRead(c.st, e, path);
      if (read.length) tokenRead(c, read, `HTTP ${path.slice(0, 80)}`);
      const text = `${path} ${str(p.query)} ${str(p.body)}`;
      handleText(c, text, 'an HTTP request');
      break;
    }
    case 'exploit.attempt': {
      if (session) session.active = true;
      const id: TechniqueId = c.src.scope === 'internal' ? 'T1210' : 'T1190';
      tag(c, id);
      c.src.exploited = true;
      step(c, 'exploit', id, `exploit ${str(p.name)}${p.cve ? ` (${str(p.cve)})` : ''}`);
      scanThenExploit(c, `exploited ${str(p.name)}`);
      const sha = str(p.sha256);
      if (sha) shared(c, 'shared_infrastructure', `sha256|${sha}`, `sent the same payload ${sha.slice(0, 16)}`);
      handleText(c, str(p.detail), 'an exploit');
      spreading(c, `exploit ${str(p.name)} then a download`);
      break;
    }
    case 'shellcode.detected': {
      if (session) session.active = true;
      const urls = strings(p.urls);
      tag(c, 'T1105');
      step(c, 'shellcode', 'T1105', `shellcode${urls.length ? ` fetching ${urls.join(', ')}` : ''}${p.connect_back ? ` connecting back to ${str(p.connect_back)}` : ''}`);
      if (urls.length) c.src.fetched = true;
      handleUrls(c, urls, 'had the sensor fetch');
      const back = str(p.connect_back);
      if (back) shared(c, 'shared_infrastructure', `c2|${back.replace(/:\d+$/, '')}`, `connected back to ${back}`);
      for (const cmd of strings(p.commands)) handleText(c, cmd, 'shellcode');
      spreading(c, `exploit with download shellcode (${urls[0] ?? 'commands'})`);
      break;
    }
    case 'file.download': {
      const url = str(p.url);
      const sha = str(p.sha256);
      transferred(c, session, 'download', `downloaded ${url || str(p.path)}${sha ? ` (sha256 ${sha.slice(0, 16)})` : ''}`, sha, 'downloaded', `${url} ${str(p.path)}`);
      if (url && c.src.scope === 'internal') handleUrls(c, [url], 'downloaded');
      spreading(c, `exploit then download of ${url || sha}`);
      break;
    }
    case 'file.upload': {
      const name = str(p.filename);
      transferred(c, session, 'upload', `uploaded ${name}`, str(p.sha256), 'dropped', name);
      spreading(c, `exploit then drop of ${name}`);
      break;
    }
    case 'tunnel.request': {
      if (session) session.active = true;
      tag(c, 'T1090');
      const target = `${str(p.target_host)}:${typeof p.target_port === 'number' ? p.target_port : '?'}`;
      intent(c, 'proxy', `tunnel request to ${target}`);
      step(c, 'tunnel', 'T1090', `asked to tunnel to ${target}`, 5);
      break;
    }
    case 'rpc.request':
    case 'rpc.bind':
    case 'client.env':
    case 'client.size':
    case 'session.params':
      if (session) session.active = true;
      break;
    default:
      break;
  }
}

/**
 * Folds EVENTS (any order: sorted by time here) into ST (mutated). Returns the roots of the chains that
 * changed. ENRICHMENT gives scope, country and ASN per source.
 */
export function foldAttackEvents(st: AttackState, events: readonly ApiaryEvent[], enrichment: ReadonlyMap<string, IpEnrichment>, opts: FoldOptions = {}): Set<string> {
  const dirty = new Set<string>();
  // Each event's time is parsed once, here: the events with a time that does not parse are left out.
  const timed: { e: ApiaryEvent; t: number }[] = [];
  for (const e of events) {
    if (e === null || typeof e !== 'object' || typeof e.time !== 'string' || typeof e.src_ip !== 'string' || typeof e.id !== 'string' || typeof e.type !== 'string') continue;
    const t = Date.parse(e.time);
    if (!Number.isNaN(t)) timed.push({ e, t });
  }
  timed.sort(({ e: x }, { e: y }) => (x.time < y.time ? -1 : x.time > y.time ? 1 : x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  for (const { e, t } of timed) {
    if (e.type === 'honeytoken.planted') {
      handlePlanted(st, e);
      continue;
    }
    if (!isAttackerEvent(e) || e.src_ip.length === 0 || e.src_ip.length > 64) continue;
    const info = enrichment.get(e.src_ip);
    if (info?.ignored) continue;
    let src = st.sources.get(e.src_ip);
    if (!src) {
      if (st.sources.size >= MAX_SOURCES) continue;
      src = newSource(e.src_ip, e.time, info, 'attacker');
      st.sources.set(e.src_ip, src);
    }
    if (info) {
      src.scope = info.scope;
      src.country = info.country;
      src.asn = info.asn;
    }
    src.role = 'attacker';
    ensureNode(st, e.src_ip, e.id.slice(0, 64), e.time);
    src.events++;
    if (e.time < src.first) src.first = e.time;
    if (e.time > src.last) src.last = e.time;
    const day = e.time.slice(0, 10);
    if (day > src.lastDay) {
      if (src.lastDay) src.maxGapDays = Math.max(src.maxGapDays, Math.round((Date.parse(day) - Date.parse(src.lastDay)) / 86_400_000));
      src.lastDay = day;
      src.dayCount++;
    }
    addListed(src.services, str(e.protocol));
    addListed(src.sensors, str(e.sensor));
    const sessionId = str(e.session);
    let session = sessionId ? st.sessions.get(sessionId) : undefined;
    if (!session && sessionId && e.type !== 'connection.close') {
      makeRoom(st.sessions, MAX_OPEN_SESSIONS);
      session = { src: e.src_ip, active: false, failed: 0, cmds: [], typed: 0, keyed: false, lastCmd: 0, version: null, hassh: null };
      st.sessions.set(sessionId, session);
    }
    if (session && session.src !== e.src_ip) session = undefined;
    const c: Ctx = { opts, st, e, src, t, dirty };
    handleEvent(c, session);
    dirty.add(findRoot(st, e.src_ip));
  }
  const roots = new Set<string>();
  for (const d of dirty) roots.add(findRoot(st, d));
  return roots;
}

// --- persistence: the state as JSON (Maps as entry lists), in pieces ---------------------------------

/**
 * Characters per piece of a saved state, about. One JSON string of the whole state passes V8's string
 * limit (about 537 million characters) long before MAX_SOURCES, and one stored value would be as large;
 * so the state is saved as pieces of this size, each one JSON object holding some entries of the
 * maps (an entry larger than this, which the caps make impossible, gets a piece of its own).
 */
export const STATE_PIECE_CHARS = 32 * 1024 * 1024;

const STATE_MAPS = ['sources', 'sessions', 'tokens', 'keys', 'links', 'parent', 'chains'] as const;
type StateMap = (typeof STATE_MAPS)[number];

/** What is saved of one map: sources and tokens as values (keyed by ip and secret), the others as [key, value]. */
function savedEntries(st: AttackState, map: StateMap): Iterable<unknown> {
  if (map === 'sources') return st.sources.values();
  if (map === 'tokens') return st.tokens.values();
  return st[map].entries();
}

function pieceText(gen: string, parts: Map<StateMap, string[]>): string {
  let out = `{"v":2,"gen":${JSON.stringify(gen)}`;
  for (const [map, entries] of parts) out += `,"${map}":[${entries.join(',')}]`;
  return `${out}}`;
}

/**
 * The state as JSON pieces of about MAX_CHARS characters each (at least one), every one marked with
 * GEN, the save it belongs to; restoreState (or restorePiece for each) reads them back.
 */
export function serialiseState(st: AttackState, maxChars = STATE_PIECE_CHARS, gen = ''): string[] {
  const pieces: string[] = [];
  let parts = new Map<StateMap, string[]>();
  let size = 0;
  for (const map of STATE_MAPS) {
    for (const entry of savedEntries(st, map)) {
      const text = JSON.stringify(entry);
      if (size > 0 && size + text.length + 1 > maxChars) {
        pieces.push(pieceText(gen, parts));
        parts = new Map();
        size = 0;
      }
      let list = parts.get(map);
      if (!list) parts.set(map, (list = []));
      list.push(text);
      size += text.length + 1;
    }
  }
  pieces.push(pieceText(gen, parts));
  return pieces;
}

interface SavedPiece {
  v?: unknown;
  gen?: unknown;
  sources?: SourceState[];
  sessions?: [string, SessionState][];
  tokens?: Token[];
  keys?: [string, { count: number; entries: KeyEntry[] }][];
  links?: [string, AttackLink][];
  parent?: [string, string][];
  chains?: [string, ChainMeta][];
}

function addPiece(st: AttackState, v: SavedPiece): void {
  for (const s of v.sources ?? []) st.sources.set(s.ip, s);
  for (const [k, x] of v.sessions ?? []) st.sessions.set(k, x);
  for (const t of v.tokens ?? []) st.tokens.set(t.secret, t);
  for (const [k, x] of v.keys ?? []) st.keys.set(k, x);
  for (const [k, x] of v.links ?? []) st.links.set(k, x);
  for (const [k, x] of v.parent ?? []) st.parent.set(k, x);
  for (const [k, x] of v.chains ?? []) st.chains.set(k, x);
}

/** Adds the entries of TEXT, one piece of save GEN, to ST; false (ST then half-filled) when it is not one. */
export function restorePiece(st: AttackState, text: string, gen: string): boolean {
  try {
    const v = JSON.parse(text) as SavedPiece;
    if (v.v !== 2 || v.gen !== gen) return false;
    addPiece(st, v);
    return true;
  } catch {
    return false;
  }
}

/**
 * The state saved by serialiseState (its pieces, of save GEN), or by an earlier version as one JSON
 * text; undefined when TEXT is missing or not one (the caller then refolds from the start).
 */
export function restoreState(text: string | readonly string[] | undefined, gen = ''): AttackState | undefined {
  if (text === undefined) return undefined;
  const st = emptyState();
  if (typeof text !== 'string') return text.every((piece) => restorePiece(st, piece, gen)) ? st : undefined;
  try {
    const v = JSON.parse(text) as SavedPiece;
    // Version 1: the whole state in one text, with the same lists.
    if (v.v !== 1 && !(v.v === 2 && v.gen === gen)) return undefined;
    addPiece(st, v);
    return st;
  } catch {
    return undefined;
  }
}
