// The UDP runtime: one session per source address and port, per-source rate limits summarised as
// connection.limited, idle flows closed, and a handler that throws ends only its own flow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import pino from 'pino';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { startUdpService } from '../../src/sensors/runtime/udp.js';
import { waitFor } from '../helpers/apiary-process.js';

test('per-source datagram limit, flows, idle close and a failing handler', async () => {
  const events: ApiaryEvent[] = [];
  const seen: string[] = [];
  const svc = await startUdpService({
    name: 'echo',
    protocol: 'echo',
    sensor: 's',
    addresses: [{ host: '127.0.0.1', port: 0 }],
    sink: { write: (e) => void events.push(e), flush: async () => {} },
    log: pino({ level: 'silent' }),
    idleTimeoutMs: 300,
    perSourcePerSecond: 10,
    maxFlows: 100,
    onFlow(ctx) {
      return {
        datagram(buf) {
          if (buf.toString() === 'boom') throw new Error('handler bug');
          seen.push(buf.toString());
          ctx.send(Buffer.from(`echo ${buf}`));
        },
      };
    },
  });
  const port = svc.bound[0]!.port;
  const client = createSocket('udp4');
  const replies: string[] = [];
  client.on('message', (m) => replies.push(m.toString()));
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
  try {
    for (let i = 0; i < 50; i++) client.send(`m${i}`, port, '127.0.0.1');
    await waitFor(() => replies.length >= 10, 3000);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(seen.length, 10, 'ten datagrams a second from one source');
    assert.equal(replies[0], 'echo m0');
    await waitFor(() => events.some((e) => e.type === 'connection.close'), 3000);
    const close = events.find((e) => e.type === 'connection.close')!;
    assert.equal((close.payload as { reason: string }).reason, 'idle_timeout');
    await new Promise((r) => setTimeout(r, 1100)); // next rate window: the refusals are summarised
    client.send('boom', port, '127.0.0.1');
    await waitFor(() => events.filter((e) => e.type === 'connection.close').length >= 2, 3000);
    const limited = events.find((e) => e.type === 'connection.limited');
    assert.equal((limited?.payload as { refused: number } | undefined)?.refused, 40);
    const closes = events.filter((e) => e.type === 'connection.close').map((e) => (e.payload as { reason: string }).reason);
    assert.deepEqual(closes, ['idle_timeout', 'error']);
    assert.deepEqual(events.filter((e) => e.type === 'connection.open').map((e) => (e.payload as { transport: string }).transport), ['udp', 'udp']);
  } finally {
    client.close();
    await svc.close();
  }
});
