// Keeps the stored incidents up to date: reads events committed since its last run (a watermark on the
// store's commit order, so late events such as a spool delivered after an outage or an import of old
// logs are still folded), folds them into incidents and saves them. Restart-safe and exactly-once per
// stored event.
import type { ApiaryEvent } from '../events/catalogue.js';
import type { EventStore } from '../store/store.js';
import { foldIncidents, type IncidentChange } from './incidents.js';
import { MergedRuns } from './merged-runs.js';

export const WATERMARK_KEY = 'incidents.watermark';
export const LEASE_KEY = 'incidents.lease';
/** How long a running Apiary's claim to keep incidents current lasts without renewal. */
export const LEASE_MS = 15_000;
/** Events folded per step; bounds memory while catching up on a large import. */
export const TRACKER_CHUNK = 5000;

/** What one catch-up did. The changes themselves go to the onChanges callback, chunk by chunk. */
export interface CatchUpResult {
  events: number;
  changes: number;
}

export class IncidentTracker {
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
    for (;;) {
      const read = await this.store.readCommitted(watermark, TRACKER_CHUNK);
      const events: ApiaryEvent[] = read.events;
      if (events.length === 0) break;
      const ips = [...new Set(events.map((e) => e.src_ip))];
      const enrichment = await this.store.getEnrichment(ips);
      // Only incidents that ended within the quiet gap of this chunk's first event can be extended by it.
      const earliest = events.reduce((m, e) => (e.time < m ? e.time : m), events[0]!.time);
      const activeSince = new Date(Math.max(0, Date.parse(earliest) - this.quietGapMs)).toISOString();
      const open = await this.store.latestIncidents(ips, activeSince);
      const changes = foldIncidents(open, events, enrichment, this.quietGapMs);
      const next = read.cursor!;
      if (!(await this.store.commitIncidents(changes.map((c) => c.incident), { key: WATERMARK_KEY, expected: watermark, next }))) {
        // Another tracker folded these events first: start again from where it got to.
        watermark = await this.store.getState(WATERMARK_KEY);
        continue;
      }
      watermark = next;
      out.events += events.length;
      out.changes += changes.length;
      if (changes.length) await this.onChanges(changes);
      if (events.length < TRACKER_CHUNK) break;
    }
    return out;
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
