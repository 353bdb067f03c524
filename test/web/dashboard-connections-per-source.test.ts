// The dashboard's cap on the connections one source holds (dashboard.max_connections_per_source),
// against an in-process dashboard: past the cap a new connection from the address is closed before
// TLS, the ones under it are served, and a closed connection gives its place back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import pino from 'pino';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { MAX_DASHBOARD_CONNECTIONS_PER_SOURCE, startDashboard } from '../../src/web/server.js';
import { tempDir } from '../helpers/apiary-process.js';

const CAP = 3;

/** A TLS connection to PORT that has finished its handshake, and whether the server has closed it. */
function openTls(port: number): Promise<{ socket: TLSSocket; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    let closed = false;
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => resolve({ socket, closed: () => closed }));
    socket.on('close', () => (closed = true));
    socket.once('error', reject);
  });
}

/**
 * openTls, tried again for up to 2 s while the server closes it: a connection the client has seen
 * close may still be counted for a moment, until the server has seen its end too.
 */
async function openTlsOnceFree(port: number): Promise<{ socket: TLSSocket; closed: () => boolean }> {
  for (const deadline = Date.now() + 2000; ; ) {
    try {
      return await openTls(port);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Whether a connection from OPEN is closed by the server within WITHIN_MS (true) or still open then (false). */
function closedWithin(open: () => Socket, withinMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = open();
    socket.on('error', () => undefined);
    socket.resume();
    const t = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, withinMs);
    socket.on('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** The status line the dashboard answers GET /api/session with on SOCKET (which it then closes). */
function statusLine(socket: TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    socket.on('close', () => resolve(reply.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
    socket.write('GET /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  });
}

test('dashboard.max_connections_per_source defaults to MAX_DASHBOARD_CONNECTIONS_PER_SOURCE', () => {
  const config = validateConfig({ dashboard: {} }) as unknown as Config;
  assert.equal(config.dashboard!.max_connections_per_source, MAX_DASHBOARD_CONNECTIONS_PER_SOURCE);
  assert.throws(() => validateConfig({ dashboard: { max_connections_per_source: 0 } }), /key dashboard\.max_connections_per_source: must be at least 1/);
  assert.throws(() => validateConfig({ dashboard: { max_connections_per_source: 257 } }), /key dashboard\.max_connections_per_source: must be at most 256/);
});

test('one address holds at most dashboard.max_connections_per_source connections: the next are closed before TLS, those under it are answered', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  const config = validateConfig({ data_dir: dir, dashboard: { listen: '127.0.0.1:0', admin_password: 'per-source password 1', max_connections_per_source: CAP } }) as unknown as Config;
  const store = new SqliteStore(join(dir, 'apiary.db'));
  const dash = await startDashboard({ config, dash: config.dashboard!, store, services: [], onEvents: () => () => undefined, log: pino({ level: 'silent' }) });
  const held: { socket: TLSSocket; closed: () => boolean }[] = [];
  try {
    const port = dash.bound[0]!.port;
    for (let i = 0; i < CAP; i++) held.push(await openTls(port));
    // Past the cap: a plain TCP socket and a TLS client are both closed at once (the handshake
    // timeout, 10 s, would close them only much later), whatever they would have sent.
    const [tcpExtra, tlsExtra] = await Promise.all([
      closedWithin(() => netConnect(port, '127.0.0.1'), 2000),
      closedWithin(() => tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }), 2000),
    ]);
    assert.deepEqual({ tcpExtra, tlsExtra }, { tcpExtra: true, tlsExtra: true }, 'connections past the cap are closed');
    assert.deepEqual(held.map((h) => h.closed()), [false, false, false], 'the connections under the cap stay open');
    // Under the cap: answered. Its close gives its place back, so a new connection is answered too.
    assert.match(await statusLine(held.shift()!.socket), /^HTTP\/1\.1 200 /);
    assert.match(await statusLine((await openTlsOnceFree(port)).socket), /^HTTP\/1\.1 200 /);
    // At the cap again with the two held ones and a third: the next is closed again.
    held.push(await openTlsOnceFree(port));
    assert.equal(await closedWithin(() => netConnect(port, '127.0.0.1'), 2000), true, 'the cap holds after places were given back');
  } finally {
    for (const h of held) h.socket.destroy();
    await dash.close();
    await store.close();
  }
});
