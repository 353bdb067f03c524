// The fetch policy: what a sensor may download on an attacker's behalf (wget/curl in the fake shell,
// URLs in SMB exploits, HTTP payloads, ...). Off by default. When on: http, https and tftp, a size cap
// (the body is cut there and reported truncated), a total time limit, a per-source rate limit, and
// no private, loopback, link-local, multicast or reserved targets unless a configured CIDR allows
// them. Names are resolved only when fetching is enabled, every resolved address is checked, and
// the connection goes to the checked address (no second lookup an attacker's DNS could change).
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { createSocket } from 'node:dgram';
import { BlockList, isIP } from 'node:net';
import { sourceKey } from '../../events/source-key.js';
import { RecentMap } from './recent-map.js';

/**
 * Fetches in progress at once over the whole process, every sensor together; past it a fetch is
 * refused (error 'rate') rather than queued. Bounds the response bytes held to this many max_bytes.
 */
export const MAX_CONCURRENT_FETCHES = 16;
/** Sources whose fetches of the last minute are remembered for the per-source rate (the most recent). */
export const MAX_FETCH_SOURCES = 20_000;
/** Fetches in progress in this process, over every Fetcher (the sensors' and the shell's). */
let fetchesInFlight = 0;

export interface FetchPolicy {
  enabled: boolean;
  /** Bytes kept from one response body; the rest is not read. */
  maxBytes: number;
  /** Whole-request time limit (connect, redirects and body). */
  timeoutMs: number;
  /** Fetches one source (an address, or an IPv6 /64) may start per minute. */
  perSourcePerMinute: number;
  /** Fetches in progress at once in the process (MAX_CONCURRENT_FETCHES unless a test sets fewer). */
  maxConcurrent: number;
  /** CIDR ranges that may be fetched from even though they are private/loopback/link-local. */
  allowCidrs: readonly string[];
  /** Redirects followed (each target checked again). */
  maxRedirects: number;
  userAgent: string;
}

export const DEFAULT_FETCH_POLICY: FetchPolicy = {
  enabled: false,
  maxBytes: 8 * 1024 * 1024,
  timeoutMs: 20_000,
  perSourcePerMinute: 5,
  maxConcurrent: MAX_CONCURRENT_FETCHES,
  allowCidrs: [],
  maxRedirects: 3,
  userAgent: 'Wget/1.21.3',
};

export type FetchError = 'disabled' | 'bad_url' | 'refused' | 'rate' | 'resolve' | 'connect' | 'timeout' | 'http';

export type FetchResult =
  | { ok: true; data: Buffer; truncated: boolean; status: number; contentType?: string; finalUrl: string; address: string }
  | { ok: false; error: FetchError; detail: string; status?: number };

/** Ranges never fetched from unless allowCidrs says so (RFC 1918, 6598, 3927, 5735, 4193, 4291...). */
const BLOCKED_V4: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24],
  ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];
/**
 * Besides loopback, ULA, link-local, multicast, documentation and discard: every form that carries an
 * IPv4 address a relay or translator would reach for us (IPv4-compatible ::a.b.c.d, NAT64's well-known
 * and local-use prefixes, 6to4, Teredo), the old site-local range and the newer documentation prefix.
 */
const BLOCKED_V6: [string, number][] = [
  ['::', 96], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['2001:db8::', 32], ['3fff::', 20],
  ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['2002::', 16], ['2001::', 32], ['100::', 64],
];

function buildBlockList(ranges: readonly string[]): BlockList {
  const b = new BlockList();
  for (const r of ranges) {
    const [addr, bits] = r.split('/');
    const fam = isIP(addr ?? '');
    if (fam) b.addSubnet(addr!, Number(bits), fam === 4 ? 'ipv4' : 'ipv6');
  }
  return b;
}

const BLOCKED = (() => {
  const b = new BlockList();
  for (const [a, n] of BLOCKED_V4) b.addSubnet(a, n, 'ipv4');
  for (const [a, n] of BLOCKED_V6) b.addSubnet(a, n, 'ipv6');
  return b;
})();

