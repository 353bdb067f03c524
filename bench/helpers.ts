// Small pieces the benchmark scripts share: a free loopback port, and waiting for a child's line.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

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
