// Malware capture for the SMB sensor over the shared runtime pieces: the content-addressed
// quarantine and the fetch policy (http/https through the shared Fetcher; tftp, which worms of the
// MS08-067 and MS03-026 era use, through a small RFC 1350 client under the same policy).
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Fetcher as SharedFetcher } from '../runtime/fetch.js';
import type { Quarantine as SharedQuarantine } from '../runtime/quarantine.js';

/** TFTP blocks read at most (512 bytes each); the byte cap of the policy applies first. */
export const MAX_TFTP_BLOCKS = 65535;

export interface StoredFile {
  sha256: string;
  md5: string;
  size: number;
  path: string;
  duplicate: boolean;
  truncated: boolean;
}

export interface Quarantine {
  /** Stores bytes under their SHA-256. Rejects only on disk errors. */
  store(data: Uint8Array): Promise<StoredFile>;
}

export type FetchOutcome =
  | { outcome: 'stored' | 'duplicate' | 'truncated'; file: StoredFile }
  | { outcome: 'disabled' | 'refused' | 'failed'; reason: string };

export interface Fetcher {
  fetch(url: string, source: string): Promise<FetchOutcome>;
}

export class SharedCapture implements Quarantine, Fetcher {
  private readonly tftpRecent = new Map<string, number[]>();

  constructor(
    private readonly quarantine: SharedQuarantine,
    private readonly fetcher: SharedFetcher,
  ) {}

  async store(data: Uint8Array): Promise<StoredFile> {
    const r = this.quarantine.store(Buffer.from(data.buffer, data.byteOffset, data.length));
    if (!r.stored && r.reason === 'write_failed') throw new Error('quarantine write failed');
    return { sha256: r.sha256, md5: r.md5, size: r.size, path: this.quarantine.pathOf(r.sha256), duplicate: r.duplicate, truncated: r.truncated };
  }

  private async keep(data: Uint8Array, truncated: boolean): Promise<FetchOutcome> {
    const file = await this.store(data);
    return { outcome: truncated || file.truncated ? 'truncated' : file.duplicate ? 'duplicate' : 'stored', file };
  }

  async fetch(url: string, source: string): Promise<FetchOutcome> {
    if (!this.fetcher.policy.enabled) return { outcome: 'disabled', reason: 'fetching is off (fetch.enabled)' };
    if (url.startsWith('tftp://')) return this.tftp(url, source);
    const r = await this.fetcher.fetch(url, source);
    if (!r.ok) return { outcome: r.error === 'refused' || r.error === 'rate' || r.error === 'bad_url' ? 'refused' : 'failed', reason: `${r.error}: ${r.detail}`.slice(0, 200) };
    return this.keep(r.data, r.truncated);
  }

  private async tftp(raw: string, source: string): Promise<FetchOutcome> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { outcome: 'refused', reason: 'not a URL' };
    }
    const now = Date.now();
    const recent = (this.tftpRecent.get(source) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= this.fetcher.policy.perSourcePerMinute) return { outcome: 'refused', reason: 'rate: fetch budget of this source used up' };
    recent.push(now);
    this.tftpRecent.set(source, recent);
    let address = url.hostname.replace(/^\[|\]$/g, '');
    if (!isIP(address)) {
      try {
        address = (await lookup(address)).address;
      } catch {
        return { outcome: 'failed', reason: 'resolve: name does not resolve' };
      }
    }
    if (!this.fetcher.addressAllowed(address)) return { outcome: 'refused', reason: `refused: ${address} is not a public address` };
    try {
      const got = await tftpGet(address, Number(url.port || 69), decodeURIComponent(url.pathname.replace(/^\//, '')), this.fetcher.policy.maxBytes, this.fetcher.policy.timeoutMs);
      return this.keep(got.data, got.truncated);
    } catch (err) {
      return { outcome: 'failed', reason: (err as Error).message.slice(0, 200) };
    }
  }
}

/** A minimal RFC 1350 octet-mode read request with a byte cap and a total time limit. */
export function tftpGet(address: string, port: number, file: string, maxBytes: number, timeoutMs: number): Promise<{ data: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    const parts: Buffer[] = [];
    let size = 0;
    let expected = 1;
    let blocks = 0;
    let finished = false;
    const done = (err?: Error, truncated = false): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve({ data: Buffer.concat(parts), truncated });
    };
    const timer = setTimeout(() => done(new Error('timeout: TFTP transfer too slow')), timeoutMs);
    sock.on('error', (e) => done(e));
    sock.on('message', (msg, rinfo) => {
      if (msg.length < 4 || rinfo.address !== address) return;
      const op = msg.readUInt16BE(0);
      if (op === 5) return done(new Error('http: TFTP error packet'));
      if (op !== 3) return;
      const block = msg.readUInt16BE(2);
      sock.send(Buffer.from([0, 4, block >> 8, block & 0xff]), rinfo.port, rinfo.address);
      if (block !== expected) return;
      expected = (expected + 1) & 0xffff;
      const body = msg.subarray(4);
      if (size + body.length > maxBytes || ++blocks > MAX_TFTP_BLOCKS) {
        parts.push(body.subarray(0, Math.max(0, maxBytes - size)));
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
