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
import { recordTlsFailure } from '../runtime/tls.js';

type CloseReason = Payload<'connection.close'>['reason'];
import { inspectRequest, MAX_INSPECT_CHARS } from './exploits.js';
import { decodeXmlRpc, encodeXmlRpcReply, MAX_XMLRPC_BODY_CHARS } from './xmlrpc.js';
import type { Product } from './products.js';
import { makeSite, serverPage, type Page, type PageContext, type Site } from './sites.js';
import { multipartBody, rangesFor } from './ranges.js';
import { apachePath, checkHead, decodeRawHead, headEnd, MAX_RAW_HEAD_BYTES, methodVerdict, parseTarget, splitHostPort, type MethodVerdict, type RawHead } from './request-target.js';
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

function requestHead(req: { method?: string | undefined; url?: string | undefined; rawHeaders: string[] }): RequestHead {
  const target = (req.url ?? '/').slice(0, MAX_TARGET_CHARS * 2);
  // An absolute-form target (a proxy request) is recorded by the path the server serves for it.
  const t = parseTarget(target);
  const within = t.form === 'absolute' ? `${t.path}${t.query === undefined ? '' : `?${t.query}`}` : target;
  const q = within.indexOf('?');
  return {
    method: (req.method ?? 'GET').slice(0, 32),
    target,
    path: (q < 0 ? within : within.slice(0, q)).slice(0, MAX_TARGET_CHARS),
    query: q < 0 ? undefined : within.slice(q + 1, q + 1 + MAX_TARGET_CHARS),
    headers: headerRecord(req.rawHeaders),
  };
}

/** Every Host header value in RAW (Node keeps only the first in req.headers). */
function hostValues(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length && out.length < 8; i += 2) if (raw[i]!.toLowerCase() === 'host') out.push(raw[i + 1]!);
  return out;
}

/** Whether a Connection header value carries TOKEN. */
function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  return value
    .slice(0, 256)
    .split(',')
    .some((t) => t.trim().toLowerCase() === token);
}

/** Default ports of the schemes proxy scanners put in absolute-form targets. */
const SCHEME_PORTS: Record<string, number> = { http: 80, https: 443, ftp: 21, ws: 80, wss: 443 };

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
  /** nginx numbers its multipart boundaries per worker (ngx_next_temp_number): 20 digits, counting up. */
  boundaries: number;
  /** Apache's multipart boundary: 64 random bits in hex, the same for every response of the process. */
  apacheBoundary: string;
}

/** Requests served per connection, to end keep-alive after MAX_REQUESTS_PER_CONNECTION as Apache does. */
const servedOn = new WeakMap<object, number>();

/** What a response needs to know of its request. */
interface Exchange {
  method: string;
  httpVersion: string;
  headers: Record<string, string>;
  /** Host and port the product's error pages name. */
  host: string;
  port: number;
  /** Whether the connection may stay open (the client allows it and the sensor still reads it). */
  canKeep: boolean;
  /** This request's number on its connection, from 1. */
  served: number;
}

/** A response as the product writes it. */
interface Built {
  status: number;
  reason: string;
  headers: [string, string][];
  /** Empty for HEAD. */
  body: Buffer;
  chunked: boolean;
  keep: boolean;
}

