// One UDP question on loopback: send a datagram (from a chosen address) and take the first answer.
import { createSocket } from 'node:dgram';

/** Sends REQUEST to 127.0.0.1:PORT (from FROM when given) and resolves with the first answer, or undefined after TIMEOUTMS. */
export function askUdp(port: number, request: Buffer, timeoutMs = 1500, from?: string): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.on('error', () => {});
    if (from) s.bind(0, from);
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, timeoutMs);
    s.once('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(request, port, '127.0.0.1');
  });
}
