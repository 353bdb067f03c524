// Offline lookups in the shipped databases, overrides, private ranges, internal/ignore, bad database files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { openGeoIp, shippedCountryDb } from '../../src/enrich/geoip.js';
import { Enricher } from '../../src/enrich/enricher.js';
import { isNonPublic, normaliseIp } from '../../src/enrich/networks.js';
import { AsnTable, MAX_CSV_LINE, ipv6ToBigInt, parseRangeLine } from '../../src/enrich/asn-table.js';
import { ApiaryError } from '../../src/errors/errors.js';
import { tempDir } from '../helpers/apiary-process.js';

const geoip = openGeoIp();

test('well-known public addresses: country and ASN from the shipped databases, no network', () => {
  const cases: [string, string, number, RegExp][] = [
    ['8.8.8.8', 'US', 15169, /google/i],
    ['1.1.1.1', 'AU', 13335, /cloudflare/i],
    ['9.9.9.9', 'US', 19281, /quad9/i],
    ['193.0.6.139', 'NL', 3333, /RIPE/],
    ['2001:4860:4860::8888', 'US', 15169, /google/i],
    ['2606:4700:4700::1111', 'US', 13335, /cloudflare/i],
    ['::ffff:8.8.4.4', 'US', 15169, /google/i],
  ];
  for (const [ip, country, asn, org] of cases) {
    const r = geoip.lookup(ip);
    assert.equal(r.country, country, ip);
    assert.equal(r.asn?.asn, asn, ip);
    assert.match(r.asn?.org ?? '', org, ip);
  }
});

test('overrides win over the databases; private and loopback ranges are never geolocated', () => {
  const looked: string[] = [];
  const spy = { sources: geoip.sources, lookup: (ip: string) => (looked.push(ip), geoip.lookup(ip)) };
  const e = new Enricher({
    internal: ['127.0.0.0/24', '150.214.0.0/16', 'fd12:3456::/32'],
    internalAsns: [64512],
    ignore: ['127.0.0.9/32'],
    overrides: [
      { cidr: '8.8.8.0/24', country: 'SE', site: 'lab' },
      { cidr: '8.8.8.8/32', asn: 64512, as_org: 'Our AS' },
    ],
    geoip: spy,
  });
  const g = e.enrich('8.8.8.8');
  assert.equal(g.country, 'US', 'the most specific override sets only the ASN; the country comes from the database');
  assert.deepEqual([g.asn, g.as_org, g.scope, g.source], [64512, 'Our AS', 'internal', 'override'], 'internal by the org ASN');
  const g2 = e.enrich('8.8.8.9');
  assert.deepEqual([g2.country, g2.site, g2.asn], ['SE', 'lab', 15169]);
  for (const ip of ['10.1.2.3', '192.168.0.1', '172.16.5.5', '127.0.0.1', '169.254.1.1', '::1', 'fe80::1', 'fd00::5', '100.64.0.1']) {
    const r = e.enrich(ip);
    assert.equal(r.country, null, ip);
    assert.equal(r.asn, null, ip);
  }
  assert.deepEqual(looked, ['8.8.8.8', '8.8.8.9'], 'private addresses never reach the database');
  assert.equal(e.enrich('127.0.0.5').scope, 'internal');
  assert.equal(e.enrich('::ffff:127.0.0.5').scope, 'internal', 'IPv4-mapped addresses (a sensor listening on ::) match IPv4 ranges');
  assert.equal(e.enrich('fd12:3456::77').scope, 'internal');
  assert.equal(e.enrich('fd12:3457::77').scope, 'private');
  assert.equal(e.enrich('10.0.0.1').scope, 'private');
  assert.equal(e.enrich('150.214.1.1').scope, 'internal');
  assert.equal(e.enrich('150.214.1.1').country, 'ES', 'an internal public address is still geolocated');
  assert.equal(e.enrich('1.1.1.1').scope, 'external');
  assert.equal(e.enrich('127.0.0.9').ignored, true);
  assert.equal(e.enrich('127.0.0.8').ignored, false);
});

