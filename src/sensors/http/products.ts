// The web servers the decoys pretend to be: their Server header, header order and error pages, byte
// for byte as Debian's Apache 2.4, Debian's nginx 1.22 and the mini_httpd of embedded routers send them.

export type ProductName = 'apache' | 'nginx' | 'mini_httpd';

export interface Product {
  name: ProductName;
  server: string;
  /** The error page for STATUS (its body) as the product writes it. */
  errorPage(status: number, ctx: { method: string; host: string; port: number }): string;
  /** Every response header in the product's order and spelling. TYPE undefined sends no Content-Type. */
  assemble(h: { date: string; extra: readonly [string, string][]; length: number; type: string | undefined; keep: boolean; keepAliveS: number; requestsLeft?: number }): [string, string][];
}

export const REASONS: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
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
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
};

/** HTML-escapes attacker text placed in a page. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

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
  500: () =>
    '<p>The server encountered an internal error or\nmisconfiguration and was unable to complete\nyour request.</p>\n<p>Please contact the server administrator at \n webmaster@localhost to inform them of the time this error occurred,\n and the actions you performed just before this error.</p>\n<p>More information about this error may be available\nin the server error log.</p>',
  501: (m) => `<p>${escapeHtml(m)} not supported for current URL.<br />\n</p>`,
};

export function apache(version = 'Apache/2.4.62 (Debian)'): Product {
  return {
    name: 'apache',
    server: version,
    errorPage(status, { method, host, port }) {
      const reason = REASONS[status] ?? 'Error';
      const title = status === 501 ? 'Method Not Implemented' : reason;
      const message = (APACHE_MESSAGES[status] ?? APACHE_MESSAGES[500]!)(method);
      const address = `<address>${version} Server at ${escapeHtml(host)} Port ${port}</address>`;
      return `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>${status} ${title}</title>\n</head><body>\n<h1>${title}</h1>\n${message}\n<hr>\n${address}\n</body></html>\n`;
    },
    // Apache: Date, Server, module headers, Content-Length, Keep-Alive, Connection, Content-Type.
    // Keep-Alive's max counts down the requests left on the connection (MaxKeepAliveRequests 100).
    assemble: ({ date, extra, length, type, keep, keepAliveS, requestsLeft = 100 }) => [
      ['Date', date],
      ['Server', version],
      ...extra,
      ['Content-Length', String(length)],
      ...((keep ? [['Keep-Alive', `timeout=${keepAliveS}, max=${requestsLeft}`], ['Connection', 'Keep-Alive']] : [['Connection', 'close']]) as [string, string][]),
      ...(type ? [['Content-Type', type] as [string, string]] : []),
    ],
  };
}

export function nginx(version = 'nginx/1.22.1'): Product {
  return {
    name: 'nginx',
    server: version,
    errorPage(status) {
      const reason = REASONS[status] ?? 'Error';
      return `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>${version}</center>\r\n</body>\r\n</html>\r\n`;
    },
    // nginx: Server, Date, Content-Type, Content-Length, Connection, then add_header/upstream headers.
    assemble: ({ date, extra, length, type, keep }) => [
      ['Server', version],
      ['Date', date],
      ['Content-Type', type ?? 'application/octet-stream'],
      ['Content-Length', String(length)],
      ['Connection', keep ? 'keep-alive' : 'close'],
      ...extra,
    ],
  };
}

export function miniHttpd(version = 'mini_httpd/1.19 19dec2003'): Product {
  const messages: Record<number, string> = {
    400: "Can't parse request.",
    401: 'Authorization required for the URL \'/\'.',
    403: 'You do not have permission to get this URL.',
    404: 'File not found.',
    501: "That method is not implemented.",
  };
  return {
    name: 'mini_httpd',
    server: version,
    errorPage(status) {
      const reason = REASONS[status] ?? 'Error';
      return `<HTML><HEAD><TITLE>${status} ${reason}</TITLE></HEAD>\n<BODY BGCOLOR="#cc9999"><H4>${status} ${reason}</H4>\n${messages[status] ?? 'Something unusual went wrong.'}\n<HR>\n<ADDRESS><A HREF="http://www.acme.com/software/mini_httpd/">${version}</A></ADDRESS>\n</BODY></HTML>\n`;
    },
    // mini_httpd: Server, Date, extra, Content-Type, Content-Length, Connection: close (no keep-alive).
    assemble: ({ date, extra, length, type }) => [
      ['Server', version],
      ['Date', date],
      ...extra,
      ['Content-Type', type ?? 'text/plain; charset=iso-8859-1'],
      ['Content-Length', String(length)],
      ['Connection', 'close'],
    ],
  };
}
