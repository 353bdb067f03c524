// How each product reads a request's target, Host header and method before it routes the request:
// absolute-form targets (RFC 9112 3.2.2, as proxy scanners send them), the HTTP/1.1 Host rule, and
// which methods it serves, refuses (405) or does not know (501). Pure functions over attacker text:
// character loops, no regular expressions with nested quantifiers, and inputs already length-capped.
import type { ProductName } from './products.js';

/** Longest request head (request line and headers) read by hand for a method Node's parser rejects. */
export const MAX_RAW_HEAD_BYTES = 16 * 1024;

/**
 * A request target as sent: origin-form `/path?query`, absolute-form `scheme://authority/path?query`,
 * asterisk-form `*` (OPTIONS), or something else (authority-form outside CONNECT, garbage).
 */
export type Target =
  | { form: 'origin'; path: string; query: string | undefined }
  | { form: 'absolute'; scheme: string; userinfo: boolean; authority: string; path: string; query: string | undefined }
  | { form: 'asterisk' }
  | { form: 'other' };

function splitQuery(s: string): { path: string; query: string | undefined } {
  const q = s.indexOf('?');
  return q < 0 ? { path: s, query: undefined } : { path: s.slice(0, q), query: s.slice(q + 1) };
}

const isAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** Reads the request target RAW (RFC 9112 3.2). */
export function parseTarget(raw: string): Target {
  if (raw.startsWith('/')) return { form: 'origin', ...splitQuery(raw) };
  if (raw === '*') return { form: 'asterisk' };
  const sep = raw.indexOf('://');
  if (sep <= 0) return { form: 'other' };
  const scheme = raw.slice(0, sep);
  for (let i = 0; i < scheme.length; i++) {
    const c = scheme.charCodeAt(i);
    if (!isAlpha(c) && !(i > 0 && (isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e))) return { form: 'other' };
  }
  const rest = raw.slice(sep + 3);
  let end = rest.length;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === '/' || c === '?') {
      end = i;
      break;
    }
  }
  let authority = rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0;
  if (userinfo) authority = authority.slice(at + 1);
  const tail = rest.slice(end);
  const { path, query } = splitQuery(tail.startsWith('?') ? `/${tail}` : tail || '/');
  return { form: 'absolute', scheme, userinfo, authority, path, query };
}

/** A host[:port] split; port is undefined when absent, NaN when not digits. */
export function splitHostPort(authority: string): { host: string; port: number | undefined } {
  let hostEnd = authority.length;
  let portStart = -1;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) return { host: authority, port: undefined };
    hostEnd = close + 1;
    if (authority.charAt(close + 1) === ':') portStart = close + 2;
    else if (close + 1 < authority.length) return { host: authority, port: Number.NaN };
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon >= 0) {
      hostEnd = colon;
      portStart = colon + 1;
    }
  }
  const host = authority.slice(0, hostEnd);
  if (portStart < 0) return { host, port: undefined };
  const digits = authority.slice(portStart);
  let ok = digits.length > 0 && digits.length <= 5;
  for (let i = 0; ok && i < digits.length; i++) ok = isDigit(digits.charCodeAt(i));
  return { host, port: ok ? Number(digits) : Number.NaN };
}

/**
 * The host an nginx virtual server would use (ngx_http_validate_host), lowercased, its trailing dot
 * dropped; undefined when nginx answers 400.
 */
export function nginxHost(value: string): string | undefined {
  let dot = false;
  let hostLen = value.length;
  let state: 'usual' | 'literal' | 'rest' = 'usual';
  let dotPos = -2;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x2e) {
      if (dot) return undefined;
      dot = true;
      dotPos = i;
      continue;
    }
    dot = false;
    if (c === 0x3a && state === 'usual') {
      hostLen = i;
      state = 'rest';
    } else if (c === 0x5b && i === 0) state = 'literal';
    else if (c === 0x5d && state === 'literal') {
      hostLen = i + 1;
      state = 'rest';
    } else if (c === 0x2f || c <= 0x20 || c === 0x7f) return undefined;
  }
  if (dotPos === hostLen - 1) hostLen--;
  return hostLen <= 0 ? undefined : value.slice(0, hostLen).toLowerCase();
}

