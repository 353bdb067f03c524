// The shipper: sends the spool's segments to the collector over mutual TLS, oldest first, one
// gzip'd batch at a time; removes a segment only when the collector answered that it committed it;
// retries with exponential back-off and jitter; sends heartbeats and quarantined files (each once).
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Logger } from 'pino';
import { checkCollectorIdentity, httpsRequest, PATHS, RECORDING_NAME_RE, type Heartbeat, type IngestResult } from './protocol.js';
import type { Spool } from './spool.js';


/** While draining (a sensor stopping), how long a batch may go unanswered before it is sent again on a new connection. */
export const DRAIN_RESEND_MS = 2000;
/** A run of batches failing for one reason is logged at most this often (with the count). */
export const SHIP_FAILURE_LOG_MS = 60_000;
export interface SensorCredentials {
  key: string;
  cert: string;
  ca: string;
}

export interface ShipperOptions {
  collector: URL;
  credentials: SensorCredentials;
  /** Reads the credentials again (from disk); asked while the collector refuses this sensor, so a sensor enrolled again meanwhile takes them without a restart. */
  reloadCredentials?: () => SensorCredentials | undefined;
  spool: Spool;
  log: Logger;
  maxBackoffMs: number;
  heartbeatMs: number;
  /** Batches in flight at once (the collector commits them in parallel). */
  parallel?: number;
  heartbeat: () => Omit<Heartbeat, 'spool_depth' | 'spool_dropped' | 'recorded' | 'run_id' | 'drop_policy' | 'spool_max_bytes'>;
  /** A content-addressed directory (DATA_DIR/quarantine) whose files are shipped once each. */
  filesDir?: string;
  /** Where the names of files already shipped are kept. */
  shippedFilesPath?: string;
  /** DATA_DIR/recordings: session recordings, shipped when they stop growing, again if they grow. */
  recordingsDir?: string;
  /** Receives the service settings the collector holds for this sensor from each heartbeat's answer (null: it holds none). */
  onSettings?: (settings: unknown) => void;
}

export interface ShipperStats {
  batches: number;
  /** Batches the collector refused for their content, moved to the spool's rejected/ folder. */
  rejected: number;
  events: number;
  failures: number;
  files: number;
  recordings: number;
}

const SHA256_RE = /^[0-9a-f]{64}$/;
/** Answers that refuse a batch's content (malformed, too large, unstorable): retrying the same bytes cannot help. */
const REFUSED_CONTENT = new Set([400, 413, 422]);
/** How often the quarantine and the recordings are looked at for new files. */
const FILE_SCAN_MS = 2000;
/** A recording unchanged for this long is shipped (a session still open ships again when it grows). */
export const RECORDING_SETTLE_MS = 1500;

export class Shipper {
  readonly stats: ShipperStats = { batches: 0, rejected: 0, events: 0, failures: 0, files: 0, recordings: 0 };
  private agent: Agent;
  private credentials: SensorCredentials;
  private stopped = false;
  /** Set by drained(): a back-off ends when woken, as after stop(). */
  private draining = false;
  private backoff = 0;
  private readonly wakers = new Set<() => void>();
  private loop: Promise<void> | undefined;
  /** The batches on their way, by segment: their request, to abort one that stalls while draining. */
  private readonly inFlight = new Map<number, { abort: AbortController; startedAt: number }>();
  private hbTimer: NodeJS.Timeout | undefined;
  private fileTimer: NodeJS.Timeout | undefined;
  private readonly shipped = new Set<string>();
  /** Files whose content is not their name (cut by the quarantine's size limit): never shipped. */
  private readonly unshippable = new Set<string>();
  private shippingFiles = false;
  /** Size of each recording as last shipped (a recording only grows). */
  private readonly shippedRecordings = new Map<string, number>();
  private readonly runId = randomUUID();
  /** Why heartbeats fail now (logged once per reason, and once when they pass again); undefined while they pass. */
  private heartbeatFailure: string | undefined;
  /** The run of failed batches going on, if any (batchFailed). */
  private shipFailing: { reason: string; count: number; loggedAt: number; sinceLog: number } | undefined;

