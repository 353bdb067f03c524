// Shell benchmark: server CPU per full session (login, 5 commands, logout), sessions per second, and
// memory with many idle open shells, for Apiary's SSH shell (recording on), a bare ssh2 server (the
// floor: protocol cost only) and Debian's OpenSSH sshd running the same commands, in one run.
// Usage: node dist/bench/shell-bench.js [--sessions N] [--concurrency C] [--shells K] [--sshd-shells K]
// (sshd runs only as root, on a throwaway config and port, with a throwaway key; the commands are read-only.)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import ssh2 from 'ssh2';
import { apiaryArgs, nodeFlagsFor } from './helpers.js';
import { cpuMs, descendants, residentBytes } from './proc.js';

const COMMANDS = ['uname -a', 'id', 'cat /proc/cpuinfo | grep name | wc -l', 'free -m', 'ls -la /tmp'];

interface Target {
  name: string;
  port: number;
  /** Server process ids whose CPU and memory count (sshd: the listener and its children). */
  pids(): number[];
  auth: { password?: string; privateKey?: Buffer };
  stop(): Promise<void>;
}

function rssKb(pid: number): number {
  return (residentBytes(pid)?.rss ?? 0) / 1024;
}

function waitLine(proc: ChildProcess, re: RegExp, ms = 30_000): Promise<RegExpExecArray> {
  return new Promise((resolveLine, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}: ${buf}`)), ms);
    const on = (d: Buffer): void => {
      buf += d.toString();
      const m = re.exec(buf);
      if (m) {
        clearTimeout(t);
        proc.stdout?.off('data', on);
        proc.stderr?.off('data', on);
        resolveLine(m);
      }
    };
    proc.stdout?.on('data', on);
    proc.stderr?.on('data', on);
  });
}

async function startApiary(dir: string): Promise<Target> {
  mkdirSync(dir, { recursive: true });
  const cfg = join(dir, 'apiary.yaml');
  writeFileSync(cfg, stringify({ sensor: 'bench', data_dir: join(dir, 'data'), log: { level: 'error' }, auth: [{ user: 'root', password: 'bench' }], services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0, max_auth_tries: 6 } }, shell: { seed: 'bench' }, recording: { enabled: true }, limits: { per_source_connections: 100_000, global_connections: 100_000, source_connections_s: 10_000_000, source_events_s: 10_000_000, source_event_bytes_s: 1024 ** 3, global_events_s: 10_000_000, global_event_bytes_s: 1024 ** 3 } }));
  const proc = spawn(process.execPath, apiaryArgs('start', '--config', cfg), { stdio: ['ignore', 'pipe', 'pipe'] });
  const m = await waitLine(proc, /ssh\s+listening on 127\.0\.0\.1:(\d+)/);
  await waitLine(proc, /press Ctrl-C/).catch(() => undefined);
  return { name: 'apiary shell', port: Number(m[1]), pids: () => [proc.pid!], auth: { password: 'bench' }, stop: async () => void proc.kill('SIGTERM') };
}

async function startFloor(): Promise<Target> {
  const proc = spawn(process.execPath, [...nodeFlagsFor('start'), resolve('dist/bench/ssh2-floor.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const m = await waitLine(proc, /^(\d+)$/m);
  return { name: 'bare ssh2', port: Number(m[1]), pids: () => [proc.pid!], auth: { password: 'x' }, stop: async () => void proc.kill('SIGTERM') };
}

async function startSshd(dir: string): Promise<Target | undefined> {
  if (!existsSync('/usr/sbin/sshd') || process.getuid?.() !== 0) return undefined;
  mkdirSync(dir, { recursive: true });
  const key = join(dir, 'hostkey');
  const client = join(dir, 'client');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', client]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${client}.pub`));
  const port = 20000 + Math.floor(Math.random() * 20000);
  writeFileSync(join(dir, 'sshd_config'), `Port ${port}\nListenAddress 127.0.0.1\nHostKey ${key}\nPidFile ${join(dir, 'sshd.pid')}\nUsePAM no\nStrictModes no\nPermitRootLogin yes\nAuthorizedKeysFile ${join(dir, 'authorized_keys')}\nPasswordAuthentication no\nMaxStartups 2000\nMaxSessions 100\nPrintMotd no\n`);
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitLine(proc, /Server listening/);
  return { name: 'OpenSSH sshd', port, pids: () => [proc.pid!, ...descendants(proc.pid!)], auth: { privateKey: readFileSync(client) }, stop: async () => void proc.kill('SIGTERM') };
}

