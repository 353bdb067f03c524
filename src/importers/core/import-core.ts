// The shared core of every importer: deterministic event ids, event building against the catalogue,
// batched writes with backpressure, per-file reports (what was imported, folded, skipped and why)
// and progress on a terminal.
import { hash } from 'node:crypto';
import { basename } from 'node:path';
import { CATALOGUE, describeZodError, payloadCertainlyValid, type ApiaryEvent, type Envelope as EventEnvelope, type EventSource, type EventType, type Payload } from '../../events/catalogue.js';
import { readLineBatches, ReadError, type Line, type ReadProgress } from './lines.js';
import { eventIdFrom } from '../../events/id.js';
import { isoTime } from '../../events/iso-time.js';
import { canonicalIp } from '../../enrich/networks.js';
import { makeRoom } from '../../wire/bounded.js';
import type { IpEnrichment } from '../../store/store.js';

/** Events per store transaction. */
export const IMPORT_BATCH = 5000;
/** Sessions whose state an importer keeps at once; the oldest is forgotten beyond this. */
export const MAX_OPEN_SESSIONS = 100_000;
/** Distinct skip reasons kept per file (further ones are counted under "other"). */
export const MAX_SKIP_REASONS = 50;
/** Longest source text kept in a skip example. */
export const MAX_EXAMPLE_CHARS = 160;

/**
 * Stores EVENTS after the enrichment records of their new sources (empty unless the writer enriches);
 * resolves with how many were new. The CLI passes the store's (or the SQLite writer thread's) insert.
 */
export type InsertFn = (events: readonly ApiaryEvent[], enrichment: readonly IpEnrichment[]) => Promise<number>;

/** The enrichment record of a source not enriched yet in this run, undefined for one already done. */
export type EnrichFn = (ip: string) => IpEnrichment | undefined;

/** Who talked to whom in a session: the envelope without time and sensor. */
export type Peer = Pick<EventEnvelope, 'session' | 'protocol' | 'src_ip' | 'src_port' | 'dst_ip' | 'dst_port'>;

/** The envelope of an event being imported, with the record's time in ms. */
export type Envelope = Peer & { timeMs: number; sensor: string };

export interface SkipInfo {
  count: number;
  /** Where it first happened: "line 12" or "row 7". */
  first: string;
  example?: string;
}

/** What happened to one file's records. */
export class FileReport {
  records = 0;
  events = 0;
  stored = 0;
  duplicates = 0;
  /** Records that carry nothing to store, or were folded into another record's event, by reason. */
  readonly noEvent = new Map<string, number>();
  readonly skipped = new Map<string, SkipInfo>();
  fatal: string | undefined;

  constructor(readonly file: string) {}

  get skippedCount(): number {
    let n = 0;
    for (const s of this.skipped.values()) n += s.count;
    return n + (this.fatal ? 1 : 0);
  }

  skipRecord(reason: string, where: string, example?: string): void {
    let key = reason;
    if (!this.skipped.has(key) && this.skipped.size >= MAX_SKIP_REASONS) key = 'other reasons';
    const s = this.skipped.get(key);
    if (s) s.count++;
    else this.skipped.set(key, { count: 1, first: where, ...(example !== undefined ? { example: example.slice(0, MAX_EXAMPLE_CHARS) } : {}) });
  }

  none(reason: string): void {
    this.noEvent.set(reason, (this.noEvent.get(reason) ?? 0) + 1);
  }
}

/**
 * Writes events in batches. `write` hands a full batch to the store and waits only while IN_FLIGHT
 * batches are already being stored (1, the default, keeps one insert at a time, in order, for stores
 * whose inserts may run concurrently); memory stays flat. `flush` waits for all of them, after which
 * `stored` is final.
 */
export class BatchWriter {
  private buf: ApiaryEvent[] = [];
  private readonly inFlight: Promise<number>[] = [];
  /** Events in the batch being filled. */
  private filling = 0;
  /** Enrichment records of the batch being filled's new sources. */
  private records: IpEnrichment[] = [];
  private enrich: EnrichFn | undefined;
  stored = 0;
  written = 0;

