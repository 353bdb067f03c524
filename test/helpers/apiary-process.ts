// Runs `apiary start` as a child process with a test config, as a user would, and reads its events.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';

const execFileP = promisify(execFile);
export const CLI = resolve('dist/src/cli/main.js');

const madeDirs: string[] = [];
let cleanupHooked = false;

/** A fresh temporary directory, removed when the test process exits (set KEEP_TEST_DIRS=1 to keep it). */
export function tempDir(prefix = 'apiary-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeDirs.push(dir);
  if (!cleanupHooked && !process.env.KEEP_TEST_DIRS) {
    cleanupHooked = true;
    process.on('exit', () => {
      for (const d of madeDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

export interface ApiaryProcess extends Child {
  dir: string;
  configPath: string;
  events(args?: string[]): Promise<Record<string, unknown>[]>;
}

export function writeConfig(dir: string, config: Record<string, unknown>): string {
  const path = join(dir, 'apiary.yaml');
  writeFileSync(path, stringify({ data_dir: join(dir, 'data'), log: { level: 'warn' }, ...config }));
  return path;
}

export async function runCli(args: string[], opts: { allowFail?: boolean } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [CLI, ...args], { maxBuffer: 256 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (!opts.allowFail) throw err;
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A running `apiary` child process. */
export interface Child {
  proc: ChildProcess;
  /** Bound port per service name, from the start-up lines. */
  ports: Record<string, number>;
  stdout(): string;
  stderr(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

/** How long stop() waits after SIGTERM before SIGKILL. */
export const STOP_GRACE_MS = 30_000;

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
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill('SIGTERM');
      // A process whose event loop is stuck never runs its SIGTERM handler: it is killed after
      // STOP_GRACE_MS, so the test fails (its events are not all stored) instead of holding the run.
      const kill = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(kill);
      }
    },
    async kill9() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

export async function startApiaryProcess(config: Record<string, unknown>, opts: { dir?: string; timeoutMs?: number } = {}): Promise<ApiaryProcess> {
  const dir = opts.dir ?? tempDir();
  const configPath = writeConfig(dir, config);
  const child = await spawnApiary(['start', '--config', configPath], opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs });
  return {
    ...child,
    dir,
    configPath,
    async events(args: string[] = []) {
      const { stdout } = await runCli(['events', '--config', configPath, '--json', ...args]);
      return stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
  };
}

/** Polls FN until it returns true or the time runs out. */
export async function waitFor(fn: () => boolean | Promise<boolean>, timeoutMs = 10_000, stepMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error('condition not met in time');
}
