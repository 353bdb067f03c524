// Hostile clients: random bytes, half-open connections and a connection flood never take the sensor
// down; what they did is recorded; other clients keep being served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { startApiaryProcess, waitFor } from '../../helpers/apiary-process.js';
import { sshWithPassword } from '../../helpers/ssh-tools.js';

function open(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, localAddress });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves with what the server sent before it closed the socket (or after MS of silence). */
function readUntilClose(s: Socket, ms: number): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const t = setTimeout(() => resolve({ data: Buffer.concat(chunks), closed: false }), ms);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => {});
    s.once('close', () => {
      clearTimeout(t);
      resolve({ data: Buffer.concat(chunks), closed: true });
    });
  });
}

const BASE = {
  auth: [{ user: 'root', password: 'letmein', allow: true }],
};

test('random bytes and half-open connections are recorded and never crash the sensor', async () => {
  const apiary = await startApiaryProcess({
    ...BASE,
    // Up to 90 connections from one address are open at once here: none may be refused by the per-source cap.
    limits: { per_source_connections: 500 },
    services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0, login_grace_s: 2 } },
  });
  try {
    const port = apiary.ports.ssh!;
    // 50 connections of random garbage, 20 that send a valid ident then garbage, 20 half-open.
    const garbage = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const s = await open(port);
        s.write(randomBytes(16 + (i % 7) * 300));
        return readUntilClose(s, 5000);
      }),
    );
    const identThenGarbage = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const s = await open(port);
        s.write(Buffer.concat([Buffer.from('SSH-2.0-Fuzz_1.0\r\n'), randomBytes(512)]));
        return readUntilClose(s, 5000);
      }),
    );
    const halfOpen = await Promise.all(Array.from({ length: 20 }, () => open(port)));
    const halfClosed = await Promise.all(halfOpen.map((s) => readUntilClose(s, 6000)));
    assert.ok(garbage.every((g) => g.closed), 'garbage connections are closed by the sensor');
    assert.ok(identThenGarbage.every((g) => g.closed), 'bad packets after a valid ident are closed');
    assert.ok(halfClosed.every((g) => g.closed), 'half-open connections are closed after the login grace time');
    // The sensor still serves a real client.
    const ok = await sshWithPassword(port, 'root', 'letmein', 'true');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(apiary.proc.exitCode, null, 'still running');
    await apiary.stop();
    const events = await apiary.events();
    const malformed = events.filter((e) => e.type === 'protocol.malformed');
    assert.ok(malformed.length >= 50, `${malformed.length} protocol.malformed events`);
    assert.ok(malformed.every((e) => typeof e.reason === 'string' && /^[0-9a-f]*$/.test(String(e.sample_hex))));
    const closes = events.filter((e) => e.type === 'connection.close');
    assert.equal(closes.length, 91, 'one connection.close per connection');
    // Like sshd, the sensor waits for a whole identification line; garbage without one ends on the grace time too.
    assert.ok(closes.filter((e) => e.reason === 'login_timeout').length >= 20, 'half-open ones end on the login grace time');
  } finally {
    await apiary.stop();
  }
});

test('a flood of 2,000 connections from one source is cut to the per-source cap while another source gets in', async () => {
  const apiary = await startApiaryProcess({
    ...BASE,
    limits: { per_source_connections: 40, global_connections: 1000 },
    services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0 } },
  });
  const sockets: Socket[] = [];
  try {
    const port = apiary.ports.ssh!;
    let served = 0;
    let refused = 0;
    // Open in bounded waves so the test itself stays within its file descriptors.
    for (let wave = 0; wave < 20; wave++) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, async () => {
          try {
            const s = await open(port, '127.0.0.2');
            sockets.push(s);
            return await new Promise<boolean>((resolve) => {
              const t = setTimeout(() => resolve(true), 1500);
              s.once('data', () => {
                clearTimeout(t);
                resolve(true);
              });
              s.once('close', () => {
                clearTimeout(t);
                resolve(false);
              });
              s.on('error', () => {});
            });
          } catch {
            return false;
          }
        }),
      );
      for (const ok of batch) ok ? served++ : refused++;
    }
    assert.equal(served, 40, 'exactly the per-source cap is served');
    assert.equal(refused, 1960);
    // Another source is still served while the flood holds its connections.
    const other = await sshWithPassword(port, 'root', 'letmein', 'true', '127.0.0.3');
    assert.equal(other.code, 0, other.stderr);
    for (const s of sockets) s.destroy();
    await apiary.stop();
    const events = await apiary.events();
    const opens = events.filter((e) => e.type === 'connection.open');
    assert.equal(opens.filter((e) => e.src_ip === '127.0.0.2').length, 40);
    assert.equal(opens.filter((e) => e.src_ip === '127.0.0.3').length, 1);
    const limited = events.filter((e) => e.type === 'connection.limited' && e.src_ip === '127.0.0.2');
    assert.equal(limited.reduce((n, e) => n + Number(e.refused), 0), 1960, 'every refusal is counted in connection.limited summaries');
    assert.ok(limited.length <= 3, 'refusals are summarised, not one event each');
  } finally {
    for (const s of sockets) s.destroy();
    await apiary.stop();
  }
});