  constructor(
    private readonly insert: InsertFn,
    private readonly size = IMPORT_BATCH,
    private readonly maxInFlight = 1,
  ) {}

  /**
   * Enriches the sources of the events written from now on, as live events are: each batch goes to the
   * store with the records of its new sources, to be written before it. An analysis running in another
   * process (`apiary start` holds the tracking lease) may fold the events as soon as they are committed.
   */
  enrichWith(enrich: EnrichFn): void {
    this.enrich = enrich;
  }

  async write(e: ApiaryEvent): Promise<void> {
    this.add(e);
    const record = this.enrich?.(e.src_ip);
    if (record) this.records.push(record);
    this.filling++;
    this.written++;
    if (this.filling < this.size) return;
    await this.settle(this.maxInFlight - 1);
    this.send();
  }

  async flush(): Promise<void> {
    this.send();
    await this.settle(0);
  }

  /** Adds E to the batch being filled (a subclass may keep it in another form). */
  protected add(e: ApiaryEvent): void {
    this.buf.push(e);
  }

  /** Starts storing the batch being filled and starts a new one; resolves with how many were new. */
  protected store(): Promise<number> {
    const batch = this.buf;
    this.buf = [];
    return this.insert(batch, this.takeEnrichment());
  }

  /** The enrichment records gathered for the batch being filled, handed over once. */
  protected takeEnrichment(): IpEnrichment[] {
    const records = this.records;
    this.records = [];
    return records;
  }

  /** Hands the batch being filled to the store without waiting for it. */
  private send(): void {
    if (this.filling === 0) return;
    this.filling = 0;
    const p = this.store();
    // A failure surfaces when the batch is awaited in settle; until then it must not count as unhandled.
    p.catch(() => undefined);
    this.inFlight.push(p);
  }

  /** Waits until at most MAX batches are being stored, oldest first, counting what they stored. */
  private async settle(max: number): Promise<void> {
    while (this.inFlight.length > max) this.stored += await this.inFlight.shift()!;
  }
}

export interface ImportOptions {
  /** `--sensor`: overrides the sensor name found in the log. */
  sensor?: string;
  /** Where replayable recordings go (DATA_DIR/recordings). */
  recordingsDir: string;
  /** Called often with a one-line status; the CLI shows it on a terminal. */
  progress?: (status: string) => void;
}

/** One importer run over a set of files (state such as open sessions carries from file to file). */
export interface ImportRun {
  importFile(path: string): Promise<FileReport>;
  /** Emits what is still held (pending merges) once every file was read. */
  finish(): Promise<void>;
}

/** Hex SHA-256 of the parts joined by NUL. */
export function hashHex(...parts: (string | number)[]): string {
  return hash('sha256', parts.join('\0'), 'hex');
}

/** A session id (16 hex characters) derived from the importer, sensor and the log's own session key. */
export function derivedSession(format: string, sensor: string, key: string): string {
  return hashHex('session', format, sensor, key).slice(0, 16);
}

/**
 * Keys longer than this are counted by their SHA-256: V8 hashes a string of 16,384 characters or more
 * by its length alone, so same-length long lines at one timestamp all collided in the map and each was
 * compared with every one before it (2,000 lines of 17 KB took 5 s; 1,000 of 200 KB, 31 s).
 */
export const MAX_COUNTED_KEY_CHARS = 1024;

/** Records folded into one held command (Cowrie writes a result line per part of a chain; the rest are counted). */
export const MAX_MERGED_RECORDS = 64;

/**
 * Counts repeats of the same record key at the same timestamp, so two identical lines (e.g. Kippo's
 * one-second resolution) get distinct ids while a re-import gives the very same ids. Memory stays
 * flat: the counts are forgotten whenever the timestamp changes.
 */
export class OccurrenceCounter {
  private stamp: string | undefined;
  /** The only key seen at this stamp so far (the common case needs no map). */
  private single: string | undefined;
  private counts: Map<string, number> | undefined;

  /** The record key for RAW at STAMP: the raw text plus how many identical ones came before at that instant. */
  key(stamp: string, raw: string): string {
    return `${this.next(stamp, raw)}#${raw}`;
  }

