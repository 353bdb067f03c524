// The UDP runtime: one session per source address and port, per-source rate limits summarised as
// connection.limited, idle flows closed, and a handler that throws ends only its own flow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import pino from 'pino';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { startUdpService, type UdpServiceOptions } from '../../src/sensors/runtime/udp.js';
import { waitFor } from '../helpers/apiary-process.js';

/** An 'echo' UDP service on a free loopback port, its events in EVENTS; OPTS sets the limits and handler. */
function startEcho(events: ApiaryEvent[], opts: Pick<UdpServiceOptions, 'idleTimeoutMs' | 'perSourcePerSecond' | 'maxFlows' | 'onFlow'>) {
  return startUdpService({
    name: 'echo',
    protocol: 'echo',
    sensor: 's',
    addresses: [{ host: '127.0.0.1', port: 0 }],
    sink: { write: (e) => void events.push(e), flush: async () => {} },
    log: pino({ level: 'silent' }),
    ...opts,
  });
}

test('per-source datagram limit, flows, idle close and a failing handler', async () => {
  const events: ApiaryEvent[] = [];
  const seen: string[] = [];
  const svc = await startEcho(events, {
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
    // A second's worth at once (ten), and one more if sending the fifty took over a tenth of a second.
    const admitted = seen.length;
    assert.ok(admitted === 10 || admitted === 11, `ten datagrams a second from one source, not ${admitted}`);
    assert.equal(replies[0], 'echo m0');
    await waitFor(() => events.some((e) => e.type === 'connection.close'), 3000);
    const close = events.find((e) => e.type === 'connection.close')!;
    assert.equal((close.payload as { reason: string }).reason, 'idle_timeout');
    await new Promise((r) => setTimeout(r, 300)); // tokens again for the next datagram
    client.send('boom', port, '127.0.0.1');
    await waitFor(() => events.filter((e) => e.type === 'connection.close').length >= 2, 3000);
    const closes = events.filter((e) => e.type === 'connection.close').map((e) => (e.payload as { reason: string }).reason);
    assert.deepEqual(closes, ['idle_timeout', 'error']);
    assert.deepEqual(events.filter((e) => e.type === 'connection.open').map((e) => (e.payload as { transport: string }).transport), ['udp', 'udp']);
  } finally {
    client.close();
    await svc.close();
  }
  // The refusals are summarised once for the window, at the latest when the service closes.
  const limited = events.filter((e) => e.type === 'connection.limited');
  assert.equal(limited.length, 1);
  assert.equal((limited[0]!.payload as { refused: number }).refused, 50 - seen.filter((s) => s !== 'boom').length);
});

test('many sources: each is held to its own rate, and past the cap on flows datagrams are dropped', async () => {
  // Twenty sources (addresses in 127/8) and room for ten flows: every source is held to its own rate
  // and summarised on its own, and datagrams of sources past the cap reach no handler.
  const events: ApiaryEvent[] = [];
  let datagrams = 0;
  const svc = await startEcho(events, {
    idleTimeoutMs: 60_000,
    perSourcePerSecond: 2,
    maxFlows: 10,
    onFlow() {
      return { datagram: () => void datagrams++ };
    },
  });
  const port = svc.bound[0]!.port;
  const clients = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const c = createSocket('udp4');
      await new Promise<void>((r) => c.bind(0, `127.0.${i + 1}.1`, r));
      return c;
    }),
  );
  try {
    // Five datagrams from each: two admitted per source (a second's worth), for the ten sources with a flow.
    for (let round = 0; round < 5; round++) for (const c of clients) c.send('x', port, '127.0.0.1');
    await waitFor(() => datagrams >= 20, 3000);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(datagrams, 20);
    assert.equal(svc.openConnections, 10);
  } finally {
    for (const c of clients) c.close();
    await svc.close();
  }
  const limited = events.filter((e) => e.type === 'connection.limited');
  assert.equal(limited.length, 20);
  assert.ok(limited.every((e) => (e.payload as { refused: number }).refused === 3));
});
