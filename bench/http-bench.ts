// HTTP benchmark: requests per second that `wrk` gets from the decoy web site (`apiary start`, the
// Apache default page, every request recorded in SQLite) and from Debian's nginx serving the same
// page as a static file on another loopback port, in the same run. Prints both and the ratio.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { apiaryArgs, freePort, waitForLine } from './helpers.js';

const execFileP = promisify(execFile);
const CLI = resolve('dist/src/cli/main.js');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

interface WrkResult {
  rps: number;
  latency: string;
  requests: number;
  errors: string;
}

async function wrk(url: string): Promise<WrkResult> {
  const { stdout } = await execFileP('wrk', ['-t', '2', '-c', String(CONNECTIONS), '-d', `${SECONDS}s`, '--latency', url], { timeout: (SECONDS + 30) * 1000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const latency = /Latency\s+(\S+)/.exec(stdout)?.[1] ?? '?';
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
  const errors = /Non-2xx or 3xx responses: \d+|Socket errors: .*/.exec(stdout)?.[0] ?? 'none';
  return { rps, latency, requests, errors };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'apiary-http-bench-'));
  let apiary: ChildProcess | undefined;
  let nginx: ChildProcess | undefined;
  try {
    const config = join(dir, 'apiary.yaml');
    writeFileSync(config, stringify({ sensor: 'bench', data_dir: join(dir, 'data'), log: { level: 'warn' }, limits: { per_source_connections: 4096, source_requests_s: 10_000_000, source_connections_s: 10_000_000, source_events_s: 10_000_000, source_event_bytes_s: 1024 ** 3, global_events_s: 10_000_000, global_event_bytes_s: 1024 ** 3 }, services: { http: { listen: ['127.0.0.1:0'], site: 'apache-default' } } }));
    apiary = spawn(process.execPath, apiaryArgs('start', '--config', config), { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await waitForLine(apiary, /http\s+listening on 127\.0\.0\.1:(\d+)/);
    const apiaryUrl = `http://127.0.0.1:${/:(\d+)$/.exec(line)![1]}/`;
    const page = await (await fetch(apiaryUrl)).text();

    const www = join(dir, 'www');
    mkdirSync(www);
    writeFileSync(join(www, 'index.html'), page);
    const nginxPort = await freePort();
    const conf = join(dir, 'nginx.conf');
    writeFileSync(
      conf,
      `daemon off;\nmaster_process off;\nworker_processes 1;\npid ${join(dir, 'nginx.pid')};\nerror_log ${join(dir, 'nginx-error.log')} warn;\nevents { worker_connections 4096; }\nhttp {\n  access_log ${join(dir, 'nginx-access.log')};\n  client_body_temp_path ${dir}/tmp-body; proxy_temp_path ${dir}/tmp-proxy; fastcgi_temp_path ${dir}/tmp-fcgi; uwsgi_temp_path ${dir}/tmp-uwsgi; scgi_temp_path ${dir}/tmp-scgi;\n  default_type text/html;\n  server { listen 127.0.0.1:${nginxPort}; root ${www}; index index.html; }\n}\n`,
    );
    nginx = spawn('/usr/sbin/nginx', ['-c', conf, '-p', dir, '-e', join(dir, 'nginx-error.log')], { stdio: 'ignore' });
    const nginxUrl = `http://127.0.0.1:${nginxPort}/`;
    for (let i = 0; i < 100; i++) {
      if ((await fetch(nginxUrl).then((r) => r.status, () => 0)) === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    // Each server is measured alone (the machine has few cores); wrk keeps connections alive.
    const a = await wrk(apiaryUrl);
    const n = await wrk(nginxUrl);
    const kb = (Buffer.byteLength(page) / 1024).toFixed(1);
    console.log(`http-bench: ${CONNECTIONS} keep-alive connections, ${SECONDS} s each, ${kb} KiB page`);
    console.log(`  apiary http (every request recorded): ${a.rps.toFixed(0)} req/s, mean latency ${a.latency}, ${a.requests} requests, errors: ${a.errors}`);
    console.log(`  nginx (static file, access log on):   ${n.rps.toFixed(0)} req/s, mean latency ${n.latency}, ${n.requests} requests, errors: ${n.errors}`);
    console.log(`  ratio apiary/nginx: ${(a.rps / n.rps).toFixed(3)}`);
  } finally {
    nginx?.kill('SIGTERM');
    if (apiary && apiary.exitCode === null) {
      apiary.kill('SIGTERM');
      await new Promise((r) => apiary!.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