  next(stamp: string, raw: string): number {
    const key = raw.length > MAX_COUNTED_KEY_CHARS ? hash('sha256', raw, 'base64') : raw;
    if (stamp !== this.stamp) {
      this.stamp = stamp;
      this.single = key;
      this.counts = undefined;
      return 0;
    }
    if (!this.counts) {
      this.counts = new Map([[this.single!, 1]]);
      this.single = undefined;
    }
    const n = this.counts.get(key) ?? 0;
    this.counts.set(key, n + 1);
    return n;
  }
}

export type BuildResult = { ok: true; event: ApiaryEvent } | { ok: false; reason: string };

/**
 * Makes a catalogued event with a deterministic id: time part from the record, random part from KEY.
 * With SEQ (a stable position such as a database row, below 2^48) the random part starts with it, so
 * records sharing one timestamp keep their order.
 */
export function buildEvent<T extends EventType>(type: T, payload: Payload<T>, env: Envelope, key: string, source: EventSource, seq?: number): BuildResult {
  if (!Number.isFinite(env.timeMs)) return { ok: false, reason: 'missing or unreadable timestamp' };
  if (env.timeMs < 0 || env.timeMs >= 253402300800000) return { ok: false, reason: 'timestamp out of range' };
  let data: unknown = payload;
  if (!payloadCertainlyValid(type, payload)) {
    const parsed = CATALOGUE[type].safeParse(payload);
    if (!parsed.success) return { ok: false, reason: `${type}: ${describeZodError(parsed.error)}` };
    data = parsed.data;
  }
  if (typeof env.src_ip !== 'string' || typeof env.dst_ip !== 'string') return { ok: false, reason: 'address is not an IP address' };
  if (!env.src_ip || env.src_ip.length > 64 || !env.dst_ip || env.dst_ip.length > 64) return { ok: false, reason: 'missing or oversized address' };
  // A log can come from a compromised honeypot: an "address" carrying terminal escapes or markup is not one.
  // Stored as sensors store addresses, so an imported source is the same source as a live one.
  const src_ip = canonicalIp(env.src_ip);
  const dst_ip = canonicalIp(env.dst_ip);
  if (src_ip === undefined || dst_ip === undefined) return { ok: false, reason: 'address is not an IP address' };
  if (!validPort(env.src_port) || !validPort(env.dst_port)) return { ok: false, reason: 'port out of range' };
  const digest = hash('sha256', `${type}\0${env.sensor}\0${key}`, 'buffer');
  if (seq !== undefined && Number.isInteger(seq) && seq >= 0 && seq < 2 ** 48) {
    digest.copy(digest, 6, 0, 4);
    digest.writeUIntBE(seq, 0, 6);
  }
  const event: ApiaryEvent = {
    id: eventIdFrom(env.timeMs, digest),
    time: isoTime(env.timeMs),
    type,
    sensor: env.sensor,
    session: env.session,
    protocol: env.protocol,
    src_ip,
    src_port: env.src_port,
    dst_ip,
    dst_port: env.dst_port,
    payload: data as Payload<T>,
    source,
  } as ApiaryEvent;
  return { ok: true, event };
}

function validPort(p: number): boolean {
  return Number.isInteger(p) && p >= 0 && p <= 65535;
}

/** A sensor name as the envelope allows it (letters, digits, . _ -), or undefined. */
export function cleanSensor(s: unknown): string | undefined {
  if (typeof s !== 'string') return undefined;
  const v = s.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 128);
  return v.length > 0 ? v : undefined;
}

/**
 * Parses the timestamps honeypots write: ISO 8601 with or without a zone, a space instead of "T",
 * "+0000" or "+00:00" offsets, and any number of fraction digits (kept to the millisecond).
 * A timestamp without a zone is UTC. Returns NaN when it is not one.
 */
export function parseTimestamp(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const ms = frac ? Math.floor(Number(frac.padEnd(3, '0').slice(0, 3))) : 0;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 60) return NaN;
  let t = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(sec), ms);
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  return t;
}

/** A Map that forgets its oldest entry beyond `max` (per-session state of a streaming import). */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super();
  }
  override set(k: K, v: V): this {
    if (!this.has(k)) makeRoom(this, this.max);
    return super.set(k, v);
  }
}

