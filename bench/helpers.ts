// Small pieces the benchmark scripts share: a free loopback port, and waiting for a child's line.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Resolves with the first match of PATTERN in PROC's stdout; rejects if it exits or time runs out. */
export async function waitForLine(proc: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  let out = '';
  return new Promise((resolveLine, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${out}`)), timeoutMs);
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveLine(m[0]);
      }
    });
    proc.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
}

/** The built `apiary` command's entry point, spawned by the benchmarks. */
export const APIARY_CLI = resolve('dist/src/cli/main.js');
/** The `apiary` launcher, which picks node's flags per command. */
export const APIARY_BIN = resolve('bin/apiary');

/**
 * The node flags the `apiary` launcher (bin/apiary) gives COMMAND: read from its `case` lines, so a
 * benchmark runs Apiary as a user's `apiary COMMAND` runs it.
 */
export function nodeFlagsFor(command: string): string[] {
  let fallback: string[] | undefined;
  for (const line of readFileSync(APIARY_BIN, 'utf8').split('\n')) {
    const m = /^\s*([\w|*]+)\) exec node((?: --[\w-]+(?:=\S+)?)*) "\$main" "\$@" ;;$/.exec(line);
    if (!m) continue;
    const flags = m[2]!.split(' ').filter(Boolean);
    if (m[1] === '*') fallback = flags;
    else if (m[1]!.split('|').includes(command)) return flags;
  }
  if (!fallback) throw new Error(`no default case in ${APIARY_BIN}`);
  return fallback;
}

/** Arguments for `spawn(process.execPath, ...)` that run `apiary COMMAND ...ARGS` with the launcher's flags. */
export function apiaryArgs(command: string, ...args: string[]): string[] {
  return [...nodeFlagsFor(command), APIARY_CLI, command, ...args];
}
