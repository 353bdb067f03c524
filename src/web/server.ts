// The dashboard's HTTPS server: security headers, login, sessions, CSRF, roles, the static client and
// the JSON API (api.ts). Started by `apiary start` when the config has a dashboard section.
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config, DashboardConfig } from '../config/schema.js';
import { parseListenAddress, type ListenAddress } from '../config/schema.js';
import type { ApiaryEvent } from '../events/catalogue.js';
import { capConnectionsPerSource } from '../events/source-key.js';
import type { DashboardReads } from '../store/dashboard-reads.js';
import type { EventStore } from '../store/store.js';
import { loadOrCreateCertificate } from '../sensors/http/tls-cert.js';
import { ApiaryError, listenFailed } from '../errors/errors.js';
import { Accounts, USERNAME_RE, type LoginSession, type Role } from './accounts.js';
import { Busy } from './limiter.js';
import { passwordProblem } from './password.js';
import { APP_CSS, CSP, INDEX_HTML } from './shell.js';
import { registerApi } from './api.js';

export const COOKIE = '__Host-apiary';
/** Largest request body (JSON) accepted. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Time to send a whole request (headers and body): a client dribbling a body does not hold a socket longer. */
export const REQUEST_TIMEOUT_MS = 30_000;
/**
 * Time a new connection has to finish the TLS handshake. Node's default is 120 s, and headersTimeout
 * and requestTimeout start only after it: 260 sockets that never began TLS filled
 * MAX_DASHBOARD_CONNECTIONS and kept every user out for two minutes.
 */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * Time from a connection's (or a kept-alive request's) start to the end of its request headers: a
 * client that finished TLS and sends nothing is closed after this, not after REQUEST_TIMEOUT_MS.
 */
export const HEADERS_TIMEOUT_MS = 10_000;
/** A connection with nothing sent either way for this long is closed (the live monitor beats every 15 s). */
export const CONNECTION_IDLE_MS = 120_000;
/** Connections the dashboard holds at once (its file descriptors are the sensors' too). */
export const MAX_DASHBOARD_CONNECTIONS = 256;
/**
 * Connections one source (an address, or an IPv6 /64) holds at once unless configured
 * (dashboard.max_connections_per_source): a browser keeps six or so per user, and a few users may
 * share a NAT. Without it one address holding 256 idle sockets kept every user out.
 */
export const MAX_DASHBOARD_CONNECTIONS_PER_SOURCE = 32;
const UI_DIR = fileURLToPath(new URL('./ui/', import.meta.url));
const UI_FILE_RE = /^[a-z0-9-]+\.js$/;

/** A sensor service as the dashboard sees it: its name, addresses, and the on/off switch when it has one. */
export interface ServiceSwitch {
  name: string;
  bound: { host: string; port: number }[];
  readonly openConnections: number;
  readonly enabled?: boolean;
  setEnabled?(on: boolean): Promise<void>;
  readonly limits?: { idle_timeout_s: number; session_timeout_s: number };
  setLimits?(limits: { idle_timeout_s?: number; session_timeout_s?: number }): void;
}

export interface DashboardDeps {
  config: Config;
  dash: DashboardConfig;
  store: EventStore;
  /** Session search and the SQL console; absent on a store without them (the two pages say so). */
  reads?: DashboardReads;
  services: readonly ServiceSwitch[];
  /** Subscribes to committed events (the live monitor); returns the unsubscribe function. */
  onEvents(fn: (events: readonly ApiaryEvent[]) => void): () => void;
  log: Logger;
  /** Environment (APIARY_ADMIN_PASSWORD); process.env by default. */
  env?: NodeJS.ProcessEnv;
}

export interface RunningDashboard {
  name: 'dashboard';
  bound: { host: string; port: number }[];
  readonly openConnections: number;
  /** The one-time set-up token to print, while no account exists. */
  setupToken: string | undefined;
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    login?: LoginSession;
  }
}

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000',
  'cache-control': 'no-store',
};

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export function fail(reply: FastifyReply, code: number, error: string): FastifyReply {
  return reply.code(code).send({ error });
}

/** Refuses (and returns false) unless the request's login may do WHAT. */
export function allowed(req: FastifyRequest, reply: FastifyReply, roles: readonly Role[]): boolean {
  if (req.login && roles.includes(req.login.role)) return true;
  void fail(reply, 403, 'your role may not do this');
  return false;
}

function readUserCertificate(certPath: string, keyPath: string): { cert: string; key: string } {
  try {
    return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
  } catch (err) {
    throw new ApiaryError('APIARY_TLS_CERT', `dashboard.tls_cert/tls_key cannot be read: ${(err as Error).message}; give PEM files this user can read`);
  }
}

