// Folding committed events into incidents (and alerts) and attack chains, on a beat after each
// commit. Beside sensors on SQLite (apiary start) it runs on the main thread, where it reads the
// writer's last batches without decoding them again (store/sqlite/recent-commits.ts). With PostgreSQL,
// and in a collector whatever the store, it runs in a worker thread with its own connections
// (analysis-worker.ts): on the main thread a fold of a few thousand events held up the ingest of the
// next batches for as long as it took (a collector's delay from sensor to queryable grew to seconds).
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { AlertManager } from '../alerts/alert-manager.js';
import { AttackRunner } from '../analysis/attack-runner.js';
import { IncidentTracker, LEASE_KEY } from '../analysis/incident-tracker.js';
import { quarantineStrings } from '../analysis/quarantine-strings.js';
import { recordingKeystrokes } from '../analysis/recording-keystrokes.js';
import { SharedCommittedReads } from '../analysis/shared-reads.js';
import type { Config } from '../config/schema.js';
import type { EventStore } from '../store/store.js';

/** Longest wait between committing events and folding them into incidents (and alerting). */
export const TRACK_INTERVAL_MS = 200;
/** How often the tracking lease is renewed (it lasts LEASE_MS), and analysis looks for events it was not told of. */
export const LEASE_RENEW_MS = 5000;
/** Connections the analysis thread opens to PostgreSQL (the tracker and the attack runner, one read shared). */
export const ANALYSIS_POOL_SIZE = 3;
/** Pause before a failed analysis thread is started again; doubles per failure up to the longest. */
export const RESTART_MIN_MS = 1000;
export const RESTART_MAX_MS = 30_000;

export interface Analysis {
  /** Where the folding runs. */
  readonly thread: 'main' | 'worker';
  /** Events were committed: fold them within TRACK_INTERVAL_MS. */
  nudge(): void;
  /** Folds what is left, saves, gives up the lease and stops. */
  close(): Promise<void>;
}

/**
 * The analysis for CONFIG's store: in a worker thread with PostgreSQL, and with SQLite when THREAD asks
 * (a collector, which runs no sensors); else on this thread over STORE.
 */
export function startAnalysis(config: Config, store: EventStore, log: Logger, thread = false): Analysis {
  return store.kind === 'postgres' || thread ? startAnalysisThread(config, log) : startAnalysisHere(config, store, log);
}

/** Incident tracking, alerts and attack chains over STORE, on this thread. STORE stays open after close(). */
export function startAnalysisHere(config: Config, store: EventStore, log: Logger): Analysis {
  const alerts = new AlertManager(config.alerts, store, log.child({ part: 'alerts' }));
  // Attack chains are folded on the same beat as incidents (src/analysis/attack-runner.ts), from one read of each chunk.
  const shared = new SharedCommittedReads(store);
  const tracker = new IncidentTracker(shared.view(), config.incidents.quiet_gap_s * 1000, (changes) => alerts.handle(changes));
  const attacks = new AttackRunner(shared.view(), { fileText: quarantineStrings(join(config.data_dir, 'quarantine')), keystrokes: recordingKeystrokes(config.data_dir), log: log.child({ part: 'attacks' }) });
  const track = (): void => {
    tracker.catchUp().catch((err: unknown) => log.error({ err }, 'incident tracking failed; it resumes with the next batch'));
    attacks.catchUp().catch((err: unknown) => log.error({ err }, 'attack reconstruction failed; it resumes with the next batch'));
  };
  // Folding reads back what was committed; once per interval rather than per batch keeps its cost per
  // event low under a brute-force flood, and an alert still goes out well within a second.
  let trackTimer: NodeJS.Timeout | undefined;
  let closed = false;
  // Keep the tracking lease while running, so that CLI commands leave folding (and alerting) to us.
  const owner = `apiary:${process.pid}:${config.sensor}`;
  const renew = (): void => {
    tracker.holdLease(owner).catch((err: unknown) => log.warn({ err }, 'cannot renew the incident tracking lease'));
  };
  const nudge = (): void => {
    if (closed) return;
    trackTimer ??= setTimeout(() => {
      trackTimer = undefined;
      track();
    }, TRACK_INTERVAL_MS);
  };
  renew();
  // With each renewal, a look for events that other processes committed (an import while this one
  // runs: its own sensors' commits are what nudge it otherwise, and a quiet sensor would leave them).
  const leaseTimer = setInterval(() => {
    renew();
    nudge();
  }, LEASE_RENEW_MS);
  leaseTimer.unref();
  track();
  let closing: Promise<void> | undefined;
  return {
    thread: 'main',
    nudge,
    close() {
      closing ??= (async () => {
        closed = true;
        clearInterval(leaseTimer);
        clearTimeout(trackTimer);
        await tracker.catchUp().catch((err: unknown) => log.error({ err }, 'incident tracking failed at shutdown'));
        await attacks.catchUp().then(() => attacks.flush()).catch((err: unknown) => log.error({ err }, 'attack reconstruction failed at shutdown'));
        await store.setState(LEASE_KEY, '{}').catch(() => {});
        await alerts.close();
      })();
      return closing;
    },
  };
}

/** What the main thread sends the analysis thread. */
export type ToAnalysis = { type: 'nudge' } | { type: 'close' };
/** What the analysis thread sends back. */
export type FromAnalysis = { type: 'closed' };

/**
 * The analysis in a worker thread with its own store connections. A thread that fails is logged and
 * started again after a pause (the watermarks make folding restart-safe); close() lets it finish.
 */
export function startAnalysisThread(config: Config, log: Logger): Analysis {
  const workerConfig: Config = config.store.postgres
    ? { ...config, store: { ...config.store, postgres: { ...config.store.postgres, pool_size: Math.min(config.store.postgres.pool_size, ANALYSIS_POOL_SIZE) } } }
    : config;
  let worker: Worker | undefined;
  let stopping = false;
  let restartDelay = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let startedAt = 0;
  let onClosed: (() => void) | undefined;

  const spawn = (): void => {
    restartTimer = undefined;
    startedAt = Date.now();
    const w = new Worker(new URL('./analysis-worker.js', import.meta.url), { workerData: { config: workerConfig } });
    worker = w;
    w.on('message', (m: FromAnalysis) => {
      if (m.type === 'closed') onClosed?.();
    });
    w.on('error', (err) => log.error({ err }, 'APIARY_ANALYSIS: the analysis thread failed; it is started again and resumes from its watermarks'));
    w.on('exit', (code) => {
      if (worker === w) worker = undefined;
      onClosed?.();
      if (stopping) return;
      // A thread that ran a minute had a transient fault: start again soon. One that keeps failing waits longer each time.
      restartDelay = Date.now() - startedAt > 60_000 ? RESTART_MIN_MS : Math.min(RESTART_MAX_MS, Math.max(RESTART_MIN_MS, restartDelay * 2));
      log.warn({ code, restart_ms: restartDelay }, 'the analysis thread stopped; starting it again');
      restartTimer = setTimeout(spawn, restartDelay);
    });
  };
  spawn();

  const post = (m: ToAnalysis): void => {
    worker?.postMessage(m);
  };
  let closing: Promise<void> | undefined;
  return {
    thread: 'worker',
    nudge: () => post({ type: 'nudge' }),
    close() {
      closing ??= (async () => {
        stopping = true;
        clearTimeout(restartTimer);
        const w = worker;
        if (!w) return;
        await new Promise<void>((resolve) => {
          onClosed = resolve;
          post({ type: 'close' });
        });
        await w.terminate();
      })();
      return closing;
    },
  };
}