/** Builds the product's response to X for PAGE: its error page, static file headers and byte ranges. */
function build(r: Responder, x: Exchange, page: Page): Built {
  const p = r.product;
  const headOnly = x.method.toUpperCase() === 'HEAD' && (p.name === 'mini_httpd' || x.method === 'HEAD');
  let status = page.status;
  let extra: [string, string][] = [...(page.headers ?? [])];
  let type = page.type;
  let body: Buffer;
  let chunked = false;
  let errorPage = status >= 400 && page.body === '';
  const errorBody = (s: number): Buffer => Buffer.from(p.errorPage(s, { method: x.method, host: x.host, port: x.port, userAgent: x.headers['user-agent'], text: page.errorText }), 'latin1');
  if (errorPage) {
    body = errorBody(status);
    type = p.errorType;
  } else body = Buffer.from(page.body, 'utf8');
  if (page.file !== undefined && status === 200) {
    const file = p.fileHeaders(body.length, page.file, type);
    extra = [...file, ...extra];
    const range = x.headers.range;
    const ifRange = x.headers['if-range'];
    const validator = ifRange?.startsWith('"') ? file.find(([k]) => k === 'ETag')?.[1] : file.find(([k]) => k === 'Last-Modified')?.[1];
    if (range !== undefined && x.httpVersion !== '0.9' && (ifRange === undefined || ifRange === validator)) {
      const v = rangesFor(p.name, range, body.length);
      if (v.kind === 'unsatisfiable') {
        // nginx names the size in Content-Range; Apache sends its 416 page chunked (its length is
        // unknown once the byterange filter has dropped the file's), or closes the connection on HTTP/1.0.
        status = 416;
        errorPage = true;
        extra = p.name === 'nginx' ? [['Content-Range', `bytes */${body.length}`]] : [];
        body = errorBody(416);
        type = p.errorType;
        chunked = p.name === 'apache' && x.httpVersion === '1.1';
      } else if (v.kind === 'partial') {
        status = 206;
        if (p.name === 'nginx') extra = extra.filter(([k]) => k !== 'Accept-Ranges');
        if (v.ranges.length === 1) {
          const [a, b] = v.ranges[0]!;
          extra.push(['Content-Range', `bytes ${a}-${b}/${body.length}`]);
          body = body.subarray(a, b + 1);
        } else {
          const boundary = p.name === 'nginx' ? String(++r.boundaries).padStart(20, '0') : r.apacheBoundary;
          body = multipartBody(p.name, body, v.ranges, type ?? 'application/octet-stream', boundary);
          type = `multipart/byteranges; boundary=${boundary}`;
        }
      }
    }
  }
  // mini_httpd writes its error pages without a length and closes; Apache leaves the length off its
  // error pages for HEAD and off a 416 on HTTP/1.0, and then closes unless the body is not sent at all.
  const noLength = chunked || (errorPage && (p.name === 'mini_httpd' || (p.name === 'apache' && (headOnly || status === 416))));
  const keep = x.canKeep && p.name !== 'mini_httpd' && !p.dropsConnection(status, x.method) && x.served < MAX_REQUESTS_PER_CONNECTION && (!noLength || chunked || headOnly);
  const headers = p.assemble({
    status,
    date: new Date().toUTCString(),
    extra,
    length: noLength ? undefined : body.length,
    type,
    keep,
    clientKeepAlive: hasToken(x.headers.connection, 'keep-alive'),
    keepAliveS: r.keepAliveS,
    requestsLeft: MAX_REQUESTS_PER_CONNECTION - x.served + 1,
    chunked,
  });
  return { status, reason: p.reason(status), headers, body: headOnly ? Buffer.alloc(0) : body, chunked, keep };
}

function send(r: Responder, req: IncomingMessage, res: ServerResponse, page: Page, host: string, port: number): void {
  const served = (servedOn.get(req.socket) ?? 0) + 1;
  servedOn.set(req.socket, served);
  const b = build(r, { method: req.method ?? 'GET', httpVersion: req.httpVersion, headers: headerRecord(req.rawHeaders), host, port, canKeep: res.shouldKeepAlive, served }, page);
  // Node adds a Connection header, a length or chunking of its own unless told not to.
  if (!b.headers.some(([k]) => k === 'Connection')) res.removeHeader('Connection');
  if (!b.chunked && !b.headers.some(([k]) => k === 'Content-Length')) res.useChunkedEncodingByDefault = false;
  res.writeHead(b.status, b.reason, b.headers.flat());
  res.end(b.body.length > 0 ? b.body : undefined);
}

/** A built response as bytes (for answers written straight to a socket). VERSION is the status line's. */
function responseBytes(b: Built, version = '1.1'): Buffer {
  const head = Buffer.from(`HTTP/${version} ${b.status} ${b.reason}\r\n${b.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`, 'latin1');
  if (!b.chunked) return Buffer.concat([head, b.body]);
  return Buffer.concat([head, Buffer.from(`${b.body.length.toString(16)}\r\n`), b.body, Buffer.from('\r\n0\r\n\r\n')]);
}

