// The ASN database shipped by @ip-location-db/asn (RouteViews + DB-IP, CC BY 4.0), read from its numeric
// CSV ranges into sorted typed arrays and searched by binary search. Used when no ASN .mmdb is configured.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { ipv6ToBigInt, normaliseIp, parseIpv4 } from './networks.js';

export interface AsnRecord {
  asn: number;
  org: string;
}

/** Longest line accepted in the CSV; a longer one means the file is not what we expect. */
export const MAX_CSV_LINE = 4096;

/** Where the shipped package keeps its files. */
export function shippedAsnDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@ip-location-db/asn/package.json'));
}

/** "start,end,asn,org" with org optionally double-quoted (RFC 4180 quotes). Undefined when malformed. */
export function parseRangeLine(line: string): [string, string, number, string] | undefined {
  if (line.length === 0 || line.length > MAX_CSV_LINE) return undefined;
  const a = line.indexOf(',');
  const b = a < 0 ? -1 : line.indexOf(',', a + 1);
  const c = b < 0 ? -1 : line.indexOf(',', b + 1);
  if (c < 0) return undefined;
  const asn = Number(line.slice(b + 1, c));
  if (!Number.isInteger(asn) || asn < 0) return undefined;
  let org = line.slice(c + 1);
  if (org.startsWith('"')) {
    if (!org.endsWith('"') || org.length < 2) return undefined;
    org = org.slice(1, -1).replace(/""/g, '"');
  }
  return [line.slice(0, a), line.slice(a + 1, b), asn, org];
}

export { ipv6ToBigInt } from './networks.js';

/**
 * The non-empty lines of the CSV at PATH, parsed one at a time (splitting the text first held half a
 * million line strings at once): COUNT of them, and EACH to visit them with their index and line number.
 * Throws naming the file and line when one is malformed.
 */
function readRanges(path: string): { count: number; each(fn: (r: [string, string, number, string], i: number, line: number) => void): void } {
  // Bytes, decoded a line at a time: the file as one string took 30 MB of heap, and the memory it
  // grew stayed with the process.
  const bytes = readFileSync(path);
  const file = basename(path);
  const lines = (visit?: (line: string, i: number, n: number) => void): number => {
    let count = 0;
    let n = 0;
    for (let at = 0; at < bytes.length; ) {
      let end = bytes.indexOf(10, at);
      if (end < 0) end = bytes.length;
      n++;
      if (end > at) {
        if (visit) visit(bytes.toString('utf8', at, end), count, n);
        count++;
      }
      at = end + 1;
    }
    return count;
  };
  return {
    count: lines(),
    each(fn) {
      lines((line, i, n) => {
        const r = parseRangeLine(line);
        if (!r) throw new Error(`${file} line ${n} is malformed`);
        fn(r, i, n);
      });
    },
  };
}

export class AsnTable {
  private constructor(
    private readonly v4start: Uint32Array,
    private readonly v4end: Uint32Array,
    private readonly v4rec: Uint32Array,
    /** IPv6 range bounds as 128-bit numbers, each split into its high and low 64 bits. */
    private readonly v6start: Uint128Array,
    private readonly v6end: Uint128Array,
    private readonly v6rec: Uint32Array,
    private readonly records: AsnRecord[],
  ) {}

  /** Checks that DIR holds both numeric CSVs and that their first lines parse, without loading them. */
  static check(dir = shippedAsnDir()): void {
    for (const file of ['asn-ipv4-num.csv', 'asn-ipv6-num.csv']) {
      const fd = openSync(join(dir, file), 'r');
      try {
        const head = Buffer.alloc(MAX_CSV_LINE);
        const n = readSync(fd, head, 0, head.length, 0);
        const first = head.subarray(0, n).toString('utf8').split('\n')[0] ?? '';
        if (!parseRangeLine(first)) throw new Error(`${file} line 1 is malformed`);
      } finally {
        closeSync(fd);
      }
    }
  }

