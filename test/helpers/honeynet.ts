// Runs `apiary collector` and `apiary sensor` as child processes, as an operator would: enrolment
// with a token, configs written to temporary directories, ports read from the start-up lines.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI, runCli, spawnApiary, tempDir, writeConfig, type Child } from './apiary-process.js';
import { freePort } from './net-tools.js';

export { freePort, type Child };

/** `apiary ARGS`, inside a network namespace when WRAPPER (e.g. ip netns exec NS) is given. */
export async function runCliIn(wrapper: string[] | undefined, args: string[]): Promise<{ stdout: string; stderr: string }> {
  if (!wrapper) return runCli(args);
  return promisify(execFile)(wrapper[0]!, [...wrapper.slice(1), process.execPath, CLI, ...args]);
}


/** The "N events recorded this run" of a sensor's last line; fails unless everything was shipped. */
export function recordedThisRun(stdout: string): number {
  return stopTally(stdout).recorded;
}

/** Events recorded and dropped by the spool cap, from a sensor's last line; fails unless everything left was shipped. */
export function stopTally(stdout: string): { recorded: number; dropped: number } {
  const m = /stopped; (\d+) events? recorded this run(?:, (\d+) dropped by the spool's size cap)?, all shipped/.exec(stdout);
  if (!m) throw new Error(`sensor did not ship everything at stop:\n${stdout}`);
  return { recorded: Number(m[1]), dropped: Number(m[2] ?? 0) };
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
  opts: { services?: Record<string, unknown>; shipper?: Record<string, unknown>; wrapper?: string[]; extra?: Record<string, unknown> } = {},
): Promise<SensorSetup> {
  const dir = tempDir(`apiary-sensor-${name}-`);
  const configPath = writeConfig(dir, {
    sensor: name,
    shipper: { collector: collectorUrl, heartbeat_s: 0.5, max_backoff_s: 1, ...opts.shipper },
    // max_auth_tries high: hydra re-sends the password in flight when a connection is cut after 6, so its list and ours would differ.
    services: opts.services ?? { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0, max_auth_tries: 1000 } },
    ...opts.extra,
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
