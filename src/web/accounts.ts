// Dashboard accounts, login sessions, CSRF tokens, login rate limiting and the audit log. Accounts and
// the audit log live in the store's key-value state (so any store back end keeps them); login
// sessions are in memory: a restart logs everyone out, which is the safe direction.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sourceKey } from '../events/source-key.js';
import { makeRoom } from '../wire/bounded.js';
import type { EventStore } from '../store/store.js';
import { Busy, WorkLimiter } from './limiter.js';
import { hashPassword, verifyPassword } from './password.js';

export const ROLES = ['admin', 'analyst', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface Account {
  username: string;
  role: Role;
  hash: string;
  created_at: string;
  /** Address groups this user logged in from, most recent last (at most MAX_KNOWN_ADDRESSES). */
  known?: string[];
}

export interface AuditEntry {
  time: string;
  user: string;
  action: string;
  target: string;
  detail?: string;
  ip: string;
}

export const USERS_KEY = 'dashboard.users';
export const AUDIT_KEY = 'dashboard.audit';
/** Audit entries kept (oldest dropped first). */
export const MAX_AUDIT_ENTRIES = 10_000;
/** Window over which failed logins are counted. */
export const LOGIN_WINDOW_MS = 15 * 60_000;
/** Addresses and user names with failed logins remembered at once. */
export const MAX_FAILURE_KEYS = 100_000;
/**
 * Addresses (IPv6 by /64) remembered per user as ones it logged in from: a user name's own lock (too
 * many failures for it from anywhere) does not hold them back, so strangers guessing at "admin" cannot
 * lock the real admin out from where they usually work.
 */
export const MAX_KNOWN_ADDRESSES = 16;
/** Password checks at once (scrypt: 32 MiB and about 0.1 s each, on the thread pool the sensors use too). */
export const MAX_RUNNING_CHECKS = 2;
/** Logins waiting for a check; past this a login is refused as busy before anything is counted. */
export const MAX_WAITING_CHECKS = 16;
/** Longest a login session lasts, however active. */
export const SESSION_MAX_MS = 12 * 3600_000;
/** Login sessions held at once; past this the oldest ends. */
export const MAX_SESSIONS = 1000;
/**
 * Login sessions one user holds at once; past this that user's oldest ends. Without it, one account
 * logging in MAX_SESSIONS times ended every other user's session, admins' too.
 */
export const MAX_SESSIONS_PER_USER = 20;
/** Failed logins written to the audit log per minute; the rest are counted in one entry. */
export const MAX_FAILED_LOGIN_AUDITS_PER_MINUTE = 60;
export const USERNAME_RE = /^[A-Za-z0-9._@-]{1,64}$/;

export interface LoginSession {
  token: string;
  csrf: string;
  username: string;
  role: Role;
  created: number;
  lastSeen: number;
}

/** What a role may do beyond reading. */
export function mayChange(role: Role, what: 'incidents' | 'services' | 'users' | 'query' | 'malware'): boolean {
  if (role === 'admin') return true;
  if (role === 'analyst') return what === 'incidents' || what === 'malware';
  return false;
}

function equalSecrets(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Accounts {
  private readonly sessions = new Map<string, LoginSession>();
  private readonly failures = new Map<string, number[]>();
  /** Per user, the address groups it logged in from (most recent last). */
  private readonly known = new Map<string, string[]>();
  /** What to call when a session ends (logout, expiry): the live monitors it holds open. */
  private readonly watchers = new Map<string, Set<() => void>>();
  private readonly checks = new WorkLimiter('logins', MAX_RUNNING_CHECKS, MAX_WAITING_CHECKS);
  /** Audit entries not yet written, and the write that will take them. */
  private pendingAudit: AuditEntry[] = [];
  private auditWrite: Promise<void> | undefined;
  private failedAudits = { minute: 0, written: 0, suppressed: 0 };
  /** Writes to the state keys one after another, so concurrent changes do not lose each other. */
  private chain: Promise<unknown> = Promise.resolve();
  /** The one-time set-up token while no account exists (undefined once an admin is made). */
  setupToken: string | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly opts: { idleMs: number; maxFailures: number; now?: () => number; /** MAX_SESSIONS unless given (tests). */ maxSessions?: number },
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  async list(): Promise<Account[]> {
    const raw = await this.store.getState(USERS_KEY);
    if (!raw) return [];
    try {
      const v: unknown = JSON.parse(raw);
      return Array.isArray(v) ? (v as Account[]) : [];
    } catch {
      return [];
    }
  }

  /** At start: an admin from the configured password, or a set-up token to print. Returns the token, if one is needed. */
  async prepare(adminPassword: string | undefined): Promise<string | undefined> {
    const accounts = await this.list();
    for (const a of accounts) if (Array.isArray(a.known)) this.known.set(a.username, a.known.slice(-MAX_KNOWN_ADDRESSES));
    if (accounts.length > 0) return undefined;
    if (adminPassword) {
      await this.create('admin', adminPassword, 'admin', 'config');
      return undefined;
    }
    this.setupToken = randomBytes(18).toString('base64url');
    return this.setupToken;
  }

  /** The first admin, made with the set-up token; false when the token is wrong or an account exists. */
  async setup(token: string, username: string, password: string, ip: string): Promise<boolean> {
    if (!this.setupToken || !equalSecrets(token, this.setupToken)) return false;
    return this.serial(async () => {
      if ((await this.list()).length > 0 || !this.setupToken) return false;
      this.setupToken = undefined;
      await this.createUnlocked(username, password, 'admin');
      await this.appendAudit([this.entry({ user: username, action: 'setup', target: username, ip })]);
      return true;
    });
  }

  create(username: string, password: string, role: Role, by: string, ip = ''): Promise<boolean> {
    return this.serial(async () => {
      if ((await this.list()).some((a) => a.username === username)) return false;
      await this.createUnlocked(username, password, role);
      await this.appendAudit([this.entry({ user: by, action: 'user.create', target: username, detail: role, ip })]);
      return true;
    });
  }

  /**
   * Removes USERNAME's account and ends its sessions (and their live monitors). Refused ('last-admin')
   * when it is the only admin left; 'missing' when there is no such account.
   */
  remove(username: string, by: string, ip = ''): Promise<'ok' | 'missing' | 'last-admin'> {
    return this.serial(async () => {
      const list = await this.list();
      const account = list.find((a) => a.username === username);
      if (!account) return 'missing';
      if (account.role === 'admin' && list.filter((a) => a.role === 'admin').length === 1) return 'last-admin';
      await this.store.setState(USERS_KEY, JSON.stringify(list.filter((a) => a !== account)));
      this.known.delete(username);
      this.endSessionsOf(username);
      await this.appendAudit([this.entry({ user: by, action: 'user.delete', target: username, ip })]);
      return 'ok';
    });
  }

  /** Sets a new password for USERNAME and ends its sessions; false when there is no such account. */
  resetPassword(username: string, password: string, by: string, ip = ''): Promise<boolean> {
    return this.serial(async () => {
      const list = await this.list();
      const account = list.find((a) => a.username === username);
      if (!account) return false;
      account.hash = await hashPassword(password);
      await this.store.setState(USERS_KEY, JSON.stringify(list));
      this.endSessionsOf(username);
      await this.appendAudit([this.entry({ user: by, action: 'user.password', target: username, ip })]);
      return true;
    });
  }

  private endSessionsOf(username: string): void {
    for (const [token, s] of this.sessions) if (s.username === username) this.end(token);
  }

  private async createUnlocked(username: string, password: string, role: Role): Promise<void> {
    const list = await this.list();
    list.push({ username, role, hash: await hashPassword(password), created_at: new Date(this.now()).toISOString() });
    await this.store.setState(USERS_KEY, JSON.stringify(list));
  }

  /**
   * The failure counts a try of IP (and USERNAME, for a login) is checked against. Without a user name
   * it is the set-up form's own count for the address; with one, the address's and, unless the user
   * has logged in from that address before, the user name's.
   */
  private lockKeys(ip: string, username: string | undefined): string[] {
    const addr = sourceKey(ip);
    if (username === undefined) return [`setup:${addr}`];
    return this.known.get(username)?.includes(addr) ? [`ip:${addr}`] : [`ip:${addr}`, `user:${username}`];
  }

  /** What a failed try of IP and USERNAME counts on: the address, and the user name from anywhere. */
  private failureKeys(ip: string, username: string | undefined): string[] {
    const addr = sourceKey(ip);
    return username === undefined ? [`setup:${addr}`] : [`ip:${addr}`, `user:${username}`];
  }

  /**
   * Seconds until IP (with USERNAME, for a login; without, for the set-up form) may try again, or 0.
   * Records nothing: a refused try leaves no entry.
   */
  lockedFor(ip: string, username?: string): number {
    const now = this.now();
    let wait = 0;
    for (const key of this.lockKeys(ip, username)) {
      const list = this.failures.get(key);
      if (!list) continue;
      const recent = list.filter((t) => now - t < LOGIN_WINDOW_MS);
      if (recent.length === 0) {
        this.failures.delete(key);
        continue;
      }
      this.failures.set(key, recent);
      if (recent.length >= this.opts.maxFailures) wait = Math.max(wait, Math.ceil((recent[recent.length - this.opts.maxFailures]! + LOGIN_WINDOW_MS - now) / 1000));
    }
    return wait;
  }

  /**
   * Counts a failed (or not yet checked) try of IP and USERNAME (none: the set-up form); returns its
   * time for forgive(). At MAX_FAILURE_KEYS records the least recently failed eighth go (clearing them
   * all let a flood of names wipe every lock).
   */
  noteFailure(ip: string, username?: string): number {
    const now = this.now();
    for (const key of this.failureKeys(ip, username)) {
      const list = this.failures.get(key) ?? [];
      list.push(now);
      // Bounded: only the last maxFailures matter. Re-inserted, so the map's order is by last failure.
      this.failures.delete(key);
      makeRoom(this.failures, MAX_FAILURE_KEYS);
      this.failures.set(key, list.slice(-this.opts.maxFailures));
    }
    return now;
  }

  /** Takes back the try noteFailure counted AT for IP and USERNAME (it succeeded, or was never checked). */
  forgive(ip: string, username: string | undefined, at: number): void {
    for (const key of this.failureKeys(ip, username)) {
      const list = this.failures.get(key);
      const i = list?.lastIndexOf(at) ?? -1;
      if (list && i >= 0) list.splice(i, 1);
    }
  }

  /**
   * Remembers, in memory and with the account, that USERNAME logged in from IP's address group: its
   * name-wide lock no longer applies there, after a restart too.
   */
  private async remember(username: string, ip: string): Promise<void> {
    const addr = sourceKey(ip);
    const before = this.known.get(username) ?? [];
    if (before[before.length - 1] === addr) return;
    const known = [...before.filter((a) => a !== addr), addr].slice(-MAX_KNOWN_ADDRESSES);
    this.known.set(username, known);
    await this.serial(async () => {
      const list = await this.list();
      const account = list.find((a) => a.username === username);
      if (!account) return;
      account.known = known;
      await this.store.setState(USERS_KEY, JSON.stringify(list));
    });
  }

  /** A new login session, or a reason for refusing it ('busy': too many password checks under way). */
  async login(username: string, password: string, ip: string): Promise<LoginSession | 'locked' | 'wrong' | 'busy'> {
    if (this.lockedFor(ip, username) > 0) return 'locked';
    // Counted before the password is checked (an await): attempts sent in parallel see each other, so
    // no more than maxFailures of them are checked before the lock.
    const at = this.noteFailure(ip, username);
    let account: Account | undefined;
    let ok: boolean;
    try {
      ({ account, ok } = await this.checks.run(async () => {
        const found = (await this.list()).find((a) => a.username === username);
        // Hash even for unknown users, so timing does not tell which names exist.
        const match = found ? await verifyPassword(password, found.hash) : (await verifyPassword(password, await (dummyHash ??= hashPassword(randomBytes(16).toString('hex')))), false);
        return { account: found, ok: match };
      }));
    } catch (err) {
      if (!(err instanceof Busy)) throw err;
      this.forgive(ip, username, at);
      return 'busy';
    }
    if (!account || !ok) {
      await this.auditFailedLogin(username, ip);
      return 'wrong';
    }
    this.forgive(ip, username, at);
    // A right password clears the name's failures, and its address passes the name's lock from now on.
    this.failures.delete(`user:${username}`);
    await this.remember(username, ip);
    const now = this.now();
    this.makeRoom(username, now);
    const s: LoginSession = { token: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url'), username, role: account.role, created: now, lastSeen: now };
    this.sessions.set(s.token, s);
    await this.audit({ user: username, action: 'login', target: username, ip });
    return s;
  }

  /**
   * Ends expired sessions and, so a new one of USERNAME fits, its oldest past MAX_SESSIONS_PER_USER,
   * then past MAX_SESSIONS the oldest of anyone's (reached only with more than
   * MAX_SESSIONS / MAX_SESSIONS_PER_USER accounts logged in at once).
   */
  private makeRoom(username: string, now: number): void {
    const own: string[] = [];
    for (const [token, s] of this.sessions) {
      if (this.expired(s, now)) this.end(token);
      else if (s.username === username) own.push(token);
    }
    // The map keeps insertion order: the first are the oldest.
    for (const token of own.slice(0, Math.max(0, own.length - MAX_SESSIONS_PER_USER + 1))) this.end(token);
    const max = this.opts.maxSessions ?? MAX_SESSIONS;
    for (const token of this.sessions.keys()) {
      if (this.sessions.size < max) break;
      this.end(token);
    }
  }

  private expired(s: LoginSession, now: number): boolean {
    return now - s.lastSeen > this.opts.idleMs || now - s.created > SESSION_MAX_MS;
  }

  /** The live session of TOKEN (its idle timer restarted), or undefined. */
  session(token: string | undefined): LoginSession | undefined {
    if (!token) return undefined;
    const s = this.sessions.get(token);
    if (!s) return undefined;
    const now = this.now();
    if (this.expired(s, now)) {
      this.end(token);
      return undefined;
    }
    s.lastSeen = now;
    return s;
  }

  /** Whether TOKEN's session is still live, without restarting its idle timer (a live monitor's check). */
  alive(token: string): boolean {
    const s = this.sessions.get(token);
    if (s && !this.expired(s, this.now())) return true;
    if (s) this.end(token);
    return false;
  }

  /** Calls FN once when TOKEN's session ends (logout or expiry); returns the function that cancels it. */
  watch(token: string, fn: () => void): () => void {
    let set = this.watchers.get(token);
    if (!set) this.watchers.set(token, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.watchers.get(token) === set) this.watchers.delete(token);
    };
  }

  private end(token: string): void {
    this.sessions.delete(token);
    const set = this.watchers.get(token);
    this.watchers.delete(token);
    for (const fn of set ?? []) fn();
  }

  checkCsrf(s: LoginSession, header: string | undefined): boolean {
    return typeof header === 'string' && equalSecrets(header, s.csrf);
  }

  logout(token: string): void {
    this.end(token);
  }

  /**
   * Adds E to the audit log. Entries made while a write is waiting go out with it: a burst of failed
   * logins rewrites the log once, not once each.
   */
  audit(e: Omit<AuditEntry, 'time'>): Promise<void> {
    this.pendingAudit.push(this.entry(e));
    return (this.auditWrite ??= this.serial(async () => {
      this.auditWrite = undefined;
      await this.appendAudit(this.pendingAudit.splice(0));
    }));
  }

  /**
   * A failed login, audited while fewer than MAX_FAILED_LOGIN_AUDITS_PER_MINUTE were this minute; the
   * rest are counted, and the count written with the next minute's first (a flood of guesses from many
   * addresses would otherwise push every other entry out of the log).
   */
  private auditFailedLogin(username: string, ip: string): Promise<void> {
    const minute = Math.floor(this.now() / 60_000);
    const f = this.failedAudits;
    if (minute !== f.minute) {
      const suppressed = f.suppressed;
      this.failedAudits = { minute, written: 0, suppressed: 0 };
      if (suppressed > 0) void this.audit({ user: '', action: 'login.failed.unlogged', target: '', detail: `${suppressed} more failed logins in the minute before`, ip: '' });
    }
    if (this.failedAudits.written >= MAX_FAILED_LOGIN_AUDITS_PER_MINUTE) {
      this.failedAudits.suppressed++;
      return Promise.resolve();
    }
    this.failedAudits.written++;
    return this.audit({ user: username, action: 'login.failed', target: username, ip });
  }

  private entry(e: Omit<AuditEntry, 'time'>): AuditEntry {
    return { time: new Date(this.now()).toISOString(), ...e };
  }

  /** Call only inside serial(). */
  private async appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const list = await this.auditLog();
    list.push(...entries);
    await this.store.setState(AUDIT_KEY, JSON.stringify(list.slice(-MAX_AUDIT_ENTRIES)));
  }

  async auditLog(): Promise<AuditEntry[]> {
    const raw = await this.store.getState(AUDIT_KEY);
    try {
      const v: unknown = raw ? JSON.parse(raw) : [];
      return Array.isArray(v) ? (v as AuditEntry[]) : [];
    } catch {
      return [];
    }
  }
}

/** A hash of a random password, checked against when the user name is unknown. */
let dummyHash: Promise<string> | undefined;