  constructor(private readonly opts: ShipperOptions) {
    this.credentials = opts.credentials;
    this.agent = this.newAgent();
    if (opts.shippedFilesPath && existsSync(opts.shippedFilesPath)) {
      for (const l of readFileSync(opts.shippedFilesPath, 'utf8').split('\n')) if (SHA256_RE.test(l)) this.shipped.add(l);
    }
  }

  private newAgent(): Agent {
    return new Agent({
      keepAlive: true,
      // One socket per batch in flight, plus heartbeats and files.
      maxSockets: Math.max(1, this.opts.parallel ?? 2) + 1,
      key: this.credentials.key,
      cert: this.credentials.cert,
      ca: this.credentials.ca,
      checkServerIdentity: checkCollectorIdentity,
    });
  }

  /** Takes credentials written since (an enrolment while this runs); true when they are new. */
  private takeNewCredentials(): boolean {
    const next = this.opts.reloadCredentials?.();
    if (!next || (next.cert === this.credentials.cert && next.key === this.credentials.key && next.ca === this.credentials.ca)) return false;
    this.credentials = next;
    const old = this.agent;
    this.agent = this.newAgent();
    old.destroy();
    this.backoff = 0;
    this.opts.log.warn('new credentials found (the sensor was enrolled again): shipping with them');
    return true;
  }

  start(): void {
    const off = this.opts.spool.onSynced(() => this.wakeAll());
    const workers = Array.from({ length: Math.max(1, this.opts.parallel ?? 2) }, () => this.run());
    this.loop = Promise.all(workers).then(() => {
      off();
    });
    const beat = (): void => {
      this.sendHeartbeat().then(
        () => {
          if (this.heartbeatFailure === undefined) return;
          this.heartbeatFailure = undefined;
          this.opts.log.warn('heartbeats reach the collector again');
        },
        (err: unknown) => this.heartbeatFailed(err as Error & { status?: number }),
      );
    };
    beat();
    this.hbTimer = setInterval(beat, this.opts.heartbeatMs);
    if (this.opts.filesDir || this.opts.recordingsDir) {
      this.fileTimer = setInterval(() => void this.shipFiles(), FILE_SCAN_MS);
      void this.shipFiles();
    }
  }

