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

/** The built `apiary` command, spawned by the benchmarks. */
export const APIARY_CLI = resolve('dist/src/cli/main.js');

/**
 * The node flags Apiary ships with: those on the `apiary` command's `#!/usr/bin/env -S node ...` line,
 * so a benchmark runs Apiary as a user's `apiary start` runs it.
 */
export function shippedNodeFlags(): string[] {
  const first = readFileSync(APIARY_CLI, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=\S+)?)*)$/.exec(first);
  if (!m) throw new Error(`unexpected first line in ${APIARY_CLI}: ${first}`);
  return m[1]!.split(' ').filter(Boolean);
}

/** Arguments for `spawn(process.execPath, ...)` that run `apiary ARGS` with the shipped flags. */
export function apiaryArgs(...args: string[]): string[] {
  return [...shippedNodeFlags(), APIARY_CLI, ...args];
}
