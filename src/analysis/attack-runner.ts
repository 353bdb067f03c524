// Keeps the stored attack chains current: folds the events stored since its watermark into the
// reconstruction state (src/analysis/attacks), saves the chains that changed and moves the watermark
// in one transaction, like the incident tracker. The state itself is saved beside them from time to
// time; after a restart the events between that snapshot and the watermark are folded again.
import type { ApiaryEvent } from '../events/catalogue.js';
import { cursorAfter, type AttackRecord, type EventStore } from '../store/store.js';
import { MergedRuns } from './merged-runs.js';
import { buildAttackRecord } from './attacks/chains.js';
import { emptyState, findRoot, foldAttackEvents, restoreState, serialiseState, type AttackState, type FoldOptions } from './attacks/fold.js';

export const ATTACKS_WATERMARK_KEY = 'attacks.watermark';
export const ATTACKS_STATE_KEY = 'attacks.state';
/** Events folded per step. */
export const ATTACK_CHUNK = 5000;
/** Events folded, at most, before the chains they changed are saved (while catching up on a backlog). */
export const ATTACK_COMMIT_EVENTS = 200_000;
/**
 * Least time between two saves of the state while events keep coming (and at shutdown). Saving is a
 * full serialisation, so it is rare; a restart refolds the events stored since the last save.
 */
export const STATE_SAVE_INTERVAL_MS = 300_000;

export interface AttackCatchUp {
  events: number;
  chains: number;
}

export interface AttackRunnerOptions extends FoldOptions {
  /** Called with the chains each step saved. */
  onChains?: (records: AttackRecord[]) => void | Promise<void>;
  now?: () => number;
}

interface Snapshot {
  watermark: string | undefined;
  state: AttackState;
}

export class AttackRunner {
  private readonly runs = new MergedRuns(() => this.runOnce(), (t: AttackCatchUp, r: AttackCatchUp) => ({ events: t.events + r.events, chains: t.chains + r.chains }), () => ({ events: 0, chains: 0 }));
  private snap: Snapshot | undefined;
  private savedAt: number;
  private unsaved = false;

  private readonly onChains: (records: AttackRecord[]) => void | Promise<void>;
  private readonly now: () => number;

  constructor(
    private readonly store: EventStore,
    private readonly opts: AttackRunnerOptions = {},
  ) {
    this.onChains = opts.onChains ?? (() => {});
    this.now = opts.now ?? Date.now;
    // The first save comes an interval after start (or at shutdown), not in the middle of the first catch-up.
    this.savedAt = this.now();
  }

  /** Folds every event stored after the watermark; calls made while one runs are merged into one more run. */
  catchUp(): Promise<AttackCatchUp> {
    return this.runs.run();
  }

  /** Saves the state now (at shutdown), if it changed since the last save. */
  async flush(): Promise<void> {
    await this.runs.idle();
    if (this.snap && this.unsaved) await this.save(this.snap);
  }

  private async load(): Promise<Snapshot> {
    const raw = await this.store.getState(ATTACKS_STATE_KEY);
    if (raw !== undefined) {
      const sep = raw.indexOf('\n');
      const watermark = sep > 0 ? raw.slice(0, sep) : undefined;
      const state = restoreState(sep >= 0 ? raw.slice(sep + 1) : undefined);
      // A snapshot whose watermark is not a commit-order cursor (made before cursors) is refolded from the start.
      if (state && (watermark === '-' || (watermark !== undefined && /^\d{1,20}$/.test(watermark)))) return { watermark: watermark === '-' ? undefined : watermark, state };
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
    // While catching up on a backlog, chunks are folded before their chains are built and saved, so a
    // chain touched by every chunk is written once per ATTACK_COMMIT_EVENTS rather than once per chunk.
    let pending = new Set<string>();
    let pendingEvents = 0;
    for (;;) {
      const s = this.snap;
      // In commit order (like the incident tracker), so events stored late with older times are folded too.
      const read = await this.store.readCommitted(s.watermark, ATTACK_CHUNK);
      const events: ApiaryEvent[] = read.events;
      const last = events.length < ATTACK_CHUNK;
      if (events.length) {
        const ips = [...new Set(events.map((e) => e.src_ip))];
        const enrichment = await this.store.getEnrichment(ips);
        for (const r of foldAttackEvents(s.state, events, enrichment, this.opts)) pending.add(r);
        pendingEvents += events.length;
        s.watermark = read.cursor;
      }
      if (pendingEvents === 0) break;
      // The store answers synchronously: let the sensors' sockets in between chunks of a long catch-up.
      await new Promise<void>((r) => setImmediate(r));
      if (!last && pendingEvents < ATTACK_COMMIT_EVENTS) continue;
      const records: AttackRecord[] = [];
      const roots = new Set([...pending].map((r) => findRoot(s.state, r)));
      for (const r of roots) {
        const rec = buildAttackRecord(s.state, r);
        if (rec) records.push(rec);
      }
      const next = s.watermark!;
      // Behind the stored watermark (refolding after a restart): the chains are saved again, the watermark stays.
      const target = stored !== undefined && cursorAfter(stored, next) ? stored : next;
      if (!(await this.store.commitAttacks(records, { key: ATTACKS_WATERMARK_KEY, expected: stored, next: target }))) {
        // Another runner moved the watermark: our state is stale; start again from the saved snapshot.
        this.snap = await this.load();
        stored = await this.store.getState(ATTACKS_WATERMARK_KEY);
        pending = new Set();
        pendingEvents = 0;
        continue;
      }
      stored = target;
      for (const r of roots) {
        const meta = s.state.chains.get(r);
        if (meta) meta.merged = [];
      }
      this.unsaved = true;
      out.events += pendingEvents;
      out.chains += records.length;
      pending = new Set();
      pendingEvents = 0;
      if (records.length) await this.onChains(records);
      if (last) break;
    }
    if (this.unsaved && this.now() - this.savedAt >= STATE_SAVE_INTERVAL_MS) await this.save(this.snap);
    return out;
  }
}
