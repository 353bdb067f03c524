// The web servers the decoys pretend to be: their Server header, status lines, header order and error
// pages, byte for byte as Debian's Apache 2.4, Debian's nginx 1.22 and the mini_httpd 1.19 of embedded
// routers send them. Captured from the real servers on loopback (Apache 2.4.71 and nginx 1.22.1 from
// Debian 12, mini_httpd 1.30 from Debian 12 for the layout, mini_httpd 1.19's source for its text).

export type ProductName = 'apache' | 'nginx' | 'mini_httpd';

/** What an error page may show of the request. */
export interface ErrorContext {
  method: string;
  host: string;
  port: number;
  userAgent?: string | undefined;
  /** The product's own sentence for this error when it has several for one status (mini_httpd). */
  text?: string | undefined;
}

/** The response head a product writes, before its headers are put in its order. */
export interface HeadParts {
  status: number;
  date: string;
  extra: readonly [string, string][];
  /** Content-Length; undefined sends none (mini_httpd's error pages, Apache's on HEAD, chunked bodies). */
  length: number | undefined;
  /** Content-Type; undefined sends none (Apache, for files of unknown type). */
  type: string | undefined;
  /** Whether the connection stays open after this response. */
  keep: boolean;
  /** Whether the client asked for keep-alive with a Connection: keep-alive token. */
  clientKeepAlive?: boolean;
  keepAliveS: number;
  /** Requests this connection may still make, this one included (Apache's Keep-Alive max). */
  requestsLeft?: number;
  /** Transfer-Encoding: chunked instead of Content-Length (Apache's 416 page). */
  chunked?: boolean;
}

export interface Product {
  name: ProductName;
  server: string;
  /** The reason phrase of the status line. */
  reason(status: number): string;
  /** The error page for STATUS (its body) as the product writes it. */
  errorPage(status: number, ctx: ErrorContext): string;
  /** Content-Type of the product's own error pages. */
  errorType: string;
  /** Every response header in the product's order and spelling. */
  assemble(h: HeadParts): [string, string][];
  /** The headers the product's static file handler adds for a file of SIZE bytes and TYPE last changed at MTIME. */
  fileHeaders(size: number, mtime: Date, type: string | undefined): [string, string][];
  /** Whether an answer with STATUS always ends the connection, whatever the client asked. */
  dropsConnection(status: number, method: string): boolean;
}

/** Apache's reason phrases (httpd 2.4 status_lines); also the fallback for the others. */
export const REASONS: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
  206: 'Partial Content',
  301: 'Moved Permanently',
  302: 'Found',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  411: 'Length Required',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  416: 'Requested Range Not Satisfiable',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** HTML-escapes attacker text placed in a page. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const httpDate = (d: Date): string => d.toUTCString();

const APACHE_MESSAGES: Record<number, (method: string) => string> = {
  400: () => '<p>Your browser sent a request that this server could not understand.<br />\n</p>',
  401: () =>
    "<p>This server could not verify that you\nare authorized to access the document\nrequested.  Either you supplied the wrong\ncredentials (e.g., bad password), or your\nbrowser doesn't understand how to supply\nthe credentials required.</p>",
  403: () => "<p>You don't have permission to access this resource.</p>",
  404: () => '<p>The requested URL was not found on this server.</p>',
  405: (m) => `<p>The requested method ${escapeHtml(m)} is not allowed for this URL.</p>`,
  408: () => '<p>Server timeout waiting for the HTTP request from the client.</p>',
  413: (m) => `The requested resource does not allow request data with ${escapeHtml(m)} requests, or the amount of data provided in\nthe request exceeds the capacity limit.`,
  414: () => '<p>The requested URL\'s length exceeds the capacity\nlimit for this server.<br />\n</p>',
  416: () => '<p>None of the range-specifier values in the Range\nrequest-header field overlap the current extent\nof the selected resource.</p>',
  500: () =>
    '<p>The server encountered an internal error or\nmisconfiguration and was unable to complete\nyour request.</p>\n<p>Please contact the server administrator at \n webmaster@localhost to inform them of the time this error occurred,\n and the actions you performed just before this error.</p>\n<p>More information about this error may be available\nin the server error log.</p>',
  501: (m) => `<p>${escapeHtml(m)} not supported for current URL.<br />\n</p>`,
};

