// Keeps the stored incidents up to date: reads events committed since its last run (a watermark on the
// store's commit order, so late events such as a spool delivered after an outage or an import of old
// logs are still folded), folds them into incidents and saves them. Restart-safe and exactly-once per
// stored event.
import type { ApiaryEvent } from '../events/catalogue.js';
import type { EventStore, IncidentRecord } from '../store/store.js';
import { foldIncidents, type IncidentChange } from './incidents.js';
import { MergedRuns } from './merged-runs.js';
import { makeRoom } from '../wire/bounded.js';

export const WATERMARK_KEY = 'incidents.watermark';
export const LEASE_KEY = 'incidents.lease';
/** How long a running Apiary's claim to keep incidents current lasts without renewal. */
export const LEASE_MS = 15_000;
/** Events folded per step; bounds memory while catching up on a large import. */
export const TRACKER_CHUNK = 5000;
/**
 * Events folded, at most, before the incidents they changed are saved with the watermark (while
 * catching up on a backlog; otherwise each run saves at its end). Bounds the incidents held in memory.
 */
export const TRACKER_COMMIT_EVENTS = 20_000;
/**
 * Sources whose latest incident the tracker keeps from one save to the next, so that the next events
 * of a busy source do not read its incident back and decode it (past this, the oldest are forgotten).
 */
export const MAX_HELD_INCIDENTS = 10_000;

/** What one catch-up did. The changes themselves go to the onChanges callback, chunk by chunk. */
export interface CatchUpResult {
  events: number;
  changes: number;
}

export class IncidentTracker {
  /**
   * The latest incident of each source as this tracker last saved it, good while the watermark is still
   * the one it saved with (heldAt): had another tracker folded since, it would have moved the watermark.
   * Status and notes, which people change, are never written by a save, and the rest a fold derives
   * again from the events and the enrichment, so a kept copy saves what a read-back would.
   */
  private held = new Map<string, IncidentRecord>();
  private heldAt: string | undefined | null = null;
  private readonly runs = new MergedRuns(() => this.runOnce(), (t: CatchUpResult, r: CatchUpResult) => ({ events: t.events + r.events, changes: t.changes + r.changes }), () => ({ events: 0, changes: 0 }));

  constructor(
    private readonly store: EventStore,
    private readonly quietGapMs: number,
    private readonly onChanges: (changes: IncidentChange[]) => void | Promise<void> = () => {},
  ) {}

  /** Processes every event stored after the watermark. Calls made while one runs are merged into one more run. */
  catchUp(): Promise<CatchUpResult> {
    return this.runs.run();
  }

  /**
   * A running Apiary holds a lease so that CLI commands leave tracking (and so alerting) to it.
   * Returns true when OWNER holds it after the call.
   */
  async holdLease(owner: string, now = Date.now()): Promise<boolean> {
    const held = await leaseHolder(this.store, now);
    if (held !== undefined && held !== owner) return false;
    await this.store.setState(LEASE_KEY, JSON.stringify({ owner, until: now + LEASE_MS }));
    return true;
  }

  private async runOnce(): Promise<CatchUpResult> {
    const out: CatchUpResult = { events: 0, changes: 0 };
    let watermark = await this.store.getState(WATERMARK_KEY);
    if (watermark !== this.heldAt) this.forgetHeld();
    // Through a backlog, chunks are folded in memory and saved together with the watermark every
    // TRACKER_COMMIT_EVENTS, so a source active throughout is written once per commit, not per chunk.
    let cursor = watermark;
    let pending = new Map<string, IncidentChange>();
    let newest = new Map<string, IncidentRecord>();
    let pendingEvents = 0;
    for (;;) {
      const read = await this.store.readCommitted(cursor, TRACKER_CHUNK);
      const events: ApiaryEvent[] = read.events;
      const last = events.length < TRACKER_CHUNK;
      if (events.length > 0) {
        const ips = [...new Set(events.map((e) => e.src_ip))];
        const enrichment = await this.store.getEnrichment(ips);
        // Only incidents that ended within the quiet gap of this chunk's first event can be extended by it.
        const earliest = events.reduce((m, e) => (e.time < m ? e.time : m), events[0]!.time);
        const activeSince = new Date(Math.max(0, Date.parse(earliest) - this.quietGapMs)).toISOString();
        // Incidents folded but not saved yet are newer than the stored ones; those kept from the last
        // save are the stored ones. Only the other sources' are read.
        const unknown = ips.filter((ip) => !newest.has(ip) && !this.held.has(ip));
        const open = unknown.length > 0 ? await this.store.latestIncidents(unknown, activeSince) : new Map<string, IncidentRecord>();
        for (const ip of ips) {
          const known = newest.get(ip) ?? this.held.get(ip);
          if (known && known.last_seen >= activeSince) open.set(ip, known);
        }
        for (const c of foldIncidents(open, events, enrichment, this.quietGapMs)) {
          const first = pending.get(c.incident.id);
          // What changed since the last save: created then, and the severity before it, for alerting.
          pending.set(c.incident.id, first ? { ...c, created: first.created, previousSeverity: first.previousSeverity } : c);
          newest.set(c.incident.src_ip, c.incident);
        }
        pendingEvents += events.length;
        cursor = read.cursor;
      }
      if (pendingEvents === 0) break;
      if (!last && pendingEvents < TRACKER_COMMIT_EVENTS) continue;
      const changes = [...pending.values()];
      const folded = pendingEvents;
      const saved = await this.store.commitIncidents(changes.map((c) => c.incident), { key: WATERMARK_KEY, expected: watermark, next: cursor! });
      if (saved) this.keepHeld(newest, cursor!);
      else this.forgetHeld();
      pending = new Map();
      newest = new Map();
      pendingEvents = 0;
      if (!saved) {
        // Another tracker folded these events first: start again from where it got to.
        watermark = await this.store.getState(WATERMARK_KEY);
        cursor = watermark;
        continue;
      }
      watermark = cursor;
      out.events += folded;
      out.changes += changes.length;
      if (changes.length) await this.onChanges(changes);
      if (last) break;
    }
    return out;
  }

  /** After a save with watermark AT: SAVED (the newest incident per source) are what the store holds. */
  private keepHeld(saved: ReadonlyMap<string, IncidentRecord>, at: string): void {
    for (const [ip, incident] of saved) {
      // Deleted first, so the Map's order is by last save and the least recently saved go first.
      this.held.delete(ip);
      makeRoom(this.held, MAX_HELD_INCIDENTS);
      this.held.set(ip, incident);
    }
    this.heldAt = at;
  }

  private forgetHeld(): void {
    this.held = new Map();
    this.heldAt = null;
  }
}

/** The owner of an unexpired lease, if any. */
export async function leaseHolder(store: EventStore, now = Date.now()): Promise<string | undefined> {
  const raw = await store.getState(LEASE_KEY);
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw) as { owner?: unknown; until?: unknown };
    return typeof v.owner === 'string' && typeof v.until === 'number' && v.until > now ? v.owner : undefined;
  } catch {
    return undefined;
  }
}