/**
 * The host and port Apache takes from a Host value (fix_hostname with HttpProtocolOptions Strict):
 * letters, digits, '-', '_' and single dots, or a bracketed IPv6 literal; a numeric port. Lowercased,
 * trailing dots dropped; undefined when Apache answers 400.
 */
export function apacheHost(value: string): { host: string; port: number | undefined } | undefined {
  const { host, port } = splitHostPort(value);
  if (Number.isNaN(port)) return undefined;
  if (host.startsWith('[')) {
    if (!host.endsWith(']') || host.length < 4) return undefined;
    for (let i = 1; i < host.length - 1; i++) {
      const c = host.charCodeAt(i);
      if (!isDigit(c) && !(c >= 0x61 && c <= 0x66) && !(c >= 0x41 && c <= 0x46) && c !== 0x3a && c !== 0x2e) return undefined;
    }
    return { host: host.slice(1, -1).toLowerCase(), port };
  }
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (isAlpha(c) || isDigit(c) || c === 0x2d || c === 0x5f) continue;
    if (c === 0x2e && host.charCodeAt(i + 1) !== 0x2e) continue;
    return undefined;
  }
  let end = host.length;
  while (end > 0 && host.charCodeAt(end - 1) === 0x2e) end--;
  return end === 0 ? undefined : { host: host.slice(0, end).toLowerCase(), port };
}

/** What a product makes of a request before routing it: 400, or the host and port its pages name. */
export type HeadVerdict =
  | { ok: false; status: 400; host: string | undefined; port: number | undefined; text?: string }
  | { ok: true; host: string | undefined; port: number | undefined; path: string; query: string | undefined; absolute: Target & { form: 'absolute' } | undefined };

export interface HeadFacts {
  method: string;
  target: string;
  httpVersion: string;
  /** Every Host header value sent, in order. */
  hosts: string[];
  /** Whether the connection is TLS (Apache takes the URI's host only for its own scheme). */
  tls: boolean;
}

/**
 * Checks a request head as PRODUCT does before routing: the Host rule of HTTP/1.1 (one valid Host),
 * the absolute-form target (the URI's host wins over Host), and the request target's form.
 */
