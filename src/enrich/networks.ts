// Address classification: CIDR sets, private and special-purpose ranges, internal vs external.
import { isIP } from 'node:net';

/** Ranges that are never geolocated: private, loopback, link-local, shared, documentation, multicast, reserved. */
export const NON_PUBLIC_RANGES: readonly string[] = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
  '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
  '::/128', '::1/128', 'fc00::/7', 'fe80::/10', 'ff00::/8', '2001:db8::/32',
];

export type IpFamily = 'ipv4' | 'ipv6';

/**
 * The 32-bit value of a dotted-quad IPv4 address, accepting exactly what node's isIPv4 accepts (four
 * decimal parts of 0-255 without leading zeros), or -1. A hand parser: lookups run once per new source
 * address, and the regular expression behind isIP was most of their cost.
 */
export function parseIpv4(s: string): number {
  const n = s.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57 || (digits > 0 && part === 0)) return -1;
    part = part * 10 + (c - 48);
    digits++;
    if (part > 255) return -1;
  }
  return dots === 3 && digits > 0 ? value * 256 + part : -1;
}

/** 128-bit value of an IPv6 address (already validated). */
export function ipv6ToBigInt(ip: string): bigint {
  let text = ip;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const hi = (Number(v4[1]) << 8) | Number(v4[2]);
    const lo = (Number(v4[3]) << 8) | Number(v4[4]);
    text = `${text.slice(0, v4.index)}${hi.toString(16)}:${lo.toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(parseInt(g || '0', 16));
  return v;
}

/** Canonical text of an address ("::ffff:1.2.3.4" becomes "1.2.3.4"), or undefined when it is not an IP literal. */
export function normaliseIp(ip: string): { ip: string; family: IpFamily } | undefined {
  if (parseIpv4(ip) >= 0) return { ip, family: 'ipv4' };
  if (ip.length > 64) return undefined;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  const text = mapped ? mapped[1]! : ip;
  const v = isIP(text);
  if (v === 4) return { ip: text, family: 'ipv4' };
  if (v === 6) return { ip: text.toLowerCase(), family: 'ipv6' };
  return undefined;
}

/**
 * An address as sensors store it (the form a socket gives): IPv4 as written, IPv4-mapped IPv6 as its
 * IPv4 address, IPv6 compressed and lowercase (2001:DB8:0::0A is 2001:db8::a); undefined when it is not
 * an IP literal.
 */
export function canonicalIp(ip: string): string | undefined {
  const n = normaliseIp(ip);
  if (!n) return undefined;
  if (n.family === 'ipv4' || n.ip.includes('.') || n.ip.includes('%')) return n.ip;
  return new URL(`http://[${n.ip}]/`).hostname.slice(1, -1);
}

export function parseCidr(cidr: string): { net: string; bits: number; family: IpFamily } {
  const slash = cidr.indexOf('/');
  const addr = slash < 0 ? cidr : cidr.slice(0, slash);
  const n = normaliseIp(addr);
  if (!n) throw new Error(`not a CIDR range: ${cidr}`);
  const max = n.family === 'ipv4' ? 32 : 128;
  const bits = slash < 0 ? max : Number(cidr.slice(slash + 1));
  if (!Number.isInteger(bits) || bits < 0 || bits > max) throw new Error(`bad prefix length in ${cidr}`);
  return { net: n.ip, bits, family: n.family };
}

/** IPv4-mapped IPv6 prefix (::ffff:0:0/96): an IPv6 rule covering it matches the IPv4 address too. */
const V4_MAPPED = 0xffffn << 32n;
const V4_MAPPED_MASK = ((1n << 128n) - 1n) ^ ((1n << 32n) - 1n);

/** A set of CIDR ranges answering "is this address inside", by integer masks (no allocation per check). */
export class CidrSet {
  private readonly v4: { net: number; mask: number }[] = [];
  private readonly v6: { net: bigint; mask: bigint }[] = [];
  /** The IPv6 ranges that overlap ::ffff:0:0/96, the only ones an IPv4 address can fall in. */
  private readonly v6mapped: { net: bigint; mask: bigint }[] = [];
  readonly size: number;
  constructor(readonly cidrs: readonly string[]) {
    for (const c of cidrs) {
      const p = parseCidr(c);
      if (p.family === 'ipv4') {
        const mask = p.bits === 0 ? 0 : (0xffffffff << (32 - p.bits)) >>> 0;
        this.v4.push({ net: (parseIpv4(p.net) & mask) >>> 0, mask });
      } else {
        const mask = p.bits === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - p.bits)) - 1n);
        const range = { net: ipv6ToBigInt(p.net) & mask, mask };
        this.v6.push(range);
        // Two prefixes overlap when they agree on the shorter one's bits.
        if (((range.net ^ V4_MAPPED) & mask & V4_MAPPED_MASK) === 0n) this.v6mapped.push(range);
      }
    }
    this.size = cidrs.length;
  }
  has(ip: string): boolean {
    if (this.size === 0) return false;
    const n = normaliseIp(ip);
    if (!n) return false;
    if (n.family === 'ipv4') {
      const v = parseIpv4(n.ip);
      for (const r of this.v4) if (((v & r.mask) >>> 0) === r.net) return true;
      return this.v6mapped.length > 0 && CidrSet.within(this.v6mapped, V4_MAPPED | BigInt(v));
    }
    return CidrSet.within(this.v6, ipv6ToBigInt(n.ip));
  }
  private static within(ranges: readonly { net: bigint; mask: bigint }[], v: bigint): boolean {
    for (const r of ranges) if ((v & r.mask) === r.net) return true;
    return false;
  }
}

const nonPublic = new CidrSet(NON_PUBLIC_RANGES);

/** True for private, loopback and other special-purpose addresses (and anything that is not an IP). */
export function isNonPublic(ip: string): boolean {
  return normaliseIp(ip) === undefined || nonPublic.has(ip);
}

/** Picks the most specific matching range: entries are kept sorted by prefix length, longest first. */
export class CidrMap<T> {
  private readonly entries: { bits: number; set: CidrSet; value: T }[];
  constructor(entries: readonly { cidr: string; value: T }[]) {
    this.entries = entries
      .map((e) => ({ bits: parseCidr(e.cidr).bits, set: new CidrSet([e.cidr]), value: e.value }))
      .sort((a, b) => b.bits - a.bits);
  }
  get(ip: string): T | undefined {
    for (const e of this.entries) if (e.set.has(ip)) return e.value;
    return undefined;
  }
}
