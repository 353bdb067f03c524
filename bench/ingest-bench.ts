// Honeynet ingest benchmark: events from a sensor's spool, shipped over mutual TLS to the collector,
// committed into PostgreSQL (a throwaway server, fsync on) and into SQLite. Prints sustained events
// per second through the whole path, the end-to-end delay from the sensor recording an event to it
// being queryable (p50/p99, at a steady offered rate), and ratios against writing the same batches
// straight into the same store in the same run (no spool, TLS or collector).
// APIARY_BENCH_EVENTS sets the event count (default 200,000).
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Collector } from '../src/collector/collector.js';
import { RemoteIngest, sensorKey } from '../src/collector/remote-ingest.js';
import type { ApiaryEvent } from '../src/events/catalogue.js';
import { newEventId } from '../src/events/id.js';
import { PgStore } from '../src/store/postgres/pg-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { EventStore } from '../src/store/store.js';
import { CertificateAuthority, newKeyPair } from '../src/transport/pki.js';
import { Shipper } from '../src/transport/shipper.js';
import { Spool } from '../src/transport/spool.js';
import { startPgServer } from '../test/helpers/pg-server.js';

const TOTAL = Number(process.env.APIARY_BENCH_EVENTS ?? 200_000);
const BATCH = 5000;
/** Offered rate and duration of the delay measurement. */
const STEADY_RATE = 10_000;
const STEADY_S = 5;
/** Batches in flight (shipper.parallel_batches). */
const PARALLEL = Number(process.env.APIARY_BENCH_PARALLEL ?? 3);
const log = pino({ level: 'silent' });

const TYPES = ['connection.open', 'auth.attempt', 'auth.attempt', 'command.input', 'connection.close'] as const;

function makeEvents(n: number, sensor: string): ApiaryEvent[] {
  const out: ApiaryEvent[] = new Array(n);
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const type = TYPES[i % TYPES.length]!;
    const payload =
      type === 'connection.open' ? { transport: 'tcp' }
      : type === 'auth.attempt' ? { method: 'password', username: i % 3 ? 'root' : 'admin', password: `pw${i % 500}`, success: false }
      : type === 'command.input' ? { input: `uname -a; echo ${i % 50}` }
      : { duration_ms: 10, bytes_in: 1, bytes_out: 1, reason: 'client' };
    out[i] = {
      id: newEventId(now), time: new Date(now).toISOString(), type, sensor, session: `s${Math.floor(i / 5)}`, protocol: 'ssh',
      src_ip: `198.51.${(i >> 8) & 255}.${i & 255}`, src_port: 40000 + (i % 20000), dst_ip: '192.0.2.1', dst_port: 22, payload,
    } as ApiaryEvent;
  }
  return out;
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Straight into the store, in BATCH-event batches: the reference. */
async function direct(store: EventStore, events: ApiaryEvent[]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += BATCH) await store.insertBatch(events.slice(i, i + BATCH));
  return events.length / ((performance.now() - t0) / 1000);
}

interface Pipeline {
  spool: Spool;
  shipper: Shipper;
  collector: Collector;
  /** Commit time (ms, performance.now) of each event id seen committed. */
  committed: Map<string, number>;
  close(): Promise<void>;
}