function execOne(conn: ssh2.Client, cmd: string): Promise<void> {
  return new Promise((res, rej) => {
    conn.exec(cmd, (err, ch) => {
      if (err) return rej(err);
      ch.on('data', () => {});
      ch.stderr.on('data', () => {});
      ch.on('close', () => res());
      // stdin at EOF, as `ssh host cmd < /dev/null`: the shell runs the command at once.
      ch.end();
    });
  });
}

function connect(t: Target): Promise<ssh2.Client> {
  return new Promise((res, rej) => {
    const c = new ssh2.Client();
    c.on('ready', () => res(c));
    c.on('error', rej);
    c.connect({ host: '127.0.0.1', port: t.port, username: 'root', ...t.auth, readyTimeout: 30_000 });
  });
}

/** One full session: login, the five commands one exec each, logout. */
async function session(t: Target): Promise<void> {
  const c = await connect(t);
  for (const cmd of COMMANDS) await execOne(c, cmd);
  c.end();
  await new Promise<void>((r) => (c as unknown as { once(e: string, f: () => void): void }).once('close', () => r()));
}

async function measure(t: Target, sessions: number, concurrency: number, shells: number): Promise<{ cpuPerSession: number; perSecond: number; idleKbPerShell: number; baseKb: number }> {
  await session(t); // warm-up
  const withKids = t.name === 'OpenSSH sshd';
  const cpu0 = t.pids().reduce((a, p) => a + cpuMs(p, withKids), 0);
  const start = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < sessions) {
        next++;
        await session(t);
      }
    }),
  );
  const wall = (Date.now() - start) / 1000;
  await new Promise((r) => setTimeout(r, 300));
  const cpu1 = t.pids().reduce((a, p) => a + cpuMs(p, withKids), 0);
  const base = t.pids().reduce((a, p) => a + rssKb(p), 0);
  const open: ssh2.Client[] = [];
  for (let i = 0; i < shells; i++) {
    const c = await connect(t);
    await new Promise<void>((res, rej) => c.shell({ term: 'xterm', cols: 80, rows: 24 }, (err, ch) => (err ? rej(err) : (ch.on('data', () => {}), res()))));
    open.push(c);
  }
  await new Promise((r) => setTimeout(r, 1000));
  const loaded = t.pids().reduce((a, p) => a + rssKb(p), 0);
  for (const c of open) c.end();
  return { cpuPerSession: (cpu1 - cpu0) / sessions, perSecond: sessions / wall, idleKbPerShell: shells ? (loaded - base) / shells : 0, baseKb: base };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { sessions: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '4' }, shells: { type: 'string', default: '1000' }, 'sshd-shells': { type: 'string', default: '50' } } });
  const sessions = Number(values.sessions);
  const concurrency = Number(values.concurrency);
  const shells = Number(values.shells);
  const dir = mkdtempSync(join(tmpdir(), 'apiary-shell-bench-'));
  const targets: Target[] = [];
  const rows: string[] = [];
  const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  try {
    // Started one by one inside the try, so a failure still stops the ones already running.
    for (const start of [() => startApiary(join(dir, 'a')), startFloor, () => startSshd(join(dir, 's'))]) {
      const t = await start();
      if (t) targets.push(t);
    }
    for (const t of targets) {
      // sshd holds a process pair and a bash per shell: a few MB each, so it gets fewer shells.
      const n = t.name === 'OpenSSH sshd' ? Math.min(shells, Number(values['sshd-shells'])) : shells;
      const r = await measure(t, sessions, concurrency, n);
      results[t.name] = r;
      rows.push(`${t.name.padEnd(14)} ${r.cpuPerSession.toFixed(2).padStart(8)} ms CPU/session  ${r.perSecond.toFixed(1).padStart(7)} sessions/s  ${r.idleKbPerShell.toFixed(0).padStart(6)} KB/idle shell  (${t.name === 'OpenSSH sshd' ? Math.min(shells, Number(values['sshd-shells'])) : shells} shells, base RSS ${(r.baseKb / 1024).toFixed(0)} MB)`);
    }
  } finally {
    for (const t of targets) await t.stop();
  }
  process.stdout.write(`shell bench: ${sessions} sessions (login, ${COMMANDS.length} exec commands, logout), concurrency ${concurrency}\n${rows.join('\n')}\n`);
  const a = results['apiary shell'];
  const f = results['bare ssh2'];
  const s = results['OpenSSH sshd'];
  if (a && f) process.stdout.write(`apiary shell / bare ssh2 CPU: ${(a.cpuPerSession / f.cpuPerSession).toFixed(2)}x\n`);
  if (a && s) process.stdout.write(`apiary shell / sshd CPU: ${(a.cpuPerSession / s.cpuPerSession).toFixed(2)}x\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`shell bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
