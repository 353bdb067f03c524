// `apiary export stix|misp`: real Cowrie logs give one indicator per public attacking address, with
// sighting counts equal to the stored events; a live wget through the SSH shell gives the file hash
// and URL (only with --include-internal, since the test's loopback attacker is internal); the
// operators' ignored hosts are never shared; every bundle is well-formed STIX 2.1 whatever the
// attacker strings; the pattern literal escapes any string.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { gatherIndicators, urlHost, type Indicators } from '../../src/exporters/indicators.js';
import { makeEvent } from '../helpers/events.js';
import { mispJsonChunks, toMispEvent } from '../../src/exporters/misp.js';
import { MAX_SIGHTING_COUNT, stixJsonChunks, stixString, toStixBundle, uuidv5 } from '../../src/exporters/stix.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runCli, startApiaryProcess, tempDir, waitFor, writeConfig } from '../helpers/apiary-process.js';
import { sshWithPassword } from '../helpers/ssh-tools.js';

const COWRIE = '../shared/data/cowrie/honeylist-2019-cowrie.json';

type Obj = Record<string, unknown> & { type: string; id: string };

/** What a STIX 2.1 consumer checks first: ids, versions, timestamps, references inside the bundle. */
function assertWellFormedBundle(bundle: { type: string; id: string; objects: Obj[] }): void {
  assert.equal(bundle.type, 'bundle');
  assert.match(bundle.id, /^bundle--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const ids = new Set(bundle.objects.map((o) => o.id));
  assert.equal(ids.size, bundle.objects.length, 'ids are unique');
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
  for (const o of bundle.objects) {
    assert.match(o.id, new RegExp(`^${o.type}--[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`), o.id);
    assert.equal(o.spec_version, '2.1');
    assert.match(String(o.created), iso);
    if (o.modified !== undefined) assert.ok(String(o.modified) >= String(o.created), `${o.id}: modified before created`);
    for (const [k, v] of Object.entries(o)) {
      const refs = k.endsWith('_ref') ? [v] : k.endsWith('_refs') ? (v as unknown[]) : [];
      for (const r of refs) assert.ok(ids.has(String(r)), `${o.id}.${k} -> ${String(r)} is in the bundle`);
    }
    if (o.type === 'indicator') {
      assert.equal(o.pattern_type, 'stix');
      assert.match(String(o.pattern), /^\[.*\]$/s);
      assert.match(String(o.valid_from), iso);
    }
    if (o.type === 'sighting') assert.ok(Number(o.count) >= 0 && Number(o.count) <= MAX_SIGHTING_COUNT);
  }
}

/** Reads the value of a `[x:value = '...']` pattern back (the test's own reader of STIX string literals). */
function patternValue(pattern: string): string {
  const m = /= '((?:[^'\\]|\\.)*)'\]$/s.exec(pattern);
  assert.ok(m, pattern);
  return m[1]!.replace(/\\(.)/gs, '$1');
}

