// Capturing attacker files: a content-addressed quarantine (by SHA-256) fed by uploads, and a fetcher
// that downloads the URLs attackers name under the download policy (size, time, no private targets).
// Sensors depend on the two interfaces; `createLocalCapture` is the on-disk implementation.
import { createHash, randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';
import { join } from 'node:path';
import type { DownloadsConfig } from '../../config/schema.js';
import type { Payload } from '../../events/catalogue.js';

export type DownloadResult = Payload<'file.download'>;

export interface StoredFile {
  sha256: string;
  md5: string;
  size: number;
  path: string;
  duplicate: boolean;
  truncated: boolean;
}

/** A file being written into quarantine, hashed as it streams; bytes beyond the cap are counted, not kept. */
export interface QuarantineWriter {
  write(chunk: Buffer): void;
  /** Bytes offered so far (kept or not). */
  readonly offered: number;
  end(): Promise<StoredFile>;
  abort(): void;
}

export interface Quarantine {
  begin(maxBytes: number): QuarantineWriter;
  store(data: Buffer): Promise<StoredFile>;
}

export interface Fetcher {
  /** Fetches URL into the quarantine under the policy. Never throws: the outcome says what happened. */
  fetch(url: string): Promise<DownloadResult>;
}

/** Redirects followed per fetch. */
export const MAX_REDIRECTS = 3;
/** Longest URL fetched or recorded. */
export const MAX_URL_CHARS = 2048;
/** What the fetcher calls itself: the tool the attackers' scripts usually run. */
export const FETCH_USER_AGENT = 'Wget/1.21.3';

/** Ranges never fetched from unless allowed: RFC 1918, loopback, link-local, CGNAT, multicast, ... */
const PRIVATE_V4 = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/3'];
const PRIVATE_V6 = ['::/127', 'fc00::/7', 'fe80::/10', 'ff00::/8', '::ffff:0:0/96', '64:ff9b::/96'];

function blockList(v4: string[], v6: string[]): BlockList {
  const b = new BlockList();
  for (const c of v4) b.addSubnet(c.split('/')[0]!, Number(c.split('/')[1]), 'ipv4');
  for (const c of v6) b.addSubnet(c.split('/')[0]!, Number(c.split('/')[1]), 'ipv6');
  return b;
}

class DiskQuarantine implements Quarantine {
  constructor(private readonly dir: string) {
    mkdirSync(join(dir, 'tmp'), { recursive: true, mode: 0o700 });
  }

  begin(maxBytes: number): QuarantineWriter {
    const tmp = join(this.dir, 'tmp', randomBytes(12).toString('hex'));
    const out: WriteStream = createWriteStream(tmp, { mode: 0o600 });
    out.on('error', () => {});
    const sha = createHash('sha256');
    const md5 = createHash('md5');
    let kept = 0;
    let offered = 0;
    const dir = this.dir;
    return {
      get offered() {
        return offered;
      },
      write(chunk) {
        offered += chunk.length;
        const room = maxBytes - kept;
        if (room <= 0) return;
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        kept += part.length;
        sha.update(part);
        md5.update(part);
        out.write(part);
      },
      async end() {
        await new Promise<void>((resolve, reject) => {
          out.once('error', reject);
          out.end(() => resolve());
        });
        const sha256 = sha.digest('hex');
        const path = join(dir, sha256);
        const duplicate = existsSync(path);
        if (duplicate) rmSync(tmp, { force: true });
        else renameSync(tmp, path);
        return { sha256, md5: md5.digest('hex'), size: kept, path, duplicate, truncated: offered > kept };
      },
      abort() {
        out.destroy();
        rmSync(tmp, { force: true });
      },
    };
  }

  async store(data: Buffer): Promise<StoredFile> {
    const w = this.begin(data.length);
    w.write(data);
    return w.end();
  }
}

interface FetchPolicy {
  enabled: boolean;
  maxBytes: number;
  timeoutMs: number;
  maxConcurrent: number;
  allowed: BlockList;
}

const privateNets = blockList(PRIVATE_V4, PRIVATE_V6);

/** Why ADDRESS may not be fetched from, or undefined when it may. */
function refusal(address: string, policy: FetchPolicy): string | undefined {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (policy.allowed.check(address, family)) return undefined;
  return privateNets.check(address, family) ? `address ${address} is private or reserved` : undefined;
}

class PolicyFetcher implements Fetcher {
  private running = 0;

  constructor(
    private readonly quarantine: Quarantine,
    private readonly policy: FetchPolicy,
  ) {}

  async fetch(rawUrl: string): Promise<DownloadResult> {
    const url = rawUrl.slice(0, MAX_URL_CHARS);
    if (!this.policy.enabled) return { url, outcome: 'disabled' };
    if (this.running >= this.policy.maxConcurrent) return { url, outcome: 'refused', reason: 'too many fetches at once' };
    this.running++;
    try {
      return await this.fetchFollowing(url, url, 0);
    } catch (err) {
      return { url, outcome: 'failed', reason: String((err as Error).message ?? err).slice(0, 200) };
    } finally {
      this.running--;
    }
  }

  private async fetchFollowing(original: string, current: string, hops: number): Promise<DownloadResult> {
    let u: URL;
    try {
      u = new URL(current);
    } catch {
      return { url: original, outcome: 'refused', reason: 'not a URL' };
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return { url: original, outcome: 'refused', reason: `scheme ${u.protocol} not fetched` };
    const host = u.hostname.replace(/^\[|\]$/g, '');
    let address = host;
    if (!isIP(host)) {
      const found = await lookup(host, { all: true }).catch(() => []);
      if (found.length === 0) return { url: original, outcome: 'failed', reason: `cannot resolve ${host.slice(0, 100)}` };
      const bad = found.map((a) => refusal(a.address, this.policy)).find(Boolean);
      if (bad) return { url: original, outcome: 'refused', reason: bad };
      address = found[0]!.address;
    } else {
      const bad = refusal(host, this.policy);
      if (bad) return { url: original, outcome: 'refused', reason: bad };
    }
    const lib = u.protocol === 'https:' ? https : http;
    return new Promise<DownloadResult>((resolve) => {
      const writer = this.quarantine.begin(this.policy.maxBytes);
      let settled = false;
      const done = (r: DownloadResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const fail = (reason: string): void => {
        writer.abort();
        done({ url: original, outcome: 'failed', reason: reason.slice(0, 200) });
      };
      const req = lib.get(
        u,
        {
          // Connect to the address that was checked, so a second lookup cannot point elsewhere.
          lookup: (_h: string, _o: unknown, cb: (e: Error | null, a: string, f: number) => void) => cb(null, address, isIP(address)),
          headers: { 'User-Agent': FETCH_USER_AGENT, Accept: '*/*', 'Accept-Encoding': 'identity' },
          rejectUnauthorized: false,
          agent: false,
        } as http.RequestOptions,
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 300 && status < 400 && res.headers.location) {
            res.resume();
            writer.abort();
            if (hops >= MAX_REDIRECTS) return done({ url: original, outcome: 'failed', reason: 'too many redirects' });
            const next = new URL(res.headers.location, u).toString();
            settled = true;
            clearTimeout(timer);
            this.fetchFollowing(original, next, hops + 1).then(resolve, (e: Error) => resolve({ url: original, outcome: 'failed', reason: e.message }));
            return;
          }
          if (status !== 200) {
            res.resume();
            return fail(`HTTP ${status}`);
          }
          res.on('data', (chunk: Buffer) => {
            writer.write(chunk);
            if (writer.offered > this.policy.maxBytes) res.destroy();
          });
          const finish = (): void => {
            writer.end().then(
              (f) =>
                done({
                  url: original,
                  sha256: f.sha256,
                  md5: f.md5,
                  size: f.size,
                  path: f.path,
                  outcome: f.truncated ? 'truncated' : f.duplicate ? 'duplicate' : 'stored',
                }),
              (e: Error) => fail(e.message),
            );
          };
          res.on('end', finish);
          res.on('close', () => {
            if (writer.offered > this.policy.maxBytes) finish();
            else if (!res.complete) fail('connection closed early');
          });
          res.on('error', () => {});
        },
      );
      req.on('error', (e) => fail(e.message));
      const timer = setTimeout(() => {
        req.destroy();
        fail('timed out');
      }, this.policy.timeoutMs);
      timer.unref();
    });
  }
}

export interface Capture {
  quarantine: Quarantine;
  fetcher: Fetcher;
}

/** The quarantine under DATA_DIR/quarantine and a fetcher with the configured policy. */
export function createLocalCapture(dataDir: string, cfg: DownloadsConfig): Capture {
  const quarantine = new DiskQuarantine(join(dataDir, 'quarantine'));
  const allowed = new BlockList();
  for (const c of cfg.allow_networks) {
    const [net, bits] = c.split('/') as [string, string];
    allowed.addSubnet(net, Number(bits), isIP(net) === 6 ? 'ipv6' : 'ipv4');
  }
  const fetcher = new PolicyFetcher(quarantine, {
    enabled: cfg.enabled,
    maxBytes: cfg.max_bytes,
    timeoutMs: cfg.timeout_s * 1000,
    maxConcurrent: cfg.max_concurrent,
    allowed,
  });
  return { quarantine, fetcher };
}

/** Fetches each URL under the policy and records one `file.download` per URL on EMITTER. */
export async function fetchAndRecord(fetcher: Fetcher, emitter: { emit(type: 'file.download', p: DownloadResult): unknown }, urls: readonly string[]): Promise<DownloadResult[]> {
  const results = await Promise.all(urls.map((u) => fetcher.fetch(u)));
  for (const r of results) emitter.emit('file.download', r);
  return results;
}