/** Types Debian's mod_deflate compresses (AddOutputFilterByType in deflate.conf): they get Vary: Accept-Encoding. */
const DEFLATE_TYPES = ['text/html', 'text/plain', 'text/xml', 'text/css', 'text/javascript', 'application/javascript', 'application/ecmascript', 'application/rss+xml', 'application/wasm', 'application/xml'];

/** Headers Apache's modules set after the handler's Content-Length (mod_deflate's Vary, the byterange filter's Content-Range). */
const APACHE_LATE = new Set(['vary', 'content-range']);

export function apache(version = 'Apache/2.4.62 (Debian)'): Product {
  return {
    name: 'apache',
    server: version,
    reason: (status) => REASONS[status] ?? 'Unknown',
    errorType: 'text/html; charset=iso-8859-1',
    errorPage(status, { method, host, port }) {
      const reason = REASONS[status] ?? 'Error';
      const message = (APACHE_MESSAGES[status] ?? APACHE_MESSAGES[500]!)(method);
      const address = `<address>${version} Server at ${escapeHtml(host)} Port ${port}</address>`;
      return `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>${status} ${reason}</title>\n</head><body>\n<h1>${reason}</h1>\n${message}\n<hr>\n${address}\n</body></html>\n`;
    },
    // Date, Server, the handler's headers, Content-Length (or Transfer-Encoding), the late module
    // headers, Keep-Alive and Connection, Content-Type. Keep-Alive and Connection: Keep-Alive only
    // answer a client that sent a keep-alive token (ap_set_keepalive); max counts down from 100.
    assemble: ({ date, extra, length, type, keep, clientKeepAlive = false, keepAliveS, requestsLeft = 100, chunked = false }) => {
      const early = extra.filter(([k]) => !APACHE_LATE.has(k.toLowerCase()));
      const late = extra.filter(([k]) => APACHE_LATE.has(k.toLowerCase()));
      const connection: [string, string][] = !keep ? [['Connection', 'close']] : clientKeepAlive ? [['Keep-Alive', `timeout=${keepAliveS}, max=${requestsLeft}`], ['Connection', 'Keep-Alive']] : [];
      return [
        ['Date', date],
        ['Server', version],
        ...early,
        ...((chunked ? [['Transfer-Encoding', 'chunked']] : length === undefined ? [] : [['Content-Length', String(length)]]) as [string, string][]),
        ...late,
        ...connection,
        ...(type ? [['Content-Type', type] as [string, string]] : []),
      ];
    },
    // ETag: size and mtime in microseconds, hex (FileETag MTime Size).
    fileHeaders: (size, mtime, type) => [
      ['Last-Modified', httpDate(mtime)],
      ['ETag', `"${size.toString(16)}-${(mtime.getTime() * 1000).toString(16)}"`],
      ['Accept-Ranges', 'bytes'],
      ...(type !== undefined && DEFLATE_TYPES.includes(type.split(';')[0]!.trim().toLowerCase()) ? [['Vary', 'Accept-Encoding'] as [string, string]] : []),
    ],
    // ap_status_drops_connection.
    dropsConnection: (status) => [400, 408, 411, 413, 414, 500, 501, 503].includes(status),
  };
}

/** nginx's status lines (ngx_http_status_lines) where they differ from Apache's. */
const NGINX_REASONS: Record<number, string> = {
  302: 'Moved Temporarily',
  405: 'Not Allowed',
  408: 'Request Time-out',
  414: 'Request-URI Too Large',
  503: 'Service Temporarily Unavailable',
};

/** nginx's error page titles (ngx_http_error_pages) where they differ from its status lines. */
const NGINX_TITLES: Record<number, string> = {
  302: 'Found',
  401: 'Authorization Required',
};

