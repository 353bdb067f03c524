// Address classification: CIDR sets, private and special-purpose ranges, internal vs external.
import { BlockList, isIP } from 'node:net';

/** Ranges that are never geolocated: private, loopback, link-local, shared, documentation, multicast, reserved. */
export const NON_PUBLIC_RANGES: readonly string[] = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
  '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
  '::/128', '::1/128', 'fc00::/7', 'fe80::/10', 'ff00::/8', '2001:db8::/32',
];

export type IpFamily = 'ipv4' | 'ipv6';

/** Canonical text of an address ("::ffff:1.2.3.4" becomes "1.2.3.4"), or undefined when it is not an IP literal. */
export function normaliseIp(ip: string): { ip: string; family: IpFamily } | undefined {
  if (ip.length > 64) return undefined;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  const text = mapped ? mapped[1]! : ip;
  const v = isIP(text);
  if (v === 4) return { ip: text, family: 'ipv4' };
  if (v === 6) return { ip: text.toLowerCase(), family: 'ipv6' };
  return undefined;
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

/** A set of CIDR ranges answering "is this address inside". */
export class CidrSet {
  private readonly list = new BlockList();
  readonly size: number;
  constructor(readonly cidrs: readonly string[]) {
    for (const c of cidrs) {
      const p = parseCidr(c);
      this.list.addSubnet(p.net, p.bits, p.family);
    }
    this.size = cidrs.length;
  }
  has(ip: string): boolean {
    if (this.size === 0) return false;
    const n = normaliseIp(ip);
    return n !== undefined && this.list.check(n.ip, n.family);
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
