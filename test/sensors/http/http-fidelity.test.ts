// The HTTP sensor answers the requests scanners use to tell servers apart as the real servers do:
// HTTP/1.1 without Host, absolute-form (proxy) targets, unknown and refused methods, byte ranges.
// Raw sockets on 127.0.0.1 only. The expected bytes were captured from the real servers on loopback
// with the same requests (Debian 12's nginx 1.22.1-9+deb12u11 and apache2 2.4.71-1~deb12u1 with their
// default configs, mini_httpd 1.30 from Debian 12 for the layout) and adjusted only where the
// imitated version differs: Apache 2.4.62's error pages keep the HTML 2.0 doctype, and mini_httpd
// 1.19's page text comes from its source (send_error, add_headers). Date is left out of every comparison.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startApiaryProcess, type ApiaryProcess } from '../../helpers/apiary-process.js';
import { payloads } from '../../helpers/stored-events.js';

interface Reply {
  statusLine: string;
  names: string[];
  headers: Record<string, string>;
  body: Buffer;
  /** Whether the server closed the connection after the reply. */
  closed: boolean;
}

/** Sends RAW and reads one reply: to the close, or until the body announced by Content-Length (or a last chunk) is in. */
function exchange(port: number, raw: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no reply head: ${JSON.stringify(all.toString('latin1'))}`));
      const lines = all.subarray(0, end).toString('latin1').split('\r\n');
      const names: string[] = [];
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const c = l.indexOf(': ');
        const name = c < 0 ? l.replace(/:$/, '') : l.slice(0, c);
        names.push(name);
        headers[name.toLowerCase()] = c < 0 ? '' : l.slice(c + 2);
      }
      resolve({ statusLine: lines[0]!, names, headers, body: all.subarray(end + 4), closed });
    };
    const complete = (): boolean => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const head = all.subarray(0, end).toString('latin1');
      const len = /\r\nContent-Length: (\d+)/.exec(head);
      if (raw.startsWith('HEAD ')) return true;
      if (len) return all.length - end - 4 >= Number(len[1]);
      return /\r\nTransfer-Encoding: chunked/.test(head) && all.subarray(end).includes('\r\n0\r\n\r\n');
    };
    const timer = setTimeout(() => finish(false), 3000);
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      // Give a server that closes after its reply a moment to do so, so `closed` can be asserted.
      if (complete()) setTimeout(() => finish(s.readableEnded), 150);
    });
    s.on('end', () => finish(true));
    s.on('error', reject);
    s.write(Buffer.from(raw, 'latin1'));
  });
}

const NGINX_400 = '<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n';
const NGINX_404 = '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n';
const NGINX_405 = '<html>\r\n<head><title>405 Not Allowed</title></head>\r\n<body>\r\n<center><h1>405 Not Allowed</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n';
const NGINX_416 = '<html>\r\n<head><title>416 Requested Range Not Satisfiable</title></head>\r\n<body>\r\n<center><h1>416 Requested Range Not Satisfiable</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n';
const apachePage = (status: string, h1: string, message: string, host: string, port: number): string =>
  `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>${status}</title>\n</head><body>\n<h1>${h1}</h1>\n${message}\n<hr>\n<address>Apache/2.4.62 (Debian) Server at ${host} Port ${port}</address>\n</body></html>\n`;
const APACHE_400 = '<p>Your browser sent a request that this server could not understand.<br />\n</p>';
const APACHE_404 = '<p>The requested URL was not found on this server.</p>';
const APACHE_416 = '<p>None of the range-specifier values in the Range\nrequest-header field overlap the current extent\nof the selected resource.</p>';
const miniPage = (title: string, text: string): string =>
  `<HTML>\n<HEAD><TITLE>${title}</TITLE></HEAD>\n<BODY BGCOLOR="#cc9999" TEXT="#000000" LINK="#2020ff" VLINK="#4040cc">\n<H4>${title}</H4>\n${text}\n<HR>\n<ADDRESS><A HREF="http://www.acme.com/software/mini_httpd/">mini_httpd/1.19 19dec2003</A></ADDRESS>\n</BODY>\n</HTML>\n`;

const NGINX_ERROR = ['Server', 'Date', 'Content-Type', 'Content-Length', 'Connection'];
const APACHE_ERROR = ['Date', 'Server', 'Content-Length', 'Connection', 'Content-Type'];
const MINI_ERROR = ['Server', 'Date', 'Cache-Control', 'Content-Type', 'Connection'];

let apache: ApiaryProcess;
let nginx: ApiaryProcess;
let mini: ApiaryProcess;
let ap = 0;
let ng = 0;
let mh = 0;

before(async () => {
  apache = await startApiaryProcess({ sensor: 'http-fidelity-apache', services: { http: { listen: ['127.0.0.1:0'], site: 'apache-default' } } });
  nginx = await startApiaryProcess({ sensor: 'http-fidelity-nginx', services: { http: { listen: ['127.0.0.1:0'], site: 'nas-login' } } });
  mini = await startApiaryProcess({ sensor: 'http-fidelity-mini', services: { http: { listen: ['127.0.0.1:0'], site: 'router-login' } } });
  ap = apache.ports.http!;
  ng = nginx.ports.http!;
  mh = mini.ports.http!;
});

after(async () => {
  await Promise.all([apache?.stop(), nginx?.stop(), mini?.stop()]);
});

test('HTTP/1.1 without Host (or with two, or an empty one) is 400 with nginx and Apache; mini_httpd does not ask for Host', async () => {
  for (const raw of ['GET / HTTP/1.1\r\n\r\n', 'GET / HTTP/1.1\r\nHost:\r\n\r\n', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 'GET / HTTP/1.1\r\nHost: a b\r\n\r\n']) {
    const n = await exchange(ng, raw);
    assert.equal(n.statusLine, 'HTTP/1.1 400 Bad Request', raw);
    assert.deepEqual(n.names, NGINX_ERROR);
    assert.deepEqual([n.headers['content-type'], n.headers['content-length'], n.headers.connection], ['text/html', '157', 'close']);
    assert.equal(n.body.toString('latin1'), NGINX_400);
    assert.ok(n.closed);
    const a = await exchange(ap, raw);
    assert.equal(a.statusLine, 'HTTP/1.1 400 Bad Request', raw);
    assert.deepEqual(a.names, APACHE_ERROR);
    assert.equal(a.headers.connection, 'close');
    assert.equal(a.headers['content-type'], 'text/html; charset=iso-8859-1');
    assert.equal(a.body.toString('latin1'), apachePage('400 Bad Request', 'Bad Request', APACHE_400, 'www.localdomain', ap));
  }
  // HEAD: Apache leaves Content-Length off its error page, nginx keeps it.
  const ah = await exchange(ap, 'HEAD / HTTP/1.1\r\n\r\n');
  assert.deepEqual(ah.names, ['Date', 'Server', 'Connection', 'Content-Type']);
  const nh = await exchange(ng, 'HEAD / HTTP/1.1\r\n\r\n');
  assert.deepEqual(nh.names, NGINX_ERROR);
  // HTTP/1.0 needs no Host.
  assert.equal((await exchange(ng, 'GET / HTTP/1.0\r\n\r\n')).statusLine, 'HTTP/1.1 200 OK');
  assert.equal((await exchange(ap, 'GET / HTTP/1.0\r\n\r\n')).statusLine, 'HTTP/1.1 200 OK');
  // mini_httpd 1.19 never looks for Host: the router's Basic login answers, in mini_httpd's own layout.
  const m = await exchange(mh, 'GET / HTTP/1.1\r\n\r\n');
  assert.equal(m.statusLine, 'HTTP/1.1 401 Unauthorized');
  assert.deepEqual(m.names, ['Server', 'Date', 'Cache-Control', 'WWW-Authenticate', 'Content-Type', 'Connection']);
  assert.equal(m.headers['content-type'], 'text/html; charset=%s');
  assert.equal(m.body.toString('latin1'), miniPage('401 Unauthorized', 'Authorization required.'));
});

test('absolute-form targets are served as local paths (the URI host wins), recorded by path and as a proxy request, never fetched', async () => {
  const n = await exchange(ng, 'GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n');
  assert.equal(n.statusLine, 'HTTP/1.1 200 OK');
  assert.match(n.body.toString('utf8'), /Synology&nbsp;DiskStation/);
  const nNoHost = await exchange(ng, 'GET http://example.com/ HTTP/1.1\r\n\r\n');
  assert.equal(nNoHost.statusLine, 'HTTP/1.1 400 Bad Request');
  assert.equal(nNoHost.body.toString('latin1'), NGINX_400);
  const nUser = await exchange(ng, 'GET http://u:p@example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n');
  assert.equal(nUser.statusLine, 'HTTP/1.1 400 Bad Request');
  const nMissing = await exchange(ng, 'GET https://example.com:443/x?y=1 HTTP/1.1\r\nHost: example.com\r\n\r\n');
  assert.equal(nMissing.statusLine, 'HTTP/1.1 404 Not Found');
  assert.deepEqual(nMissing.names, NGINX_ERROR);
  assert.equal(nMissing.headers.connection, 'keep-alive');
  assert.equal(nMissing.body.toString('latin1'), NGINX_404);

  // Apache names the URI's host when the scheme is its own, and the URI's port whenever it has one.
  const a = await exchange(ap, 'GET http://Example.COM/nothing HTTP/1.1\r\nHost: other.test\r\n\r\n');
  assert.equal(a.statusLine, 'HTTP/1.1 404 Not Found');
  assert.deepEqual(a.names, ['Date', 'Server', 'Content-Length', 'Content-Type']);
  assert.equal(a.body.toString('latin1'), apachePage('404 Not Found', 'Not Found', APACHE_404, 'example.com', ap));
  const aTls = await exchange(ap, 'GET https://example.com:443/nothing HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(aTls.body.toString('latin1'), apachePage('404 Not Found', 'Not Found', APACHE_404, 'x', 443));
  const aFtp = await exchange(ap, 'GET ftp://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n');
  assert.equal(aFtp.statusLine, 'HTTP/1.1 400 Bad Request');
  assert.equal(aFtp.body.toString('latin1'), apachePage('400 Bad Request', 'Bad Request', APACHE_400, 'example.com', ap));
  const aHostPort = await exchange(ap, 'GET /nothing HTTP/1.1\r\nHost: Example.COM:9999\r\n\r\n');
  assert.equal(aHostPort.body.toString('latin1'), apachePage('404 Not Found', 'Not Found', APACHE_404, 'example.com', 9999));
  const aPage = await exchange(ap, 'GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n');
  assert.equal(aPage.statusLine, 'HTTP/1.1 200 OK');
  assert.match(aPage.body.toString('utf8'), /Apache2 Debian Default Page/);

  // mini_httpd 1.19: a target not starting with '/' is a "Bad filename." (it would echo HTTP/1.0 in the
  // status line; Node's response writer always says HTTP/1.1, a difference left as it is).
  const m = await exchange(mh, 'GET http://example.com/ HTTP/1.0\r\n\r\n');
  assert.equal(m.statusLine, 'HTTP/1.1 400 Bad Request');
  assert.deepEqual(m.names, MINI_ERROR);
  assert.equal(m.body.toString('latin1'), miniPage('400 Bad Request', 'Bad filename.'));

  await apache.stop();
  const reqs = await payloads<{ method: string; path: string; query?: string }>(apache.dir, 'http.request');
  const proxied = reqs.filter((r) => r.path === '/nothing');
  assert.ok(proxied.length >= 3, JSON.stringify(reqs));
  const tunnels = await payloads<{ target_host: string; target_port: number }>(apache.dir, 'tunnel.request');
  assert.deepEqual(
    tunnels.map((t) => `${t.target_host}:${t.target_port}`),
    ['Example.COM:80', 'example.com:443', 'example.com:21', 'example.com:80'],
  );
  apache = await startApiaryProcess({ sensor: 'http-fidelity-apache', services: { http: { listen: ['127.0.0.1:0'], site: 'apache-default' } } });
  ap = apache.ports.http!;
});

test('unknown and refused methods: nginx 405 "Not Allowed" (404 where there is no page, 400 for a lowercase one), Apache 501/405 with Allow, mini_httpd 501', async () => {
  for (const m of ['FOO', 'DELETE', 'PUT', 'PROPFIND', 'OPTIONS', 'M-SEARCH', 'TRACE']) {
    const n = await exchange(ng, `${m} / HTTP/1.1\r\nHost: example.com\r\n\r\n`);
    assert.equal(n.statusLine, 'HTTP/1.1 405 Not Allowed', m);
    assert.deepEqual(n.names, NGINX_ERROR);
    assert.equal(n.body.toString('latin1'), NGINX_405);
  }
  // nginx keeps the connection after a 405 from the static handler, closes after TRACE.
  assert.equal((await exchange(ng, 'DELETE / HTTP/1.1\r\nHost: example.com\r\n\r\n')).headers.connection, 'keep-alive');
  assert.equal((await exchange(ng, 'TRACE / HTTP/1.1\r\nHost: example.com\r\n\r\n')).headers.connection, 'close');
  const n404 = await exchange(ng, 'DELETE /nothing HTTP/1.1\r\nHost: example.com\r\n\r\n');
  assert.equal(n404.statusLine, 'HTTP/1.1 404 Not Found');
  assert.equal(n404.body.toString('latin1'), NGINX_404);
  assert.equal((await exchange(ng, 'FOO /nothing HTTP/1.1\r\nHost: example.com\r\n\r\n')).statusLine, 'HTTP/1.1 404 Not Found');
  for (const m of ['get', 'FO1O']) assert.equal((await exchange(ng, `${m} / HTTP/1.1\r\nHost: example.com\r\n\r\n`)).body.toString('latin1'), NGINX_400, m);
  assert.equal((await exchange(ng, 'FOO / HTTP/1.1\r\n\r\n')).statusLine, 'HTTP/1.1 400 Bad Request', 'Host is checked first');

  for (const [m, path] of [['FOO', '/'], ['FOO', '/nothing'], ['get', '/'], ['DEBUG', '/']] as const) {
    const a = await exchange(ap, `${m} ${path} HTTP/1.1\r\nHost: example.com\r\n\r\n`);
    assert.equal(a.statusLine, 'HTTP/1.1 501 Not Implemented', m);
    assert.deepEqual(a.names, ['Date', 'Server', 'Allow', 'Content-Length', 'Connection', 'Content-Type']);
    assert.equal(a.headers.allow, 'GET,POST,OPTIONS,HEAD');
    assert.equal(a.headers.connection, 'close');
    assert.equal(a.body.toString('latin1'), apachePage('501 Not Implemented', 'Not Implemented', `<p>${m} not supported for current URL.<br />\n</p>`, 'example.com', ap));
    assert.ok(a.closed);
  }
  for (const [m, path, allow] of [['DELETE', '/', 'GET,POST,OPTIONS,HEAD'], ['PUT', '/nothing', 'GET,POST,OPTIONS,HEAD'], ['PROPFIND', '/', 'GET,POST,OPTIONS,HEAD'], ['TRACE', '/', '']] as const) {
    const a = await exchange(ap, `${m} ${path} HTTP/1.1\r\nHost: example.com\r\n\r\n`);
    assert.equal(a.statusLine, 'HTTP/1.1 405 Method Not Allowed', m);
    assert.deepEqual(a.names, ['Date', 'Server', 'Allow', 'Content-Length', 'Content-Type']);
    assert.equal(a.headers.allow, allow);
    assert.equal(a.body.toString('latin1'), apachePage('405 Method Not Allowed', 'Method Not Allowed', `<p>The requested method ${m} is not allowed for this URL.</p>`, 'example.com', ap));
  }
  const aBad = await exchange(ap, 'F@O / HTTP/1.1\r\nHost: example.com\r\n\r\n');
  assert.equal(aBad.statusLine, 'HTTP/1.1 400 Bad Request');

  for (const m of ['FOO', 'DELETE', 'OPTIONS', 'TRACE']) {
    const r = await exchange(mh, `${m} / HTTP/1.1\r\nHost: example.com\r\n\r\n`);
    assert.equal(r.statusLine, 'HTTP/1.1 501 Not Implemented', m);
    assert.deepEqual(r.names, MINI_ERROR);
    assert.equal(r.body.toString('latin1'), miniPage('501 Not Implemented', 'That method is not implemented.'));
  }
  // mini_httpd compares methods without case: a lowercase get is a GET (here, the router's login).
  assert.equal((await exchange(mh, 'get / HTTP/1.1\r\n\r\n')).statusLine, 'HTTP/1.1 401 Unauthorized');

  // A method Node's own parser rejects is still recorded, with its headers.
  await exchange(ng, 'FOO /probe?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: fidelity-test\r\n\r\n');
  await nginx.stop();
  const reqs = await payloads<{ method: string; path: string; query?: string; user_agent?: string }>(nginx.dir, 'http.request');
  assert.ok(reqs.some((r) => r.method === 'FOO' && r.path === '/probe' && r.query === 'x=1' && r.user_agent === 'fidelity-test'), JSON.stringify(reqs.slice(-3)));
  nginx = await startApiaryProcess({ sensor: 'http-fidelity-nginx', services: { http: { listen: ['127.0.0.1:0'], site: 'nas-login' } } });
  ng = nginx.ports.http!;
});

test('Apache resolves the path as Debian 12\'s apache2 does: dot segments and escapes, 400 above the root, .ht* and /icons/ forbidden', async () => {
  // Statuses captured from apache2 2.4.71-1~deb12u1 with Debian's default config, the same requests.
  const cases: [string, string, string][] = [
    ['GET', '/index%2ehtml', '200 OK'],
    ['GET', '/icons/../index.html', '200 OK'],
    ['GET', '/a/%2e%2e/index.html', '200 OK'],
    ['GET', '/./index.html', '200 OK'],
    ['GET', '//index.html', '200 OK'],
    ['GET', '/a/..', '200 OK'],
    ['GET', '/%2e%2e/index.html', '400 Bad Request'],
    ['GET', '/../../../../etc/passwd', '400 Bad Request'],
    ['GET', '/.%2e/', '400 Bad Request'],
    ['GET', '/a/../..', '400 Bad Request'],
    ['GET', '/%zz', '400 Bad Request'],
    ['GET', '/%', '400 Bad Request'],
    ['FOOBAR', '/../x', '400 Bad Request'],
    ['TRACE', '/../x', '400 Bad Request'],
    ['OPTIONS', '/../', '400 Bad Request'],
    ['GET', '/a%2f..%2findex.html', '404 Not Found'],
    ['GET', '/index.html%00', '404 Not Found'],
    ['GET', '/index.html/', '404 Not Found'],
    ['GET', '/.htaccess', '403 Forbidden'],
    ['GET', '/.htpasswd', '403 Forbidden'],
    ['GET', '/.ht', '403 Forbidden'],
    ['GET', '/.htaccess.bak', '403 Forbidden'],
    ['HEAD', '/.htaccess', '403 Forbidden'],
    ['POST', '/.htaccess', '403 Forbidden'],
    ['PUT', '/.htaccess', '403 Forbidden'],
    ['FOOBAR', '/.htaccess', '403 Forbidden'],
    ['OPTIONS', '/.htaccess', '403 Forbidden'],
    ['TRACE', '/.htaccess', '405 Method Not Allowed'],
    ['GET', '/.HTACCESS', '404 Not Found'],
    ['GET', '/icons/', '403 Forbidden'],
    ['GET', '/icons/small/', '403 Forbidden'],
    ['GET', '/icons', '404 Not Found'],
    ['FOOBAR', '/icons/', '501 Not Implemented'],
    ['OPTIONS', '/icons/', '200 OK'],
  ];
  for (const [m, path, status] of cases) {
    const body = m === 'POST' || m === 'PUT' ? 'Content-Length: 0\r\n' : '';
    const r = await exchange(ap, `${m} ${path} HTTP/1.1\r\nHost: example.com\r\n${body}\r\n`);
    assert.equal(r.statusLine, `HTTP/1.1 ${status}`, `${m} ${path}`);
  }
  const bad = await exchange(ap, 'GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: example.com\r\n\r\n');
  assert.equal(bad.body.toString('latin1'), apachePage('400 Bad Request', 'Bad Request', APACHE_400, 'example.com', ap));
  assert.ok(bad.closed);
  const forbidden = await exchange(ap, 'GET /.htaccess HTTP/1.1\r\nHost: example.com\r\n\r\n');
  assert.equal(forbidden.body.toString('latin1'), apachePage('403 Forbidden', 'Forbidden', "<p>You don't have permission to access this resource.</p>", 'example.com', ap));
  assert.deepEqual(forbidden.names, ['Date', 'Server', 'Content-Length', 'Content-Type']);
});

test('byte ranges on static files: 206 with Content-Range or multipart, 416 when none fits, the whole file when the header is bad', async () => {
  const full = await exchange(ap, 'GET / HTTP/1.1\r\nHost: example.com\r\n\r\n');
  const page = full.body;
  // Apache: its order puts Content-Range after mod_deflate's Vary; Keep-Alive only answers a client that asked.
  assert.deepEqual(full.names, ['Date', 'Server', 'Last-Modified', 'ETag', 'Accept-Ranges', 'Content-Length', 'Vary', 'Content-Type']);
  const one = await exchange(ap, 'GET / HTTP/1.1\r\nHost: example.com\r\nRange: bytes=0-10\r\nConnection: keep-alive\r\n\r\n');
  assert.equal(one.statusLine, 'HTTP/1.1 206 Partial Content');
  assert.deepEqual(one.names, ['Date', 'Server', 'Last-Modified', 'ETag', 'Accept-Ranges', 'Content-Length', 'Vary', 'Content-Range', 'Keep-Alive', 'Connection', 'Content-Type']);
  assert.deepEqual([one.headers['content-range'], one.headers['content-length'], one.headers['keep-alive'], one.headers.connection], [`bytes 0-10/${page.length}`, '11', 'timeout=5, max=100', 'Keep-Alive']);
  assert.deepEqual(one.body, page.subarray(0, 11));
  const merged = await exchange(ap, 'GET / HTTP/1.1\r\nHost: example.com\r\nRange: bytes=0-1,1-2\r\n\r\n');
  assert.equal(merged.headers['content-range'], `bytes 0-2/${page.length}`, 'Apache merges overlapping ranges');
  const multi = await exchange(ap, 'GET / HTTP/1.1\r\nHost: example.com\r\nRange: bytes=0-1,5-6\r\n\r\n');
  assert.deepEqual(multi.names, ['Date', 'Server', 'Last-Modified', 'ETag', 'Accept-Ranges', 'Content-Length', 'Vary', 'Content-Type']);
  const b = /^multipart\/byteranges; boundary=([0-9a-f]{1,16})$/.exec(multi.headers['content-type'] ?? '')?.[1];
  assert.ok(b, multi.headers['content-type']);
  const expected = `\r\n--${b}\r\nContent-type: text/html\r\nContent-range: bytes 0-1/${page.length}\r\n\r\n${page.subarray(0, 2).toString('latin1')}\r\n--${b}\r\nContent-type: text/html\r\nContent-range: bytes 5-6/${page.length}\r\n\r\n${page.subarray(5, 7).toString('latin1')}\r\n--${b}--\r\n`;
  assert.equal(multi.body.toString('latin1'), expected);
  const none = await exchange(ap, 'GET / HTTP/1.1\r\nHost: example.com\r\nRange: bytes=20000-\r\n\r\n');
  assert.equal(none.statusLine, 'HTTP/1.1 416 Requested Range Not Satisfiable');
  assert.deepEqual(none.names, ['Date', 'Server', 'Transfer-Encoding', 'Content-Type']);
  const page416 = apachePage('416 Requested Range Not Satisfiable', 'Requested Range Not Satisfiable', APACHE_416, 'example.com', ap);
  assert.equal(none.body.toString('latin1'), `${Buffer.byteLength(page416).toString(16)}\r\n${page416}\r\n0\r\n\r\n`);
  for (const bad of ['bytes=5-2', 'bytes=abc', 'items=0-1']) assert.equal((await exchange(ap, `GET / HTTP/1.1\r\nHost: example.com\r\nRange: ${bad}\r\n\r\n`)).statusLine, 'HTTP/1.1 200 OK', bad);

  // nginx, on a static trap file: no Accept-Ranges on a 206; a reversed range is 416; boundaries count up.
  const nFull = await exchange(ng, 'GET /.env HTTP/1.1\r\nHost: example.com\r\n\r\n');
  assert.deepEqual(nFull.names, ['Server', 'Date', 'Content-Type', 'Content-Length', 'Last-Modified', 'Connection', 'ETag', 'Accept-Ranges']);
  const env = nFull.body;
  const n1 = await exchange(ng, 'GET /.env HTTP/1.1\r\nHost: example.com\r\nRange: bytes=-10\r\n\r\n');
  assert.equal(n1.statusLine, 'HTTP/1.1 206 Partial Content');
  assert.deepEqual(n1.names, ['Server', 'Date', 'Content-Type', 'Content-Length', 'Last-Modified', 'Connection', 'ETag', 'Content-Range']);
  assert.equal(n1.headers['content-range'], `bytes ${env.length - 10}-${env.length - 1}/${env.length}`);
  assert.deepEqual(n1.body, env.subarray(env.length - 10));
  const nMulti = await exchange(ng, 'GET /.env HTTP/1.1\r\nHost: example.com\r\nRange: bytes=0-1,5-6\r\n\r\n');
  assert.equal(nMulti.headers['content-type'], 'multipart/byteranges; boundary=00000000000000000001');
  assert.equal(
    nMulti.body.toString('latin1'),
    `\r\n--00000000000000000001\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 0-1/${env.length}\r\n\r\nAP\r\n--00000000000000000001\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 5-6/${env.length}\r\n\r\nAM\r\n--00000000000000000001--\r\n`,
  );
  for (const unsat of ['bytes=999999-', 'bytes=5-2', 'bytes=abc']) {
    const n = await exchange(ng, `GET /.env HTTP/1.1\r\nHost: example.com\r\nRange: ${unsat}\r\n\r\n`);
    assert.equal(n.statusLine, 'HTTP/1.1 416 Requested Range Not Satisfiable', unsat);
    assert.deepEqual(n.names, [...NGINX_ERROR, 'Content-Range']);
    assert.equal(n.headers['content-range'], `bytes */${env.length}`);
    assert.equal(n.body.toString('latin1'), NGINX_416);
  }
  // The NAS login page is not a file: ranges are ignored there.
  assert.equal((await exchange(ng, 'GET / HTTP/1.1\r\nHost: example.com\r\nRange: bytes=0-10\r\n\r\n')).statusLine, 'HTTP/1.1 200 OK');
});
