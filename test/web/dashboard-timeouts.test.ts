// The dashboard's connection bounds: a client dribbling a request body is cut off once
// REQUEST_TIMEOUT_MS has passed, and one that never starts TLS or never sends a request once
// HANDSHAKE_TIMEOUT_MS or HEADERS_TIMEOUT_MS has (the dashboard shares its process, and its file
// descriptors, with the sensors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { connect } from 'node:tls';
import { HANDSHAKE_TIMEOUT_MS, HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../../src/web/server.js';
import { startApiaryProcess } from '../helpers/apiary-process.js';

test('a request body dribbled a byte every few seconds is cut off after REQUEST_TIMEOUT_MS', { timeout: REQUEST_TIMEOUT_MS + 60_000 }, async () => {
  const apiary = await startApiaryProcess({ sensor: 'dash-timeouts', services: {}, dashboard: { listen: '127.0.0.1:0', admin_password: 'admin password 123' } });
  try {
    const port = apiary.ports.dashboard!;
    const t0 = Date.now();
    const outcome = await new Promise<{ s: number; reply: string }>((resolve) => {
      let reply = '';
      const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        socket.write('POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{');
      });
      const drip = setInterval(() => socket.writable && socket.write(' '), 3000);
      const giveUp = setTimeout(() => socket.destroy(), REQUEST_TIMEOUT_MS + 30_000);
      socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(drip);
        clearTimeout(giveUp);
        resolve({ s: (Date.now() - t0) / 1000, reply });
      });
    });
    assert.ok(outcome.s < REQUEST_TIMEOUT_MS / 1000 + 15, `closed after ${outcome.s} s`);
    assert.match(outcome.reply, /^HTTP\/1\.1 408 /, 'answered 408 Request Timeout');
  } finally {
    await apiary.stop();
  }
});

/** Seconds until the server closes a socket from CONNECT that then sends nothing more; GIVE_UP_MS bounds the wait. */
function closedAfter(open: () => Socket, giveUpMs: number): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const socket = open();
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    socket.on('error', () => undefined);
    // Read what the server sends (its 408): a client that does not read sees no close until it does.
    socket.resume();
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve((Date.now() - t0) / 1000);
    });
  });
}

test('a connection that never starts TLS, or never sends a request, is closed within seconds; kept-alive ones stay', { timeout: 60_000 }, async () => {
  const apiary = await startApiaryProcess({ sensor: 'dash-handshake', services: {}, dashboard: { listen: '127.0.0.1:0', admin_password: 'admin password 123' } });
  try {
    const port = apiary.ports.dashboard!;
    const giveUp = HANDSHAKE_TIMEOUT_MS + 20_000;
    // A kept-alive connection idle past both limits between two requests is still served (keepAliveTimeout applies).
    const agent = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
    const get = () =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/session', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
        });
        req.on('error', reject);
        req.end();
      });
    const keptAlive = (async () => {
      assert.equal((await get()).status, 200);
      await new Promise((r) => setTimeout(r, Math.max(HANDSHAKE_TIMEOUT_MS, HEADERS_TIMEOUT_MS) + 2000));
      return get();
    })();
    const [raw, tls, second] = await Promise.all([
      closedAfter(() => netConnect(port, '127.0.0.1'), giveUp),
      closedAfter(() => connect({ host: '127.0.0.1', port, rejectUnauthorized: false }), giveUp),
      keptAlive,
    ]);
    agent.destroy();
    assert.ok(raw < HANDSHAKE_TIMEOUT_MS / 1000 + 3, `a socket that never started TLS was closed after ${raw} s`);
    assert.ok(tls < HEADERS_TIMEOUT_MS / 1000 + 3, `a TLS connection that sent no request was closed after ${tls} s`);
    assert.deepEqual(second, { status: 200, reused: true }, 'an idle kept-alive connection is still served');
  } finally {
    await apiary.stop();
  }
});
