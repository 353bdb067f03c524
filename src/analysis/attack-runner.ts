// Keeps the stored attack chains current: folds the events stored since its watermark into the
// reconstruction state (src/analysis/attacks), saves the chains that changed and moves the watermark
// in one transaction, like the incident tracker. The state itself is saved beside them from time to
// time; after a restart the events between that snapshot and the watermark are folded again.
//
// The state is saved in pieces (STATE_PIECE_CHARS each), under keys of their own in one of two slots;
// the entry at ATTACKS_STATE_KEY (the watermark and which slot, of which save) is written last, so a
// save cut short leaves the previous one whole. A save that fails is logged (APIARY_ATTACK_STATE_SAVE)
// and tried again an interval later; folding goes on meanwhile.
import { randomBytes } from 'node:crypto';
import type { ApiaryEvent } from '../events/catalogue.js';
import { cursorAfter, type AttackRecord, type EventStore } from '../store/store.js';
import { MergedRuns } from './merged-runs.js';
import { buildAttackRecord } from './attacks/chains.js';
import { emptyState, findRoot, foldAttackEvents, restorePiece, restoreState, serialiseState, STATE_PIECE_CHARS, type AttackState, type FoldOptions } from './attacks/fold.js';

export const ATTACKS_WATERMARK_KEY = 'attacks.watermark';
/** The saved state's entry: its watermark, then the slot and save its pieces are under (or, before pieces, the state itself). */
export const ATTACKS_STATE_KEY = 'attacks.state';
/** The error code logged when the state cannot be saved (docs/errors.md). */
export const ATTACK_STATE_SAVE_ERROR = 'APIARY_ATTACK_STATE_SAVE';
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

export interface AttackRunnerLog {
  error(obj: { err: unknown }, msg: string): void;
}

export interface AttackRunnerOptions extends FoldOptions {
  /** Called with the chains each step saved. */
  onChains?: (records: AttackRecord[]) => void | Promise<void>;
  now?: () => number;
  /** Where a failed save of the state is reported (a pino logger; default: a line on stderr). */
  log?: AttackRunnerLog;
  /** Characters per piece of the saved state (STATE_PIECE_CHARS; tests make it small). */
  pieceChars?: number;
}

interface Snapshot {
  watermark: string | undefined;
  state: AttackState;
}

const SLOTS = ['a', 'b'] as const;
type Slot = (typeof SLOTS)[number];

/** Where the saved state's pieces are: the slot, the save (each piece names it) and how many. */
interface Manifest {
  v: 2;
  slot: Slot;
  gen: string;
  pieces: number;
}

export function statePieceKey(slot: Slot, n: number): string {
  return `${ATTACKS_STATE_KEY}.${slot}.${n}`;
}

/** The manifest in BODY (the text after the watermark line), or undefined for a state saved whole. */
function parseManifest(body: string | undefined): Manifest | undefined {
  if (body === undefined || body.length > 1000) return undefined;
  try {
    const m = JSON.parse(body) as Partial<Manifest>;
    if (m.v !== 2 || !SLOTS.includes(m.slot as Slot) || typeof m.gen !== 'string' || !Number.isSafeInteger(m.pieces) || m.pieces! < 1) return undefined;
    return m as Manifest;
  } catch {
    return undefined;
  }
}

function bodyOf(raw: string | undefined): string | undefined {
  const sep = raw?.indexOf('\n') ?? -1;
  return sep >= 0 ? raw!.slice(sep + 1) : undefined;
}

const stderrLog: AttackRunnerLog = {
  error(obj, msg) {
    process.stderr.write(`apiary: ${msg} (${obj.err instanceof Error ? obj.err.message : String(obj.err)})\n`);
  },
};