  private wakeAll(): void {
    for (const w of [...this.wakers]) w();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const batch = this.opts.spool.next(this.inFlight);
      if (!batch) {
        await new Promise<void>((r) => {
          const w = (): void => {
            this.wakers.delete(w);
            r();
          };
          this.wakers.add(w);
        });
        continue;
      }
      const sending = { abort: new AbortController(), startedAt: Date.now() };
      this.inFlight.set(batch.seq, sending);
      try {
        const res = await httpsRequest(this.opts.collector, {
          method: 'POST',
          path: PATHS.events,
          agent: this.agent,
          signal: sending.abort.signal,
          headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip', 'x-apiary-batch': String(batch.seq) },
          body: gzipSync(batch.records.join('\n'), { level: 1 }),
        });
        if (REFUSED_CONTENT.has(res.status)) {
          // Retrying cannot help a batch whose content is refused; it is kept aside, never dropped silently.
          const to = this.opts.spool.reject(batch.seq);
          this.stats.rejected++;
          this.opts.log.error({ status: res.status, answer: res.body.toString('utf8').slice(0, 200), kept: to }, 'ALERT the collector refused a batch; it is kept in the spool\'s rejected/ folder');
          continue;
        }
        if (res.status !== 200) throw new Error(`collector answered ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
        const result = JSON.parse(res.body.toString('utf8')) as IngestResult;
        this.opts.spool.ack(batch.seq);
        this.stats.batches++;
        this.stats.events += result.received;
        this.backoff = 0;
        if (this.shipFailing) {
          this.opts.log.warn({ failed: this.shipFailing.count }, 'shipping batches works again');
          this.shipFailing = undefined;
        }
      } catch (err) {
        this.stats.failures++;
        this.backoff = Math.min(this.opts.maxBackoffMs, Math.max(100, this.backoff * 2));
        const delay = this.backoff * (0.5 + Math.random() / 2);
        this.batchFailed((err as Error).message, delay);
        await this.sleep(delay);
      } finally {
        this.inFlight.delete(batch.seq);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      const w = (): void => {
        // New data does not cut a back-off short; stop() and drained() do.
        if (!this.stopped && !this.draining) return;
        clearTimeout(t);
        this.wakers.delete(w);
        r();
      };
      const t = setTimeout(() => {
        this.wakers.delete(w);
        r();
      }, ms);
      this.wakers.add(w);
    });
  }

  async sendHeartbeat(): Promise<void> {
    const s = this.opts.spool.stats;
    const hb: Heartbeat = {
      ...this.opts.heartbeat(),
      spool_depth: s.depth,
      spool_dropped: s.dropped,
      recorded: s.recorded,
      run_id: this.runId,
      drop_policy: this.opts.spool.opts.dropPolicy,
      spool_max_bytes: this.opts.spool.opts.maxBytes,
      sent_at: new Date().toISOString(),
    };
    const res = await httpsRequest(this.opts.collector, {
      method: 'POST',
      path: PATHS.heartbeat,
      agent: this.agent,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(hb)),
    });
    if (res.status !== 200) throw Object.assign(new Error(`heartbeat answered ${res.status}`), { status: res.status });
    this.opts.spool.dropsReported(hb.spool_dropped);
    const answer = JSON.parse(res.body.toString('utf8')) as { settings?: unknown };
    this.opts.onSettings?.(answer.settings ?? null);
  }

  /**
   * Logs a failed batch: the first of a run of failures, then for the same reason at most once per
   * SHIP_FAILURE_LOG_MS with how many failed meanwhile (a collector away for an hour retried every few
   * seconds would otherwise fill the log); a new reason at once.
   */
  private batchFailed(reason: string, delayMs: number): void {
    const now = Date.now();
    const f = (this.shipFailing ??= { reason, count: 0, loggedAt: Number.NEGATIVE_INFINITY, sinceLog: 0 });
    f.count++;
    f.sinceLog++;
    if (f.reason === reason && now - f.loggedAt < SHIP_FAILURE_LOG_MS) return;
    this.opts.log.warn({ err: reason, failed: f.sinceLog, retry_ms: Math.round(delayMs), depth: this.opts.spool.stats.depth }, 'shipping a batch failed; it stays in the spool and is retried');
    f.reason = reason;
    f.loggedAt = now;
    f.sinceLog = 0;
  }

  /**
   * Logs a failed heartbeat once per reason: a collector that refuses this sensor (revoked, or enrolled
   * with another collector) as an alert, since its events then only pile up in the spool; one that
   * cannot be reached as a warning (events wait in the spool, and each failed batch says so too).
   */
  private heartbeatFailed(err: Error & { status?: number }): void {
    // With new credentials the next heartbeat says whether they pass ("reach the collector again").
    if ((err.status === 401 || err.status === 403) && this.takeNewCredentials()) return;
    const reason = err.message;
    if (reason === this.heartbeatFailure) return;
    this.heartbeatFailure = reason;
    if (err.status === 401 || err.status === 403) {
      this.opts.log.error({ err: reason, depth: this.opts.spool.stats.depth }, 'ALERT the collector refuses this sensor (revoked, or enrolled with another collector); events stay in the spool until it is enrolled again (apiary collector enroll NAME there, then apiary sensor enroll TOKEN here, which this sensor takes at its next heartbeat)');
    } else {
      this.opts.log.warn({ err: reason, depth: this.opts.spool.stats.depth }, 'heartbeats do not reach the collector; events stay in the spool and are sent when it is back');
    }
  }

  /** Ships each quarantined file the collector does not have yet, once; then the recordings. */
  private async shipFiles(): Promise<void> {
    if (this.shippingFiles || this.stopped) return;
    this.shippingFiles = true;
    try {
      await this.shipQuarantine();
      await this.shipRecordings();
    } catch (err) {
      this.opts.log.debug({ err }, 'shipping files failed; retried later');
    } finally {
      this.shippingFiles = false;
    }
  }

  private async shipQuarantine(): Promise<void> {
    const dir = this.opts.filesDir;
    if (!dir || !existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      if (!SHA256_RE.test(name) || this.shipped.has(name) || this.unshippable.has(name)) continue;
      const path = PATHS.files + name;
      const head = await httpsRequest(this.opts.collector, { method: 'HEAD', path, agent: this.agent });
      if (head.status === 404) {
        const data = readFileSync(join(dir, name));
        if (createHash('sha256').update(data).digest('hex') !== name) {
          this.unshippable.add(name);
          continue;
        }
        const put = await httpsRequest(this.opts.collector, { method: 'PUT', path, agent: this.agent, headers: { 'content-encoding': 'gzip' }, body: gzipSync(data) });
        if (put.status !== 200 && put.status !== 201) throw new Error(`file upload answered ${put.status}`);
        this.stats.files++;
      } else if (head.status !== 200) throw new Error(`file check answered ${head.status}`);
      this.shipped.add(name);
      if (this.opts.shippedFilesPath) {
        writeFileSync(`${this.opts.shippedFilesPath}.tmp`, `${[...this.shipped].join('\n')}\n`);
        renameSync(`${this.opts.shippedFilesPath}.tmp`, this.opts.shippedFilesPath);
      }
    }
  }

  /**
   * Ships each recording that stopped growing and differs in size from what was shipped. A recording
   * is append-only, so the collector takes a longer version of one it has and refuses any other change.
   * After a restart every recording is offered once more; the collector answers 200 for one it has.
   */
  private async shipRecordings(): Promise<void> {
    const dir = this.opts.recordingsDir;
    if (!dir || !existsSync(dir)) return;
    const now = Date.now();
    for (const name of readdirSync(dir)) {
      if (!RECORDING_NAME_RE.test(name)) continue;
      const st = statSync(join(dir, name));
      if (this.shippedRecordings.get(name) === st.size || now - st.mtimeMs < RECORDING_SETTLE_MS) continue;
      const data = readFileSync(join(dir, name));
      const put = await httpsRequest(this.opts.collector, { method: 'PUT', path: PATHS.recordings + name, agent: this.agent, headers: { 'content-encoding': 'gzip' }, body: gzipSync(data) });
      if (put.status === 409) this.opts.log.warn({ recording: name }, 'the collector holds a different recording of this session; not shipped');
      else if (put.status === 403) this.opts.log.warn({ recording: name }, 'the collector has this session from another sensor; not shipped');
      else if (put.status !== 200 && put.status !== 201) throw new Error(`recording upload answered ${put.status}`);
      else this.stats.recordings++;
      this.shippedRecordings.set(name, data.length);
    }
  }

  /**
   * Waits until the spool is empty (everything confirmed) or TIMEOUT_MS passes; true if empty. A batch
   * waiting out a back-off (the collector was unreachable a while ago) is sent again at once: a sensor
   * stopping soon after a link came back would otherwise keep it for its next run.
   */
  async drained(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    this.draining = true;
    this.wakeAll();
    // Empty means nothing durable left to ship and nothing still on its way to the disk.
    const empty = (): boolean => this.opts.spool.stats.depth === 0 && this.opts.spool.idle;
    while (Date.now() < end) {
      this.opts.spool.sync();
      if (empty()) return true;
      // A batch unanswered this long is sent again on a new connection: after a link was down, the
      // old one can sit in TCP's retransmission back-off for many seconds (the collector drops the
      // repeat as a duplicate if the first did arrive).
      for (const s of this.inFlight.values()) if (Date.now() - s.startedAt > DRAIN_RESEND_MS) s.abort.abort();
      await new Promise((r) => setTimeout(r, 50));
    }
    return empty();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.hbTimer);
    clearInterval(this.fileTimer);
    this.wakeAll();
    await this.loop;
    this.agent.destroy();
  }
}
