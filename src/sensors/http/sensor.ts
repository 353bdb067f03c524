// The HTTP and HTTPS sensor: Node's HTTP parser (with strict head, body and time limits) behind
// Apiary's listener, answering as the configured decoy site and product. Records every request,
// login (form and Basic), recognised exploit and the files its payload would download.
import { createHash, randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { TLSSocket, createSecureContext } from 'node:tls';
import type { HttpServiceConfig, ListenAddress } from '../../config/schema.js';
import type { Payload } from '../../events/catalogue.js';
import { parseListenAddress } from '../../config/schema.js';
import { hexSample } from '../../wire/reader.js';
import { MAX_CREDENTIAL_CHARS } from '../runtime/auth-policy.js';
import { fetchAndRecord, UploadBuffer } from '../runtime/capture.js';
import { REQUEST_BURST_PER_SOURCE, REQUESTS_PER_SOURCE_PER_SECOND, RequestRate } from '../runtime/request-rate.js';
import { emitLimited, sourceEnvelope } from '../runtime/windowed-counts.js';
import type { CapturingSensorDeps } from '../runtime/sensor-deps.js';
import { startTcpService, type ConnectionContext, type RunningService } from '../runtime/listener.js';

type CloseReason = Payload<'connection.close'>['reason'];
import { inspectRequest, MAX_INSPECT_CHARS } from './exploits.js';
import { decodeXmlRpc, encodeXmlRpcReply, MAX_XMLRPC_BODY_CHARS } from './xmlrpc.js';
import { REASONS, type Product } from './products.js';
import { makeSite, type Page, type PageContext, type Site } from './sites.js';
import type { TlsMaterial } from './tls-cert.js';
import { trapPage, trapSecrets, type TrapSecrets } from './traps.js';
import { getOwn, setOwn } from '../../wire/own-property.js';
import { makeRoom } from '../../wire/bounded.js';

/** Node's own server events, named apart from Apiary's catalogued event types. */
const NODE_EVENT = { listening: 'listening', connection: 'connection' } as const;

/** Body bytes recorded as text in http.request. */
export const MAX_RECORDED_BODY_BYTES = 8192;
/**
 * Body bytes kept for the parsers (exploit inspector, XML-RPC, login form): the largest of their own
 * limits, under the process's shared upload memory budget (UploadBuffer). Only the first
 * MAX_RECORDED_BODY_BYTES of it are recorded.
 */
export const MAX_PARSED_BODY_BYTES = Math.max(MAX_INSPECT_CHARS, MAX_XMLRPC_BODY_CHARS);
/** Longest path or query recorded. */
export const MAX_TARGET_CHARS = 8192;
/** Headers per request (Node's maxHeadersCount). */
export const MAX_HEADERS = 100;
/** Requests served on one keep-alive connection. */
export const MAX_REQUESTS_PER_CONNECTION = 100;
/** Logged-in sessions remembered (oldest forgotten first). */
export const MAX_SESSIONS = 10_000;

export interface HttpSensorDeps extends CapturingSensorDeps {
  /** Required when cfg.tls_listen is not empty. */
  tls?: TlsMaterial;
  /** Requests a source may make per second before they are counted instead (limits.source_requests_s). */
  requestsPerSecond?: number;
}

/** Text of body (or Basic credential) bytes: UTF-8 when valid, otherwise Latin-1 (one character per byte, nothing lost). */
function bodyText(b: Buffer): string {
  const s = b.toString('utf8');
  return s.includes('\ufffd') ? b.toString('latin1') : s;
}

export function headerRecord(raw: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase().slice(0, 256);
    const v = raw[i + 1]!;
    const had = getOwn(out, k);
    setOwn(out, k, had === undefined ? v : `${had}, ${v}`);
  }
  return out;
}

/** Host for generated pages: the client's Host header when it is a plain name[:port], else the configured one. */
function pageHost(hostHeader: string | undefined, fallback: string): string {
  return hostHeader && /^[A-Za-z0-9.-]{1,253}(?::\d{1,5})?$/.test(hostHeader) ? hostHeader : fallback;
}

