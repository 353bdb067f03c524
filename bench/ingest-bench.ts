// Honeynet ingest benchmark: a sensor's spool and shipper (this process) send events over mutual TLS
// to `apiary collector` (its own process, as deployed), which commits them into PostgreSQL (a
// throwaway server, fsync on) or SQLite. Prints sustained events per second through the whole
// path; the delay from the sensor recording an event to it being queryable in the store (p50/p99,
// at a steady offered rate); and ratios against writing the same batches straight into the same
// store from this process in the same run (the reference: no spool, TLS or collector).
// APIARY_BENCH_EVENTS sets the event count (default 200,000); APIARY_BENCH_STORES=postgres (or sqlite) runs one.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { WATERMARK_KEY } from '../src/analysis/incident-tracker.js';
import { sensorKey } from '../src/collector/remote-ingest.js';
import type { ApiaryEvent } from '../src/events/catalogue.js';
import { newEventId, newSessionId } from '../src/events/id.js';
import { PgStore } from '../src/store/postgres/pg-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { EventStore } from '../src/store/store.js';
import { CertificateAuthority, newKeyPair } from '../src/transport/pki.js';
import { Shipper } from '../src/transport/shipper.js';
import { Spool } from '../src/transport/spool.js';
import { startPgServer } from '../test/helpers/pg-server.js';
import { apiaryArgs, freePort, waitForLine } from './helpers.js';
import { cpuMs, treeCpuMs } from './proc.js';

const CLI = resolve('dist/src/cli/main.js');
const TOTAL = Number(process.env.APIARY_BENCH_EVENTS ?? 200_000);
const BATCH = 5000;
/** Batches in flight (shipper.parallel_batches), and the reference's parallel writers. */
const PARALLEL = Number(process.env.APIARY_BENCH_PARALLEL ?? 3);
/** Offered rate and duration of the delay measurement; one probe event every PROBE_MS. */
const STEADY_RATE = 10_000;
const STEADY_S = 5;
const PROBE_MS = 50;
const log = pino({ level: 'silent' });

/** Distinct attacking addresses (the collector enriches each and folds its incidents, as in production). */
const SOURCES = Number(process.env.APIARY_BENCH_SOURCES ?? 5000);
/** Which stores to run, comma-separated (default both): for profiling one. */
const STORES = (process.env.APIARY_BENCH_STORES ?? 'postgres,sqlite').split(',');

function sourceIp(i: number): string {
  return `${(i * 7919) % 200 + 11}.${(i * 31) % 256}.${(i >> 4) % 256}.${i % 254 + 1}`;
}

const TYPES = ['connection.open', 'auth.attempt', 'auth.attempt', 'command.input', 'connection.close'] as const;

function makeEvents(n: number, sensor: string): ApiaryEvent[] {
  const out: ApiaryEvent[] = new Array(n);
  const now = Date.now();
  let session = '';
  for (let i = 0; i < n; i++) {
    // Session ids as sensors make them, one per five events.
    if (i % 5 === 0) session = newSessionId(now);
    const type = TYPES[i % TYPES.length]!;
    const payload =
      type === 'connection.open' ? { transport: 'tcp' }
      : type === 'auth.attempt' ? { method: 'password', username: i % 3 ? 'root' : 'admin', password: `pw${i % 500}`, success: false }
      : type === 'command.input' ? { input: `uname -a; echo ${i % 50}` }
      : { duration_ms: 10, bytes_in: 1, bytes_out: 1, reason: 'client' };
    out[i] = {
      id: newEventId(now), time: new Date(now).toISOString(), type, sensor, session, protocol: 'ssh',
      src_ip: sourceIp((i * 2654435761) % SOURCES), src_port: 40000 + (i % 20000), dst_ip: '192.0.2.1', dst_port: 22, payload,
    } as ApiaryEvent;
  }
  return out;
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Straight into the store from PARALLEL writers, in BATCH-event batches: the reference. */
async function direct(store: EventStore, events: ApiaryEvent[]): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const writer = async (): Promise<void> => {
    while (next < events.length) {
      const i = next;
      next += BATCH;
      await store.insertBatch(events.slice(i, i + BATCH));
    }
  };
  await Promise.all(Array.from({ length: store.kind === 'sqlite' ? 1 : PARALLEL }, writer));
  return events.length / ((performance.now() - t0) / 1000);
}