export class AttackRunner {
  private readonly runs = new MergedRuns(() => this.runOnce(), (t: AttackCatchUp, r: AttackCatchUp) => ({ events: t.events + r.events, chains: t.chains + r.chains }), () => ({ events: 0, chains: 0 }));
  private snap: Snapshot | undefined;
  private savedAt: number;
  private unsaved = false;
  /** The save in progress: saves run one after another (two would write the same slot). */
  private saving: Promise<void> = Promise.resolve();

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
      // A snapshot whose watermark is not a commit-order cursor (made before cursors) is refolded from the start.
      if (watermark === '-' || (watermark !== undefined && /^\d{1,20}$/.test(watermark))) {
        const state = await this.restore(bodyOf(raw));
        if (state) return { watermark: watermark === '-' ? undefined : watermark, state };
      }
    }
    return { watermark: undefined, state: emptyState() };
  }

  /** The state BODY names (its pieces, read one at a time), or holds (saved whole, before pieces). */
  private async restore(body: string | undefined): Promise<AttackState | undefined> {
    const m = parseManifest(body);
    if (!m) return restoreState(body);
    const state = emptyState();
    for (let n = 0; n < m.pieces; n++) {
      // A piece missing or of another save (two runners saving at once): refolded from the start.
      const piece = await this.store.getState(statePieceKey(m.slot, n));
      if (piece === undefined || !restorePiece(state, piece, m.gen)) return undefined;
    }
    return state;
  }

  /** Saves S; a failure is logged and the save tried again an interval later, folding going on meanwhile. */
  private save(s: Snapshot): Promise<void> {
    this.saving = this.saving.then(async () => {
      try {
        if (await this.writeState(s)) this.unsaved = false;
      } catch (err) {
        const log = this.opts.log ?? stderrLog;
        log.error({ err }, `${ATTACK_STATE_SAVE_ERROR}: the attack reconstruction state could not be saved; folding goes on, the save is tried again in ${STATE_SAVE_INTERVAL_MS / 1000} s, and a restart refolds the events since the last save`);
      }
      this.savedAt = this.now();
    });
    return this.saving;
  }

  /**
   * Writes S's pieces into the slot the saved state does not use, then points ATTACKS_STATE_KEY at them;
   * false when another runner saved meanwhile (its state stands, as good as ours; ours is tried again later).
   */
  private async writeState(s: Snapshot): Promise<boolean> {
    // Pieces and watermark are taken together, before anything is awaited: the state may move on while they are written.
    const gen = randomBytes(8).toString('hex');
    const pieces = serialiseState(s.state, this.opts.pieceChars ?? STATE_PIECE_CHARS, gen);
    const head = `${s.watermark ?? '-'}\n`;
    const current = await this.store.getState(ATTACKS_STATE_KEY);
    const slot: Slot = parseManifest(bodyOf(current))?.slot === 'a' ? 'b' : 'a';
    for (let n = 0; n < pieces.length; n++) {
      await this.store.setState(statePieceKey(slot, n), pieces[n]!);
      pieces[n] = '';
    }
    await this.dropPieces(slot, pieces.length);
    const manifest: Manifest = { v: 2, slot, gen, pieces: pieces.length };
    return this.store.swapState(ATTACKS_STATE_KEY, current, head + JSON.stringify(manifest));
  }

  /** Deletes the pieces of SLOT from FROM on, left by an earlier, longer save (pieces are written from 0 without a gap). */
  private async dropPieces(slot: Slot, from: number): Promise<void> {
    for (let n = from; ; n++) {
      const key = statePieceKey(slot, n);
      const old = await this.store.getState(key);
      if (old === undefined) return;
      await this.store.swapState(key, old, undefined);
    }
  }

  private async runOnce(): Promise<AttackCatchUp> {
    const out: AttackCatchUp = { events: 0, chains: 0 };
    if (this.snap === undefined) {
      // Nothing committed after the stored chains: they are current, and the state (large in a big
      // store: hundreds of MB parsed) need not be loaded. A report or an export on such a store is quick.
      const peek = await this.store.readCommitted(await this.store.getState(ATTACKS_WATERMARK_KEY), 1);
      if (peek.events.length === 0) return out;
    }
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
