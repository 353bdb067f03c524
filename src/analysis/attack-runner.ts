// Keeps the stored attack chains current: folds the events stored since its watermark into the
// reconstruction state (src/analysis/attacks), saves the chains that changed and moves the watermark
// in one transaction, like the incident tracker. The state itself is saved beside them from time to
// time; after a restart the events between that snapshot and the watermark are folded again.
import type { ApiaryEvent } from '../events/catalogue.js';
import type { AttackRecord, EventStore } from '../store/store.js';
import { buildAttackRecord } from './attacks/chains.js';
import { emptyState, findRoot, foldAttackEvents, restoreState, serialiseState, type AttackState } from './attacks/fold.js';

export const ATTACKS_WATERMARK_KEY = 'attacks.watermark';
export const ATTACKS_STATE_KEY = 'attacks.state';
/** Events folded per step. */
export const ATTACK_CHUNK = 5000;
/** Least time between two saves of the state while events keep coming. */
export const STATE_SAVE_INTERVAL_MS = 10_000;

export interface AttackCatchUp {
  events: number;
  chains: number;
}

interface Snapshot {
  watermark: string | undefined;
  state: AttackState;
}

export class AttackRunner {
  private running: Promise<AttackCatchUp> | undefined;
  private again = false;
  private snap: Snapshot | undefined;
  private savedAt = 0;
  private unsaved = false;

  constructor(
    private readonly store: EventStore,
    private readonly onChains: (records: AttackRecord[]) => void | Promise<void> = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** Folds every event stored after the watermark; calls made while one runs are merged into one more run. */
  catchUp(): Promise<AttackCatchUp> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      const total: AttackCatchUp = { events: 0, chains: 0 };
      do {
        this.again = false;
        const r = await this.runOnce();
        total.events += r.events;
        total.chains += r.chains;
      } while (this.again);
      return total;
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Saves the state now (at shutdown), if it changed since the last save. */
  async flush(): Promise<void> {
    await this.running?.catch(() => {});
    if (this.snap && this.unsaved) await this.save(this.snap);
  }

  private async load(): Promise<Snapshot> {
    const raw = await this.store.getState(ATTACKS_STATE_KEY);
    if (raw !== undefined) {
      const sep = raw.indexOf('\n');
      const watermark = sep > 0 ? raw.slice(0, sep) : undefined;
      const state = restoreState(sep >= 0 ? raw.slice(sep + 1) : undefined);
      if (state) return { watermark: watermark === '-' ? undefined : watermark, state };
    }
    return { watermark: undefined, state: emptyState() };
  }

  private async save(s: Snapshot): Promise<void> {
    await this.store.setState(ATTACKS_STATE_KEY, `${s.watermark ?? '-'}\n${serialiseState(s.state)}`);
    this.savedAt = this.now();
    this.unsaved = false;
  }

  private async runOnce(): Promise<AttackCatchUp> {
    const out: AttackCatchUp = { events: 0, chains: 0 };
    this.snap ??= await this.load();
    let stored = await this.store.getState(ATTACKS_WATERMARK_KEY);
    for (;;) {
      const s = this.snap;
      const events: ApiaryEvent[] = await this.store.query({ ...(s.watermark !== undefined ? { afterId: s.watermark } : {}), limit: ATTACK_CHUNK, order: 'asc' });
      if (events.length === 0) break;
      const ips = [...new Set(events.map((e) => e.src_ip))];
      const enrichment = await this.store.getEnrichment(ips);
      const roots = foldAttackEvents(s.state, events, enrichment);
      const records: AttackRecord[] = [];
      for (const r of roots) {
        const rec = buildAttackRecord(s.state, r);
        if (rec) records.push(rec);
      }
      const next = events[events.length - 1]!.id;
      // Behind the stored watermark (refolding after a restart): the chains are saved again, the watermark stays.
      const target = stored !== undefined && stored > next ? stored : next;
      if (!(await this.store.commitAttacks(records, { key: ATTACKS_WATERMARK_KEY, expected: stored, next: target }))) {
        // Another runner moved the watermark: our state is stale; start again from the saved snapshot.
        this.snap = await this.load();
        stored = await this.store.getState(ATTACKS_WATERMARK_KEY);
        continue;
      }
      stored = target;
      s.watermark = next;
      for (const r of roots) {
        const meta = s.state.chains.get(findRoot(s.state, r));
        if (meta) meta.merged = [];
      }
      this.unsaved = true;
      out.events += events.length;
      out.chains += records.length;
      if (records.length) await this.onChains(records);
      if (events.length < ATTACK_CHUNK) break;
    }
    if (this.unsaved && this.now() - this.savedAt >= STATE_SAVE_INTERVAL_MS) await this.save(this.snap);
    return out;
  }
}
