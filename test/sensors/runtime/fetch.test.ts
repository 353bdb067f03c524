// The fetch policy, against HTTP servers this test runs on 127.0.0.1 (the only place it fetches).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_FETCH_POLICY, Fetcher } from '../../../src/sensors/runtime/fetch.js';

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; base: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const noDns = async (host: string): Promise<string[]> => {
  throw new Error(`the test must not resolve ${host}`);
};

test('disabled by default: nothing is contacted and no name is resolved', async () => {
  let resolved = 0;
  const f = new Fetcher(DEFAULT_FETCH_POLICY, async () => {
    resolved++;
    return ['127.0.0.1'];
  });
  const r = await f.fetch('http://malware.invalid/x.sh', '198.51.100.1');
  assert.deepEqual([r.ok, r.ok ? '' : r.error, resolved], [false, 'disabled', 0]);
});

test('loopback, private and link-local targets are refused unless a configured range allows them', async () => {
  let hits = 0;
  const { server, base } = await serve((_q, res) => {
    hits++;
    res.end('ok');
  });
  try {
    const strict = new Fetcher({ ...DEFAULT_FETCH_POLICY, enabled: true, perSourcePerMinute: 100 }, noDns);
    for (const url of [`${base}/a`, 'http://10.1.2.3/a', 'http://192.168.1.1/a', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/a', 'http://[::ffff:127.0.0.1]/a', 'http://0.0.0.0/a']) {
      const r = await strict.fetch(url, '198.51.100.1');
      assert.equal(r.ok ? 'ok' : r.error, 'refused', url);
    }
    // A name that resolves to loopback is refused too (the resolver is the test's, no DNS).
    const sneaky = new Fetcher({ ...DEFAULT_FETCH_POLICY, enabled: true }, async () => ['127.0.0.1']);
    const viaName = await sneaky.fetch(`http://evil.test:${new URL(base).port}/a`, '198.51.100.1');
    assert.equal(viaName.ok ? 'ok' : viaName.error, 'refused');
    assert.equal(hits, 0);
    const allowed = new Fetcher({ ...DEFAULT_FETCH_POLICY, enabled: true, allowCidrs: ['127.0.0.0/8'] }, noDns);
    const r = await allowed.fetch(`${base}/a`, '198.51.100.1');
    assert.ok(r.ok);
    assert.equal(hits, 1);
  } finally {
    server.close();
  }
});

test('a body over max_bytes is cut and reported truncated; time and rate limits hold', async () => {
  const { server, base } = await serve((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 3000);
    if (req.url === '/redirect') {
      res.writeHead(302, { location: 'http://10.0.0.1/x' });
      return void res.end();
    }
    res.end(Buffer.alloc(100_000, 65));
  });
  try {
    const f = new Fetcher({ ...DEFAULT_FETCH_POLICY, enabled: true, allowCidrs: ['127.0.0.0/8'], maxBytes: 10_000, timeoutMs: 500, perSourcePerMinute: 3 }, noDns);
    const big = await f.fetch(`${base}/big`, '198.51.100.2');
    assert.ok(big.ok && big.truncated && big.data.length === 10_000);
    const slow = await f.fetch(`${base}/slow`, '198.51.100.2');
    assert.equal(slow.ok ? 'ok' : slow.error, 'timeout');
    const redirect = await f.fetch(`${base}/redirect`, '198.51.100.2');
    assert.equal(redirect.ok ? 'ok' : redirect.error, 'refused', 'a redirect to a private address is checked again');
    const limited = await f.fetch(`${base}/big`, '198.51.100.2');
    assert.equal(limited.ok ? 'ok' : limited.error, 'rate');
    const other = await f.fetch(`${base}/big`, '198.51.100.3');
    assert.ok(other.ok, 'the rate limit is per source');
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