/** An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is judged as the IPv4 address it carries. */
function unmap(addr: string): string {
  const m = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  if (m) return m[1]!;
  const h = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(addr);
  if (h) {
    const a = parseInt(h[1]!, 16);
    const b = parseInt(h[2]!, 16);
    return `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
  }
  return addr;
}

export type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

export class Fetcher {
  private readonly allowed: BlockList;
  /**
   * Fetch times in the last minute per source, for the sources seen most recently (MAX_FETCH_SOURCES;
   * O(1) per fetch: a full scan past 10,000 sources ran on every fetch while they were all recent).
   */
  private readonly recent = new RecentMap<number[]>(MAX_FETCH_SOURCES);

  constructor(
    readonly policy: FetchPolicy,
    private readonly resolve: Resolver = systemResolver,
    private readonly now: () => number = Date.now,
  ) {
    this.allowed = buildBlockList(policy.allowCidrs);
  }

  /** Whether ADDRESS may be contacted under this policy. */
  addressAllowed(address: string): boolean {
    const a = unmap(address);
    const fam = isIP(a);
    if (!fam) return false;
    const type = fam === 4 ? 'ipv4' : 'ipv6';
    if (this.allowed.check(a, type)) return true;
    return !BLOCKED.check(a, type);
  }

  /** Counts a fetch for SOURCE (by its sourceKey); false when it is over its per-minute budget. */
  private takeToken(address: string): boolean {
    const source = sourceKey(address);
    const now = this.now();
    const list = (this.recent.get(source) ?? []).filter((t) => now - t < 60_000);
    if (list.length >= this.policy.perSourcePerMinute) {
      this.recent.set(source, list);
      return false;
    }
    list.push(now);
    this.recent.set(source, list);
    return true;
  }

  /** Fetches URL for the attacker at SOURCE under the policy. Never throws. */
  async fetch(url: string, source: string): Promise<FetchResult> {
    if (!this.policy.enabled) return { ok: false, error: 'disabled', detail: 'fetching is disabled' };
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return { ok: false, error: 'bad_url', detail: 'not a URL' };
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:' && u.protocol !== 'tftp:') return { ok: false, error: 'bad_url', detail: `scheme ${u.protocol.replace(':', '')} is not fetched` };
    let tftpFile: string | undefined;
    if (u.protocol === 'tftp:') {
      try {
        tftpFile = decodeURIComponent(u.pathname.replace(/^\//, '')).slice(0, 255);
      } catch {
        return { ok: false, error: 'bad_url', detail: 'bad percent-escape in the tftp path' };
      }
    }
    const r = await this.bounded(source, () => {
      const deadline = this.now() + this.policy.timeoutMs;
      return tftpFile !== undefined ? this.tftp(u, tftpFile, deadline) : this.http(u, deadline);
    });
    return r.ran ? r.value : { ok: false, error: 'rate', detail: r.detail };
  }

  /**
   * Runs FN as one fetch for the attacker at SOURCE within the policy's bounds (fetches in flight in
   * the process, SOURCE's per-minute budget), or says why it may not start. fetch() runs in it, and so
   * do sensors with clients of their own (SMB's FTP and TFTP).
   */
  async bounded<T>(source: string, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false; detail: string }> {
    if (fetchesInFlight >= this.policy.maxConcurrent) return { ran: false, detail: `more than ${this.policy.maxConcurrent} fetches in progress` };
    if (!this.takeToken(source)) return { ran: false, detail: `more than ${this.policy.perSourcePerMinute} fetches a minute from ${sourceKey(source)}` };
    fetchesInFlight++;
    try {
      return { ran: true, value: await fn() };
    } finally {
      fetchesInFlight--;
    }
  }

  /** HTTP(S) GET of U, following redirects (each target vetted again). */
  private async http(u: URL, deadline: number): Promise<FetchResult> {
    let current = u;
    for (let hop = 0; hop <= this.policy.maxRedirects; hop++) {
      const r = await this.once(current, deadline);
      if (!r.ok || !('redirect' in r)) return r;
      try {
        current = new URL(r.redirect, current);
      } catch {
        return { ok: false, error: 'http', detail: 'bad redirect', status: r.status };
      }
      if (current.protocol !== 'http:' && current.protocol !== 'https:') return { ok: false, error: 'refused', detail: 'redirect to another scheme' };
    }
    return { ok: false, error: 'http', detail: 'too many redirects' };
  }

  /** Checks U's host against the policy; returns the address to use or a refusal. */
  private async vet(u: URL, deadline: number): Promise<{ address: string } | FetchResult> {
    const host = u.hostname.replace(/^\[|\]$/g, '');
    let addresses: string[];
    if (isIP(host)) addresses = [host];
    else {
      try {
        addresses = await withTimeout(this.resolve(host), Math.max(1, deadline - this.now()));
      } catch {
        return { ok: false, error: 'resolve', detail: `cannot resolve ${host}` };
      }
    }
    if (addresses.length === 0) return { ok: false, error: 'resolve', detail: `no address for ${host}` };
    const bad = addresses.find((a) => !this.addressAllowed(a));
    if (bad) return { ok: false, error: 'refused', detail: `${bad} is in a range fetching may not reach` };
    return { address: addresses[0]! };
  }

  /**
   * TFTP read (RFC 1350): RRQ "file\0octet\0" to the server's port; it answers from a new port with
   * DATA blocks of 512 bytes (opcode 3, block number), each acknowledged (opcode 4); a short block
   * ends the transfer, ERROR (opcode 5) aborts it. Over max_bytes the transfer is abandoned and cut.
   */
  private async tftp(u: URL, file: string, deadline: number): Promise<FetchResult> {
    const vetted = await this.vet(u, deadline);
    if (!('address' in vetted)) return vetted;
    const address = vetted.address;
    const port = u.port ? Number(u.port) : 69;
    return new Promise((resolve) => {
      const sock = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
      const chunks: Buffer[] = [];
      let size = 0;
      let expected = 1;
      let peer: { port: number } | undefined;
      let done = false;
      const finish = (r: FetchResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sock.close();
        resolve(r);
      };
      const timer = setTimeout(() => finish({ ok: false, error: 'timeout', detail: 'time limit reached' }), Math.max(1, deadline - this.now()));
      timer.unref();
      const ack = (block: number, to: number): void => {
        const b = Buffer.alloc(4);
        b.writeUInt16BE(4, 0);
        b.writeUInt16BE(block & 0xffff, 2);
        sock.send(b, to, address);
      };
      sock.on('error', () => finish({ ok: false, error: 'connect', detail: 'tftp socket error' }));
      sock.on('message', (msg, rinfo) => {
        if (rinfo.address.replace(/^::ffff:/, '') !== address.replace(/^::ffff:/, '') || msg.length < 4) return;
        if (peer && rinfo.port !== peer.port) return;
        peer ??= { port: rinfo.port };
        const op = msg.readUInt16BE(0);
        if (op === 5) return finish({ ok: false, error: 'http', detail: `tftp error ${msg.readUInt16BE(2)}: ${msg.subarray(4, 100).toString('latin1').replace(/\0.*$/s, '')}`, status: msg.readUInt16BE(2) });
        if (op !== 3) return;
        const block = msg.readUInt16BE(2);
        if (block !== (expected & 0xffff)) {
          ack(block, rinfo.port);
          return;
        }
        const data = msg.subarray(4);
        const room = this.policy.maxBytes - size;
        if (data.length > room) {
          chunks.push(data.subarray(0, room));
          size += room;
          const err = Buffer.concat([Buffer.from([0, 5, 0, 3]), Buffer.from('Disk full\0')]);
          sock.send(err, rinfo.port, address);
          return finish({ ok: true, data: Buffer.concat(chunks), truncated: true, status: 0, finalUrl: u.toString(), address });
        }
        chunks.push(Buffer.from(data));
        size += data.length;
        ack(block, rinfo.port);
        expected++;
        if (data.length < 512) finish({ ok: true, data: Buffer.concat(chunks), truncated: false, status: 0, finalUrl: u.toString(), address });
      });
      const rrq = Buffer.concat([Buffer.from([0, 1]), Buffer.from(`${file}\0octet\0`, 'latin1')]);
      sock.send(rrq, port, address, (err) => {
        if (err) finish({ ok: false, error: 'connect', detail: err.message });
      });
    });
  }

  private async once(u: URL, deadline: number): Promise<FetchResult | { ok: true; redirect: string; status: number }> {
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const vetted = await this.vet(u, deadline);
    if (!('address' in vetted)) return vetted;
    const address = vetted.address;
    const remaining = deadline - this.now();
    if (remaining <= 0) return { ok: false, error: 'timeout', detail: 'time limit reached' };
    return new Promise((resolve) => {
      let settled = false;
      const finish = (r: FetchResult | { ok: true; redirect: string; status: number }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const mod = u.protocol === 'https:' ? https : http;
      const req = mod.request(
        {
          host: address,
          servername: isIP(host) ? undefined : host,
          port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80,
          path: `${u.pathname}${u.search}`,
          method: 'GET',
          headers: { Host: u.host, 'User-Agent': this.policy.userAgent, Accept: '*/*', Connection: 'close' },
          rejectUnauthorized: false,
          // The address was checked above: never look the name up again.
          lookup: ((_h: string, _o: unknown, cb: (err: Error | null, address: string, family: number) => void) => cb(null, address, isIP(address))) as never,
          agent: false,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 300 && status < 400 && res.headers.location) {
            res.resume();
            finish({ ok: true, redirect: res.headers.location, status });
            return;
          }
          if (status < 200 || status >= 300) {
            res.resume();
            finish({ ok: false, error: 'http', detail: res.statusMessage ?? 'error', status });
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          let truncated = false;
          res.on('data', (c: Buffer) => {
            if (truncated) return;
            const room = this.policy.maxBytes - size;
            if (c.length > room) {
              chunks.push(c.subarray(0, room));
              size += room;
              truncated = true;
              req.destroy();
              done();
              return;
            }
            chunks.push(c);
            size += c.length;
          });
          const done = (): void => finish({ ok: true, data: Buffer.concat(chunks), truncated, status, finalUrl: u.toString(), address, ...(res.headers['content-type'] ? { contentType: String(res.headers['content-type']).slice(0, 100) } : {}) });
          res.on('end', done);
          res.on('error', () => (truncated ? undefined : finish({ ok: false, error: 'connect', detail: 'connection reset' })));
        },
      );
      const timer = setTimeout(() => {
        req.destroy();
        finish({ ok: false, error: 'timeout', detail: 'time limit reached' });
      }, remaining);
      timer.unref();
      req.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, error: 'connect', detail: err.code ?? 'connect failed' }));
      req.end();
    });
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    t.unref();
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}