/** A file's rotated set (its path without a `.N`, `.YYYY-MM-DD` or `.gz` suffix) and its place in it. */
export function rotationOf(p: string): { base: string; rank: number; date: string } {
  let name = basename(p).replace(/\.gz$/, '');
  let rank = 0;
  let date = '';
  const num = /^(.*)\.(\d{1,4})$/.exec(name);
  const dated = /^(.*)\.(\d{4}-\d{2}-\d{2}(?:[-_.]\d+)?)$/.exec(name);
  if (dated) {
    name = dated[1]!;
    date = dated[2]!;
    rank = 1;
  } else if (num) {
    name = num[1]!;
    rank = 2 + Number(num[2]);
  }
  return { base: `${p.slice(0, p.length - basename(p).length)}${name}`, rank, date };
}

/**
 * Orders the files of rotated sets oldest first: within files sharing a base name, numbered
 * rotations (`.3`, `.2`, `.1`, also before `.gz`) come from the highest number down, dated ones
 * (`.2019-07-08`) by date, and the live file (no suffix) last. Separate sets keep the order given.
 */
export function orderRotated(paths: readonly string[]): string[] {
  const parse = rotationOf;
  const groups = new Map<string, { p: string; rank: number; date: string; i: number }[]>();
  paths.forEach((p, i) => {
    const { base, rank, date } = parse(p);
    const g = groups.get(base) ?? [];
    g.push({ p, rank, date, i });
    groups.set(base, g);
  });
  const out: string[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => {
      // Numbered (oldest = highest), then dated ascending, then the live file.
      const ka = a.rank >= 2 ? 0 : a.rank === 1 ? 1 : 2;
      const kb = b.rank >= 2 ? 0 : b.rank === 1 ? 1 : 2;
      if (ka !== kb) return ka - kb;
      if (ka === 0) return b.rank - a.rank;
      if (ka === 1) return a.date < b.date ? -1 : a.date > b.date ? 1 : 0;
      return a.i - b.i;
    });
    for (const x of g) out.push(x.p);
  }
  return out;
}

/**
 * Throttled progress line: "file: 12,345 records, 40 MB of 1.0 GB (4%)" for a log, or "file:
 * connection 300 of 1,000 (30%)" for a database read row by row.
 */
export class ProgressLine {
  private last = 0;
  constructor(private readonly show: ((status: string) => void) | undefined, private readonly everyMs = 200) {}

  /** RECORDS parsed from the BYTES_READ bytes read so far. */
  update(file: string, records: number, bytesRead: number, bytesTotal: number): void {
    if (this.due()) this.show!(`${basename(file)}: ${records.toLocaleString('en')} ${records === 1 ? 'record' : 'records'}, ${mb(bytesRead)} of ${mb(bytesTotal)}${percent(bytesRead, bytesTotal)}`);
  }

  /** The DONE-th ROW (e.g. "connection") of TOTAL. */
  updateRows(file: string, row: string, done: number, total: number): void {
    if (this.due()) this.show!(`${basename(file)}: ${row} ${done.toLocaleString('en')} of ${total.toLocaleString('en')}${percent(done, total)}`);
  }

  private due(): boolean {
    if (!this.show) return false;
    const now = Date.now();
    if (now - this.last < this.everyMs) return false;
    this.last = now;
    return true;
  }
}

function percent(done: number, total: number): string {
  return total > 0 ? ` (${Math.min(100, Math.floor((done / total) * 100))}%)` : '';
}