export async function startDashboard(deps: DashboardDeps): Promise<RunningDashboard> {
  const { dash, config } = deps;
  const addr = parseListenAddress(dash.listen) as ListenAddress;
  const tls = dash.tls_cert && dash.tls_key ? readUserCertificate(dash.tls_cert, dash.tls_key) : await loadOrCreateCertificate(join(config.data_dir, 'dashboard-tls'), 'localhost');
  const accounts = new Accounts(deps.store, { idleMs: dash.session_idle_s * 1000, maxFailures: dash.login_failures });
  if (!existsSync(join(UI_DIR, 'main.js'))) deps.log.warn({ dir: UI_DIR }, 'the dashboard client is not built; run "npm run build"');
  const setupToken = await accounts.prepare(dash.admin_password ?? (deps.env ?? process.env).APIARY_ADMIN_PASSWORD);
  const app: FastifyInstance = Fastify({
    logger: false, bodyLimit: MAX_BODY_BYTES, trustProxy: false, return503OnClosing: true,
    // Our own server: node checks requestTimeout only every connectionsCheckingInterval (30 s by
    // default), and a server made by Fastify from its requestTimeout option was seen to keep a
    // dribbled body open past a minute.
    serverFactory: (handler) => {
      const server = createHttpsServer(
        { ...tls, handshakeTimeout: HANDSHAKE_TIMEOUT_MS, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1000, keepAliveTimeout: 72_000 },
        handler,
      );
      server.setTimeout(CONNECTION_IDLE_MS);
      server.maxConnections = MAX_DASHBOARD_CONNECTIONS;
      capConnectionsPerSource(server, dash.max_connections_per_source);
      return server;
    },
  });
  const streams = new Set<() => void>();

  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(k)) reply.header(k, v);
    return payload;
  });
  app.setErrorHandler((err: { statusCode?: number; message?: string }, _req, reply) => {
    if (err instanceof Busy) return void reply.header('retry-after', '5').code(503).send({ error: err.message });
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (code === 500) deps.log.error({ err }, 'dashboard request failed');
    void fail(reply, code, code === 500 ? 'internal error' : (err.message ?? 'bad request'));
  });
  app.setNotFoundHandler((_req, reply) => void fail(reply, 404, 'not found'));

  // Authentication for every route but the page, its static files and the login ones; CSRF token on
  // every change. Decided by the route that matched, not by the request's path: the router decodes
  // the path first, so a check of the raw path let `/%61pi/overview` through without a login.
  const PUBLIC = new Set(['/', '/favicon.ico', '/app.css', '/ui/:file']);
  const OPEN = new Set(['/api/session', '/api/login', '/api/setup']);
  app.addHook('preHandler', async (req, reply) => {
    const route = req.routeOptions.url;
    // No route matched: the not-found handler answers 404.
    if (route === undefined || PUBLIC.has(route)) return;
    const login = accounts.session(cookieValue(req.headers.cookie, COOKIE));
    if (login) req.login = login;
    if (OPEN.has(route)) return;
    if (!login) return fail(reply, 401, 'log in first');
    if (req.method !== 'GET' && req.method !== 'HEAD' && !accounts.checkCsrf(login, req.headers['x-csrf-token'] as string | undefined)) {
      return fail(reply, 403, 'missing or wrong CSRF token');
    }
  });

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(INDEX_HTML));
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
  app.get('/app.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(APP_CSS));
  app.get<{ Params: { file: string } }>('/ui/:file', async (req, reply) => {
    if (!UI_FILE_RE.test(req.params.file)) return fail(reply, 404, 'not found');
    let body: string;
    try {
      body = readFileSync(join(UI_DIR, req.params.file), 'utf8');
    } catch {
      return fail(reply, 404, 'not found');
    }
    return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(body);
  });

  const cookie = (value: string, maxAge: number): string => `${COOKIE}=${value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`;

  app.get('/api/session', async (req, reply) => {
    // 200 either way: the client asks this before every log-in, and a 401 would be a console error.
    if (!req.login) return reply.send({ username: null, setup_needed: accounts.setupToken !== undefined });
    return { username: req.login.username, role: req.login.role, csrf: req.login.csrf, idle_s: dash.session_idle_s };
  });

  app.post<{ Body: { token?: unknown; username?: unknown; password?: unknown } }>('/api/setup', async (req, reply) => {
    const { token, username, password } = req.body ?? {};
    if (typeof token !== 'string' || typeof username !== 'string' || !USERNAME_RE.test(username)) return fail(reply, 400, 'token and a user name (letters, digits, . _ @ -) are required');
    const problem = passwordProblem(password);
    if (problem) return fail(reply, 400, problem);
    // Counted per address only: one stranger's wrong tokens do not lock the operator out of set-up.
    if (accounts.lockedFor(req.ip) > 0) return fail(reply, 429, 'too many attempts; wait and try again');
    // Counted before the token is checked, so parallel guesses see each other (as logins do).
    const at = accounts.noteFailure(req.ip);
    if (!(await accounts.setup(token, username, password as string, req.ip))) return fail(reply, 403, 'wrong or used set-up token');
    accounts.forgive(req.ip, undefined, at);
    return { ok: true };
  });

  app.post<{ Body: { username?: unknown; password?: unknown } }>('/api/login', async (req, reply) => {
    const { username, password } = req.body ?? {};
    if (typeof username !== 'string' || typeof password !== 'string' || username.length > 64 || password.length > 1024) return fail(reply, 400, 'user name and password are required');
    const wait = accounts.lockedFor(req.ip, username);
    if (wait > 0) return reply.code(429).header('retry-after', String(wait)).send({ error: `too many failed logins; try again in ${wait} s` });
    const r = await accounts.login(username, password, req.ip);
    if (r === 'locked') return reply.code(429).send({ error: 'too many failed logins; try again later' });
    if (r === 'busy') return reply.code(503).header('retry-after', '1').send({ error: 'too many logins under way; try again in a moment' });
    if (r === 'wrong') return fail(reply, 401, 'wrong user name or password');
    return reply.header('set-cookie', cookie(r.token, dash.session_idle_s)).send({ username: r.username, role: r.role, csrf: r.csrf });
  });

  app.post('/api/logout', async (req, reply) => {
    const token = cookieValue(req.headers.cookie, COOKIE);
    if (token) accounts.logout(token);
    return reply.header('set-cookie', cookie('', 0)).send({ ok: true });
  });

  app.get('/api/users', async (req, reply) => {
    if (!allowed(req, reply, ['admin'])) return reply;
    return (await accounts.list()).map((a) => ({ username: a.username, role: a.role, created_at: a.created_at }));
  });
  app.post<{ Body: { username?: unknown; password?: unknown; role?: unknown } }>('/api/users', async (req, reply) => {
    if (!allowed(req, reply, ['admin'])) return reply;
    const { username, password, role } = req.body ?? {};
    if (typeof username !== 'string' || !USERNAME_RE.test(username)) return fail(reply, 400, 'a user name of letters, digits, . _ @ - is required');
    if (role !== 'admin' && role !== 'analyst' && role !== 'viewer') return fail(reply, 400, 'role must be admin, analyst or viewer');
    const problem = passwordProblem(password);
    if (problem) return fail(reply, 400, problem);
    if (!(await accounts.create(username, password as string, role, req.login!.username, req.ip))) return fail(reply, 409, 'that user exists');
    return { ok: true };
  });
  // An admin removes an account or sets its password: either ends every session it has open.
  app.post<{ Params: { name: string } }>('/api/users/:name/delete', async (req, reply) => {
    if (!allowed(req, reply, ['admin'])) return reply;
    const r = await accounts.remove(req.params.name, req.login!.username, req.ip);
    if (r === 'missing') return fail(reply, 404, 'no such user');
    if (r === 'last-admin') return fail(reply, 409, 'the last admin cannot be removed; make another admin first');
    return { ok: true };
  });
  app.post<{ Params: { name: string }; Body: { password?: unknown } }>('/api/users/:name/password', async (req, reply) => {
    if (!allowed(req, reply, ['admin'])) return reply;
    const problem = passwordProblem(req.body?.password);
    if (problem) return fail(reply, 400, problem);
    if (!(await accounts.resetPassword(req.params.name, req.body!.password as string, req.login!.username, req.ip))) return fail(reply, 404, 'no such user');
    return { ok: true };
  });
  app.get('/api/audit', async (req, reply) => {
    if (!allowed(req, reply, ['admin'])) return reply;
    return (await accounts.auditLog()).slice(-1000).reverse();
  });

  registerApi(app, { ...deps, accounts, streams });

  try {
    await app.listen({ host: addr.host, port: addr.port });
  } catch (err) {
    await app.close();
    throw listenFailed('the dashboard', dash.listen, err, 'dashboard.listen');
  }
  const a = app.server.address();
  const bound = a && typeof a === 'object' ? [{ host: a.address, port: a.port }] : [];
  return {
    name: 'dashboard',
    bound,
    get openConnections() {
      return streams.size;
    },
    get setupToken() {
      return accounts.setupToken;
    },
    async close() {
      for (const end of [...streams]) end();
      await app.close();
      await deps.reads?.close();
    },
  };
}
