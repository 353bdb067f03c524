// Load helpers for the malformed-input tests: many short connections that each send one bad payload.
import { connect } from 'node:net';

/** Opens COUNT connections to PORT, ten at a time; each writes PAYLOAD(i) on connect and is dropped 20 ms later. */
export async function garbageConnections(port: number, count: number, payload: (i: number) => Buffer): Promise<number> {
  let done = 0;
  for (let base = 0; base < count; base += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, count - base) }, (_, k) =>
        new Promise<void>((res) => {
          const s = connect(port, '127.0.0.1');
          s.on('error', () => res());
          s.on('close', () => res());
          s.on('connect', () => {
            s.write(payload(base + k));
            setTimeout(() => s.destroy(), 20).unref();
          });
        }),
      ),
    );
    done += Math.min(10, count - base);
  }
  return done;
}

/** Runs WORK again and again (5 ms apart) until stopped: a real client that must keep being served. */
export function keepBusy(work: () => Promise<void>): { count(): number; stop(): Promise<void> } {
  let n = 0;
  let stopped = false;
  let failure: unknown;
  const loop = (async () => {
    while (!stopped) {
      await work();
      n++;
      await new Promise((res) => setTimeout(res, 5));
    }
  })().catch((err: unknown) => {
    // Kept for stop(): the client's failure is the test's failure.
    failure = err;
    stopped = true;
  });
  return {
    count: () => n,
    async stop() {
      stopped = true;
      await loop;
      if (failure !== undefined) throw failure;
    },
  };
}

/** Writes COUNT packets made by PACKET(i) to each socket, in one write per socket; returns how many were sent. */
export function sendToEach(sockets: readonly { write(b: Buffer): unknown }[], count: number, packet: (i: number) => Buffer): number {
  for (const s of sockets) s.write(Buffer.concat(Array.from({ length: count }, (_, i) => packet(i))));
  return sockets.length * count;
}
