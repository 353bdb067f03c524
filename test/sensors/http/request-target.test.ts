// The pure request-target, Host, method and Range readers: known answers (from the real servers, see
// http-fidelity.test.ts), and random attacker text that never throws and comes back at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { apacheHost, apachePath, checkHead, decodeRawHead, headEnd, methodVerdict, nginxHost, parseTarget } from '../../../src/sensors/http/request-target.js';
import { apacheRanges, nginxRanges } from '../../../src/sensors/http/ranges.js';

test('targets, hosts and methods read as the servers read them', () => {
  assert.deepEqual(parseTarget('http://example.com'), { form: 'absolute', scheme: 'http', userinfo: false, authority: 'example.com', path: '/', query: undefined });
  assert.deepEqual(parseTarget('HTTP://u:p@EXAMPLE.COM:8080/a?b=1'), { form: 'absolute', scheme: 'HTTP', userinfo: true, authority: 'EXAMPLE.COM:8080', path: '/a', query: 'b=1' });
  assert.equal(parseTarget('example.com:80').form, 'other');
  assert.equal(nginxHost('Example.COM.'), 'example.com');
  assert.equal(nginxHost(''), undefined);
  assert.equal(nginxHost('a..b'), undefined);
  assert.deepEqual(apacheHost('Example.COM:9999'), { host: 'example.com', port: 9999 });
  assert.deepEqual(apacheHost('[::1]:81'), { host: '::1', port: 81 });
  assert.equal(apacheHost('a b'), undefined);
  assert.equal(apacheHost('a:b'), undefined);
  assert.deepEqual(checkHead('apache', { method: 'GET', target: 'https://example.com:443/x', httpVersion: '1.1', hosts: ['x'], tls: false }), { ok: true, host: 'x', port: 443, path: '/x', query: undefined, absolute: parseTarget('https://example.com:443/x') });
  assert.equal(checkHead('nginx', { method: 'GET', target: '/', httpVersion: '1.1', hosts: [], tls: false }).ok, false);
  assert.equal(checkHead('nginx', { method: 'GET', target: '/', httpVersion: '1.0', hosts: [], tls: false }).ok, true);
  assert.deepEqual(['FOO', 'TRACE', 'DELETE', 'GET', 'get', 'F@O'].map((m) => methodVerdict('nginx', m)), ['refused', 'trace', 'refused', 'serve', 'malformed', 'malformed']);
  assert.deepEqual(['FOO', 'TRACE', 'DELETE', 'OPTIONS', 'get', 'F@O'].map((m) => methodVerdict('apache', m)), ['unknown', 'trace', 'refused', 'options', 'unknown', 'malformed']);
  assert.deepEqual(['get', 'Post', 'OPTIONS'].map((m) => methodVerdict('mini_httpd', m)), ['serve', 'serve', 'unknown']);
});

test('ranges: nginx 416s what Apache ignores; Apache merges neighbours and takes 0- as the whole file', () => {
  assert.deepEqual(nginxRanges('bytes=0-10', 100), { kind: 'partial', ranges: [[0, 10]] });
  assert.deepEqual(nginxRanges('bytes=5-2', 100), { kind: 'unsatisfiable' });
  assert.deepEqual(nginxRanges('bytes= 0 - 1 , -5', 100), { kind: 'partial', ranges: [[0, 1], [95, 99]] });
  assert.deepEqual(nginxRanges('bytes=0-99,0-99', 100), { kind: 'full' });
  assert.deepEqual(apacheRanges('bytes=5-2', 100), { kind: 'full' });
  assert.deepEqual(apacheRanges('bytes=0-1,1-2', 100), { kind: 'partial', ranges: [[0, 2]] });
  assert.deepEqual(apacheRanges('bytes=10-20,0-', 100), { kind: 'partial', ranges: [[0, 99]] });
  assert.deepEqual(apacheRanges('bytes=200-,300-', 100), { kind: 'unsatisfiable' });
  assert.deepEqual(apacheRanges('bytes=-0', 100), { kind: 'full' });
});

test('random attacker text never throws and every reader returns at once', () => {
  const text = fc.string({ unit: 'binary', maxLength: 2000 });
  fc.assert(
    fc.property(text, fc.nat(1_000_000), (s, size) => {
      parseTarget(s);
      nginxHost(s);
      apacheHost(s);
      const resolved = apachePath(`/${s}`);
      if ('path' in resolved) assert.ok(resolved.path.startsWith('/') && !resolved.path.includes('/../'));
      for (const p of ['apache', 'nginx', 'mini_httpd'] as const) {
        methodVerdict(p, s);
        checkHead(p, { method: s, target: s, httpVersion: '1.1', hosts: [s, s], tls: false });
      }
      nginxRanges(`bytes=${s}`, size);
      apacheRanges(`bytes=${s}`, size);
      const buf = Buffer.from(s, 'latin1');
      headEnd(buf);
      decodeRawHead(buf, 100);
    }),
    { numRuns: 500 },
  );
  const started = Date.now();
  const long = `bytes=${'0-1,'.repeat(250)}`;
  nginxRanges(long, 10);
  apacheRanges(long, 10);
  nginxHost('.'.repeat(100_000));
  apacheHost('a'.repeat(100_000));
  apachePath(`/${'a/../%2e/'.repeat(10_000)}`);
  decodeRawHead(Buffer.from(`FOO / HTTP/1.1\r\n${'X: y\r\n'.repeat(10_000)}\r\n`), 100);
  assert.ok(Date.now() - started < 1000);
});
