// The dashboard's connection bounds: a client dribbling a request body is cut off once
// REQUEST_TIMEOUT_MS has passed (the dashboard shares its process, and its file descriptors, with the sensors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { REQUEST_TIMEOUT_MS } from '../../src/web/server.js';
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
