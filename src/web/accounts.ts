// Dashboard accounts, login sessions, CSRF tokens, login rate limiting and the audit log. Accounts and
// the audit log live in the store's key-value state (so any store back end keeps them); login
// sessions are in memory: a restart logs everyone out, which is the safe direction.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { EventStore } from '../store/store.js';
import { hashPassword, verifyPassword } from './password.js';

export const ROLES = ['admin', 'analyst', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface Account {
  username: string;
  role: Role;
  hash: string;
  created_at: string;
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
  /** Writes to the state keys one after another, so concurrent changes do not lose each other. */
  private chain: Promise<unknown> = Promise.resolve();
  /** The one-time set-up token while no account exists (undefined once an admin is made). */
  setupToken: string | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly opts: { idleMs: number; maxFailures: number; now?: () => number },
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
    if ((await this.list()).length > 0) return undefined;
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
      await this.auditUnlocked({ user: username, action: 'setup', target: username, ip });
      return true;
    });
  }

  create(username: string, password: string, role: Role, by: string, ip = ''): Promise<boolean> {
    return this.serial(async () => {
      if ((await this.list()).some((a) => a.username === username)) return false;
      await this.createUnlocked(username, password, role);
      await this.auditUnlocked({ user: by, action: 'user.create', target: username, detail: role, ip });
      return true;
    });
  }

  private async createUnlocked(username: string, password: string, role: Role): Promise<void> {
    const list = await this.list();
    list.push({ username, role, hash: await hashPassword(password), created_at: new Date(this.now()).toISOString() });
    await this.store.setState(USERS_KEY, JSON.stringify(list));
  }

  /** Seconds until IP or USERNAME may try again, or 0. Records nothing: a refused try leaves no entry. */
  lockedFor(ip: string, username: string): number {
    const now = this.now();
    let wait = 0;
    for (const key of [`ip:${ip}`, `user:${username}`]) {
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
   * Counts a failed (or not yet checked) attempt of IP and USERNAME; returns its time for forgive().
   * Past MAX_FAILURE_KEYS records the least recently failed go first (clearing them all let a flood of
   * names wipe every lock).
   */
  noteFailure(ip: string, username: string): number {
    const now = this.now();
    for (const key of [`ip:${ip}`, `user:${username}`]) {
      const list = this.failures.get(key) ?? [];
      list.push(now);
      // Bounded: only the last maxFailures matter. Re-inserted, so the map's order is by last failure.
      this.failures.delete(key);
      this.failures.set(key, list.slice(-this.opts.maxFailures));
    }
    for (const key of this.failures.keys()) {
      if (this.failures.size <= MAX_FAILURE_KEYS) break;
      this.failures.delete(key);
    }
    return now;
  }

  /** Takes back the attempt noteFailure counted AT for IP (it succeeded) and clears USERNAME's failures. */
  forgive(ip: string, username: string, at: number): void {
    const list = this.failures.get(`ip:${ip}`);
    const i = list?.lastIndexOf(at) ?? -1;
    if (list && i >= 0) list.splice(i, 1);
    this.failures.delete(`user:${username}`);
  }

  /** A new login session, or a reason for refusing it. */
  async login(username: string, password: string, ip: string): Promise<LoginSession | 'locked' | 'wrong'> {
    if (this.lockedFor(ip, username) > 0) return 'locked';
    // Counted before the password is checked (an await): attempts sent in parallel see each other, so
    // no more than maxFailures of them are checked before the lock.
    const at = this.noteFailure(ip, username);
    const account = (await this.list()).find((a) => a.username === username);
    // Hash even for unknown users, so timing does not tell which names exist.
    const ok = account ? await verifyPassword(password, account.hash) : (await verifyPassword(password, await (dummyHash ??= hashPassword(randomBytes(16).toString('hex')))), false);
    if (!account || !ok) {
      await this.audit({ user: username, action: 'login.failed', target: username, ip });
      return 'wrong';
    }
    this.forgive(ip, username, at);
    const now = this.now();
    const s: LoginSession = { token: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url'), username, role: account.role, created: now, lastSeen: now };
    this.sessions.set(s.token, s);
    await this.audit({ user: username, action: 'login', target: username, ip });
    return s;
  }

  /** The live session of TOKEN (its idle timer restarted), or undefined. */
  session(token: string | undefined): LoginSession | undefined {
    if (!token) return undefined;
    const s = this.sessions.get(token);
    if (!s) return undefined;
    const now = this.now();
    if (now - s.lastSeen > this.opts.idleMs) {
      this.sessions.delete(token);
      return undefined;
    }
    s.lastSeen = now;
    return s;
  }

  checkCsrf(s: LoginSession, header: string | undefined): boolean {
    return typeof header === 'string' && equalSecrets(header, s.csrf);
  }

  logout(token: string): void {
    this.sessions.delete(token);
  }

  audit(e: Omit<AuditEntry, 'time'>): Promise<void> {
    return this.serial(() => this.auditUnlocked(e));
  }

  private async auditUnlocked(e: Omit<AuditEntry, 'time'>): Promise<void> {
    const list = await this.auditLog();
    list.push({ time: new Date(this.now()).toISOString(), ...e });
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
