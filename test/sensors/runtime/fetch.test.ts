// The fetch policy, against HTTP servers this test runs on 127.0.0.1 (the only place it fetches).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_FETCH_POLICY, Fetcher } from '../../../src/sensors/runtime/fetch.js';
import { callWithin } from '../../helpers/bounded-call.js';

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

test('tftp:// is fetched over TFTP (RFC 1350) from a loopback server the test runs, under the same policy', async () => {
  const { createSocket } = await import('node:dgram');
  const file = Buffer.alloc(1300);
  for (let i = 0; i < file.length; i++) file[i] = (i * 7) & 0xff;
  const server = createSocket('udp4');
  let requests = 0;
  const transfers: ReturnType<typeof createSocket>[] = [];
  server.on('message', (msg, rinfo) => {
    if (msg.readUInt16BE(0) !== 1) return;
    requests++;
    // Answer from a fresh port, as TFTP servers do.
    const t = createSocket('udp4');
    transfers.push(t);
    let block = 1;
    const send = (): void => {
      const data = file.subarray((block - 1) * 512, block * 512);
      const pkt = Buffer.concat([Buffer.from([0, 3, block >> 8, block & 255]), data]);
      t.send(pkt, rinfo.port, rinfo.address);
    };
    t.on('message', (ack) => {
      if (ack.readUInt16BE(0) !== 4 || ack.readUInt16BE(2) !== block) return;
      if ((block - 1) * 512 + 512 > file.length) return;
      block++;
      send();
    });
    t.bind(0, '127.0.0.1', send);
  });
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const ok = new Fetcher({ ...DEFAULT_FETCH_POLICY, enabled: true, allowCidrs: ['127.0.0.0/8'] }, noDns);
    const r = await ok.fetch(`tftp://127.0.0.1:${port}/bins.sh`, '198.51.100.9');
    assert.ok(r.ok, JSON.stringify(r));
    if (r.ok) assert.deepEqual(r.data, file);
    const cut = new Fetcher({ ...DEFAULT_FETCH_POLICY, enabled: true, allowCidrs: ['127.0.0.0/8'], maxBytes: 700 }, noDns);
    const c = await cut.fetch(`tftp://127.0.0.1:${port}/bins.sh`, '198.51.100.9');
    assert.ok(c.ok && c.truncated && c.data.length === 700);
    const strict = new Fetcher({ ...DEFAULT_FETCH_POLICY, enabled: true }, noDns);
    const refused = await strict.fetch(`tftp://127.0.0.1:${port}/bins.sh`, '198.51.100.9');
    assert.equal(refused.ok ? 'ok' : refused.error, 'refused');
    assert.equal(requests, 2);
  } finally {
    server.close();
    for (const t of transfers) t.close();
  }
});

test('a tftp URL with a bad percent-escape is a bad_url outcome, not a thrown URIError; nothing is sent', async () => {
  const f = new Fetcher({ ...DEFAULT_FETCH_POLICY, enabled: true, allowCidrs: ['127.0.0.0/8'] }, noDns);
  for (const url of ['tftp://127.0.0.1/%E0%A4%A', 'tftp://127.0.0.1:9/%ff', 'tftp://127.0.0.1/a%']) {
    const r = await f.fetch(url, '198.51.100.9');
    assert.equal(r.ok ? 'ok' : r.error, 'bad_url', url);
  }
});

test('the per-source fetch rate counts an IPv6 /64 as one source', async () => {
  const { server, base } = await serve((_q, res) => res.end('x'));
  try {
    const f = new Fetcher({ ...DEFAULT_FETCH_POLICY, enabled: true, allowCidrs: ['127.0.0.0/8'], perSourcePerMinute: 1 }, noDns);
    const outcome = async (src: string): Promise<string> => {
      const r = await f.fetch(`${base}/a`, src);
      return r.ok ? 'ok' : r.error;
    };
    assert.equal(await outcome('2001:db8:1:2::1'), 'ok');
    assert.equal(await outcome('2001:db8:1:2:ffff:ffff:ffff:9'), 'rate', 'another address in the same /64');
    assert.equal(await outcome('2001:0db8:0001:0002::abcd'), 'rate', 'written differently');
    assert.equal(await outcome('2001:db8:1:3::1'), 'ok', 'the next /64 is another source');
    assert.equal(await outcome('198.51.100.7'), 'ok');
    assert.equal(await outcome('::ffff:198.51.100.7'), 'rate', 'an IPv4-mapped address is its IPv4 address');
  } finally {
    server.close();
  }
});

