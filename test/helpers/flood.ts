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