test('address parsing and the ASN CSV line parser never throw on random input', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), (s) => {
      normaliseIp(s);
      isNonPublic(s);
      parseRangeLine(s);
      geoip.lookup(s);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.ipV6(), (ip) => {
      const v = ipv6ToBigInt(normaliseIp(ip)?.ip ?? '::');
      return v >= 0n && v < 1n << 128n;
    }),
  );
  assert.equal(ipv6ToBigInt('::1'), 1n);
  assert.equal(ipv6ToBigInt('2001:db8::'), 0x20010db8n << 96n);
  assert.deepEqual(parseRangeLine('1,2,13335,"Cloudflare, ""Inc."""'), ['1', '2', 13335, 'Cloudflare, "Inc."']);
  assert.equal(parseRangeLine('1,2,x,y'), undefined);
});

test('a missing, corrupt or wrong-type GeoIP file is a clear APIARY_GEOIP error naming the key', () => {
  const dir = tempDir();
  const corrupt = join(dir, 'corrupt.mmdb');
  writeFileSync(corrupt, Buffer.alloc(4096, 0x41));
  const truncated = join(dir, 'truncated.mmdb');
  const full = readFileSync(shippedCountryDb());
  writeFileSync(truncated, full.subarray(0, 1_000_000));
  const cases: [Parameters<typeof openGeoIp>[0], RegExp][] = [
    [{ country_db: join(dir, 'missing.mmdb') }, /geoip\.country_db.*cannot read.*ENOENT/],
    [{ country_db: corrupt }, /geoip\.country_db.*not a valid MaxMind DB/],
    [{ country_db: truncated }, /geoip\.country_db.*not a valid MaxMind DB/],
    [{ asn_db: shippedCountryDb() }, /geoip\.asn_db.*expected asn data/],
  ];
  for (const [cfg, msg] of cases) {
    assert.throws(() => openGeoIp(cfg), (err: unknown) => err instanceof ApiaryError && err.code === 'APIARY_GEOIP' && msg.test(err.message));
  }
});

test('a database is checked at start but read into memory only for the first public address, once', () => {
  const dir = tempDir();
  const good = readFileSync(shippedCountryDb());
  const file = join(dir, 'country.mmdb');
  writeFileSync(file, good);
  const g = openGeoIp({ country_db: file });
  // Replaced after the start-up check: only a later read can see it, so nothing was held yet.
  writeFileSync(file, Buffer.alloc(4096, 0x41));
  const e = new Enricher({ internal: ['10.0.0.0/8'], internalAsns: [], ignore: [], overrides: [], geoip: g });
  assert.equal(e.enrich('10.1.2.3').scope, 'internal', 'private and internal sources never need the database');
  assert.equal(e.enrich('192.168.1.1').country, null);
  const bad = (err: unknown): boolean => err instanceof ApiaryError && err.code === 'APIARY_GEOIP' && /geoip\.country_db.*not a valid MaxMind DB/.test(err.message);
  assert.throws(() => g.lookup('8.8.8.8'), bad, 'the first public address reads the file');
  writeFileSync(file, good);
  assert.throws(() => g.lookup('1.1.1.1'), bad, 'a failed read is not retried per lookup (a restart or `apiary enrich` after fixing it)');

  const loaded = openGeoIp({ country_db: file });
  assert.equal(loaded.lookup('8.8.8.8').country, 'US');
  writeFileSync(file, Buffer.alloc(4096, 0x41));
  assert.equal(loaded.lookup('1.1.1.1').country, 'AU', 'read once, then kept');
});

test('the ASN table covers both families and answers misses with undefined', () => {
  const t = AsnTable.load();
  assert.ok(t.size > 400_000);
  assert.equal(t.lookup('10.0.0.1'), undefined);
  assert.equal(t.lookup('not an ip'), undefined);
  assert.equal(t.lookup('2001:4860:4860::8844')?.asn, 15169);
});

