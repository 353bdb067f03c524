// Malware capture for the SMB sensor: a content-addressed quarantine and a policy-bound fetcher for
// URLs recovered from shellcode. Written against two small interfaces so the shared runtime versions
// (src/sensors/runtime/quarantine.ts and fetch.ts) can replace these without touching the sensor.
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { join } from 'node:path';

export interface StoredFile {
  sha256: string;
  md5: string;
  size: number;
  path: string;
  duplicate: boolean;
}

export interface Quarantine {
  /** Stores bytes under their SHA-256; never throws for attacker content (disk errors reject). */
  store(data: Uint8Array): Promise<StoredFile>;
}

export type FetchOutcome =
  | { outcome: 'stored' | 'duplicate' | 'truncated'; file: StoredFile }
  | { outcome: 'disabled' | 'refused' | 'failed'; reason: string };

export interface Fetcher {
  fetch(url: string): Promise<FetchOutcome>;
}

export function hashes(data: Uint8Array): { sha256: string; md5: string } {
  return { sha256: createHash('sha256').update(data).digest('hex'), md5: createHash('md5').update(data).digest('hex') };
}

/** Files at DIR/<sha256> (mode 0400); a second copy of the same bytes is a duplicate. */
export class DirectoryQuarantine implements Quarantine {
  constructor(private readonly dir: string) {}

  async store(data: Uint8Array): Promise<StoredFile> {
    const { sha256, md5 } = hashes(data);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, sha256);
    const duplicate = existsSync(path);
    if (!duplicate) writeFileSync(path, data, { mode: 0o400 });
    return { sha256, md5, size: data.length, path, duplicate };
  }
}

export interface FetchPolicy {
  enabled: boolean;
  maxBytes: number;
  timeoutMs: number;
  allowPrivate: boolean;
  perMinute: number;
}

/** Addresses a fetch may not reach unless private targets are allowed (loopback, RFC 1918, link-local, ...). */
export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || a >= 224;
  }
  const v = ip.toLowerCase();
  if (v.startsWith('::ffff:')) return isPrivateAddress(v.slice(7));
  return v === '::1' || v === '::' || v.startsWith('fc') || v.startsWith('fd') || v.startsWith('fe8') || v.startsWith('fe9') || v.startsWith('fea') || v.startsWith('feb') || v.startsWith('ff');
}

/** Fetches http(s) and tftp URLs into the quarantine under a size, time and rate policy. */
export class PolicyFetcher implements Fetcher {
  private recent: number[] = [];

  constructor(
    private readonly policy: FetchPolicy,
    private readonly quarantine: Quarantine,
  ) {}

  async fetch(raw: string): Promise<FetchOutcome> {
    if (!this.policy.enabled) return { outcome: 'disabled', reason: 'fetching is off (services.smb.fetch.enabled)' };
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { outcome: 'refused', reason: 'not a URL' };
    }
    const now = Date.now();
    this.recent = this.recent.filter((t) => now - t < 60_000);
    if (this.recent.length >= this.policy.perMinute) return { outcome: 'refused', reason: 'fetch rate limit reached' };
    this.recent.push(now);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let address = host;
    if (!isIP(host)) {
      try {
        address = (await lookup(host)).address;
      } catch {
        return { outcome: 'failed', reason: 'name does not resolve' };
      }
    }
    if (!this.policy.allowPrivate && isPrivateAddress(address)) return { outcome: 'refused', reason: `private or loopback target ${address}` };
    try {
      let got: { data: Uint8Array; truncated: boolean };
      if (url.protocol === 'http:' || url.protocol === 'https:') got = await this.http(url, address);
      else if (url.protocol === 'tftp:') got = await this.tftp(address, Number(url.port || 69), decodeURIComponent(url.pathname.replace(/^\//, '')));
      else return { outcome: 'refused', reason: `scheme ${url.protocol} not fetched` };
      const file = await this.quarantine.store(got.data);
      return { outcome: got.truncated ? 'truncated' : file.duplicate ? 'duplicate' : 'stored', file };
    } catch (err) {
      return { outcome: 'failed', reason: (err as Error).message.slice(0, 200) };
    }
  }

  private http(url: URL, address: string): Promise<{ data: Uint8Array; truncated: boolean }> {
    return new Promise((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
        {
          host: address,
          port: url.port || (url.protocol === 'https:' ? 443 : 80),
          path: url.pathname + url.search,
          method: 'GET',
          headers: { host: url.host, 'user-agent': 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)', accept: '*/*' },
          servername: isIP(url.hostname) ? undefined : url.hostname,
          rejectUnauthorized: false,
        },
        (res) => {
          if ((res.statusCode ?? 0) >= 400) {
            res.resume();
            reject(new Error(`HTTP ${res.statusCode}`));
            return;
          }
          const parts: Buffer[] = [];
          let size = 0;
          let truncated = false;
          res.on('data', (c: Buffer) => {
            if (truncated) return;
            const room = this.policy.maxBytes - size;
            if (c.length > room) {
              parts.push(c.subarray(0, room));
              size += room;
              truncated = true;
              res.destroy();
              resolve({ data: Buffer.concat(parts), truncated });
              return;
            }
            parts.push(c);
            size += c.length;
          });
          res.on('end', () => resolve({ data: Buffer.concat(parts), truncated }));
          res.on('error', reject);
        },
      );
      req.setTimeout(this.policy.timeoutMs, () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end();
    });
  }

  /** A minimal RFC 1350 octet-mode read. */
  private tftp(address: string, port: number, file: string): Promise<{ data: Uint8Array; truncated: boolean }> {
    return new Promise((resolve, reject) => {
      const sock = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
      const parts: Buffer[] = [];
      let size = 0;
      let expected = 1;
      const done = (err?: Error, truncated = false): void => {
        clearTimeout(timer);
        sock.close();
        if (err) reject(err);
        else resolve({ data: Buffer.concat(parts), truncated });
      };
      const timer = setTimeout(() => done(new Error('timed out')), this.policy.timeoutMs);
      sock.on('error', (e) => done(e));
      sock.on('message', (msg, rinfo) => {
        const op = msg.readUInt16BE(0);
        if (op === 5) return done(new Error('TFTP error'));
        if (op !== 3 || msg.length < 4) return;
        const block = msg.readUInt16BE(2);
        const ack = Buffer.from([0, 4, block >> 8, block & 0xff]);
        sock.send(ack, rinfo.port, rinfo.address);
        if (block !== expected) return;
        expected = (expected + 1) & 0xffff;
        const body = msg.subarray(4);
        if (size + body.length > this.policy.maxBytes) {
          parts.push(body.subarray(0, this.policy.maxBytes - size));
          return done(undefined, true);
        }
        parts.push(body);
        size += body.length;
        if (body.length < 512) done();
      });
      const rrq = Buffer.concat([Buffer.from([0, 1]), Buffer.from(file.slice(0, 255), 'latin1'), Buffer.from([0]), Buffer.from('octet'), Buffer.from([0])]);
      sock.send(rrq, port, address);
    });
  }
}
