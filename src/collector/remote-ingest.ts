// The collector's HTTPS endpoint for remote sensors (mutual TLS): enrolment with one-time tokens,
// event batches committed before they are confirmed (de-duplicated by event id in the store),
// heartbeats, content-addressed files, and an alert when a sensor falls silent. It keeps no state of
// its own: tokens, the sensor registry and heartbeats live in the shared store, so several
// collectors can run behind one load balancer.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { validateEvent, type ApiaryEvent } from '../events/catalogue.js';
import { eventIdFrom } from '../events/id.js';
import { capConnectionsPerSource } from '../events/source-key.js';
import type { EventStore } from '../store/store.js';
import { CertificateAuthority, CLIENT_AUTH_OID, COLLECTOR_CN, normaliseSerial, parseToken, tokenKey } from '../transport/pki.js';
import { MAX_INFLATE_RATIO, MAX_JSON_BYTES, PATHS, RECORDING_NAME_RE, type Heartbeat, type IngestResult } from '../transport/protocol.js';
import type { Collector } from './collector.js';
import { forEachLine, inflateCharged, InflateStopped } from './inflate.js';
import { validateRemoteEvent } from './remote-event.js';

const ENVELOPE_TEXT = ['id', 'time', 'type', 'sensor', 'session', 'protocol', 'src_ip', 'dst_ip'] as const;

export interface SensorRecord {
  serial: string;
  enrolled_at: string;
  revoked: boolean;
  revoked_at?: string;
}

export interface StoredHeartbeat extends Heartbeat {
  time: string;
  address: string;
  /** How far the sensor's clock was ahead of the collector's (negative: behind), seconds, when it said. */
  clock_skew_s?: number;
}

/**
 * A sensor clock this far from the collector's is alerted (at most once per CLOCK_SKEW_ALERT_EVERY_MS
 * per sensor and collector): its events carry its own times, so a wrong clock misplaces them in every
 * period, report and retention window.
 */
export const CLOCK_SKEW_ALERT_S = 120;
export const CLOCK_SKEW_ALERT_EVERY_MS = 60 * 60 * 1000;
const MAX_SKEW_ALERTED = 10_000;

export interface EnrolmentRecord {
  name: string;
  expires: string;
  /** When the token was made (tokens from before 2026-11-28 have none). */
  issued?: string;
}

export const sensorKey = (name: string): string => `sensor:${name}`;
export const heartbeatKey = (name: string): string => `heartbeat:${name}`;
/** Service settings an operator (CLI or dashboard) set for a sensor: JSON { version, services }. */
export const settingsKey = (name: string): string => `settings:${name}`;
const silentKey = (name: string): string => `silent:${name}`;
const droppedKey = (name: string): string => `dropped:${name}`;

export interface RemoteIngestOptions {
  host: string;
  port: number;
  ca: CertificateAuthority;
  serverNames: readonly string[];
  store: EventStore;
  collector: Collector;
  log: Logger;
  maxBatchBytes: number;
  silentAfterMs: number;
  /** Where shipped files go (DATA_DIR/quarantine): content-addressed, so collectors may share it. */
  filesDir: string;
  /** Where shipped session recordings go (DATA_DIR/recordings, as in all-in-one mode). */
  recordingsDir: string;
  /** The bytes in flight budget (MAX_INGEST_BYTES_IN_FLIGHT and its share per sensor unless given). */
  inflight?: InflightBytes;
  /** Connections one source may hold at once (MAX_INGEST_CONNECTIONS_PER_SOURCE unless given). */
  maxConnectionsPerSource?: number;
}

export interface RemoteIngestStats {
  batches: number;
  refused: number;
  invalidEvents: number;
}

/**
 * Bytes the batches, files and recordings being received and stored may take once inflated, in all and
 * per sensor: each request reserves its compressed length (the Content-Length, or the batch limit
 * without one) times the inflation it may have, before its body is read, and takes more as its body
 * inflates past that (Held); past the budget it is answered 503 and the sensor sends it again later. Without it nothing limited how many batches were received at once (an
 * 850 KB gzip body made 270 MB of heap before it was stored), and one sensor could hold the budget of all.
 */
