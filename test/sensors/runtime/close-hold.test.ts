// A connection's connection.close is its session's last event: it waits for work the sensor holds
// (a file being stored, then its file.upload), within MAX_CLOSE_HOLD_MS, and never for ever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import pino from 'pino';
import type { ApiaryEvent } from '../../../src/events/catalogue.js';
import { ConnectionGate, MAX_CLOSE_HOLD_MS, startTcpService, type RunningService } from '../../../src/sensors/runtime/listener.js';

async function serve(onConnection: Parameters<typeof startTcpService>[0]['onConnection']): Promise<{ svc: RunningService; events: ApiaryEvent[] }> {
  const events: ApiaryEvent[] = [];
  const svc = await startTcpService({
    name: 'hold-test',
    protocol: 'tcp',
    sensor: 'test',
    addresses: [{ host: '127.0.0.1', port: 0 }],
    sink: { write: (e) => void events.push(e), flush: async () => undefined },
    gate: new ConnectionGate(10, 10, () => undefined),
    log: pino({ level: 'silent' }),
    idleTimeoutMs: 30_000,
    sessionTimeoutMs: 60_000,
    onConnection,
  });
  return { svc, events };
}

/** Connects, sends a byte, and hangs up at once. */
async function hitAndRun(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.end('x', () => resolve()));
    s.on('error', reject);
  });
}

const until = async (cond: () => boolean, ms: number): Promise<void> => {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

test("held work's events come before connection.close, even when the client has already gone", async () => {
  let release!: () => void;
  const { svc, events } = await serve((ctx) => {
    ctx.socket.once('data', () => {
      const work = new Promise<void>((r) => (release = r)).then(() => {
        ctx.emitter.emit('file.upload', { filename: 'late.bin', sha256: 'a'.repeat(64), size: 1, outcome: 'stored' });
      });
      ctx.emitter.hold?.(work);
      ctx.close('client');
    });
  });
  try {
    await hitAndRun(svc.bound[0]!.port);
    await until(() => release !== undefined, 2000);
    // The socket is gone; the close waits for the held work.
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(events.map((e) => e.type), ['connection.open']);
    release();
    await until(() => events.length === 3, 2000);
    assert.deepEqual(events.map((e) => e.type), ['connection.open', 'file.upload', 'connection.close']);
  } finally {
    await svc.close();
  }
});

test(`work that never settles holds connection.close for at most ${MAX_CLOSE_HOLD_MS} ms`, async () => {
  const { svc, events } = await serve((ctx) => {
    ctx.emitter.hold?.(new Promise(() => undefined));
  });
  try {
    const t0 = Date.now();
    await hitAndRun(svc.bound[0]!.port);
    await until(() => events.some((e) => e.type === 'connection.close'), MAX_CLOSE_HOLD_MS + 3000);
    assert.ok(Date.now() - t0 >= MAX_CLOSE_HOLD_MS - 100, 'waited for the held work');
  } finally {
    await svc.close();
  }
});