test('the per-source fetch rate stays O(1) per fetch over many sources, and still holds for the recent ones', async () => {
  const { MAX_FETCH_SOURCES } = await import('../../../src/sensors/runtime/fetch.js');
  // 60,000 sources in a minute: the old bookkeeping scanned every remembered source on each fetch past
  // 10,000 (minutes here); a bounded map of the most recent answers at once.
  const r = (await callWithin(new URL('../../helpers/fetch-sources.js', import.meta.url).href, 'fetchFromManySources', [60_000], 20_000)) as { ran: number; firstAgain: boolean; lastAgain: boolean };
  assert.equal(r.ran, 60_000, 'each source gets its one fetch');
  assert.equal(r.lastAgain, false, 'a recent source is still held to its rate');
  assert.ok(MAX_FETCH_SOURCES < 60_000 && r.firstAgain, 'past MAX_FETCH_SOURCES the oldest sources are forgotten, not the memory grown');
});

test('fetches in progress are bounded over the process: past the bound a fetch is refused as rate, and counted back when done', async () => {
  const { MAX_CONCURRENT_FETCHES } = await import('../../../src/sensors/runtime/fetch.js');
  assert.ok(MAX_CONCURRENT_FETCHES >= 1 && DEFAULT_FETCH_POLICY.maxConcurrent === MAX_CONCURRENT_FETCHES);
  const held: (() => void)[] = [];
  const { server, base } = await serve((_q, res) => void held.push(() => res.end('x')));
  try {
    const f = new Fetcher({ ...DEFAULT_FETCH_POLICY, enabled: true, allowCidrs: ['127.0.0.0/8'], perSourcePerMinute: 100, maxConcurrent: 2 }, noDns);
    const first = [f.fetch(`${base}/1`, '198.51.100.1'), f.fetch(`${base}/2`, '198.51.100.2')];
    while (held.length < 2) await new Promise((r) => setTimeout(r, 10));
    const third = await f.fetch(`${base}/3`, '198.51.100.3');
    assert.deepEqual([third.ok, third.ok ? '' : third.error, third.ok ? '' : third.detail], [false, 'rate', 'more than 2 fetches in progress']);
    for (const h of held.splice(0)) h();
    assert.ok((await Promise.all(first)).every((r) => r.ok));
    const after = f.fetch(`${base}/4`, '198.51.100.3');
    while (held.length < 1) await new Promise((r) => setTimeout(r, 10));
    held.splice(0).forEach((h) => h());
    assert.ok((await after).ok, 'finished fetches give their place back');
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('sourceKey never throws and groups IPv6 by /64', async () => {
  const { sourceKey } = await import('../../../src/events/source-key.js');
  assert.equal(sourceKey('2001:db8:a:b:1:2:3:4'), '2001:db8:a:b::/64');
  assert.equal(sourceKey('::1'), '0:0:0:0::/64');
  assert.equal(sourceKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(sourceKey('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(sourceKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
  for (const s of ['', 'x', ':::', '1:2', 'not-an-ip']) assert.equal(typeof sourceKey(s), 'string');
  // The same answers asked again, in turns (the last address's key is remembered).
  const pairs: [string, string][] = [['2001:db8:a:b:1:2:3:4', '2001:db8:a:b::/64'], ['192.0.2.9', '192.0.2.9'], ['::ffff:192.0.2.1', '192.0.2.1']];
  for (const [ip, key] of [...pairs, ...pairs, pairs[0]!, pairs[0]!, pairs[2]!]) assert.equal(sourceKey(ip), key, ip);
});

test('IPv6 forms that carry an IPv4 address or are not global are never contacted (judged before any connection)', () => {
  const f = new Fetcher({ ...DEFAULT_FETCH_POLICY, enabled: true }, noDns);
  for (const a of ['::7f00:1', '::a00:1', '2002:7f00:1::1', '2002:a00:1::1', '2001:0:4136:e378:8000:63bf:80ff:fffe', '64:ff9b::7f00:1', '64:ff9b:1::a00:1', 'fec0::1', '3fff::1', '::', '::1', 'fd00::1', 'fe80::1']) {
    assert.equal(f.addressAllowed(a), false, a);
  }
  for (const a of ['2a00:1450:4001:80b::200e', '2606:4700::6810:84e5', '93.184.216.34']) assert.equal(f.addressAllowed(a), true, a);
  const lab = new Fetcher({ ...DEFAULT_FETCH_POLICY, enabled: true, allowCidrs: ['2002::/16'] }, noDns);
  assert.equal(lab.addressAllowed('2002:a00:1::1'), true, 'allow_cidrs still opens a range');
});
