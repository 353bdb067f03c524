// Incident-tracking benchmark: ingest with enrichment (events per second into SQLite, GeoIP lookups
// included) against ingest without it in the same run, enrichment lookups per second, and the time to
// build a report over one million stored events (APIARY_BENCH_EVENTS to change it).
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Collector } from '../src/collector/collector.js';
import { EnrichmentStage } from '../src/collector/enrichment.js';
import { Enricher } from '../src/enrich/enricher.js';
import { openGeoIp } from '../src/enrich/geoip.js';
import { validateConfig } from '../src/config/load.js';
import type { ApiaryEvent } from '../src/events/catalogue.js';
import { newEventId, newSessionId } from '../src/events/id.js';
import { buildReport } from '../src/report/build.js';
import { IncidentTracker } from '../src/analysis/incident-tracker.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Config } from '../src/config/schema.js';

const TOTAL = Number(process.env.APIARY_BENCH_EVENTS ?? 1_000_000);
const INGEST = Math.min(TOTAL, 200_000);
const SOURCES = 20_000;
/** Ingest passes of each kind; the median is printed. */
const PASSES = 3;

function sourceIp(i: number): string {
  // Spread over public space; every 50th source is internal (10.20/16).
  if (i % 50 === 0) return `10.20.${(i >> 8) & 255}.${i & 255}`;
  return `${(i * 7919) % 200 + 11}.${(i * 31) % 256}.${(i >> 4) % 256}.${i % 254 + 1}`;
}

const TYPES = ['connection.open', 'auth.attempt', 'auth.attempt', 'command.input', 'scan.probe', 'connection.close'] as const;

function makeEvents(n: number, startMs: number, spanMs: number): ApiaryEvent[] {
  const out: ApiaryEvent[] = new Array(n);
  let session = '';
  for (let i = 0; i < n; i++) {
    const t = startMs + Math.floor((i / n) * spanMs);
    // Session ids as sensors make them (time-ordered), one per six events.
    if (i % 6 === 0) session = newSessionId(t);
    const type = TYPES[i % TYPES.length]!;
    const src = sourceIp((i * 2654435761) % SOURCES);
    const payload =
      type === 'connection.open' ? { transport: 'tcp' }
      : type === 'auth.attempt' ? { method: 'password', username: i % 3 ? 'root' : 'admin', password: `pw${i % 500}`, success: i % 97 === 0 }
      : type === 'command.input' ? { input: `uname -a; echo ${i % 50}` }
      : type === 'scan.probe' ? { first_bytes_hex: '474554' }
      : { duration_ms: 10, bytes_in: 1, bytes_out: 1, reason: 'client' };
    out[i] = {
      id: newEventId(t), time: new Date(t).toISOString(), type, sensor: `sensor-${i % 3}`, session,
      protocol: type === 'scan.probe' ? 'tcp' : i % 5 ? 'ssh' : 'telnet', src_ip: src, src_port: 40000, dst_ip: '192.0.2.1',
      dst_port: type === 'scan.probe' ? 8080 + (i % 20) : 22, payload,
    } as ApiaryEvent;
  }
  return out;
}

/** Events per second of wall time, and per second of this process's CPU time (steadier on a busy machine). */
interface Rate {
  wall: number;
  cpu: number;
}

async function measure(n: number, fn: () => Promise<unknown> | unknown): Promise<Rate> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return { wall: n / ((performance.now() - t0) / 1000), cpu: n / ((c.user + c.system) / 1e6) };
}

function ingest(store: SqliteStore, events: ApiaryEvent[], stage?: EnrichmentStage): Promise<Rate> {
  const collector = new Collector(store, pino({ level: 'silent' }), [], stage);
  return measure(events.length, async () => {
    for (const e of events) collector.write(e);
    await collector.flush();
  });
}

/** The median pass by wall rate, and the median CPU rate, of RATES. */
function median(rates: Rate[]): Rate {
  const mid = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  return { wall: mid(rates.map((r) => r.wall)), cpu: mid(rates.map((r) => r.cpu)) };
}