function mb(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`;
}

interface HeldCommand {
  payload: { input: string; known?: boolean };
  env: Envelope;
  key: string;
  source: EventSource;
  where: string;
}

/**
 * Where an importer's events go: builds each one (a failure is a skip with its reason), counts it in
 * the current file's report, and holds a session's last command line until the next record of that
 * session, so a following "command failed/found" record folds into it instead of counting twice.
 */
export class EventStream {
  report: FileReport = new FileReport('');
  private readonly held = new BoundedMap<string, HeldCommand>(MAX_OPEN_SESSIONS);

  constructor(private readonly writer: BatchWriter) {}

  async emit<T extends EventType>(type: T, payload: Payload<T>, env: Envelope, key: string, source: EventSource, where: string, seq?: number): Promise<boolean> {
    const r = buildEvent(type, payload, env, key, source, seq);
    if (!r.ok) {
      this.report.skipRecord(r.reason, where, JSON.stringify(source.record));
      return false;
    }
    this.report.events++;
    await this.writer.write(r.event);
    return true;
  }

  /** Holds a command line for SESSION (releasing the one held before). */
  async holdCommand(session: string, input: string, env: Envelope, key: string, source: EventSource, where: string): Promise<void> {
    await this.release(session);
    this.held.set(session, { payload: { input }, env, key, source, where });
  }

  /** Folds a "command found/not found" record into the held command; false when none is held. */
  foldCommandResult(session: string, known: boolean, record: unknown): boolean {
    const h = this.held.get(session);
    if (!h) return false;
    // One failed part makes the whole line not known; a found part only confirms what no failure denied.
    if (!known) h.payload.known = false;
    else if (h.payload.known === undefined) h.payload.known = true;
    const merged = (h.source.merged ??= []);
    if (merged.length < MAX_MERGED_RECORDS) merged.push(record);
    else h.source.merged_dropped = (h.source.merged_dropped ?? 0) + 1;
    return true;
  }

  async release(session: string): Promise<void> {
    const h = this.held.get(session);
    if (!h) return;
    this.held.delete(session);
    await this.emit('command.input', h.payload, h.env, h.key, h.source, h.where);
  }

  async releaseAll(): Promise<void> {
    for (const s of [...this.held.keys()]) await this.release(s);
  }
}

/** The message for a SQLite database given to a log importer (WHAT: "a Cowrie log"), or undefined for another first line. */
export function sqliteGivenAsLog(firstLine: string, what: string): string | undefined {
  return firstLine.startsWith('SQLite format 3') ? `this is a SQLite database, not ${what} (Dionaea's logsql is imported with "apiary import dionaea")` : undefined;
}

/** Errors a handler throws on a record it cannot read (as opposed to the store's or the file's). */
function isRecordError(err: unknown): err is Error {
  return err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError;
}

/**
 * The loop every line-based importer shares: reads PATH line by line (plain or gzip) with progress,
 * hands each non-empty line to HANDLE, records a read failure as the file's fatal skip, releases held
 * commands and flushes, then fills in how many events were new.
 */
export async function importLines(
  path: string,
  stream: EventStream,
  writer: BatchWriter,
  opts: ImportOptions,
  handle: (line: Line, where: string, report: FileReport) => Promise<void>,
  read: { maxBytes?: number; encoding?: BufferEncoding } = {},
): Promise<FileReport> {
  const report = new FileReport(path);
  stream.report = report;
  const progress: ReadProgress = { bytesRead: 0, bytesTotal: 0 };
  const status = new ProgressLine(opts.progress);
  const storedBefore = writer.stored;
  const writtenBefore = writer.written;
  try {
    read: for await (const lines of readLineBatches(path, progress, read)) {
      for (const l of lines) {
        if (l.text.trim() === '' && !l.tooLong) continue;
        report.records++;
        const where = `line ${l.n}`;
        if (l.tooLong) {
          report.skipRecord('line longer than the limit', where);
          continue;
        }
        try {
          await handle(l, where, report);
        } catch (err) {
          // A record the importer cannot make sense of (a log can come from a compromised honeypot)
          // is one skipped record, not the end of the import; the store's failures still end it.
          if (!isRecordError(err)) throw err;
          report.skipRecord(`unreadable record (${err.name}: ${err.message.slice(0, 100)})`, where);
        }
        if (report.fatal) break read;
      }
      // After the chunk's records are counted: the bytes read so far and the records they held.
      status.update(path, report.records, progress.bytesRead, progress.bytesTotal);
    }
  } catch (err) {
    if (!(err instanceof ReadError)) throw err;
    report.fatal = err.message;
  }
  // A command held for a "found/not found" line is released with its file, so reports add up per file.
  await stream.releaseAll();
  await writer.flush();
  report.stored = writer.stored - storedBefore;
  report.duplicates = writer.written - writtenBefore - report.stored;
  return report;
}