export const MAX_INGEST_BYTES_IN_FLIGHT = 256 * 1024 * 1024;
export const MAX_INGEST_BYTES_IN_FLIGHT_PER_SENSOR = MAX_INGEST_BYTES_IN_FLIGHT / 2;
/** Connections the collector's ingest server holds at once (sensors keep a few each: batches, heartbeats, files). */
export const MAX_INGEST_CONNECTIONS = 4096;
/**
 * Connections from one source (address, or /64) at once unless configured (collector.max_connections_per_source):
 * a sensor keeps a few, and a few sensors may share a NAT. Without it one client holding 4,100 idle
 * sockets kept every sensor out.
 */
export const MAX_INGEST_CONNECTIONS_PER_SOURCE = 256;
/** Time a connection has to finish its TLS handshake (Node's default, 120 s, let idle sockets hold the server for minutes). */
export const INGEST_HANDSHAKE_TIMEOUT_MS = 10_000;

/** The reservations of InflightBytes: how much is taken in all and by each sensor. */
export class InflightBytes {
  private total = 0;
  private readonly bySensor = new Map<string, number>();

  constructor(
    readonly limit = MAX_INGEST_BYTES_IN_FLIGHT,
    readonly perSensor = MAX_INGEST_BYTES_IN_FLIGHT_PER_SENSOR,
  ) {}

  /** Takes N bytes for SENSOR; false (nothing taken) when that would pass either budget. A lone request is always let in. */
  take(sensor: string, n: number): boolean {
    const mine = this.bySensor.get(sensor) ?? 0;
    if (this.total > 0 && (this.total + n > this.limit || mine + n > this.perSensor)) return false;
    this.total += n;
    this.bySensor.set(sensor, mine + n);
    return true;
  }

  give(sensor: string, n: number): void {
    this.total = Math.max(0, this.total - n);
    const left = (this.bySensor.get(sensor) ?? 0) - n;
    if (left > 0) this.bySensor.set(sensor, left);
    else this.bySensor.delete(sensor);
  }

  get inUse(): number {
    return this.total;
  }
}

/**
 * What one request holds of the ingest budget: a reservation made before its body is read, and more
 * taken as the body inflates past it (a reservation alone let a 65 KB gzip body that inflated to
 * 64 MiB take 1 GB of memory on 522 KB reserved, and file and recording uploads reserved nothing).
 */
class Held {
  private taken = 0;
  private used = 0;
  constructor(
    private readonly inflight: InflightBytes,
    private readonly sensor: string,
  ) {}

  reserve(n: number): boolean {
    if (!this.inflight.take(this.sensor, n)) return false;
    this.taken += n;
    return true;
  }

  /** Counts N more bytes in use; past the reservation they are taken from the budget (false: no room). */
  use(n: number): boolean {
    this.used += n;
    return this.used <= this.taken || this.reserve(this.used - this.taken);
  }