const fmt = (r: Rate, unit: string): string => `${r.wall.toFixed(0)} ${unit}/s wall, ${r.cpu.toFixed(0)} per CPU-second`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'apiary-bench-'));
  try {
    const t0 = performance.now();
    const geoip = openGeoIp();
    // The ASN table loads at the first lookup; load it here so start-up cost is not counted as ingest.
    geoip.lookup('192.0.2.1');
    const openMs = performance.now() - t0;
    const enricher = new Enricher({ internal: ['10.20.0.0/16'], ignore: [], geoip });
    const start = Date.UTC(2024, 0, 1);
    const year = 365 * 86_400_000;

    // Each ingest PASSES times into a new store, alternating with and without enrichment; the medians
    // are printed (one pass moves by a fifth or more on a shared machine).
    const plainRates: Rate[] = [];
    const enrichedRates: Rate[] = [];
    let enriched: SqliteStore | undefined;
    for (let pass = 0; pass < PASSES; pass++) {
      const plain = new SqliteStore(join(dir, `plain-${pass}.db`));
      plainRates.push(await ingest(plain, makeEvents(INGEST, start, year)));
      await plain.close();
      await enriched?.close();
      enriched = new SqliteStore(join(dir, `tracked-${pass}.db`));
      enrichedRates.push(await ingest(enriched, makeEvents(INGEST, start, year), new EnrichmentStage(enricher)));
    }
    const plainRate = median(plainRates);
    const enrichedRate = median(enrichedRates);
    // Tracking and the report run on the last enriched store.
    const tracked = enriched!;

    let folded = { events: 0, changes: 0 };
    const trackRate = await measure(INGEST, async () => (folded = await new IncidentTracker(tracked, 3600_000).catchUp()));

    const lookups = 100_000;
    const lookupRate = await measure(lookups, () => {
      for (let i = 0; i < lookups; i++) enricher.enrich(sourceIp(i * 13 + 7));
    });

    // Fill up to TOTAL events (the rest without the collector, straight in batches), then report.
    for (let done = INGEST; done < TOTAL; done += 50_000) {
      await tracked.insertBatch(makeEvents(Math.min(50_000, TOTAL - done), start + year, year));
    }
    const config = validateConfig({ networks: { internal: ['10.20.0.0/16'] } }) as unknown as Config;
    const t2 = performance.now();
    const cpu0 = process.cpuUsage();
    const report = await buildReport(tracked, config, { geoip, enricher });
    const reportS = (performance.now() - t2) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const reportCpuS = (cpu.user + cpu.system) / 1e6;
    // The same events through a period (as `apiary report --from --to` reads them: in time order).
    const t3 = performance.now();
    const bounded = await buildReport(tracked, config, { geoip, enricher, from: new Date(start).toISOString(), to: new Date(start + 3 * year).toISOString() });
    const boundedS = (performance.now() - t3) / 1000;
    const stored = await tracked.count();
    // The same ingest again into this store, which now holds TOTAL events: a store in service, whose
    // indexes no longer fit in memory, pays more per event than an empty one.
    const fullRate = await ingest(tracked, makeEvents(INGEST, start + 2 * year, year), new EnrichmentStage(enricher));
    await tracked.close();

    const lines = [
      `tracking bench (${INGEST} events ingested through the collector, ${SOURCES} sources, median of ${PASSES} passes; report over ${stored} events)`,
      `  geoip open (country mmdb + ASN table, first lookup)  ${openMs.toFixed(0)} ms`,
      `  ingest without enrichment            ${fmt(plainRate, 'events')} (reference)`,
      `  ingest with enrichment               ${fmt(enrichedRate, 'events')} (ratio ${(enrichedRate.cpu / plainRate.cpu).toFixed(2)} per CPU-second)`,
      `  ingest with enrichment into a store of ${stored} events  ${fmt(fullRate, 'events')} (one pass)`,
      `  enrichment of new addresses          ${fmt(lookupRate, 'lookups')}`,
      `  incident tracking (fold + save)      ${fmt(trackRate, 'events')} (${folded.changes} incident changes)`,
      `  report over ${stored} events        ${reportS.toFixed(1)} s wall, ${reportCpuS.toFixed(1)} s CPU (${report.totals.sources.all} sources, ${report.totals.incidents} incidents)`,
      `  report over a period holding them all (--from/--to)  ${boundedS.toFixed(1)} s wall (${bounded.totals.events} events)`,
      `  (machine load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs while measuring)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