test('the ASN table reads CSVs line by line: blank lines skipped, quoted organisations kept, a malformed line named by its number', () => {
  const dir = tempDir('apiary-asn-');
  const v4 = ['16777216,16777471,13335,"Cloudflare, Inc."', '', '134744064,134744319,15169,Google LLC', ''].join('\n');
  writeFileSync(join(dir, 'asn-ipv4-num.csv'), v4);
  writeFileSync(join(dir, 'asn-ipv6-num.csv'), `${ipv6ToBigInt('2001:db8::')},${ipv6ToBigInt('2001:db8::ffff')},64500,"Say ""hi"" Ltd"\n`);
  const t = AsnTable.load(dir);
  assert.equal(t.size, 3);
  assert.deepEqual(t.lookup('1.0.0.1'), { asn: 13335, org: 'Cloudflare, Inc.' });
  assert.deepEqual(t.lookup('8.8.8.8'), { asn: 15169, org: 'Google LLC' });
  assert.deepEqual(t.lookup('2001:db8::1'), { asn: 64500, org: 'Say "hi" Ltd' });
  assert.equal(t.lookup('9.9.9.9'), undefined);
  writeFileSync(join(dir, 'asn-ipv4-num.csv'), `${v4}\nnot,a line\n`);
  assert.throws(() => AsnTable.load(dir), /asn-ipv4-num\.csv line 5 is malformed/);
});

test('the ASN table reads a file of megabytes, the high and low halves of IPv6 bounds, and an AS with two names', () => {
  const dir = tempDir('apiary-asn-');
  // 256-address ranges with names of varying length, 2.5 MiB of them.
  const lines: string[] = [];
  for (let i = 0; i * 40 < 2.5 * 2 ** 20; i++) lines.push(`${i * 256},${i * 256 + 255},${64_000 + (i % 500)},"Org ${i % 500}${'x'.repeat(i % 37)}"`);
  // The last line has no newline.
  writeFileSync(join(dir, 'asn-ipv4-num.csv'), lines.join('\n'));
  const base = ipv6ToBigInt('2001:db8::');
  writeFileSync(
    join(dir, 'asn-ipv6-num.csv'),
    [
      `${base},${base + 0xffffn},64500,First name`,
      `${base + 0x10000n},${base + 0x1ffffn},64500,Second name`,
      `${ipv6ToBigInt('2001:db8:0:1::')},${ipv6ToBigInt('2001:db8:0:1:ffff:ffff:ffff:ffff')},64501,Next /64`,
    ].join('\n') + '\n',
  );
  const t = AsnTable.load(dir);
  assert.equal(t.size, lines.length + 3);
  for (const i of [0, 1, 1000, 26_213, 26_214, 26_215, lines.length - 1]) {
    const ip = `${(i * 256) >>> 24}.${((i * 256) >>> 16) & 255}.${((i * 256) >>> 8) & 255}.7`;
    assert.deepEqual(t.lookup(ip), { asn: 64_000 + (i % 500), org: `Org ${i % 500}${'x'.repeat(i % 37)}` }, ip);
  }
  assert.equal(t.lookup('2001:db8::ffff')?.org, 'First name');
  assert.equal(t.lookup('2001:db8::1:0')?.org, 'Second name');
  assert.equal(t.lookup('2001:db8::2:0'), undefined);
  assert.equal(t.lookup('2001:db8:0:1:8000::1')?.asn, 64501);
  assert.equal(t.lookup('2001:db8:0:2::1'), undefined);
  // A bound past 128 bits, and a line longer than any real one, are malformed, not read wrong.
  writeFileSync(join(dir, 'asn-ipv6-num.csv'), `1,${1n << 128n},64500,Too big\n`);
  assert.throws(() => AsnTable.load(dir), /asn-ipv6-num\.csv line 1 is malformed/);
  writeFileSync(join(dir, 'asn-ipv6-num.csv'), `1,2,64500,${'y'.repeat(MAX_CSV_LINE + 1)}\n`);
  assert.throws(() => AsnTable.load(dir), /asn-ipv6-num\.csv line 1 is malformed/);
});
