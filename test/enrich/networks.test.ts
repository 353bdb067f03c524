// The address parsers and CIDR sets against node's own: parseIpv4 accepts exactly what isIPv4 accepts,
// and CidrSet answers as node's BlockList does, on random and hostile strings.
import assert from 'node:assert/strict';
import { BlockList, isIPv4 } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { CidrSet, NON_PUBLIC_RANGES, isNonPublic, normaliseIp, parseIpv4 } from '../../src/enrich/networks.js';

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((p) => p.join('.'));
/** Near-misses: leading zeros, out-of-range parts, missing or extra parts, stray characters. */
const nearIpv4 = fc.oneof(
  ipv4,
  fc.array(fc.oneof(fc.integer({ min: 0, max: 999 }).map(String), fc.constantFrom('', '00', '01', '256', '-1', 'a', ' 1')), { minLength: 1, maxLength: 6 }).map((p) => p.join('.')),
  fc.string({ maxLength: 20 }),
);

test('parseIpv4 accepts exactly what isIPv4 accepts, with the right value', () => {
  fc.assert(
    fc.property(nearIpv4, (s) => {
      const v = parseIpv4(s);
      assert.equal(v >= 0, isIPv4(s), s);
      if (v >= 0) assert.equal(v, s.split('.').reduce((acc, p) => acc * 256 + Number(p), 0));
    }),
    { numRuns: 5000 },
  );
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
  assert.equal(parseIpv4('0.0.0.0'), 0);
  assert.equal(parseIpv4('1.2.3.04'), -1);
});

test('CidrSet answers as BlockList does, for IPv4, IPv6 and mapped addresses', () => {
  const ipv6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));
  const v4cidr = fc.tuple(ipv4, fc.integer({ min: 0, max: 32 })).map(([a, b]) => `${a}/${b}`);
  const group = fc.integer({ min: 0, max: 0xffff }).map((x) => x.toString(16));
  const v6cidr = fc.oneof(
    fc.tuple(ipv6, fc.integer({ min: 0, max: 128 })).map(([a, b]) => `${a}/${b}`),
    // Ranges inside and around ::ffff:0:0/96, where IPv4 addresses fall.
    fc.tuple(group, group, fc.integer({ min: 96, max: 128 })).map(([hi, lo, b]) => `::ffff:${hi}:${lo}/${b}`),
    fc.integer({ min: 0, max: 96 }).map((b) => `::/${b}`),
  );
  const address = fc.oneof(ipv4, ipv6, ipv4.map((a) => `::ffff:${a}`), nearIpv4);
  fc.assert(
    fc.property(fc.array(fc.oneof(v4cidr, v6cidr), { maxLength: 4 }), fc.array(address, { maxLength: 20 }), (cidrs, addresses) => {
      const set = new CidrSet(cidrs);
      const list = new BlockList();
      for (const c of cidrs) {
        const [net, bits] = c.split('/');
        list.addSubnet(net!, Number(bits), net!.includes(':') ? 'ipv6' : 'ipv4');
      }
      for (const a of addresses) {
        const n = normaliseIp(a);
        const expected = n !== undefined && list.check(n.ip, n.family);
        assert.equal(set.has(a), expected, `${a} in ${cidrs.join(',')}`);
      }
    }),
    { numRuns: 2000 },
  );
});

test('non-public ranges: private, loopback and documentation addresses, and not a public one', () => {
  for (const ip of ['10.1.2.3', '127.0.0.1', '192.168.1.1', '172.31.255.255', '::1', 'fe80::1', '2001:db8::5', '::ffff:10.0.0.1', 'not-an-ip']) assert.equal(isNonPublic(ip), true, ip);
  for (const ip of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2a00:1450::1', '::ffff:8.8.8.8']) assert.equal(isNonPublic(ip), false, ip);
  assert.ok(NON_PUBLIC_RANGES.length > 10);
});