interface Side {
  spool: Spool;
  shipper: Shipper;
  collector: ChildProcess;
  close(): Promise<void>;
}

/** Starts `apiary collector` on STORE_CONFIG and an enrolled sensor spool + shipper here. */
async function start(dir: string, label: string, storeConfig: Record<string, unknown>, reader: EventStore): Promise<Side> {
  const sensor = `bench-${label}`;
  const caDir = join(dir, `ca-${label}`);
  const ca = await CertificateAuthority.loadOrCreate(caDir);
  const kp = newKeyPair();
  const { cert, serial } = await ca.issueSensorCert(sensor, kp.publicKey);
  await reader.setState(sensorKey(sensor), JSON.stringify({ serial, enrolled_at: new Date().toISOString(), revoked: false }));
  const port = await freePort();
  const configPath = join(dir, `collector-${label}.yaml`);
  writeFileSync(configPath, stringify({
    sensor: 'collector', data_dir: join(dir, `data-${label}`), log: { level: 'error' },
    store: storeConfig, collector: { listen: `127.0.0.1:${port}`, ca_dir: caDir, server_names: ['127.0.0.1'] },
  }));
  const collector = spawn(process.execPath, [...(process.env.APIARY_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof2'] : []), ...apiaryArgs('collector', '--config', configPath)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await waitForLine(collector, /press Ctrl-C to stop/);
  const spool = new Spool({ dir: join(dir, `spool-${label}`), maxBytes: 4 * 1024 ** 3, dropPolicy: 'oldest', segmentEvents: BATCH, syncIntervalMs: 20 });
  const shipper = new Shipper({
    collector: new URL(`https://127.0.0.1:${port}`), credentials: { key: kp.privateKey, cert, ca: ca.certPem }, spool, log,
    maxBackoffMs: 1000, parallel: PARALLEL, heartbeatMs: 3600_000, heartbeat: () => ({ version: 'bench', config_hash: '', services: [] }),
  });
  shipper.start();
  return {
    spool, shipper, collector,
    async close() {
      await shipper.stop();
      await spool.close();
      const exited = new Promise((r) => collector.once('exit', r));
      collector.kill('SIGTERM');
      await exited;
    },
  };
}

/** CPU milliseconds so far of the sensor side (this process), the collector and the database server, if any. */
function cpuSplit(side: Side, dbPid: number | undefined): number[] {
  return [cpuMs(process.pid), cpuMs(side.collector.pid!), dbPid === undefined ? 0 : treeCpuMs(dbPid)];
}

/**
 * Every event into the spool as fast as it takes them; events/s until the store holds them all; how
 * long after that the collector's incident tracking needed to fold them all; and the CPU microseconds
 * per event of the sensor side, the collector and the database server until then.
 */
async function throughput(side: Side, reader: EventStore, events: ApiaryEvent[], dbPid: number | undefined): Promise<{ rate: number; cpuUs: number[]; analysisLagS: number }> {
  const sensor = events[0]!.sensor;
  const before = await reader.count({ sensor });
  const cpu0 = cpuSplit(side, dbPid);
  const t0 = performance.now();
  for (let i = 0; i < events.length; i++) {
    side.spool.write(events[i]!);
    // Let the shipper run between chunks, as a sensor's network I/O would, and the spool's group
    // commit keep up (its writes run off the event loop; a sensor's events come no faster than its sockets).
    if (i % BATCH === BATCH - 1) await side.spool.flush();
  }
  await side.spool.flush();
  // The collector confirms a batch only once it is committed, so an empty spool means all are stored.
  // Watching the spool costs nothing; counting rows in the store while it is written would.
  while (side.spool.stats.depth > 0) await sleep(10);
  const rate = events.length / ((performance.now() - t0) / 1000);
  const analysisLagS = await analysisLag(reader);
  // CPU until analysis caught up: all the work these events cost, however it was spread over time.
  const cpuUs = cpuSplit(side, dbPid).map((ms, i) => ((ms - cpu0[i]!) * 1000) / events.length);
  const stored = (await reader.count({ sensor })) - before;
  if (stored !== events.length) throw new Error(`the collector confirmed every batch but the store holds ${stored} of ${events.length} events`);
  return { rate, cpuUs, analysisLagS };
}

/** Seconds until the collector's incident tracking has folded every stored event (it may lag a burst). */
async function analysisLag(reader: EventStore): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < 300_000) {
    const caughtUp = (await reader.readCommitted(await reader.getState(WATERMARK_KEY), 1)).events.length === 0;
    if (caughtUp) break;
    await sleep(100);
  }
  return (performance.now() - t0) / 1000;
}

/** STEADY_RATE events/s for STEADY_S s; every PROBE_MS one event gets its own session, and the time until a query finds it is its delay. */
async function delays(side: Side, reader: EventStore, events: ApiaryEvent[]): Promise<number[]> {
  const probes: { session: string; t: number }[] = [];
  const found: number[] = [];
  let writing = true;
  const poller = (async () => {
    while (writing || found.length < probes.length) {
      for (const p of probes.slice(found.length)) {
        if ((await reader.query({ session: p.session, limit: 1 })).length === 0) break;
        found.push(performance.now() - p.t);
      }
      await sleep(5);
    }
  })();
  const t0 = performance.now();
  let i = 0;
  let nextProbe = 0;
  while (i < events.length) {
    const elapsed = performance.now() - t0;
    const due = Math.min(events.length, Math.floor((elapsed / 1000) * STEADY_RATE));
    for (; i < due; i++) {
      let e = events[i]!;
      if (performance.now() - t0 >= nextProbe) {
        nextProbe += PROBE_MS;
        e = { ...e, session: `probe-${probes.length}-${e.id}` };
        probes.push({ session: e.session, t: performance.now() });
      }
      side.spool.write(e);
    }
    await sleep(2);
  }
  writing = false;
  await poller;
  return found.sort((a, b) => a - b);
}

async function run(label: string, dir: string, open: (name: string) => Promise<EventStore>, storeConfig: (name: string) => Record<string, unknown>, dbPid?: number): Promise<string[]> {
  const ref = await open('reference');
  const refRate = await direct(ref, makeEvents(TOTAL, 'ref'));
  await ref.close();
  const reader = await open('collector');
  const side = await start(dir, label, storeConfig('collector'), reader);
  try {
    const { rate, cpuUs, analysisLagS } = await throughput(side, reader, makeEvents(TOTAL, `bench-${label}`), dbPid);
    const d = await delays(side, reader, makeEvents(STEADY_RATE * STEADY_S, `bench-${label}`));
    return [
      `  ${label.padEnd(9)} store only, from this process (reference)   ${refRate.toFixed(0)} events/s`,
      `  ${label.padEnd(9)} spool -> mTLS -> apiary collector -> store  ${rate.toFixed(0)} events/s (ratio ${(rate / refRate).toFixed(2)} of the reference)`,
      `  ${label.padEnd(9)} CPU per event, storing and analysing: sensor side ${cpuUs[0]!.toFixed(1)} us, collector ${cpuUs[1]!.toFixed(1)} us${dbPid === undefined ? ' (store included)' : `, PostgreSQL ${cpuUs[2]!.toFixed(1)} us`}`,
      `  ${label.padEnd(9)} incident tracking caught up ${analysisLagS.toFixed(1)} s after the last event was stored`,
      `  ${label.padEnd(9)} sensor-to-queryable delay at ${STEADY_RATE} events/s: p50 ${pct(d, 50).toFixed(0)} ms, p99 ${pct(d, 99).toFixed(0)} ms (${d.length} probes)`,
    ];
  } finally {
    await side.close();
    await reader.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'apiary-ingest-bench-'));
  const pg = await startPgServer();
  const made = new Set<string>();
  const pgUrl = (name: string): string => {
    if (!made.has(name)) (made.add(name), pg.createDatabase(name));
    return pg.url(name);
  };
  try {
    const lines = [`ingest bench (${TOTAL} events per run from ${SOURCES} sources, batches of ${BATCH}, ${PARALLEL} in flight; PostgreSQL ${pg.port}, fsync on)`];
    if (STORES.includes('postgres')) lines.push(...(await run('postgres', dir, async (n) => PgStore.open({ url: pgUrl(n), poolSize: PARALLEL + 1 }), (n) => ({ kind: 'postgres', postgres: { url: pgUrl(n), pool_size: PARALLEL + 1 } }), pg.pid())));
    if (STORES.includes('sqlite')) lines.push(...(await run('sqlite', dir, async (n) => new SqliteStore(join(dir, `${n}.db`)), (n) => ({ kind: 'sqlite', sqlite: { path: join(dir, `${n}.db`) } }))));
    lines.push(`  (machine load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs)`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    pg.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