export function nginx(version = 'nginx/1.22.1'): Product {
  const reason = (status: number): string => NGINX_REASONS[status] ?? REASONS[status] ?? 'Unknown';
  return {
    name: 'nginx',
    server: version,
    reason,
    errorType: 'text/html',
    errorPage(status) {
      const title = `${status} ${NGINX_TITLES[status] ?? reason(status)}`;
      return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>${version}</center>\r\n</body>\r\n</html>\r\n`;
    },
    // Server, Date, Content-Type, Content-Length, Last-Modified, Connection, then the rest
    // (ETag, Accept-Ranges, Content-Range, add_header and upstream headers) in their order.
    assemble: ({ date, extra, length, type, keep, chunked = false }) => {
      const modified = extra.filter(([k]) => k.toLowerCase() === 'last-modified');
      return [
        ['Server', version],
        ['Date', date],
        ['Content-Type', type ?? 'application/octet-stream'],
        ...((chunked ? [['Transfer-Encoding', 'chunked']] : length === undefined ? [] : [['Content-Length', String(length)]]) as [string, string][]),
        ...modified,
        ['Connection', keep ? 'keep-alive' : 'close'],
        ...extra.filter(([k]) => k.toLowerCase() !== 'last-modified'),
      ];
    },
    // ETag: mtime in seconds and size, hex (ngx_http_set_etag).
    fileHeaders: (size, mtime) => [
      ['Last-Modified', httpDate(mtime)],
      ['ETag', `"${Math.floor(mtime.getTime() / 1000).toString(16)}-${size.toString(16)}"`],
      ['Accept-Ranges', 'bytes'],
    ],
    // Parse errors (400) and TRACE (refused while reading the head) close; so do 413, 414, 500, 501.
    dropsConnection: (status, method) => [400, 413, 414, 500, 501].includes(status) || (status === 405 && method === 'TRACE'),
  };
}

/** mini_httpd 1.19's titles (the second argument of its send_error calls). */
const MINI_TITLES: Record<number, string> = { 200: 'Ok', 500: 'Internal Error' };
/** mini_httpd 1.19's sentence under each error title. */
const MINI_TEXTS: Record<number, string> = {
  400: "Can't parse request.",
  401: 'Authorization required.',
  403: 'File is protected.',
  404: 'File not found.',
  408: 'No request appeared within a reasonable time period.',
  500: 'Internal error.',
  501: 'That method is not implemented.',
};
const MSIE_PADDING = `<!--\n${'Padding so that MSIE deigns to show this error instead of its own canned one.\n'.repeat(6)}-->\n`;

export function miniHttpd(version = 'mini_httpd/1.19 19dec2003'): Product {
  const reason = (status: number): string => MINI_TITLES[status] ?? REASONS[status] ?? 'Unknown';
  return {
    name: 'mini_httpd',
    server: version,
    reason,
    // mini_httpd formats "text/html; charset=%s" for its error pages without filling in the charset.
    errorType: 'text/html; charset=%s',
    errorPage(status, { userAgent, text }) {
      const title = `${status} ${reason(status)}`;
      const msie = userAgent !== undefined && userAgent.includes('MSIE') ? MSIE_PADDING : '';
      return `<HTML>\n<HEAD><TITLE>${title}</TITLE></HEAD>\n<BODY BGCOLOR="#cc9999" TEXT="#000000" LINK="#2020ff" VLINK="#4040cc">\n<H4>${title}</H4>\n${text ?? MINI_TEXTS[status] ?? 'Something unusual went wrong.'}\n${msie}<HR>\n<ADDRESS><A HREF="http://www.acme.com/software/mini_httpd/">${version}</A></ADDRESS>\n</BODY>\n</HTML>\n`;
    },
    // add_headers(): Server, Date, Cache-Control on anything but 2xx and 3xx, the extra header,
    // Content-Type, Content-Length (never on error pages), Last-Modified, Connection: close. No keep-alive.
    assemble: ({ status, date, extra, length, type }) => {
      const modified = extra.filter(([k]) => k.toLowerCase() === 'last-modified');
      return [
        ['Server', version],
        ['Date', date],
        ...((status >= 200 && status < 400 ? [] : [['Cache-Control', 'no-cache,no-store']]) as [string, string][]),
        ...extra.filter(([k]) => k.toLowerCase() !== 'last-modified'),
        ['Content-Type', type ?? 'text/plain; charset=iso-8859-1'],
        ...(length === undefined ? [] : [['Content-Length', String(length)] as [string, string]]),
        ...modified,
        ['Connection', 'close'],
      ];
    },
    fileHeaders: (_size, mtime) => [['Last-Modified', httpDate(mtime)]],
    dropsConnection: () => true,
  };
}
