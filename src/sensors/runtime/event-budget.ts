// How much the sensors may record per source and in all: a token bucket of events and one of bytes
// for each source (an address, or an IPv6 /64) and for the whole process, between the sensors and
// their sink. Connection caps alone let one source store 150,000 events a second (telnet window-size
// messages) or 40 MB a second (4 KB first packets to unserved ports), a full disk in minutes, and
// queue more than the store can take. Past its budget a source's events are counted instead, in one
// `connection.limited` (limit `event_rate`) per source and window; what a record cannot do without
// is never dropped (KEPT), nor are a session's first SESSION_HEAD_EVENTS events while the source's
// debt is within one burst.
import type { EventSink } from '../../events/emitter.js';
import type { ApiaryEvent, EventType, Payload } from '../../events/catalogue.js';
import { sourceKey } from '../../events/source-key.js';
import { RecentMap } from './recent-map.js';
import { emitLimited, WindowedCounts } from './windowed-counts.js';

/** A budget: so much per second, sustained, and up to BURST_SECONDS times that at once. */
export interface EventBudgetLimits {
  sourceEventsPerSecond: number;
  sourceBytesPerSecond: number;
  globalEventsPerSecond: number;
  globalBytesPerSecond: number;
}

/** How many seconds of a budget a quiet source (or process) may spend at once. */
export const BURST_SECONDS = 10;
/** Events of a session recorded whatever the budget (while the debt is within a burst): no session is headless. */
export const SESSION_HEAD_EVENTS = 8;
/** Sources whose buckets are kept (the most recently seen, RecentMap). */
export const MAX_BUDGET_SOURCES = 10_000;
/** Sessions whose head is counted (the most recently seen, RecentMap). */
export const MAX_BUDGET_SESSIONS = 50_000;

/** Never dropped: pairs, summaries, captures and what proves an attack happened. They still spend budget. */
const KEPT: ReadonlySet<EventType> = new Set<EventType>([
  'connection.open', 'connection.close', 'connection.limited', 'file.upload', 'shellcode.detected',
  'session.recording', 'honeytoken.planted', 'sensor.silent', 'spool.dropped',
]);

/**
 * The file.download outcomes that put a file into quarantine, and so are kept. The others (fetch off,
 * refused, rate-limited, failed) stored nothing: an attacker names URLs for free, and pipelined
 * exploits naming eight each once stored 17,000 kept downloads a second.
 */
const CAPTURED: ReadonlySet<string> = new Set<Payload<'file.download'>['outcome']>(['stored', 'duplicate', 'truncated']);

function kept(e: ApiaryEvent): boolean {
  if (KEPT.has(e.type)) return true;
  if (e.type === 'auth.attempt') return (e.payload as { success?: boolean }).success === true;
  if (e.type === 'file.download') return CAPTURED.has((e.payload as { outcome?: string }).outcome ?? '');
  return false;
}

/** About how many bytes a payload takes stored (its strings' lengths and a little per field), without serialising it. */
export function approxBytes(v: unknown, depth = 0): number {
  if (typeof v === 'string') return v.length + 2;
  if (typeof v !== 'object' || v === null) return 8;
  if (depth > 4) return 64;
  let n = 2;
  if (Array.isArray(v)) for (const x of v) n += approxBytes(x, depth + 1) + 1;
  else for (const k of Object.keys(v)) n += k.length + 4 + approxBytes((v as Record<string, unknown>)[k], depth + 1);
  return n;
}

/** Two token buckets (events, bytes) refilled at their rates up to BURST_SECONDS of them; they may go into debt. */
class Bucket {
  events: number;
  bytes: number;
  constructor(
    private readonly eventRate: number,
    private readonly byteRate: number,
    public at: number,
  ) {
    this.events = eventRate * BURST_SECONDS;
    this.bytes = byteRate * BURST_SECONDS;
  }
  refill(now: number): void {
    const s = Math.max(0, now - this.at) / 1000;
    this.at = now;
    this.events = Math.min(this.eventRate * BURST_SECONDS, this.events + s * this.eventRate);
    this.bytes = Math.min(this.byteRate * BURST_SECONDS, this.bytes + s * this.byteRate);
  }
  has(bytes: number): boolean {
    return this.events >= 1 && this.bytes >= bytes;
  }
  /** Within one burst of debt (a kept or head event may take it there, no further). */
  withinDebt(): boolean {
    return this.events > -this.eventRate * BURST_SECONDS && this.bytes > -this.byteRate * BURST_SECONDS;
  }
  /** Spends an event of BYTES; the debt stops at one burst, so a source that stops recovers within two. */
  spend(bytes: number): void {
    this.events = Math.max(this.events - 1, -this.eventRate * BURST_SECONDS);
    this.bytes = Math.max(this.bytes - bytes, -this.byteRate * BURST_SECONDS);
  }
}

/** The sensors' sink behind the budget: passes what is within it, counts the rest. */
export class BudgetedSink implements EventSink {
  private readonly sources = new RecentMap<Bucket>(MAX_BUDGET_SOURCES);
  private readonly global: Bucket;
  private readonly heads = new RecentMap<number>(MAX_BUDGET_SESSIONS);
  private readonly over: WindowedCounts<ApiaryEvent>;
  /** Events counted instead of recorded since start. */
  dropped = 0;

  constructor(
    private readonly sink: EventSink,
    private readonly limits: EventBudgetLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.global = new Bucket(limits.globalEventsPerSecond, limits.globalBytesPerSecond, now());
    this.over = new WindowedCounts((_src, first, count, windowMs) => this.summarise(first, count, windowMs), now);
  }

  write(event: ApiaryEvent): void {
    const now = this.now();
    const src = sourceKey(event.src_ip);
    const bucket = this.bucketOf(src, now);
    this.global.refill(now);
    const bytes = approxBytes(event.payload);
    const head = this.headEvent(event);
    const keep = kept(event);
    const ok = keep || (bucket.has(bytes) && this.global.has(bytes)) || (head && bucket.withinDebt() && this.global.withinDebt());
    if (!ok) {
      this.dropped++;
      return this.over.add(src, event);
    }
    bucket.spend(bytes);
    // Kept events (bounded by the connection limits, not by this) spend only their own source's budget:
    // one source's connection flood must not use up what the others may record.
    if (!keep) this.global.spend(bytes);
    this.sink.write(event);
  }

  async flush(): Promise<void> {
    this.report();
    await this.sink.flush();
  }

  /** Writes the pending summaries now (at shutdown, or before a flush). */
  report(): void {
    this.over.flush();
  }

  private bucketOf(src: string, now: number): Bucket {
    let b = this.sources.get(src);
    if (b) b.refill(now);
    else this.sources.set(src, (b = new Bucket(this.limits.sourceEventsPerSecond, this.limits.sourceBytesPerSecond, now)));
    return b;
  }

  /** Whether EVENT is among its session's first SESSION_HEAD_EVENTS; a session's count ends with it. */
  private headEvent(event: ApiaryEvent): boolean {
    const session = event.session;
    if (event.type === 'connection.close') {
      this.heads.delete(session);
      return true;
    }
    const n = this.heads.get(session) ?? 0;
    if (n >= SESSION_HEAD_EVENTS) return false;
    this.heads.set(session, n + 1);
    return true;
  }

  /** One connection.limited for a source's events not recorded, under the envelope of the first of them. */
  private summarise(first: ApiaryEvent, count: number, windowMs: number): void {
    emitLimited(this.sink, first, 'event_rate', count, windowMs);
  }
}