async function pipeline(dir: string, store: EventStore, sensor: string): Promise<Pipeline> {
  const ca = await CertificateAuthority.loadOrCreate(join(dir, `ca-${sensor}`));
  const kp = newKeyPair();
  const { cert, serial } = await ca.issueSensorCert(sensor, kp.publicKey);
  await store.setState(sensorKey(sensor), JSON.stringify({ serial, enrolled_at: new Date().toISOString(), revoked: false }));
  const collector = new Collector(store, log);
  const committed = new Map<string, number>();
  collector.onCommitted((batch) => {
    const t = performance.now();
    for (const e of batch) committed.set(e.id, t);
  });
  const ingest = new RemoteIngest({
    host: '127.0.0.1', port: 0, ca, serverNames: ['127.0.0.1'], store, collector, log, maxBatchBytes: 32 * 1024 ** 2, silentAfterMs: 3600_000, filesDir: join(dir, `files-${sensor}`),
  });
  await ingest.start();
  const spool = new Spool({ dir: join(dir, `spool-${sensor}`), maxBytes: 4 * 1024 ** 3, dropPolicy: 'oldest', segmentEvents: BATCH, syncIntervalMs: 20 });
  const shipper = new Shipper({
    collector: new URL(`https://127.0.0.1:${ingest.port}`), credentials: { key: kp.privateKey, cert, ca: ca.certPem }, spool, log,
    maxBackoffMs: 1000, parallel: PARALLEL, heartbeatMs: 3600_000, heartbeat: () => ({ version: 'bench', config_hash: '', services: [] }),
  });
  shipper.start();
  return {
    spool, shipper, collector, committed,
    async close() {
      await shipper.stop();
      spool.close();
      await ingest.close();
    },
  };
}

async function waitCommitted(p: Pipeline, ids: readonly string[], timeoutMs = 600_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ids.every((id) => p.committed.has(id))) {
    if (Date.now() > end) throw new Error('events not committed in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** All events written into the spool as fast as it takes them; events/s until the last is committed. */
async function throughput(p: Pipeline, events: ApiaryEvent[]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < events.length; i++) {
    p.spool.write(events[i]!);
    // Let the shipper run between chunks, as sensors' I/O would.
    if (i % BATCH === BATCH - 1) await new Promise((r) => setImmediate(r));
  }
  p.spool.sync();
  await waitCommitted(p, [events[events.length - 1]!.id]);
  return events.length / ((performance.now() - t0) / 1000);
}

/** STEADY_RATE events/s for STEADY_S seconds; the delay from write to committed, per event. */
async function delays(p: Pipeline, events: ApiaryEvent[]): Promise<number[]> {
  const written = new Map<string, number>();
  const t0 = performance.now();
  let i = 0;
  while (i < events.length) {
    const due = Math.min(events.length, Math.floor(((performance.now() - t0) / 1000) * STEADY_RATE));
    for (; i < due; i++) {
      written.set(events[i]!.id, performance.now());
      p.spool.write(events[i]!);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await waitCommitted(p, events.map((e) => e.id));
  return [...written].map(([id, t]) => p.committed.get(id)! - t).sort((a, b) => a - b);
}

async function run(label: string, dir: string, open: (name: string) => Promise<EventStore>): Promise<string[]> {
  const ref = await open('reference');
  const refRate = await direct(ref, makeEvents(TOTAL, 'ref'));
  await ref.close();
  const store = await open('collector');
  const p = await pipeline(dir, store, `bench-${label}`);
  const rate = await throughput(p, makeEvents(TOTAL, `bench-${label}`));
  const d = await delays(p, makeEvents(STEADY_RATE * STEADY_S, `bench-${label}`));
  await p.close();
  const stored = await store.count();
  await store.close();
  return [
    `  ${label.padEnd(10)} store only (reference)          ${refRate.toFixed(0)} events/s`,
    `  ${label.padEnd(10)} sensor spool -> mTLS -> collector ${rate.toFixed(0)} events/s (ratio ${(rate / refRate).toFixed(2)} of the reference; ${stored} stored)`,
    `  ${label.padEnd(10)} delay at ${STEADY_RATE} events/s offered    p50 ${pct(d, 50).toFixed(0)} ms, p99 ${pct(d, 99).toFixed(0)} ms, max ${pct(d, 100).toFixed(0)} ms`,
  ];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'apiary-ingest-bench-'));
  const pg = await startPgServer();
  try {
    const lines = [`ingest bench (${TOTAL} events per run, batches of ${BATCH}, ${PARALLEL} in flight; PostgreSQL ${pg.port} with fsync on)`];
    lines.push(...(await run('postgres', dir, async (name) => PgStore.open({ url: pg.createDatabase(name), poolSize: 4 }))));
    lines.push(...(await run('sqlite', dir, async (name) => new SqliteStore(join(dir, `${name}.db`)))));
    lines.push(`  (sensor and collector share this process; machine load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs)`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    pg.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