function parseForm(body: string): URLSearchParams {
  try {
    return new URLSearchParams(body);
  } catch {
    return new URLSearchParams();
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const clip = (s: string, n = MAX_CREDENTIAL_CHARS): string => (s.length > n ? s.slice(0, n) : s);

/** A request's method, target (path and query each cut to MAX_TARGET_CHARS) and headers, read once. */
interface RequestHead {
  method: string;
  target: string;
  path: string;
  query: string | undefined;
  headers: Record<string, string>;
}

function requestHead(req: IncomingMessage): RequestHead {
  const target = (req.url ?? '/').slice(0, MAX_TARGET_CHARS * 2);
  const q = target.indexOf('?');
  return {
    method: (req.method ?? 'GET').slice(0, 32),
    target,
    path: (q < 0 ? target : target.slice(0, q)).slice(0, MAX_TARGET_CHARS),
    query: q < 0 ? undefined : target.slice(q + 1, q + 1 + MAX_TARGET_CHARS),
    headers: headerRecord(req.rawHeaders),
  };
}

/** Why a request's body never finished (http.request's `incomplete`). */
type Incomplete = NonNullable<Payload<'http.request'>['incomplete']>;

/** How a request body that never finished is labelled, from why its connection closed. */
function incompleteReason(reason: CloseReason | undefined): Incomplete {
  if (reason === undefined || reason === 'client') return 'client';
  return reason === 'idle_timeout' || reason === 'session_timeout' || reason === 'login_timeout' ? 'timeout' : 'closed';
}

interface Responder {
  site: Site;
  product: Product;
  keepAliveS: number;
}

/** Requests served per connection, to end keep-alive after MAX_REQUESTS_PER_CONNECTION as Apache does. */
const servedOn = new WeakMap<object, number>();

function send(r: Responder, req: IncomingMessage, res: ServerResponse, page: Page, port: number): void {
  const served = (servedOn.get(req.socket) ?? 0) + 1;
  servedOn.set(req.socket, served);
  const body = Buffer.from(page.status >= 400 && page.body === '' ? r.product.errorPage(page.status, { method: req.method ?? 'GET', host: pageHost(req.headers.host, 'localhost').replace(/:\d+$/, ''), port }) : page.body, 'utf8');
  const type = page.status >= 400 && page.body === '' ? (r.product.name === 'apache' ? 'text/html; charset=iso-8859-1' : 'text/html') : page.type;
  const keep = res.shouldKeepAlive && r.product.name !== 'mini_httpd' && served < MAX_REQUESTS_PER_CONNECTION;
  const headers = r.product.assemble({ date: new Date().toUTCString(), extra: page.headers ?? [], length: body.length, type, keep, keepAliveS: r.keepAliveS, requestsLeft: MAX_REQUESTS_PER_CONNECTION - served });
  res.writeHead(page.status, REASONS[page.status] ?? 'Unknown', headers.flat());
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** A complete error response written straight to a socket (for requests Node's server does not route). */
function rawErrorResponse(product: Product, status: number, method: string, host: string, port: number, extra: [string, string][] = []): Buffer {
  const body = Buffer.from(product.errorPage(status, { method, host, port }));
  const head = product.assemble({ date: new Date().toUTCString(), extra, length: body.length, type: product.name === 'apache' ? 'text/html; charset=iso-8859-1' : 'text/html', keep: false, keepAliveS: 0 });
  return Buffer.concat([Buffer.from(`HTTP/1.1 ${status} ${REASONS[status]}\r\n${head.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`), body]);
}

export async function startHttpSensor(cfg: HttpServiceConfig, deps: HttpSensorDeps): Promise<RunningService[]> {
  const site = makeSite(cfg.site);
  const product = site.product;
  const secrets: TrapSecrets = trapSecrets(deps.honeytokens, cfg.server_name);
  const sessions = new Map<string, string>();
  const bySocket = new WeakMap<Duplex, ConnectionContext>();
  /** TLS connections whose TLS error is already recorded (the server's clientError must not record it again). */
  const tlsFailed = new WeakSet<Duplex>();
  /** Per socket, records the request whose body is still arriving (see handleRequest). */
  const unfinished = new WeakMap<Duplex, (why: Incomplete) => void>();
  const responder: Responder = { site, product, keepAliveS: cfg.keep_alive_timeout_s };
  // A source over its request rate (keep-alive and pipelining let one write tens of MB of http.request a
  // second) is still answered, but its requests are counted, not each recorded.
  const rate = new RequestRate(
    (address, count, windowMs) => emitLimited(deps.sink, sourceEnvelope(deps.sensor, 'http', address), 'request_rate', count, windowMs),
    deps.requestsPerSecond,
    deps.requestsPerSecond === undefined ? undefined : deps.requestsPerSecond * (REQUEST_BURST_PER_SOURCE / REQUESTS_PER_SOURCE_PER_SECOND),
  );

  const server = http.createServer(
    {
      maxHeaderSize: cfg.max_header_bytes,
      headersTimeout: Math.min(cfg.headers_timeout_s, cfg.request_timeout_s) * 1000,
      requestTimeout: cfg.request_timeout_s * 1000,
      keepAliveTimeout: cfg.keep_alive_timeout_s * 1000,
      connectionsCheckingInterval: 1000,
      requireHostHeader: false,
      insecureHTTPParser: false,
    },
    (req, res) => {
      const ctx = bySocket.get(req.socket);
      if (!ctx) {
        req.socket.destroy();
        return;
      }
      try {
        handleRequest(req, res, ctx);
      } catch (err) {
        ctx.log.warn({ err }, 'http handler failed; closing this connection only');
        ctx.close('error');
      }
    },
  );
  server.maxHeadersCount = MAX_HEADERS;
  // This server never listens (Apiary's listener hands it sockets), but Node starts the checks behind
  // headersTimeout and requestTimeout (the slowloris defence) on 'listening': start them now.
  server.emit(NODE_EVENT.listening);
  // No maxRequestsPerSocket: Node would answer past it with its own 503; send() ends keep-alive instead.
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    const ctx = bySocket.get(socket);
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    // A reset, or the client's FIN before its message ended, is the client going away: not malformed.
    const gone = err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE';
    if (ctx && !timeout && !gone && !tlsFailed.has(socket)) {
      ctx.emitter.emit('protocol.malformed', { reason: String(err.code ?? err.message).slice(0, 100), sample_hex: hexSample(err.rawPacket ?? Buffer.alloc(0)) });
    }
    if (socket.writable && !gone) {
      const status = timeout ? 408 : 400;
      socket.end(rawErrorResponse(product, status, 'GET', cfg.server_name, (socket as { localPort?: number }).localPort ?? 80));
    }
    // A request whose body was still arriving is recorded now, before the connection's close.
    unfinished.get(socket)?.(timeout ? 'timeout' : gone ? 'client' : 'closed');
    if (ctx) ctx.close(timeout ? 'idle_timeout' : gone ? 'client' : 'policy');
    else socket.destroy();
  });

  // CONNECT (proxy hunting) bypasses the request handler in Node: record it and answer as the
  // product does without a proxy module (Apache: 405; others: 400). Upgrade requests, with no
  // 'upgrade' listener, are routed as ordinary requests (a 404, as Apache without WebSocket modules).
  server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const ctx = bySocket.get(socket);
    if (!ctx) return void socket.destroy();
    socket.on('error', () => {});
    const target = (req.url ?? '').slice(0, MAX_TARGET_CHARS);
    const headers = headerRecord(req.rawHeaders);
    if (rate.admit(ctx.emitter.identity.src_ip)) ctx.emitter.emit('http.request', { method: (req.method ?? '').slice(0, 32), path: target, headers, ...(headers['user-agent'] !== undefined ? { user_agent: headers['user-agent'] } : {}), body_size: head.length });
    const m = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/.exec(target);
    if (m && Number(m[2]) <= 65535) ctx.emitter.emit('tunnel.request', { target_host: m[1]!.slice(0, 255), target_port: Number(m[2]), first_bytes_hex: hexSample(head) });
    const status = product.name === 'apache' ? 405 : 400;
    socket.end(rawErrorResponse(product, status, req.method ?? 'CONNECT', cfg.server_name, ctx.socket.localPort ?? 80, status === 405 ? [['Allow', 'GET,POST,OPTIONS,HEAD']] : []));
  });

  function handleRequest(req: IncomingMessage, res: ServerResponse, ctx: ConnectionContext): void {
    const parsed = new UploadBuffer(Math.min(cfg.max_body_bytes, MAX_PARSED_BODY_BYTES));
    let kept = 0;
    let total = 0;
    let ended = false;
    const sha = createHash('sha256');
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      const room = cfg.max_body_bytes - kept;
      if (room <= 0) return;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      kept += part.length;
      sha.update(part);
      parsed.write(part);
    });
    // A client that goes away mid-body is a client close, not an error of the sensor's.
    req.on('error', (err: NodeJS.ErrnoException) => ctx.close(err.code === 'ECONNRESET' ? 'client' : 'error'));
    /** Records the request with what arrived of a body that never finished (once). */
    const recordUnfinished = (why: Incomplete): void => {
      if (ended) return;
      ended = true;
      unfinished.delete(req.socket);
      try {
        record(requestHead(req), ctx, parsed.bytes(), total, total > 0 ? sha.digest('hex') : undefined, why);
      } catch (err) {
        ctx.log.warn({ err }, 'http handler failed; closing this connection only');
      } finally {
        parsed.release();
      }
    };
    unfinished.set(req.socket, recordUnfinished);
    // Closes nothing tells the parser about (the listener's idle and session limits, shutdown).
    req.once('close', () => recordUnfinished(incompleteReason(ctx.closeReason)));
    req.on('end', () => {
      if (ended) return;
      ended = true;
      unfinished.delete(req.socket);
      try {
        const body = parsed.bytes();
        parsed.release();
        respond(req, res, ctx, body, total, total > 0 ? sha.digest('hex') : undefined);
      } catch (err) {
        ctx.log.warn({ err }, 'http handler failed; closing this connection only');
        ctx.close('error');
      }
    });
  }

  /**
   * Records a request (http.request, recognised exploits and the downloads their payloads name, and
   * Basic credentials); returns whether the Basic credentials are accepted. Also for a request whose
   * body never finished (INCOMPLETE says why), with the part that arrived. A source over its request
   * rate gets no http.request (counted in connection.limited); its exploits and logins are recorded.
   */
  function record(head: RequestHead, ctx: ConnectionContext, body: Buffer, bodySize: number, bodySha: string | undefined, incomplete?: Incomplete): boolean {
    const { method, target, path, query, headers } = head;
    const text = bodyText(body.subarray(0, MAX_RECORDED_BODY_BYTES));
    const ua = headers['user-agent'];
    if (rate.admit(ctx.emitter.identity.src_ip)) ctx.emitter.emit('http.request', {
      method,
      path,
      ...(query !== undefined ? { query } : {}),
      headers,
      ...(ua !== undefined ? { user_agent: ua } : {}),
      body_size: bodySize,
      ...(bodySha ? { body_sha256: bodySha } : {}),
      ...(text ? { body: text } : {}),
      ...(incomplete ? { incomplete } : {}),
    });

    const inspection = inspectRequest({ method, target, headers, body: bodyText(body) });
    for (const f of inspection.findings) ctx.emitter.emit('exploit.attempt', { name: f.name, ...(f.cve ? { cve: f.cve } : {}), ...(f.detail ? { detail: f.detail } : {}) });
    if (inspection.urls.length > 0) {
      fetchAndRecord(deps.capture, ctx.emitter, inspection.urls, ctx.emitter.identity.src_ip).catch((err: unknown) => ctx.log.warn({ err }, 'fetch failed'));
    }

    // HTTP Basic credentials, wherever they are sent.
    const authz = headers.authorization;
    if (!authz || !/^basic\s+/i.test(authz)) return false;
    const decoded = bodyText(Buffer.from(authz.replace(/^basic\s+/i, '').slice(0, 4096), 'base64'));
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const pass = colon < 0 ? '' : decoded.slice(colon + 1);
    const ok = deps.policy.allows(user, pass);
    ctx.emitter.emit('auth.attempt', { method: 'basic', username: clip(user), password: clip(pass), success: ok });
    return ok;
  }

  function respond(req: IncomingMessage, res: ServerResponse, ctx: ConnectionContext, body: Buffer, bodySize: number, bodySha: string | undefined): void {
    const head = requestHead(req);
    const basicOk = record(head, ctx, body, bodySize, bodySha);
    const { method, path, query, headers } = head;
    const port = ctx.socket.localPort ?? 80;
    const host = pageHost(headers.host, cfg.server_name);
    const session = cookieValue(headers.cookie, site.cookie);
    const pctx: PageContext = { host, authed: session !== undefined && sessions.has(session), query: new URLSearchParams(query ?? '') };
    const page = route(method, path, body, pctx, ctx, basicOk);
    send(responder, req, res, page, port);
  }

  function remember(user: string): string {
    const id = randomBytes(16).toString('hex');
    makeRoom(sessions, MAX_SESSIONS);
    sessions.set(id, user);
    return id;
  }

  function route(method: string, path: string, body: Buffer, pctx: PageContext, ctx: ConnectionContext, basicOk: boolean): Page {
    const known = ['GET', 'HEAD', 'POST', 'OPTIONS'];
    if (!known.includes(method)) return { status: product.name === 'nginx' ? 405 : 501, body: '' };
    if (site.basicRealm && !basicOk) {
      return { status: 401, body: '', headers: [['WWW-Authenticate', `Basic realm="${site.basicRealm}"`]] };
    }
    if (method === 'OPTIONS') {
      if (product.name === 'apache') return { status: 200, type: 'text/html', body: '', headers: [['Allow', 'GET,POST,OPTIONS,HEAD']] };
      return { status: 405, body: '' };
    }
    const trap = trapPage(path, secrets, pctx.host.replace(/:\d+$/, ''), product.server);
    if (trap && (path !== '/server-status' || product.name === 'apache')) return trap;
    if (method === 'POST' && site.name === 'wordpress' && path === '/xmlrpc.php') {
      const call = decodeXmlRpc(bodyText(body));
      if (!call) return { status: 200, type: 'text/xml; charset=UTF-8', body: '<?xml version="1.0" encoding="UTF-8"?>\n<methodResponse>\n  <fault>\n    <value>\n      <struct>\n  <member>\n    <name>faultCode</name>\n    <value><int>-32700</int></value>\n  </member>\n  <member>\n    <name>faultString</name>\n    <value><string>parse error. not well formed</string></value>\n  </member>\n</struct>\n    </value>\n  </fault>\n</methodResponse>\n' };
      const ok = call.logins.map((l) => {
        const success = deps.policy.allows(l.username, l.password);
        ctx.emitter.emit('auth.attempt', { method: 'password', username: clip(l.username), password: clip(l.password), success });
        return success;
      });
      return { status: 200, type: 'text/xml; charset=UTF-8', body: encodeXmlRpcReply(call, ok, pctx.host) };
    }
    if (method === 'POST' && site.form && path === site.form.path) {
      const form = parseForm(bodyText(body));
      const user = form.get(site.form.userField);
      const pass = form.get(site.form.passField);
      if (user !== null || pass !== null) {
        const success = deps.policy.allows(user ?? '', pass ?? '');
        ctx.emitter.emit('auth.attempt', { method: 'form', username: clip(user ?? ''), password: clip(pass ?? ''), success });
        return site.form.result(success, user ?? '', success ? remember(user ?? '') : '', pctx);
      }
    }
    const page = site.page(path, pctx);
    if (page) return page;
    return { status: 404, body: '' };
  }

  const services: RunningService[] = [];
  const httpAddrs = cfg.listen.map((a) => parseListenAddress(a) as ListenAddress);
  const common = {
    sensor: deps.sensor,
    sink: deps.sink,
    gate: deps.gate,
    idleTimeoutMs: cfg.idle_timeout_s * 1000,
    sessionTimeoutMs: Math.max(cfg.request_timeout_s, cfg.idle_timeout_s) * 1000 * MAX_REQUESTS_PER_CONNECTION,
  };
  try {
    if (httpAddrs.length > 0) {
      services.push(
        await startTcpService({
          ...common,
          name: 'http',
          protocol: 'http',
          addresses: httpAddrs,
          log: deps.log.child({ service: 'http' }),
          onConnection(ctx) {
            bySocket.set(ctx.socket, ctx);
            server.emit(NODE_EVENT.connection, ctx.socket);
          },
        }),
      );
    }
    if (cfg.tls_listen.length > 0) {
      if (!deps.tls) throw new Error('HTTPS needs a certificate');
      const secureContext = createSecureContext({ key: deps.tls.key, cert: deps.tls.cert, minVersion: 'TLSv1.2' });
      services.push(
        await startTcpService({
          ...common,
          name: 'https',
          protocol: 'https',
          addresses: cfg.tls_listen.map((a) => parseListenAddress(a) as ListenAddress),
          log: deps.log.child({ service: 'https' }),
          onConnection(ctx) {
            const tlsSocket = new TLSSocket(ctx.socket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
            tlsSocket.on('error', (err: NodeJS.ErrnoException) => {
              // The HTTP server's clientError sees this error too: recorded here, once.
              tlsFailed.add(tlsSocket);
              if (err.code === 'ECONNRESET') return ctx.close('client');
              ctx.emitter.emit('protocol.malformed', { reason: `tls: ${String(err.code ?? err.message).slice(0, 100)}`, sample_hex: '' });
              ctx.close('policy');
            });
            bySocket.set(tlsSocket, ctx);
            server.emit(NODE_EVENT.connection, tlsSocket);
          },
        }),
      );
    }
  } catch (err) {
    await Promise.all(services.map((s) => s.close()));
    throw err;
  }
  // The parser server never listens; closing it stops its timeout checks once the listeners are closed.
  for (const s of services) {
    const closeListener = s.close.bind(s);
    s.close = async () => {
      await closeListener();
      server.close();
      rate.flush();
    };
  }
  return services;
}