  /** Loads the two numeric CSVs from DIR (the shipped package by default). Throws on a malformed file. */
  static load(dir = shippedAsnDir()): AsnTable {
    const records: AsnRecord[] = [];
    // By number first: an AS has one name in nearly every line, and keys of "asn|org" were 91,000
    // strings made only to be thrown away. A second name for a number goes in by its text.
    const byAsn = new Map<number, number>();
    const byName = new Map<string, number>();
    const add = (asn: number, org: string): number => {
      // A copy of its own: ORG is a slice of its line, which would otherwise stay in memory with it.
      records.push({ asn, org: Buffer.from(org, 'utf8').toString('utf8') });
      return records.length - 1;
    };
    const recordOf = (asn: number, org: string): number => {
      const i = byAsn.get(asn);
      if (i === undefined) {
        const j = add(asn, org);
        byAsn.set(asn, j);
        return j;
      }
      if (records[i]!.org === org) return i;
      const key = `${asn}|${org}`;
      let j = byName.get(key);
      if (j === undefined) {
        j = add(asn, org);
        byName.set(key, j);
      }
      return j;
    };
    const v4 = readRanges(join(dir, 'asn-ipv4-num.csv'));
    const v4start = new Uint32Array(v4.count);
    const v4end = new Uint32Array(v4.count);
    const v4rec = new Uint32Array(v4.count);
    v4.each((r, i) => {
      v4start[i] = Number(r[0]);
      v4end[i] = Number(r[1]);
      v4rec[i] = recordOf(r[2], r[3]);
    });
    const v6 = readRanges(join(dir, 'asn-ipv6-num.csv'));
    const v6start = new Uint128Array(v6.count);
    const v6end = new Uint128Array(v6.count);
    const v6rec = new Uint32Array(v6.count);
    v6.each((r, i, line) => {
      if (!/^\d{1,39}$/.test(r[0]) || !/^\d{1,39}$/.test(r[1])) throw new Error(`asn-ipv6-num.csv line ${line} is malformed`);
      const start = BigInt(r[0]);
      const end = BigInt(r[1]);
      if (start > MAX_IPV6 || end > MAX_IPV6) throw new Error(`asn-ipv6-num.csv line ${line} is malformed`);
      v6start.set(i, start);
      v6end.set(i, end);
      v6rec[i] = recordOf(r[2], r[3]);
    });
    return new AsnTable(v4start, v4end, v4rec, v6start, v6end, v6rec, records);
  }

  get size(): number {
    return this.v4start.length + this.v6start.length;
  }

  lookup(ip: string): AsnRecord | undefined {
    const n = normaliseIp(ip);
    if (!n) return undefined;
    if (n.family === 'ipv4') {
      const v = parseIpv4(n.ip);
      const i = lastAtOrBelow(this.v4start.length, (k) => this.v4start[k]! <= v);
      return i >= 0 && v <= this.v4end[i]! ? this.records[this.v4rec[i]!] : undefined;
    }
    const v = ipv6ToBigInt(n.ip);
    const i = lastAtOrBelow(this.v6start.length, (k) => this.v6start.get(k) <= v);
    return i >= 0 && v <= this.v6end.get(i) ? this.records[this.v6rec[i]!] : undefined;
  }
}

const LOW_64 = (1n << 64n) - 1n;
const MAX_IPV6 = (1n << 128n) - 1n;

/**
 * Unsigned 128-bit numbers in two BigUint64Arrays (high and low halves): an array of BigInts held each
 * as a heap object of its own, 8 MB for the shipped IPv6 ranges against 3.3 MB here.
 */
class Uint128Array {
  private readonly hi: BigUint64Array;
  private readonly lo: BigUint64Array;
  constructor(readonly length: number) {
    this.hi = new BigUint64Array(length);
    this.lo = new BigUint64Array(length);
  }
  set(i: number, v: bigint): void {
    this.hi[i] = v >> 64n;
    this.lo[i] = v & LOW_64;
  }
  get(i: number): bigint {
    return (this.hi[i]! << 64n) | this.lo[i]!;
  }
}

/** Index of the last element for which the monotone predicate holds, or -1. */
function lastAtOrBelow(length: number, atOrBelow: (i: number) => boolean): number {
  let lo = 0;
  let hi = length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (atOrBelow(mid)) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
