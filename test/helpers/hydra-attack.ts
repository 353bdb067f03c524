// A hydra dictionary attack on an SSH sensor, run in the background, with the attempts it reports.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface HydraRun {
  proc: ChildProcess;
  /** Resolves when hydra exits, with the passwords it says it tried. */
  done: Promise<string[]>;
  output(): string;
}

/** Starts hydra against HOST:PORT with N guesses for root (none right), T tasks. */
export function startHydra(dir: string, host: string, port: number, n: number, tasks = 4, wrapper: string[] = []): HydraRun {
  const words = join(dir, `words-${port}.txt`);
  writeFileSync(words, `${Array.from({ length: n }, (_, i) => `guess-${String(i).padStart(4, '0')}`).join('\n')}\n`);
  const argv = [...wrapper, 'hydra', '-l', 'root', '-P', words, '-t', String(tasks), '-V', '-I', '-w', '10', `ssh://${host}:${port}`];
  // Its own process group, so every forked task can be ended with it.
  const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const timer = setTimeout(() => {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }, 120_000);
  const done = new Promise<string[]>((resolve) =>
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve([...out.matchAll(/^\[(?:RE-)?ATTEMPT\].* pass "(.*)" - \d+ of \d+/gm)].map((m) => m[1]!));
    }),
  );
  return { proc, done, output: () => out };
}