  release(): void {
    this.inflight.give(this.sensor, this.taken);
    this.taken = 0;
  }
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class RemoteIngest {
  readonly stats: RemoteIngestStats = { batches: 0, refused: 0, invalidEvents: 0 };
  private readonly inflight: InflightBytes;
  private server: Server | undefined;
  private silentTimer: NodeJS.Timeout | undefined;
  /** When each sensor's clock was last alerted (checkClock), at most MAX_SKEW_ALERTED sensors. */
  private readonly skewAlerted = new Map<string, number>();
  port = 0;

  constructor(private readonly opts: RemoteIngestOptions) {
    this.inflight = opts.inflight ?? new InflightBytes();
  }

  async start(): Promise<void> {
    const { key, cert } = await this.opts.ca.issueServerCert(this.opts.serverNames);
    mkdirSync(this.opts.filesDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.opts.recordingsDir, { recursive: true, mode: 0o700 });
    // The chain includes the CA, so a sensor enrolling can check it against its token's fingerprint.
    // requestCert without rejectUnauthorized: enrolment has no certificate yet; every other path checks it.
    const server = createServer({ key, cert: `${cert.trimEnd()}\n${this.opts.ca.certPem}`, ca: this.opts.ca.certPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2', handshakeTimeout: INGEST_HANDSHAKE_TIMEOUT_MS }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        const status = err instanceof HttpError ? err.status : 503;
        if (!(err instanceof HttpError)) this.opts.log.error({ err }, 'ingest request failed; the sensor keeps the batch and retries');
        else if (status >= 500) this.opts.log.warn({ status, reason: (err as Error).message, address: req.socket.remoteAddress }, 'ingest request deferred; the sensor keeps it and retries');
        else {
          this.stats.refused++;
          this.opts.log.warn({ status, reason: (err as Error).message, address: req.socket.remoteAddress }, 'ingest request refused');
        }
        if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: err instanceof HttpError ? err.message : 'store unavailable' }));
      });
    });
    server.maxConnections = MAX_INGEST_CONNECTIONS;
    capConnectionsPerSource(server, this.opts.maxConnectionsPerSource ?? MAX_INGEST_CONNECTIONS_PER_SOURCE);
    server.keepAliveTimeout = 30_000;
    server.headersTimeout = 20_000;
    server.requestTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    const every = Math.max(200, Math.min(5000, this.opts.silentAfterMs / 4));
    this.silentTimer = setInterval(() => {
      this.checkSilent().catch((err: unknown) => this.opts.log.warn({ err }, 'checking for silent sensors failed'));
    }, every);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '';
    if (req.method === 'POST' && url === PATHS.enroll) return this.handleEnroll(req, res);
    const sensor = await this.authenticate(req);
    if (req.method === 'POST' && url === PATHS.events) return this.withBudget(sensor, req, (held) => this.storeEvents(sensor, req, res, held));
    if (req.method === 'POST' && url === PATHS.heartbeat) return this.handleHeartbeat(sensor, req, res);
    if (url.startsWith(PATHS.files) && req.method === 'HEAD') return this.handleFileQuery(url.slice(PATHS.files.length), res);
    if (url.startsWith(PATHS.files) && req.method === 'PUT') return this.withBudget(sensor, req, (held) => this.handleFile(url.slice(PATHS.files.length), req, res, held));
    if (url.startsWith(PATHS.recordings) && req.method === 'PUT') return this.withBudget(sensor, req, (held) => this.handleRecording(sensor, url.slice(PATHS.recordings.length), req, res, held));
    throw new HttpError(404, 'no such endpoint');
  }

  /** The sensor a request comes from: a client certificate of our CA, for a name enrolled with that certificate and not revoked. */
  private async authenticate(req: IncomingMessage): Promise<string> {
    const socket = req.socket as TLSSocket;
    const cert = socket.getPeerCertificate();
    if (!cert || Object.keys(cert).length === 0) throw new HttpError(401, 'a client certificate is required; enrol this sensor first');
    if (!socket.authorized) throw new HttpError(401, `client certificate refused: ${String(socket.authorizationError)}`);
    const name = typeof cert.subject?.CN === 'string' ? cert.subject.CN : '';
    const eku = (cert as { ext_key_usage?: string[] }).ext_key_usage;
    if (!name || name === COLLECTOR_CN || !eku?.includes(CLIENT_AUTH_OID)) throw new HttpError(401, 'not a sensor certificate');
    const raw = await this.opts.store.getState(sensorKey(name));
    const rec = raw ? (JSON.parse(raw) as SensorRecord) : undefined;
    if (!rec) throw new HttpError(403, `sensor ${name} is not enrolled`);
    if (rec.revoked) throw new HttpError(403, `sensor ${name} is revoked`);
    if (normaliseSerial(cert.serialNumber) !== rec.serial) throw new HttpError(403, `sensor ${name}: this certificate was replaced or revoked`);
    return name;
  }

  private async readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > limit) throw new HttpError(413, `body over ${limit} bytes`);
      chunks.push(c);
    }
    return Buffer.concat(chunks);
  }

  /** BODY inflated when REQ says gzip, each chunk counted in HELD as it is made: 503 past the budget, 400 for a bad body. */
  private async inflate(req: IncomingMessage, body: Buffer, held: Held): Promise<Buffer> {
    if (req.headers['content-encoding'] !== 'gzip') return body;
    try {
      return await inflateCharged(body, this.opts.maxBatchBytes * MAX_INFLATE_RATIO, (n) => held.use(n));
    } catch (err) {
      if (err instanceof InflateStopped && err.reason === 'budget') throw new HttpError(503, 'the collector is storing as much as it holds at once; send it again later');
      throw new HttpError(400, 'body is not valid gzip or inflates beyond the limit');
    }
  }

  private async handleEnroll(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await this.readBody(req, MAX_JSON_BYTES);
    let input: { token?: unknown; public_key?: unknown };
    try {
      input = JSON.parse(body.toString('utf8')) as typeof input;
    } catch {
      throw new HttpError(400, 'body is not JSON');
    }
    const token = typeof input.token === 'string' ? parseToken(input.token) : undefined;
    if (!token || typeof input.public_key !== 'string' || input.public_key.length > 4096) throw new HttpError(400, 'expected { token, public_key }');
    const key = tokenKey(token.secret);
    const raw = await this.opts.store.getState(key);
    const rec = raw ? (JSON.parse(raw) as EnrolmentRecord) : undefined;
    if (!rec || rec.name !== token.name || rec.expires < new Date().toISOString()) throw new HttpError(403, 'unknown, used or expired enrolment token');
    // A token left unused from before the sensor's current enrolment (or its revocation) would cut off
    // the running sensor, or bring a revoked name back: only a token made since enrols it again.
    const current = await this.opts.store.getState(sensorKey(token.name));
    const was = current ? (JSON.parse(current) as SensorRecord) : undefined;
    const since = was && was.revoked_at !== undefined && was.revoked_at > was.enrolled_at ? was.revoked_at : was?.enrolled_at;
    if (since !== undefined && (rec.issued ?? '') < since) throw new HttpError(403, `the token was made before sensor ${token.name} was last enrolled or revoked (${since}), and such tokens no longer enrol it`);
    // The certificate first: a key that is not one leaves the token usable for a corrected request.
    let issued: { cert: string; serial: string };
    try {
      issued = await this.opts.ca.issueSensorCert(token.name, input.public_key);
    } catch {
      throw new HttpError(400, 'public_key is not a P-256 public key in PEM');
    }
    // One-time: only the request that removes the token enrols.
    if (!(await this.opts.store.swapState(key, raw, undefined))) throw new HttpError(403, 'unknown, used or expired enrolment token');
    const record: SensorRecord = { serial: issued.serial, enrolled_at: new Date().toISOString(), revoked: false };
    await this.opts.store.setState(sensorKey(token.name), JSON.stringify(record));
    this.opts.log.info({ sensor: token.name, serial: issued.serial }, 'sensor enrolled');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ cert: issued.cert, ca: this.opts.ca.certPem }));
  }

  /**
   * Runs WORK with the budget a body of REQ takes held for SENSOR: its compressed length (the
   * Content-Length, or the batch limit without one) times the inflation it may have, reserved before
   * the body is read, and more as it inflates past that; 503 when there is no room.
   */
  private async withBudget(sensor: string, req: IncomingMessage, work: (held: Held) => Promise<void>): Promise<void> {
    const length = Number(req.headers['content-length']);
    const compressed = Number.isSafeInteger(length) && length >= 0 ? Math.min(length, this.opts.maxBatchBytes) : this.opts.maxBatchBytes;
    const held = new Held(this.inflight, sensor);
    if (!held.reserve(req.headers['content-encoding'] === 'gzip' ? compressed * MAX_INFLATE_RATIO : compressed)) {
      throw new HttpError(503, 'the collector is storing as much as it holds at once; send the batch again later');
    }
    try {
      await work(held);
    } finally {
      held.release();
    }
  }

  private async storeEvents(sensor: string, req: IncomingMessage, res: ServerResponse, held: Held): Promise<void> {
    const text = (await this.inflate(req, await this.readBody(req, this.opts.maxBatchBytes), held)).toString('utf8');
    const events: ApiaryEvent[] = [];
    let invalid = 0;
    // Line by line without an array of them all: 64 MiB of newlines split into 67 million empty strings took 1 GB.
    forEachLine(text, (line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        invalid++;
        return;
      }
      const v = validateRemoteEvent(parsed);
      // NUL cannot be stored in a PostgreSQL text column (the payload is JSON, where it is escaped; the envelope is not).
      if (!v.ok || ENVELOPE_TEXT.some((k) => (v.event[k] as string).includes('\u0000'))) {
        invalid++;
        return;
      }
      // A sensor writes only under its own name: one foreign event refuses the whole batch.
      if (v.event.sensor !== sensor) throw new HttpError(403, `sensor ${sensor} sent an event of sensor ${JSON.stringify(v.event.sensor).slice(0, 140)}`);
      events.push(v.event);
    });
    if (invalid) {
      this.stats.invalidEvents += invalid;
      this.opts.log.warn({ sensor, invalid }, 'batch had events that fail the catalogue or the bounds of their source; they are not stored');
    }
    let stored = 0;
    try {
      stored = events.length ? await this.opts.collector.commit(events) : 0;
    } catch (err) {
      // SQLSTATE class 22 (data exception): this content can never be stored; anything else is retried.
      if (/^22/.test(String((err as { code?: unknown }).code ?? ''))) throw new HttpError(422, `the store refuses this batch: ${(err as Error).message}`);
      throw err;
    }
    this.stats.batches++;
    const result: IngestResult = { received: events.length + invalid, stored, duplicates: events.length - stored, invalid };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(result));
  }

  private async handleHeartbeat(sensor: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await this.readBody(req, MAX_JSON_BYTES);
    let hb: Partial<Heartbeat>;
    try {
      hb = JSON.parse(body.toString('utf8')) as Partial<Heartbeat>;
    } catch {
      throw new HttpError(400, 'body is not JSON');
    }
    const str = (v: unknown, max: number): string => (typeof v === 'string' ? v.slice(0, max) : '');
    const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0);
    const stored: StoredHeartbeat = {
      time: new Date().toISOString(),
      address: req.socket.remoteAddress ?? '',
      version: str(hb.version, 64),
      config_hash: str(hb.config_hash, 128),
      services: Array.isArray(hb.services) ? hb.services.slice(0, 64).map((s) => str(s, 64)) : [],
      spool_depth: num(hb.spool_depth),
      spool_dropped: num(hb.spool_dropped),
      recorded: num(hb.recorded),
      run_id: str(hb.run_id, 64),
      drop_policy: hb.drop_policy === 'newest' ? 'newest' : 'oldest',
      spool_max_bytes: num(hb.spool_max_bytes),
    };
    const sentAt = typeof hb.sent_at === 'string' ? Date.parse(hb.sent_at.slice(0, 40)) : Number.NaN;
    if (Number.isFinite(sentAt)) {
      stored.sent_at = new Date(sentAt).toISOString();
      stored.clock_skew_s = Math.round((sentAt - Date.parse(stored.time)) / 1000);
      this.checkClock(sensor, stored.clock_skew_s);
    }
    await this.opts.store.setState(heartbeatKey(sensor), JSON.stringify(stored));
    if (stored.spool_dropped > 0) await this.recordDrops(sensor, stored);
    // The answer carries the service settings set centrally for this sensor, if any: the sensor applies them.
    const settings = await this.opts.store.getState(settingsKey(sensor));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(settings ? `{"settings":${settings}}` : '{}');
  }

  /** Alerts a sensor whose clock is CLOCK_SKEW_ALERT_S or more from this collector's. */
  private checkClock(sensor: string, skew: number): void {
    if (Math.abs(skew) < CLOCK_SKEW_ALERT_S) return;
    const now = Date.now();
    if (now - (this.skewAlerted.get(sensor) ?? Number.NEGATIVE_INFINITY) < CLOCK_SKEW_ALERT_EVERY_MS) return;
    if (this.skewAlerted.size >= MAX_SKEW_ALERTED && !this.skewAlerted.has(sensor)) this.skewAlerted.clear();
    this.skewAlerted.set(sensor, now);
    const how = `${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'}`;
    this.opts.log.warn({ alert: 'clock_skew', sensor, clock_skew_s: skew }, `ALERT sensor ${sensor}'s clock is ${how} this collector's: its events carry its own times, so fix its time sync (chrony or systemd-timesyncd)`);
  }

  private handleFileQuery(sha: string, res: ServerResponse): void {
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new HttpError(400, 'files are named by their SHA-256');
    res.writeHead(existsSync(join(this.opts.filesDir, sha)) ? 200 : 404);
    res.end();
  }

  private async handleFile(sha: string, req: IncomingMessage, res: ServerResponse, held: Held): Promise<void> {
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new HttpError(400, 'files are named by their SHA-256');
    const path = join(this.opts.filesDir, sha);
    const data = await this.inflate(req, await this.readBody(req, this.opts.maxBatchBytes), held);
    if (createHash('sha256').update(data).digest('hex') !== sha) throw new HttpError(400, 'content does not match its SHA-256');
    if (!existsSync(path)) {
      const tmp = join(this.opts.filesDir, `.tmp-${sha}-${process.pid}`);
      writeFileSync(tmp, data, { mode: 0o400 });
      renameSync(tmp, path);
    }
    res.writeHead(201);
    res.end();
  }

  /**
   * A session recording, named by its session. Recordings only grow, so a version that extends the one
   * held replaces it, the same one is a no-op (200), and anything else is refused (409): a sensor cannot
   * rewrite a recording already shipped. Only the sensor whose events the session has may send it (503
   * until they are stored: the sensor sends it again later).
   */
  private async handleRecording(sensor: string, name: string, req: IncomingMessage, res: ServerResponse, held: Held): Promise<void> {
    if (!RECORDING_NAME_RE.test(name)) throw new HttpError(400, 'recordings are named SESSION.cast (16 hex digits)');
    const [first] = await this.opts.store.query({ session: name.slice(0, -'.cast'.length), limit: 1 });
    if (!first) throw new HttpError(503, 'no event of this session is stored yet; send its recording again later');
    if (first.sensor !== sensor) throw new HttpError(403, 'this session is another sensor\'s');
    const data = await this.inflate(req, await this.readBody(req, this.opts.maxBatchBytes), held);
    const path = join(this.opts.recordingsDir, name);
    const kept = existsSync(path) ? readFileSync(path) : undefined;
    if (kept && kept.equals(data)) {
      res.writeHead(200);
      res.end();
      return;
    }
    if (kept && (data.length < kept.length || !data.subarray(0, kept.length).equals(kept))) throw new HttpError(409, 'a different recording of this session is held');
    const tmp = join(this.opts.recordingsDir, `.tmp-${name}-${process.pid}`);
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, path);
    res.writeHead(201);
    res.end();
  }

  /** One spool.dropped event each time a sensor's heartbeat reports more drops than the last one of its run did. */
  private async recordDrops(sensor: string, hb: StoredHeartbeat): Promise<void> {
    const prevRaw = await this.opts.store.getState(droppedKey(sensor));
    const prev = prevRaw ? (JSON.parse(prevRaw) as { run_id: string; dropped: number }) : undefined;
    if (prev && prev.run_id === hb.run_id && prev.dropped >= hb.spool_dropped) return;
    if (!(await this.opts.store.swapState(droppedKey(sensor), prevRaw, JSON.stringify({ run_id: hb.run_id, dropped: hb.spool_dropped })))) return;
    const seed = createHash('sha256').update(`dropped\0${sensor}\0${hb.run_id}\0${hb.spool_dropped}`).digest();
    const now = Date.now();
    const event = validateEvent({
      id: eventIdFrom(now, seed),
      time: new Date(now).toISOString(),
      type: 'spool.dropped',
      sensor,
      session: `spool-${hb.run_id.slice(0, 32) || 'unknown'}`,
      protocol: 'apiary',
      src_ip: hb.address || '0.0.0.0',
      src_port: 0,
      dst_ip: '0.0.0.0',
      dst_port: 0,
      payload: { policy: hb.drop_policy, dropped: hb.spool_dropped, max_bytes: hb.spool_max_bytes },
    });
    if (!event.ok) return;
    this.opts.log.warn({ alert: 'spool.dropped', sensor, dropped: hb.spool_dropped }, `ALERT sensor ${sensor} dropped ${hb.spool_dropped} events: its spool is full`);
    await this.opts.collector.commit([event.event]);
  }

  /** Raises sensor.silent once per silence: the first collector to claim it stores the event (its id is fixed, so a second would be a duplicate). */
  async checkSilent(now = Date.now()): Promise<void> {
    for (const [key, raw] of await this.opts.store.listState('heartbeat:')) {
      const name = key.slice('heartbeat:'.length);
      const hb = JSON.parse(raw) as StoredHeartbeat;
      const last = Date.parse(hb.time);
      if (!(now - last > this.opts.silentAfterMs)) continue;
      const prev = await this.opts.store.getState(silentKey(name));
      if (prev === hb.time) continue;
      if (!(await this.opts.store.swapState(silentKey(name), prev, hb.time))) continue;
      const seed = createHash('sha256').update(`silent\0${name}\0${hb.time}`).digest();
      const detected = last + this.opts.silentAfterMs;
      const event = validateEvent({
        id: eventIdFrom(detected, seed),
        time: new Date(detected).toISOString(),
        type: 'sensor.silent',
        sensor: name,
        session: `silent-${seed.subarray(0, 6).toString('hex')}`,
        protocol: 'apiary',
        src_ip: hb.address || '0.0.0.0',
        src_port: 0,
        dst_ip: '0.0.0.0',
        dst_port: 0,
        payload: { last_heartbeat: hb.time, silent_s: Math.round((now - last) / 1000), spool_depth: hb.spool_depth, version: hb.version },
      });
      if (!event.ok) continue;
      this.opts.log.warn({ alert: 'sensor.silent', sensor: name, last_heartbeat: hb.time }, `ALERT sensor ${name} is silent since ${hb.time}`);
      await this.opts.collector.commit([event.event]);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.silentTimer);
    const server = this.server;
    if (!server) return;
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  }
}
