// Keeps the stored incidents up to date: reads events committed since its last run (a watermark on the
// event id), folds them into incidents and saves them. Restart-safe and exactly-once per stored event.
import type { ApiaryEvent } from '../events/catalogue.js';
import type { EventStore, IncidentRecord } from '../store/store.js';
import { foldIncidents, type IncidentChange } from './incidents.js';

export const WATERMARK_KEY = 'incidents.watermark';
/** Events folded per step; bounds memory while catching up on a large import. */
export const TRACKER_CHUNK = 5000;

export class IncidentTracker {
  private running: Promise<IncidentChange[]> | undefined;
  private again = false;

  constructor(
    private readonly store: EventStore,
    private readonly quietGapMs: number,
    private readonly onChanges: (changes: IncidentChange[]) => void | Promise<void> = () => {},
  ) {}

  /** Processes every event stored after the watermark. Calls made while one runs are merged into one more run. */
  catchUp(): Promise<IncidentChange[]> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      const all: IncidentChange[] = [];
      do {
        this.again = false;
        all.push(...(await this.runOnce()));
      } while (this.again);
      return all;
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runOnce(): Promise<IncidentChange[]> {
    const out: IncidentChange[] = [];
    let watermark = await this.store.getState(WATERMARK_KEY);
    for (;;) {
      const events: ApiaryEvent[] = await this.store.query({ ...(watermark !== undefined ? { afterId: watermark } : {}), limit: TRACKER_CHUNK, order: 'asc' });
      if (events.length === 0) break;
      const ips = [...new Set(events.map((e) => e.src_ip))];
      const enrichment = await this.store.getEnrichment(ips);
      const open = new Map<string, IncidentRecord>();
      for (const ip of ips) {
        const latest = (await this.store.listIncidents({ src: ip })).at(-1);
        if (latest) open.set(ip, latest);
      }
      const changes = foldIncidents(open, events, enrichment, this.quietGapMs);
      await this.store.saveIncidents(changes.map((c) => c.incident));
      watermark = events[events.length - 1]!.id;
      await this.store.setState(WATERMARK_KEY, watermark);
      out.push(...changes);
      if (changes.length) await this.onChanges(changes);
      if (events.length < TRACKER_CHUNK) break;
    }
    return out;
  }
}
