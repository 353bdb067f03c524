// Malware capture for the SMB sensor over the shared runtime pieces: the content-addressed
// quarantine and the fetch policy (http/https through the shared Fetcher; tftp, which worms of the
// MS08-067 and MS03-026 era use, through a small RFC 1350 client under the same policy).
import { createSocket } from 'node:dgram';
import { closeSync, openSync, readSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { connect, isIP, type Socket } from 'node:net';
import type { Fetcher as SharedFetcher } from '../runtime/fetch.js';
import type { Quarantine as SharedQuarantine, QuarantineResult } from '../runtime/quarantine.js';
import { MAX_STORED_READ } from './share-files.js';

/** TFTP blocks read at most (512 bytes each); the byte cap of the policy applies first. */
export const MAX_TFTP_BLOCKS = 65535;
/** Bytes of FTP control replies read per transfer (banners, multi-line replies). */
export const MAX_FTP_CONTROL_BYTES = 16 * 1024;

export interface StoredFile {
  sha256: string;
  md5: string;
  size: number;
  path: string;
  duplicate: boolean;
  truncated: boolean;
  /** False when the quarantine's total quota, or the source's, is full: hashed, not kept. */
  stored: boolean;
  /** Why it was not stored. */
  reason?: QuarantineResult['reason'];
}

export interface Quarantine {
  /** Stores bytes the attacker at address SOURCE sent under their SHA-256. Rejects only on disk errors. */
  store(data: Uint8Array, source: string): Promise<StoredFile>;
  /**
   * Up to LENGTH bytes at OFFSET of the item SHA256, read at once; undefined when it is not there. The
   * reads are capped at MAX_STORED_READ (64 KiB), so one read holds the event loop for one small
   * read of a file the page cache has just seen written.
   */
  read?(sha256: string, offset: number, length: number): Uint8Array | undefined;
}

export type FetchOutcome =
  | { outcome: 'stored' | 'duplicate' | 'truncated'; file: StoredFile }
  | { outcome: 'disabled' | 'refused' | 'failed'; reason: string };

export interface Fetcher {
  fetch(url: string, source: string): Promise<FetchOutcome>;
}

export class SharedCapture implements Quarantine, Fetcher {
  constructor(
    private readonly quarantine: SharedQuarantine,
    private readonly fetcher: SharedFetcher,
  ) {}

  async store(data: Uint8Array, source: string): Promise<StoredFile> {
    const r = await this.quarantine.store(Buffer.from(data.buffer, data.byteOffset, data.length), source);
    if (!r.stored && r.reason === 'write_failed') throw new Error('quarantine write failed');
    return { sha256: r.sha256, md5: r.md5, size: r.size, path: this.quarantine.pathOf(r.sha256), duplicate: r.duplicate, truncated: r.truncated, stored: r.stored, ...(r.reason ? { reason: r.reason } : {}) };
  }

  read(sha256: string, offset: number, length: number): Uint8Array | undefined {
    let fd: number | undefined;
    try {
      fd = openSync(this.quarantine.pathOf(sha256), 'r');
      const buf = Buffer.alloc(Math.max(0, Math.min(length, MAX_STORED_READ)));
      return buf.subarray(0, readSync(fd, buf, 0, buf.length, offset));
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  private async keep(data: Uint8Array, truncated: boolean, source: string): Promise<FetchOutcome> {
    const file = await this.store(data, source);
    if (!file.stored)
      return {
        outcome: 'refused',
        reason:
          file.reason === 'source_quota_full' ? "this source's part of the quarantine is full (quarantine.max_source_bytes)"
          : file.reason === 'busy' ? 'too much is being stored at once'
          : 'the quarantine is full (quarantine.max_total_bytes)',
      };
    return { outcome: truncated || file.truncated ? 'truncated' : file.duplicate ? 'duplicate' : 'stored', file };
  }

  async fetch(url: string, source: string): Promise<FetchOutcome> {
    if (!this.fetcher.policy.enabled) return { outcome: 'disabled', reason: 'fetching is off (fetch.enabled)' };
    if (url.startsWith('tftp://') || url.startsWith('ftp://')) return this.viaOwnClient(url, source);
    const r = await this.fetcher.fetch(url, source);
    if (!r.ok) return { outcome: r.error === 'refused' || r.error === 'rate' || r.error === 'bad_url' ? 'refused' : 'failed', reason: `${r.error}: ${r.detail}`.slice(0, 200) };
    return this.keep(r.data, r.truncated, source);
  }

  private async viaOwnClient(raw: string, source: string): Promise<FetchOutcome> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { outcome: 'refused', reason: 'not a URL' };
    }
    const r = await this.fetcher.bounded(source, () => this.ownClientFetch(url, source));
    return r.ran ? r.value : { outcome: 'refused', reason: `rate: ${r.detail}`.slice(0, 200) };
  }

  private async ownClientFetch(url: URL, source: string): Promise<FetchOutcome> {
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
      const path = decodeURIComponent(url.pathname.replace(/^\//, ''));
      const { maxBytes, timeoutMs } = this.fetcher.policy;
      const got =
        url.protocol === 'tftp:'
          ? await tftpGet(address, Number(url.port || 69), path, maxBytes, timeoutMs)
          : await ftpGet(address, Number(url.port || 21), decodeURIComponent(url.username) || 'anonymous', decodeURIComponent(url.password) || 'guest@', path, maxBytes, timeoutMs);
      return this.keep(got.data, got.truncated, source);
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

/**
 * A minimal passive-mode FTP download (RFC 959): USER, PASS, TYPE I, PASV, RETR. The data connection
 * goes to the control connection's address, never to the host PASV names (no bounce to third hosts).
 */
export function ftpGet(address: string, port: number, user: string, pass: string, file: string, maxBytes: number, timeoutMs: number): Promise<{ data: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const ctrl = connect({ host: address, port });
    let data: Socket | undefined;
    let replies = '';
    let seen = 0;
    let step = 0;
    const parts: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let dataDone = false;
    let transferDone = false;
    let finished = false;
    const done = (err?: Error): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      ctrl.destroy();
      data?.destroy();
      if (err) reject(err);
      else resolve({ data: Buffer.concat(parts), truncated });
    };
    const timer = setTimeout(() => done(new Error('timeout: FTP transfer too slow')), timeoutMs);
    const send = (line: string): void => void ctrl.write(line.replace(/[\r\n]/g, '') + '\r\n');
    const maybeFinish = (): void => {
      if (dataDone && transferDone) done();
    };
    const onReply = (code: number, text: string): void => {
      if (code >= 400) return done(new Error(`http: FTP ${code} ${text.slice(0, 80)}`));
      if (step === 0 && code === 220) (step = 1), send(`USER ${user}`);
      else if (step === 1 && (code === 331 || code === 230)) {
        step = code === 230 ? 3 : 2;
        send(code === 230 ? 'TYPE I' : `PASS ${pass}`);
      } else if (step === 2 && code === 230) (step = 3), send('TYPE I');
      else if (step === 3 && code === 200) (step = 4), send('PASV');
      else if (step === 4 && code === 227) {
        const m = /(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})/.exec(text);
        if (!m) return done(new Error('http: bad PASV reply'));
        step = 5;
        data = connect({ host: address, port: Number(m[5]) * 256 + Number(m[6]) }, () => send(`RETR ${file}`));
        data.on('data', (c: Buffer) => {
          const room = maxBytes - size;
          if (c.length >= room) {
            parts.push(c.subarray(0, room));
            size = maxBytes;
            truncated = c.length > room;
            if (truncated) return done();
          } else {
            parts.push(c);
            size += c.length;
          }
        });
        data.on('end', () => ((dataDone = true), maybeFinish()));
        data.on('error', (e) => done(e));
      } else if (step === 5 && (code === 150 || code === 125)) step = 6;
      else if (step === 6 && code === 226) (transferDone = true), maybeFinish();
    };
    ctrl.on('data', (c: Buffer) => {
      seen += c.length;
      if (seen > MAX_FTP_CONTROL_BYTES) return done(new Error('http: FTP control replies too long'));
      replies += c.toString('latin1');
      for (;;) {
        const nl = replies.indexOf('\n');
        if (nl < 0) break;
        const line = replies.slice(0, nl).replace(/\r$/, '');
        replies = replies.slice(nl + 1);
        const m = /^(\d{3}) (.*)$/.exec(line);
        if (m) onReply(Number(m[1]), m[2]!);
      }
    });
    ctrl.on('error', (e) => done(e));
    ctrl.on('close', () => (transferDone || step < 5 ? maybeFinish() : undefined));
  });
}