test('real Cowrie logs: one indicator per public attacking address, sightings equal to the stored events; MISP has the same addresses', async () => {
  const dir = tempDir();
  const configPath = writeConfig(dir, { sensor: 'export-test', data_dir: join(dir, 'data'), store: { sqlite: { path: join(dir, 'data', 'apiary.db') } } });
  await runCli(['import', 'cowrie', COWRIE, '--config', configPath]);
  // Counted straight from the raw file.
  const raw = readFileSync(COWRIE, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { src_ip?: string });
  const rawSources = new Set(raw.map((r) => r.src_ip).filter((ip): ip is string => typeof ip === 'string' && !/^(10\.|127\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(ip)));
  assert.ok(rawSources.size > 10);

  const out = join(dir, 'bundle.json');
  const r = await runCli(['export', 'stix', '--config', configPath, '--out', out, '--tlp', 'green']);
  assert.match(r.stdout, new RegExp(`${rawSources.size} source addresses`));
  const bundle = JSON.parse(readFileSync(out, 'utf8')) as { type: string; id: string; objects: Obj[] };
  assertWellFormedBundle(bundle);
  const indicators = bundle.objects.filter((o) => o.type === 'indicator');
  const ips = new Set(indicators.map((o) => patternValue(String(o.pattern))));
  assert.deepEqual([...ips].sort(), [...rawSources].sort());
  assert.ok(indicators.every((o) => (o.object_marking_refs as string[])[0] === 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da'), 'TLP:GREEN on every object');
  const store = new SqliteStore(join(dir, 'data', 'apiary.db'));
  try {
    for (const s of bundle.objects.filter((o) => o.type === 'sighting')) {
      const ind = indicators.find((o) => o.id === s.sighting_of_ref)!;
      assert.equal(s.count, await store.count({ src: patternValue(String(ind.pattern)) }), String(ind.pattern));
    }
  } finally {
    await store.close();
  }
  // ATT&CK: the techniques of the sources' attack-chain steps, as attack patterns the indicators indicate.
  const patternsById = new Map(bundle.objects.filter((o) => o.type === 'attack-pattern').map((o) => [o.id, o]));
  assert.ok(patternsById.size > 0, 'the Cowrie logins and tunnels map to ATT&CK techniques');
  for (const ap of patternsById.values()) assert.match(String((ap.external_references as { source_name: string; external_id: string }[])[0]?.external_id), /^T\d{4}(\.\d{3})?$/);
  const indicates = bundle.objects.filter((o) => o.type === 'relationship' && o.relationship_type === 'indicates');
  assert.ok(indicates.length > 0 && indicates.every((o) => patternsById.has(String(o.target_ref)) && indicators.some((i) => i.id === o.source_ref)));
  // The reconstructed attack chains that link sources, as reports over their indicators.
  const chains = (await runCli(['attacks', '--config', configPath, '--json'])).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; links: unknown[]; sources: { ip: string; role: string }[] });
  const linked = chains.filter((c) => c.links.length > 0);
  assert.ok(linked.length > 0, 'the Cowrie log holds linked chains');
  const reports = bundle.objects.filter((o) => o.type === 'report');
  assert.equal(reports.length, linked.length);
  for (const c of linked) {
    const rep = reports.find((o) => String(o.name).startsWith(`Attack chain ${c.id}`));
    assert.ok(rep, c.id);
    const refIps = (rep.object_refs as string[]).filter((r) => r.startsWith('indicator--')).map((r) => patternValue(String(indicators.find((i) => i.id === r)!.pattern)));
    assert.deepEqual(refIps.sort(), c.sources.filter((m) => m.role === 'attacker').map((m) => m.ip).filter((ip) => rawSources.has(ip)).sort());
  }
  // The same export twice: the same ids (a sharing platform updates instead of duplicating).
  const again = JSON.parse((await runCli(['export', 'stix', '--config', configPath, '--tlp', 'green'])).stdout) as { objects: Obj[] };
  assert.deepEqual(again.objects.filter((o) => o.type === 'indicator').map((o) => o.id), indicators.map((o) => o.id));

  const misp = JSON.parse((await runCli(['export', 'misp', '--config', configPath])).stdout) as { Event: { Attribute: { type: string; value: string; Tag?: { name: string }[] }[]; Tag: { name: string }[] } };
  assert.deepEqual(misp.Event.Attribute.filter((a) => a.type === 'ip-src').map((a) => a.value).sort(), [...rawSources].sort());
  const chainTags = new Set(misp.Event.Attribute.flatMap((a) => a.Tag ?? []).map((t) => t.name).filter((n) => n.startsWith('apiary:attack-chain=')));
  assert.deepEqual([...chainTags].sort(), linked.map((c) => `apiary:attack-chain="${c.id}"`).sort());
  const galaxy = misp.Event.Attribute.flatMap((a) => a.Tag ?? []).map((t) => t.name).filter((n) => n.startsWith('misp-galaxy:'));
  assert.ok(galaxy.length > 0 && galaxy.every((n) => /^misp-galaxy:mitre-attack-pattern=".+ - T\d{4}(\.\d{3})?"$/.test(n)), galaxy.join('\n'));
  assert.deepEqual(misp.Event.Tag, [{ name: 'tlp:amber' }]);
});

test('a live download through the SSH shell: hash and URL exported with --include-internal, left out without; ignored hosts never', async () => {
  const BOT = `#!/bin/sh\n# export test ${Date.now()}\n`;
  const TEST_TOOL = `#!/bin/sh\n# the operators' own test ${Date.now()}\n`;
  const http = createServer((req, res) => (req.url === '/bot.sh' ? res.end(BOT) : req.url === '/tool.sh' ? res.end(TEST_TOOL) : res.writeHead(404).end()));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/bot.sh`;
  const apiary = await startApiaryProcess({
    sensor: 'export-live',
    networks: { internal: ['127.0.0.0/8'], ignore: ['127.0.0.3/32'] },
    auth: [{ user: 'root', password: 'export-pw' }],
    services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0 } },
    fetch: { enabled: true, allow_cidrs: ['127.0.0.0/8'] },
  });
  try {
    const port = apiary.ports.ssh!;
    assert.equal((await sshWithPassword(port, 'root', 'export-pw', `cd /tmp; wget ${url}`, '127.0.0.2')).code, 0);
    // 127.0.0.3 is in networks.ignore: the operators' own test host, whose download must never be shared.
    assert.equal((await sshWithPassword(port, 'root', 'export-pw', `cd /tmp; wget ${url.replace('bot.sh', 'tool.sh')}`, '127.0.0.3')).code, 0);
    await waitFor(async () => {
      const { stdout } = await runCli(['incidents', '--config', apiary.configPath, '--json']);
      const incs = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { src_ip: string; activity: { downloads: number; commands: number } });
      return incs.some((i) => i.src_ip === '127.0.0.2' && i.activity.downloads > 0) && (await apiary.events(['--type', 'file.download', '--src', '127.0.0.3'])).length > 0;
    }, 20_000, 250);
    const sha256 = createHash('sha256').update(BOT).digest('hex');

    const inside = await runCli(['export', 'stix', '--config', apiary.configPath, '--include-internal']);
    const bundle = JSON.parse(inside.stdout) as { type: string; id: string; objects: Obj[] };
    assertWellFormedBundle(bundle);
    const patterns = bundle.objects.filter((o) => o.type === 'indicator').map((o) => String(o.pattern));
    assert.ok(patterns.includes("[ipv4-addr:value = '127.0.0.2']"), patterns.join('\n'));
    assert.ok(!patterns.some((p) => p.includes('127.0.0.3') || p.includes('tool.sh') || p.includes(createHash('sha256').update(TEST_TOOL).digest('hex'))), 'the ignored host and its download are not shared');
    const file = patterns.find((p) => p.includes('SHA-256'));
    assert.ok(file?.includes(`'${sha256}'`), `the downloaded file by its SHA-256: ${file}`);
    assert.ok(patterns.some((p) => p.startsWith('[url:value') && patternValue(p) === url), 'the URL');
    const rel = bundle.objects.find((o) => o.type === 'relationship');
    assert.ok(rel, 'the source is related to the file it fetched');
    assert.match(inside.stderr, /left out: 1 ignored/);

    const outside = await runCli(['export', 'misp', '--config', apiary.configPath]);
    const misp = JSON.parse(outside.stdout) as { Event: { Attribute: unknown[] } };
    assert.deepEqual(misp.Event.Attribute, [], 'nothing internal leaves by default');
    assert.match(outside.stderr, /1 internal/);
    assert.match(outside.stderr, /1 ignored/);
  } finally {
    await apiary.stop();
    http.close();
  }
});

test('bundles and MISP events stay well-formed JSON with any attacker strings, and patterns read back exactly', () => {
  const text = fc.string({ maxLength: 80 });
  const time = fc.date({ min: new Date('2000-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
  const indicators = fc.record({
    urls: fc.uniqueArray(fc.record({ url: text, first: time, n: fc.nat() }), { maxLength: 5, selector: (u) => u.url }),
    files: fc.uniqueArray(fc.record({ sha256: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }), name: text, url: text, first: time }), { maxLength: 5, selector: (f) => f.sha256 }),
  });
  fc.assert(
    fc.property(indicators, ({ urls, files }) => {
      const ind: Indicators = {
        from: '2000-01-01T00:00:00.000Z', to: '2030-01-01T00:00:00.000Z', sources: [], chains: [],
        files: files.map((f) => ({ sha256: f.sha256, md5: null, size: null, first_seen: f.first, last_seen: f.first, sightings: 1, how: ['download'], urls: [f.url], names: [f.name], sources: [] })),
        urls: urls.map((u) => ({ url: u.url, first_seen: u.first, last_seen: u.first, sightings: u.n, sha256: [], sources: [] })),
        left_out: { internal: 0, private: 0, ignored: 0, long_urls: 0, urls_naming_internal: 0, unparsable_urls: 0, over_cap: 0 },
        incidents_cut: false,
      };
      const made = toStixBundle(ind, { producer: 'p', tlp: 'red', now: '2030-01-02T00:00:00.000Z' });
      const bundle = JSON.parse([...stixJsonChunks(made)].join('')) as { type: string; id: string; objects: Obj[] };
      assert.deepEqual(bundle, JSON.parse(JSON.stringify(made)), 'the streamed text is the bundle');
      assertWellFormedBundle(bundle);
      const urlPatterns = bundle.objects.filter((o) => o.type === 'indicator' && String(o.pattern).startsWith('[url:')).map((o) => patternValue(String(o.pattern)));
      assert.deepEqual(urlPatterns.sort(), urls.map((u) => u.url).sort());
      const event = toMispEvent(ind, { producer: 'p', tlp: 'clear', now: '2030-01-02T00:00:00.000Z' });
      assert.deepEqual(JSON.parse([...mispJsonChunks(event)].join('')), JSON.parse(JSON.stringify(event)));
    }),
    { numRuns: 200 },
  );
  fc.assert(fc.property(fc.string(), (s) => assert.equal(patternValue(`[url:value = ${stixString(s)}]`), s)));
  // RFC 4122's version-5 construction, against the value Python's uuid module gives.
  assert.equal(uuidv5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '886313e1-3b8a-5372-9b90-0c9aee199e5d');
});

test('export refuses bad flags with the flag named', async () => {
  const dir = tempDir();
  const configPath = writeConfig(dir, { sensor: 'x', data_dir: join(dir, 'data') });
  for (const [args, re] of [
    [['export', 'csv'], /expected stix or misp/],
    [['export', 'stix', '--tlp', 'purple'], /--tlp: expected clear, green, amber, red/],
    [['export', 'misp', '--min-severity', 'huge'], /--min-severity/],
    [['export', 'stix', '--from', '2026-02-30'], /--from/],
  ] as const) {
    const r = await runCli([...args, '--config', configPath], { allowFail: true });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, re);
  }
});

test('a URL naming an inside host in any notation the downloaders accept is never shared; nor one that does not parse', async () => {
  // What a WHATWG parser (curl and wget read hosts the same way) makes of the host.
  const inside = [
    'http://[::ffff:a00:5]/x', 'http://[::ffff:10.0.0.5]/x', 'http://167772165/x', 'http://0x0a000005/x', 'http://10.5/x',
    'http://10.0.0.5./x', 'http:\\\\10.0.0.5\\x', ' http://10.0.0.5/x', 'ftp://user:pw@10.1.2.3:21/a', 'tftp://10.1.1.1/x',
    'http://localhost/x', 'http://LOCALHOST./x', 'http://intranet/x', 'http://build.corp/x', 'http://nas.local/x',
    'tftp://10.1/x', 'tftp://012.0.0.1/x', 'http://[::a00:1]/x', 'http://[64:ff9b::a00:1]/x', 'http://[2002:a00:1::]/x',
  ];
  for (const u of inside) assert.ok(urlHost(u)?.local || urlHost(u)?.ip?.startsWith('10.'), `${u}: ${JSON.stringify(urlHost(u))}`);
  assert.deepEqual(urlHost('http://malware.example.com/x'), {});
  assert.equal(urlHost('not a url'), undefined);

  const dir = tempDir();
  const store = new SqliteStore(join(dir, 'a.db'));
  try {
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
    const outside = 'http://203.0.114.9/bot.sh';
    await store.insertBatch([
      ...inside.map((url, i) => makeEvent({ type: 'file.download', time: at(i), src: '5.188.86.164', payload: { url, outcome: 'failed' } })),
      makeEvent({ type: 'file.download', time: at(40), src: '5.188.86.164', payload: { url: outside, outcome: 'failed' } }),
      makeEvent({ type: 'file.download', time: at(41), src: '5.188.86.164', payload: { url: 'not a url', outcome: 'failed' } }),
      makeEvent({ type: 'file.download', time: at(42), src: '5.188.86.164', payload: { url: '', outcome: 'failed' } }),
    ]);
    const classify = (ip: string) => ({ scope: ip.startsWith('10.') ? ('internal' as const) : ('external' as const), ignored: false });
    const ind = await gatherIndicators(store, { from: at(0), to: at(60), classify });
    assert.deepEqual(ind.urls.map((u) => u.url), [outside]);
    assert.equal(ind.left_out.urls_naming_internal, inside.length);
    assert.equal(ind.left_out.unparsable_urls, 1);
    // The configured networks win over a stored enrichment made before they changed.
    const ignoredNow = await gatherIndicators(store, { from: at(0), to: at(60), classify: (ip) => ({ ...classify(ip), ignored: ip === '5.188.86.164' }) });
    assert.deepEqual(ignoredNow.urls, []);
    assert.equal(ignoredNow.left_out.ignored, 1);
  } finally {
    await store.close();
  }
});

test('exports of different periods: STIX value objects keep their id and created time, MISP attribute uuids differ per event', () => {
  const source = (first: string, last: string, events: number) => ({
    ip: '5.188.86.164', scope: 'external' as const, country: 'NL', asn: 49453, as_org: 'Global Layer B.V.', first_seen: first, last_seen: last,
    events, incidents: 1, kinds: ['brute_force' as const], severity: 'medium' as const, protocols: ['ssh'], dst_ports: [22], techniques: [{ id: 'T1078', name: 'Valid Accounts' }],
  });
  const period = (from: string, to: string, s: ReturnType<typeof source>): Indicators => ({
    from, to, sources: [s], chains: [], files: [], urls: [], incidents_cut: false,
    left_out: { internal: 0, private: 0, ignored: 0, long_urls: 0, urls_naming_internal: 0, unparsable_urls: 0, over_cap: 0 },
  });
  const a = period('2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z', source('2026-01-05T00:00:00.000Z', '2026-01-06T00:00:00.000Z', 10));
  const b = period('2025-12-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', source('2025-12-02T00:00:00.000Z', '2026-02-20T00:00:00.000Z', 40));
  const sa = toStixBundle(a, { producer: 'p', tlp: 'amber', now: '2026-02-01T00:00:00.000Z' }).objects;
  const sb = toStixBundle(b, { producer: 'p', tlp: 'amber', now: '2026-03-01T00:00:00.000Z' }).objects;
  for (const o of sa) {
    const later = sb.find((x) => x.id === o.id);
    assert.ok(later, `${o.type} keeps its id`);
    assert.equal(later.created, o.created, `${o.id}: created never changes between versions`);
    if (o.modified !== undefined) assert.ok(String(later.modified) >= String(o.modified), `${o.id}: the later export is the newer version`);
  }
  const ma = toMispEvent(a, { producer: 'p', tlp: 'amber', now: '2026-02-01T00:00:00.000Z' }).Event as { uuid: string; Attribute: { uuid: string }[] };
  const mb = toMispEvent(b, { producer: 'p', tlp: 'amber', now: '2026-03-01T00:00:00.000Z' }).Event as { uuid: string; Attribute: { uuid: string }[] };
  assert.notEqual(ma.uuid, mb.uuid);
  const ua = new Set(ma.Attribute.map((x) => x.uuid));
  assert.ok(mb.Attribute.every((x) => !ua.has(x.uuid)), 'MISP refuses an attribute uuid another event already has');
});

test('ATT&CK techniques carry the names MITRE and MISP give them: a sub-technique without its parent', () => {
  const ind: Indicators = {
    from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z', chains: [], files: [], urls: [], incidents_cut: false,
    left_out: { internal: 0, private: 0, ignored: 0, long_urls: 0, urls_naming_internal: 0, unparsable_urls: 0, over_cap: 0 },
    sources: [{
      ip: '5.188.86.164', scope: 'external', country: 'NL', asn: 49453, as_org: 'Global Layer B.V.', first_seen: '2026-01-05T00:00:00.000Z', last_seen: '2026-01-06T00:00:00.000Z',
      events: 10, incidents: 1, kinds: ['intrusion'], severity: 'high', protocols: ['ssh'], dst_ports: [22],
      techniques: [{ id: 'T1059.004', name: 'Command and Scripting Interpreter: Unix Shell' }, { id: 'T1078', name: 'Valid Accounts' }],
    }],
  };
  const opts = { producer: 'p', tlp: 'amber' as const, now: '2026-02-01T00:00:00.000Z' };
  const tags = (toMispEvent(ind, opts).Event as { Attribute: { Tag?: { name: string }[] }[] }).Attribute.flatMap((a) => a.Tag ?? []).map((t) => t.name).filter((n) => n.startsWith('misp-galaxy:'));
  // The values of MISP's mitre-attack-pattern cluster: anything else is a loose tag, not the galaxy.
  assert.deepEqual(tags, ['misp-galaxy:mitre-attack-pattern="Unix Shell - T1059.004"', 'misp-galaxy:mitre-attack-pattern="Valid Accounts - T1078"']);
  const patterns = toStixBundle(ind, opts).objects.filter((o) => o.type === 'attack-pattern').map((o) => o.name);
  assert.deepEqual(patterns, ['Unix Shell', 'Valid Accounts']);
});
