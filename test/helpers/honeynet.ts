// Runs `apiary collector` and `apiary sensor` as child processes, as an operator would: enrolment
// with a token, configs written to temporary directories, ports read from the start-up lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI, runCli, tempDir, writeConfig } from './apiary-process.js';

/** `apiary ARGS`, inside a network namespace when WRAPPER (e.g. ip netns exec NS) is given. */
export async function runCliIn(wrapper: string[] | undefined, args: string[]): Promise<{ stdout: string; stderr: string }> {
  if (!wrapper) return runCli(args);
  return promisify(execFile)(wrapper[0]!, [...wrapper.slice(1), process.execPath, CLI, ...args]);
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The "N events recorded this run" of a sensor's last line; fails unless everything was shipped. */
export function recordedThisRun(stdout: string): number {
  return stopTally(stdout).recorded;
}

/** Events recorded and dropped by the spool cap, from a sensor's last line; fails unless everything left was shipped. */
export function stopTally(stdout: string): { recorded: number; dropped: number } {
  const m = /stopped; (\d+) events recorded this run(?:, (\d+) dropped by the spool's size cap)?, all shipped/.exec(stdout);
  if (!m) throw new Error(`sensor did not ship everything at stop:\n${stdout}`);
  return { recorded: Number(m[1]), dropped: Number(m[2] ?? 0) };
}

export interface Child {
  proc: ChildProcess;
  ports: Record<string, number>;
  stdout(): string;
  stderr(): string;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

/** Spawns `apiary ARGS` (optionally through a wrapper such as `ip netns exec NS`) and waits for "press Ctrl-C to stop". */
export async function spawnApiary(args: string[], opts: { wrapper?: string[]; timeoutMs?: number } = {}): Promise<Child> {
  const argv = [...(opts.wrapper ?? []), process.execPath, CLI, ...args];
  const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const ports: Record<string, number> = {};
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`apiary ${args[0]} did not start in time:\n${out}\n${err}`)), opts.timeoutMs ?? 30_000);
    const check = (): void => {
      if (!out.includes('press Ctrl-C to stop')) return;
      clearTimeout(timer);
      for (const m of out.matchAll(/^\s+(\S+)\s+listening on (?:\[[^\]]+\]|[^:\s]+):(\d+)$/gm)) ports[m[1]!] ??= Number(m[2]);
      resolveReady();
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`apiary ${args[0]} exited with ${code} before it was ready:\n${out}\n${err}`));
    });
  });
  return {
    proc,
    ports,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

export interface CollectorSetup {
  dir: string;
  configPath: string;
  port: number;
  start(): Promise<Child>;
  /** A one-time enrolment token for sensor NAME. */
  token(name: string): Promise<string>;
}

export async function collectorSetup(opts: { pgUrl?: string; host?: string; silentAfterS?: number; wrapper?: string[] } = {}): Promise<CollectorSetup> {
  const dir = tempDir('apiary-collector-');
  const host = opts.host ?? '127.0.0.1';
  const port = await freePort();
  const configPath = writeConfig(dir, {
    sensor: 'collector',
    networks: { internal: ['10.77.0.0/16'] },
    collector: { listen: `${host}:${port}`, server_names: [host], silent_after_s: opts.silentAfterS ?? 120 },
    outputs: { jsonl: { path: `${dir}/events.jsonl` } },
    ...(opts.pgUrl ? { store: { kind: 'postgres', postgres: { url: opts.pgUrl, pool_size: 4 } } } : {}),
  });
  return {
    dir,
    configPath,
    port,
    start: () => spawnApiary(['collector', '--config', configPath], opts.wrapper ? { wrapper: opts.wrapper } : {}),
    async token(name: string) {
      const r = await runCli(['collector', 'enroll', name, '--config', configPath]);
      return r.stdout.trim();
    },
  };
}

export interface SensorSetup {
  dir: string;
  configPath: string;
  spoolDir: string;
  start(): Promise<Child>;
}

/** Writes a sensor's config (SSH on 127.0.0.1:0 unless SERVICES says otherwise) and enrols it with TOKEN. */
export async function sensorSetup(
  name: string,
  collectorUrl: string,
  token: string | undefined,
  opts: { services?: Record<string, unknown>; shipper?: Record<string, unknown>; wrapper?: string[] } = {},
): Promise<SensorSetup> {
  const dir = tempDir(`apiary-sensor-${name}-`);
  const configPath = writeConfig(dir, {
    sensor: name,
    shipper: { collector: collectorUrl, heartbeat_s: 0.5, max_backoff_s: 1, ...opts.shipper },
    // max_auth_tries high: hydra re-sends the password in flight when a connection is cut after 6, so its list and ours would differ.
    services: opts.services ?? { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0, max_auth_tries: 1000 } },
  });
  if (token !== undefined) {
    const r = await runCliIn(opts.wrapper, ['sensor', 'enroll', token, '--config', configPath]);
    if (!r.stdout.includes('enrolled')) throw new Error(`enrolment failed: ${r.stdout} ${r.stderr}`);
  }
  return {
    dir,
    configPath,
    spoolDir: `${dir}/data/spool`,
    start: () => spawnApiary(['sensor', '--config', configPath], opts.wrapper ? { wrapper: opts.wrapper } : {}),
  };
}
