// Import benchmark: builds a Cowrie JSON file of BENCH_BYTES (default 1.1 GB) from the real log in
// ../shared/data with shifted times, addresses and session ids, imports it with `apiary import
// cowrie` as a child process, and reports events per second and the importer's peak memory (sampled
// from /proc, so the flatness over the run shows too). Everything lives in a temporary directory that
// is deleted afterwards.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { apiaryArgs } from './helpers.js';
import { cpuMs, residentBytes } from './proc.js';

const SOURCE = resolve(process.env.APIARY_TEST_DATA ?? '../shared/data', 'cowrie/honeylist-2019-cowrie.json');
const TARGET_BYTES = Number(process.env.BENCH_BYTES ?? 1.1e9);
/** How far apart two copies of the log are in time (the real log spans under two hours). */
const COPY_SHIFT_MS = 2 * 3600 * 1000;

/** Shifts an IPv4 address by copy number K (a different /16 per copy, still a valid address). */
function shiftIp(ip: string, k: number): string {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x))) return ip;
  p[1] = (p[1]! + k) % 256;
  p[2] = (p[2]! + Math.floor(k / 256)) % 256;
  return p.join('.');
}

async function generate(path: string): Promise<{ bytes: number; lines: number }> {
  const records = readFileSync(SOURCE, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const out = createWriteStream(path);
  let bytes = 0;
  let lines = 0;
  for (let k = 0; bytes < TARGET_BYTES; k++) {
    let chunk = '';
    for (const r of records) {
      const c = { ...r };
      c.timestamp = new Date(Date.parse(String(r.timestamp)) + k * COPY_SHIFT_MS).toISOString().replace('Z', '000Z');
      if (typeof r.src_ip === 'string') c.src_ip = shiftIp(r.src_ip, k);
      if (typeof r.session === 'string') c.session = `${r.session.slice(0, 4)}${(parseInt(r.session.slice(4), 16) ^ (k * 2654435761) % 2 ** 32).toString(16).padStart(8, '0')}`;
      chunk += `${JSON.stringify(c)}\n`;
      lines++;
    }
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { bytes: statSync(path).size, lines };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'apiary-import-bench-'));
  try {
    const file = join(dir, 'cowrie.json');
    const t0 = Date.now();
    const { bytes, lines } = await generate(file);
    process.stdout.write(`generated ${(bytes / 1e9).toFixed(2)} GB, ${lines} lines in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const config = join(dir, 'apiary.yaml');
    writeFileSync(config, `data_dir: ${JSON.stringify(join(dir, 'data'))}\nlog:\n  level: warn\n`);
    const started = Date.now();
    const child = spawn(process.execPath, [...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROF] : []), ...apiaryArgs('import', 'cowrie', file, '--config', config, '--quiet')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const samples: { s: number; rss: number }[] = [];
    let peak = 0;
    let cpuS = 0;
    const timer = setInterval(() => {
      const m = residentBytes(child.pid!);
      if (!m) return;
      peak = Math.max(peak, m.hwm, m.rss);
      cpuS = cpuMs(child.pid!) / 1000;
      samples.push({ s: (Date.now() - started) / 1000, rss: m.rss });
    }, 250);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearInterval(timer);
    const seconds = (Date.now() - started) / 1000;
    const imported = Number(/imported (\d+) events/.exec(stdout)?.[1] ?? NaN);
    process.stdout.write(stdout.split('\n').filter((l) => l.startsWith('imported')).join('\n') + '\n');
    const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
    const q = (f: number) => samples[Math.min(samples.length - 1, Math.floor(samples.length * f))];
    process.stdout.write(
      `import-bench: exit ${code}; ${imported} events from ${(bytes / 1e9).toFixed(2)} GB in ${seconds.toFixed(1)} s = ${Math.round(imported / seconds)} events/s, ${(bytes / 1e6 / seconds).toFixed(1)} MB/s; ` +
        `importer CPU ${cpuS.toFixed(1)} s (${Math.round(imported / cpuS)} events per CPU-second; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores); ` +
        `peak RSS ${mb(peak)}; RSS at 10/50/90% of the run: ${[0.1, 0.5, 0.9].map((f) => mb(q(f)?.rss ?? 0)).join(' / ')}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`import-bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