export function checkHead(product: ProductName, h: HeadFacts): HeadVerdict {
  const t = parseTarget(h.target);
  const http11 = h.httpVersion !== '1.0' && h.httpVersion !== '0.9';
  if (product === 'mini_httpd') {
    // mini_httpd 1.19: a Host with '/' or a leading dot is refused; a target not starting with '/' is a "Bad filename.".
    const host = h.hosts[h.hosts.length - 1];
    if (host !== undefined && (host.includes('/') || host.startsWith('.'))) return { ok: false, status: 400, host: undefined, port: undefined };
    if (t.form !== 'origin') return { ok: false, status: 400, host: undefined, port: undefined, text: 'Bad filename.' };
    return { ok: true, host, port: undefined, path: t.path, query: t.query, absolute: undefined };
  }
  if (product === 'nginx') {
    let uriHost: string | undefined;
    if (t.form === 'absolute') {
      const { host, port } = splitHostPort(t.authority);
      uriHost = nginxHost(host);
      let letters = true;
      for (let i = 0; i < t.scheme.length; i++) letters &&= isAlpha(t.scheme.charCodeAt(i));
      if (!letters || t.userinfo || uriHost === undefined || Number.isNaN(port)) return { ok: false, status: 400, host: undefined, port: undefined };
    } else if (t.form !== 'origin') return { ok: false, status: 400, host: undefined, port: undefined };
    if (h.hosts.length > 1) return { ok: false, status: 400, host: undefined, port: undefined };
    const header = h.hosts[0];
    const headerHost = header === undefined ? undefined : nginxHost(header);
    if (header !== undefined && headerHost === undefined) return { ok: false, status: 400, host: undefined, port: undefined };
    if (http11 && header === undefined) return { ok: false, status: 400, host: undefined, port: undefined };
    return { ok: true, host: uriHost ?? headerHost, port: undefined, path: (t as { path: string }).path, query: (t as { query: string | undefined }).query, absolute: t.form === 'absolute' ? t : undefined };
  }
  // Apache: the URI's host when its scheme is the connection's own; its port whenever it has one;
  // otherwise the Host header's. HTTP/1.1 needs one valid Host even with an absolute target.
  let host: string | undefined;
  let port: number | undefined;
  if (t.form === 'absolute') {
    const scheme = t.scheme.toLowerCase();
    const parsed = apacheHost(t.authority);
    if ((scheme !== 'http' && scheme !== 'https') || t.userinfo || parsed === undefined) return { ok: false, status: 400, host: parsed?.host, port: parsed?.port };
    if (scheme === (h.tls ? 'https' : 'http')) host = parsed.host;
    port = parsed.port;
  } else if (t.form === 'other') return { ok: false, status: 400, host: undefined, port: undefined };
  else if (t.form === 'asterisk' && h.method !== 'OPTIONS') return { ok: false, status: 400, host: undefined, port: undefined };
  if (h.hosts.length > 1) return { ok: false, status: 400, host, port };
  const header = h.hosts[0];
  if (header !== undefined) {
    const parsed = apacheHost(header);
    if (parsed === undefined) return { ok: false, status: 400, host, port };
    if (host === undefined) {
      host = parsed.host;
      if (parsed.port !== undefined) port = parsed.port;
    }
  }
  if (http11 && header === undefined) return { ok: false, status: 400, host, port };
  if (t.form === 'asterisk') return { ok: true, host, port, path: '*', query: undefined, absolute: undefined };
  return { ok: true, host, port, path: t.path, query: t.query, absolute: t.form === 'absolute' ? t : undefined };
}

/** The methods Apache's core registers (ap_method_registry_init): others are 501 whatever the URL. */
const APACHE_METHODS = new Set(['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'VERSION-CONTROL', 'CHECKOUT', 'UNCHECKOUT', 'CHECKIN', 'UPDATE', 'LABEL', 'REPORT', 'MKWORKSPACE', 'MKACTIVITY', 'BASELINE-CONTROL', 'MERGE']);

/** RFC 9110 tchar. */
function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isAlpha(c) || isDigit(c) || "!#$%&'*+-.^_`|~".includes(s.charAt(i))) continue;
    return false;
  }
  return true;
}

/**
 * How PRODUCT treats METHOD: served as GET/HEAD/POST, OPTIONS (Apache answers it), refused with 405
 * (TRACE, or a method the static handler does not do), unknown (501), or not even a method (400).
 * `refused` for nginx becomes 404 where there is no page, as try_files decides before the handler.
 */
export type MethodVerdict = 'serve' | 'options' | 'trace' | 'refused' | 'unknown' | 'malformed';

export function methodVerdict(product: ProductName, method: string): MethodVerdict {
  if (product === 'mini_httpd') {
    const m = method.toUpperCase();
    return m === 'GET' || m === 'HEAD' || m === 'POST' ? 'serve' : 'unknown';
  }
  if (product === 'nginx') {
    for (let i = 0; i < method.length; i++) {
      const c = method.charCodeAt(i);
      if (!(c >= 0x41 && c <= 0x5a) && c !== 0x5f && c !== 0x2d) return 'malformed';
    }
    if (method.length === 0) return 'malformed';
    if (method === 'GET' || method === 'HEAD' || method === 'POST') return 'serve';
    return method === 'TRACE' ? 'trace' : 'refused';
  }
  if (!isToken(method)) return 'malformed';
  if (method === 'GET' || method === 'HEAD' || method === 'POST') return 'serve';
  if (method === 'OPTIONS') return 'options';
  if (method === 'TRACE') return 'trace';
  return APACHE_METHODS.has(method) ? 'refused' : 'unknown';
}