/** A complete error response written straight to a socket (for requests Node's server does not route). */
function rawErrorResponse(r: Responder, status: number, method: string, host: string, port: number, extra: [string, string][] = []): Buffer {
  return responseBytes(build(r, { method, httpVersion: '1.1', headers: {}, host, port, canKeep: false, served: 1 }, { status, body: '', headers: extra }));
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
  const responder: Responder = { site, product, keepAliveS: cfg.keep_alive_timeout_s, boundaries: 0, apacheBoundary: BigInt(`0x${randomBytes(8).toString('hex')}`).toString(16) };
  /** Per socket, the head of a request whose method Node's parser rejected, read by hand (see readByHand). */
  const byHand = new WeakMap<Duplex, { buf: Buffer; answered: boolean }>();
  /** Per socket, the response being written, which a hand-read request's answer must follow. */
  const lastResponse = new WeakMap<Duplex, ServerResponse>();
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
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number }, socket: Duplex) => {
    const ctx = bySocket.get(socket);
    if (ctx && (err.code === 'HPE_INVALID_METHOD' || byHand.has(socket)) && !tlsFailed.has(socket)) return readByHand(err, socket, ctx);
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    // A reset, or the client's FIN before its message ended, is the client going away: not malformed.
    const gone = err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE';
    if (ctx && !timeout && !gone && !tlsFailed.has(socket)) {
      ctx.emitter.emit('protocol.malformed', { reason: String(err.code ?? err.message).slice(0, 100), sample_hex: hexSample(err.rawPacket ?? Buffer.alloc(0)) });
    }
    if (socket.writable && !gone) {
      const status = timeout ? 408 : 400;
      socket.end(rawErrorResponse(responder, status, 'GET', cfg.server_name, (socket as { localPort?: number }).localPort ?? 80));
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
    socket.end(rawErrorResponse(responder, status, req.method ?? 'CONNECT', cfg.server_name, ctx.socket.localPort ?? 80, status === 405 ? [['Allow', 'GET,POST,OPTIONS,HEAD']] : []));
  });

  /**
   * A method Node's parser does not know (FOO, DEBUG, TRACK, a lowercase get...) is a parse error to
   * Node but an ordinary request to nginx, Apache and mini_httpd, which answer 405, 501 or 400 after
   * reading its head. Node reports every later chunk of the connection as the same error, with the
   * chunk as rawPacket: the head is gathered from those (up to MAX_RAW_HEAD_BYTES), recorded, answered
   * as the product would, and the connection closed (Node's parser cannot go on past it).
   */
  function readByHand(err: NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number }, socket: Duplex, ctx: ConnectionContext): void {
    const chunk = err.rawPacket ?? Buffer.alloc(0);
    let state = byHand.get(socket);
    if (!state) {
      // The bad request starts at the line the error is on (earlier bytes of the chunk were earlier requests).
      const at = Math.min(Math.max(err.bytesParsed ?? 0, 0), chunk.length);
      const start = at === 0 ? 0 : chunk.lastIndexOf(0x0a, at - 1) + 1;
      state = { buf: Buffer.from(chunk.subarray(start, start + MAX_RAW_HEAD_BYTES)), answered: false };
      byHand.set(socket, state);
    } else if (!state.answered && state.buf.length < MAX_RAW_HEAD_BYTES) {
      state.buf = Buffer.concat([state.buf, chunk.subarray(0, MAX_RAW_HEAD_BYTES - state.buf.length)]);
    } else return;
    const end = headEnd(state.buf);
    const limit = Math.min(cfg.max_header_bytes, MAX_RAW_HEAD_BYTES);
    if (end < 0 && state.buf.length < limit) return;
    const head = end < 0 ? undefined : decodeRawHead(state.buf.subarray(0, end), MAX_HEADERS);
    const sample = state.buf.subarray(0, 64);
    state.answered = true; // later chunks are ignored
    state.buf = Buffer.alloc(0);
    const localPort = ctx.socket.localPort ?? 80;
    let answer: Buffer;
    try {
      if (!head) {
        ctx.emitter.emit('protocol.malformed', { reason: end < 0 ? 'head_too_large' : 'bad_request_line', sample_hex: hexSample(sample) });
        answer = rawErrorResponse(responder, 400, 'GET', cfg.server_name, localPort);
      } else answer = answerByHand(head, ctx, socket instanceof TLSSocket, localPort);
    } catch (e) {
      ctx.log.warn({ err: e }, 'http handler failed; closing this connection only');
      return ctx.close('error');
    }
    let written = false;
    const write = (): void => {
      if (written || !socket.writable) return;
      written = true;
      socket.once('finish', () => ctx.close('policy'));
      socket.end(answer);
    };
    const prev = lastResponse.get(socket);
    if (prev && !prev.writableFinished) {
      prev.once('finish', write);
      prev.once('close', write);
    } else write();
  }

  /** Records a hand-read request and builds the product's answer to it (the connection then closes). */
  function answerByHand(raw: RawHead, ctx: ConnectionContext, tls: boolean, localPort: number): Buffer {
    const head = requestHead({ method: raw.method, url: raw.target, rawHeaders: raw.rawHeaders });
    const basicOk = record(head, ctx, Buffer.alloc(0), 0, undefined, false);
    const pre = preflight(head, raw.httpVersion, hostValues(raw.rawHeaders), tls, localPort);
    const pctx: PageContext = { host: pageHost(head.headers.host, cfg.server_name), authed: false, query: new URLSearchParams(head.query ?? '') };
    const page = pre.page ?? route(head.method, pre.verdict, head.path, Buffer.alloc(0), pctx, ctx, basicOk);
    const b = build(responder, { method: head.method, httpVersion: raw.httpVersion, headers: head.headers, host: pre.host, port: pre.port, canKeep: false, served: 1 }, page);
    // mini_httpd echoes the request's protocol in its status line.
    return responseBytes(b, product.name === 'mini_httpd' && raw.httpVersion === '1.0' ? '1.0' : '1.1');
  }

  /**
   * What the product does with a request before routing it: 400 for a bad request line or Host, 501
   * for a method mini_httpd does not know; otherwise the host and port its error pages will name.
   */
  function preflight(head: RequestHead, httpVersion: string, hosts: string[], tls: boolean, localPort: number): { page?: Page; verdict: MethodVerdict; host: string; port: number } {
    const verdict = methodVerdict(product.name, head.method);
    const v = checkHead(product.name, { method: head.method, target: head.target, httpVersion, hosts, tls });
    const at = { host: v.host ?? cfg.server_name, port: v.port ?? localPort, verdict };
    const bad: Page = { status: 400, body: '', ...(v.ok ? {} : { errorText: v.text }) };
    if (product.name === 'mini_httpd') {
      // mini_httpd checks Host while reading headers, then the method, then the path.
      if (!v.ok && v.text === undefined) return { ...at, page: bad };
      if (verdict === 'unknown') return { ...at, page: { status: 501, body: '' } };
      return v.ok ? at : { ...at, page: bad };
    }
    // A request line Apache cannot read ends before its headers: the page names the server itself.
    if (verdict === 'malformed') return { verdict, host: cfg.server_name, port: localPort, page: bad };
    if (!v.ok) return { ...at, page: bad };
    return at;
  }

  function handleRequest(req: IncomingMessage, res: ServerResponse, ctx: ConnectionContext): void {
    const parsed = new UploadBuffer(Math.min(cfg.max_body_bytes, MAX_PARSED_BODY_BYTES), ctx.emitter.identity.src_ip);
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
        record(requestHead(req), ctx, parsed.bytes(), total, total > 0 ? sha.digest('hex') : undefined, parsed.dropped, why);
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
        respond(req, res, ctx, body, total, total > 0 ? sha.digest('hex') : undefined, parsed.dropped);
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
   * rate gets no http.request (counted in connection.limited) and no fetch of the URLs its payloads
   * name (pipelined, each request's downloads were thousands a second); its exploits and logins are recorded.
   * DROPPED: the body was not kept (the source's share of the upload memory was full).
   */
  function record(head: RequestHead, ctx: ConnectionContext, body: Buffer, bodySize: number, bodySha: string | undefined, dropped: boolean, incomplete?: Incomplete): boolean {
    const { method, target, path, query, headers } = head;
    const text = bodyText(body.subarray(0, MAX_RECORDED_BODY_BYTES));
    const ua = headers['user-agent'];
    const admitted = rate.admit(ctx.emitter.identity.src_ip);
    if (admitted) ctx.emitter.emit('http.request', {
      method,
      path,
      ...(query !== undefined ? { query } : {}),
      headers,
      ...(ua !== undefined ? { user_agent: ua } : {}),
      body_size: bodySize,
      ...(bodySha ? { body_sha256: bodySha } : {}),
      ...(text ? { body: text } : {}),
      ...(incomplete ? { incomplete } : {}),
      ...(dropped ? { body_dropped: true } : {}),
    });
    // An absolute-form target asks this server to act as a proxy: recorded as such, never fetched.
    const t = parseTarget(target);
    if (t.form === 'absolute') {
      const { host, port } = splitHostPort(t.authority);
      const targetPort = port ?? SCHEME_PORTS[t.scheme.toLowerCase()];
      const targetHost = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
      if (targetHost !== '' && targetPort !== undefined && targetPort >= 1 && targetPort <= 65535) ctx.emitter.emit('tunnel.request', { target_host: targetHost.slice(0, 255), target_port: targetPort });
    }

    const inspection = inspectRequest({ method, target, headers, body: bodyText(body) });
    for (const f of inspection.findings) ctx.emitter.emit('exploit.attempt', { name: f.name, ...(f.cve ? { cve: f.cve } : {}), ...(f.detail ? { detail: f.detail } : {}) });
    if (admitted && inspection.urls.length > 0) {
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

  function respond(req: IncomingMessage, res: ServerResponse, ctx: ConnectionContext, body: Buffer, bodySize: number, bodySha: string | undefined, dropped: boolean): void {
    const head = requestHead(req);
    const basicOk = record(head, ctx, body, bodySize, bodySha, dropped);
    const { method, path, query, headers } = head;
    const pre = preflight(head, req.httpVersion, hostValues(req.rawHeaders), req.socket instanceof TLSSocket, ctx.socket.localPort ?? 80);
    const host = pageHost(headers.host, cfg.server_name);
    const session = cookieValue(headers.cookie, site.cookie);
    const pctx: PageContext = { host, authed: session !== undefined && sessions.has(session), query: new URLSearchParams(query ?? '') };
    const page = pre.page ?? route(method, pre.verdict, path, body, pctx, ctx, basicOk);
    lastResponse.set(req.socket, res);
    send(responder, req, res, page, pre.host, pre.port);
  }

  function remember(user: string): string {
    const id = randomBytes(16).toString('hex');
    makeRoom(sessions, MAX_SESSIONS);
    sessions.set(id, user);
    return id;
  }

  /**
   * The page for a request that passed preflight. VERDICT says what the product does with its method:
   * Apache refuses TRACE (TraceEnable Off), methods its static handler does not do (405) and methods
   * it does not know (501), all with Allow; nginx refuses TRACE at once and other methods where there
   * is a page (try_files answers 404 first where there is none).
   */
  function route(method: string, verdict: MethodVerdict, rawPath: string, body: Buffer, pctx: PageContext, ctx: ConnectionContext, basicOk: boolean): Page {
    const allow: [string, string] = ['Allow', 'GET,POST,OPTIONS,HEAD'];
    // Apache resolves the path before anything else looks at the request, then refuses TRACE, then
    // denies .ht* files (Debian's apache2.conf) whatever the method.
    let path = rawPath;
    if (product.name === 'apache' && path !== '*') {
      const resolved = apachePath(path);
      if ('status' in resolved) return { status: resolved.status, body: '' };
      path = resolved.path;
    }
    if (verdict === 'trace') return { status: 405, body: '', headers: product.name === 'apache' ? [['Allow', '']] : [] };
    if (product.name === 'apache' && /^\/\.ht[^/]*$/.test(path)) return { status: 403, body: '' };
    if (verdict === 'unknown') return { status: 501, body: '', headers: [allow] };
    if (verdict === 'refused' && product.name === 'apache') return { status: 405, body: '', headers: [allow] };
    if (site.basicRealm && !basicOk) {
      return { status: 401, body: '', headers: [['WWW-Authenticate', `Basic realm="${site.basicRealm}"`]] };
    }
    if (verdict === 'options') return { status: 200, type: 'text/html', body: '', headers: [allow] };
    const trap = trapPage(path, secrets, pctx.host.replace(/:\d+$/, ''), product.server);
    const servedTrap = trap && (path !== '/server-status' || product.name === 'apache') ? trap : undefined;
    if (verdict === 'refused') {
      const exists = servedTrap !== undefined || (site.form !== undefined && path === site.form.path) || (site.page(path, pctx) ?? serverPage(product, path)) !== undefined;
      return { status: exists ? 405 : 404, body: '' };
    }
    if (servedTrap) return servedTrap;
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
    const page = site.page(path, pctx) ?? serverPage(product, path);
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
              recordTlsFailure(ctx, err);
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