/** A request head read by hand (for a method Node's parser rejects): request line and headers. */
export interface RawHead {
  method: string;
  target: string;
  httpVersion: string;
  /** Name, value, name, value... as Node's rawHeaders. */
  rawHeaders: string[];
}

/**
 * Finds the end of a request head in BUF (the index after its blank line), or -1 while it is incomplete.
 * Accepts CRLF or bare LF line ends, as the servers do.
 */
export function headEnd(buf: Buffer): number {
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    if (buf[i + 1] === 0x0a) return i + 2;
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

/**
 * Decodes a request head (RFC 9112 3 and 5): `method SP target SP HTTP/x.y` then `name: value`
 * lines. Bytes are read as Latin-1 so nothing throws; undefined when the request line is unusable.
 */
export function decodeRawHead(buf: Buffer, maxHeaders: number): RawHead | undefined {
  const text = buf.subarray(0, MAX_RAW_HEAD_BYTES).toString('latin1');
  const lines = text.split('\n', maxHeaders + 2).map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const parts = (lines[0] ?? '').split(' ').filter((p) => p !== '');
  if (parts.length !== 3 || !parts[2]!.startsWith('HTTP/')) return undefined;
  const rawHeaders: string[] = [];
  for (const line of lines.slice(1)) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    rawHeaders.push(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return { method: parts[0]!.slice(0, 32), target: parts[1]!, httpVersion: parts[2]!.slice(5, 8), rawHeaders };
}

const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
/** RFC 3986 unreserved characters, which Apache decodes before it resolves dot segments. */
const isUnreserved = (c: number): boolean => isAlpha(c) || isDigit(c) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;

/**
 * The path Apache 2.4 maps to a file, from an origin-form PATH (no query): ap_normalize_path with
 * its default flags (decode unreserved %XX, merge slashes, resolve `.` and `..`, never above the
 * root), then ap_unescape_url. 400 for a malformed escape or a path that climbs above the root;
 * 404 for an escaped '/' (AllowEncodedSlashes Off) or NUL.
 */
export function apachePath(path: string): { status: 400 | 404 } | { path: string } {
  const segs: string[] = [];
  let seg = '';
  const close = (last: boolean): boolean => {
    if (seg === '..') {
      if (segs.length === 0) return false;
      segs.pop();
      if (last) segs.push('');
    } else if (seg === '.') {
      if (last) segs.push('');
    } else if (seg !== '' || last) segs.push(seg);
    seg = '';
    return true;
  };
  for (let i = 1; i < path.length; i++) {
    let c = path.charCodeAt(i);
    if (c === 0x25) {
      if (!isHex(path.charCodeAt(i + 1)) || !isHex(path.charCodeAt(i + 2))) return { status: 400 };
      const decoded = parseInt(path.slice(i + 1, i + 3), 16);
      if (isUnreserved(decoded)) {
        c = decoded;
        i += 2;
      } else {
        seg += path.slice(i, i + 3).toUpperCase();
        i += 2;
        continue;
      }
    }
    if (c === 0x2f) {
      if (!close(false)) return { status: 400 };
    } else seg += String.fromCharCode(c);
  }
  if (!close(true)) return { status: 400 };
  const normal = `/${segs.join('/')}`;
  // The rest of the escapes, as the file mapper reads them.
  let out = '';
  for (let i = 0; i < normal.length; i++) {
    if (normal.charCodeAt(i) !== 0x25) {
      out += normal.charAt(i);
      continue;
    }
    const b = parseInt(normal.slice(i + 1, i + 3), 16);
    if (b === 0x2f || b === 0) return { status: 404 };
    out += String.fromCharCode(b);
    i += 2;
  }
  return { path: out };
}
