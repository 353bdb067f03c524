// 10,000 malformed packets (garbage before login, unknown and broken commands after it) while the
// mysql2 client keeps querying on its own connection: the sensor answers, records, and keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { startApiaryProcess, waitFor } from '../../helpers/apiary-process.js';
import { garbageConnections, keepBusy, sendToEach } from '../../helpers/flood.js';
import { decodeMessage, encodePacket } from '../../../src/sensors/mysql/codec.js';
import { nativeScramble } from '../../../src/sensors/mysql/scramble.js';

/** Reads whole MySQL messages off a socket. */
function reader(sock: Socket): { next(): Promise<Buffer>; count(): number } {
  let buf = Buffer.alloc(0);
  let seen = 0;
  const waiters: ((b: Buffer) => void)[] = [];
  const queue: Buffer[] = [];
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const r = decodeMessage(buf);
      if (r.status !== 'ok') break;
      buf = buf.subarray(r.consumed);
      seen++;
      const w = waiters.shift();
      if (w) w(r.value.payload);
      else if (queue.length < 16) queue.push(r.value.payload);
    }
  });
  return {
    next: () => new Promise((res) => (queue.length ? res(queue.shift()!) : waiters.push(res))),
    count: () => seen,
  };
}

async function rawLogin(port: number): Promise<{ sock: Socket; answers: () => number }> {
  const sock = connect(port, '127.0.0.1');
  sock.on('error', () => {});
  const r = reader(sock);
  const greeting = await r.next();
  const vEnd = greeting.indexOf(0, 1);
  const salt = Buffer.concat([greeting.subarray(vEnd + 5, vEnd + 13), greeting.subarray(vEnd + 32, vEnd + 44)]);
  const head = Buffer.alloc(32);
  head.writeUInt32LE(0x000a_a205, 0);
  head.writeUInt32LE(1 << 24, 4);
  head[8] = 45;
  const scramble = nativeScramble('123456', salt);
  sock.write(encodePacket(Buffer.concat([head, Buffer.from('root\0'), Buffer.from([scramble.length]), scramble, Buffer.from('mysql_native_password\0')]), 1).bytes);
  const ok = await r.next();
  assert.equal(ok[0], 0, 'raw client logged in');
  const base = r.count();
  return { sock, answers: () => r.count() - base };
}

test('10,000 malformed packets while a real client keeps working', async () => {
  const apiary = await startApiaryProcess({
    sensor: 'mysql-flood',
    auth: [{ user: 'root', password: '123456', allow: true }],
    services: { mysql: { listen: ['127.0.0.1:0'] } },
    decoy: { database: 'webshop' },
    limits: { per_source_connections: 64 },
  });
  const port = apiary.ports.mysql!;
  const client = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '123456', database: 'webshop' });
  const real = keepBusy(async () => {
    const [r] = (await client.query('SELECT COUNT(*) AS n FROM customers')) as unknown as [[{ n: number }]];
    assert.equal(r[0]!.n, 200);
  });
  try {
    let sent = 0;
    // After login: 8 connections x 1,200 commands with unknown codes (none lives at 0x20..0xef), each answered with an error.
    const logged = await Promise.all(Array.from({ length: 8 }, () => rawLogin(port)));
    sent += sendToEach(logged.map((c) => c.sock), 1200, (i) => encodePacket(Buffer.concat([Buffer.from([0x20 + (i % 0xd0)]), randomBytes(i % 40)]), 0).bytes);
    await waitFor(() => logged.every((c) => c.answers() >= 1200), 60_000);
    for (const c of logged) c.sock.destroy();
    // Before login: 400 connections sending garbage, truncated and oversized-length handshakes.
    sent += await garbageConnections(port, 400, (i) =>
      i % 3 === 0 ? randomBytes(64) : i % 3 === 1 ? Buffer.from([0xff, 0xff, 0xff, 1, 0, 0]) : encodePacket(randomBytes(8), 1).bytes,
    );
    assert.ok(sent >= 10_000, `sent ${sent}`);
    const before = real.count();
    await waitFor(() => real.count() > before + 3, 10_000);
  } finally {
    await real.stop();
    await client.end();
    await apiary.stop();
  }
  assert.ok(real.count() > 10, `real client queries answered: ${real.count()}`);
  const malformed = await apiary.events(['--type', 'protocol.malformed', '--limit', '100000']);
  // Every one recorded, or counted past the source's event budget (limits.source_events_s).
  const limited = await apiary.events(['--type', 'connection.limited', '--limit', '100000']);
  const counted = limited.filter((e) => e.limit === 'event_rate').reduce((n, e) => n + (e.refused as number), 0);
  assert.ok(malformed.length >= 5000, `malformed events: ${malformed.length}`);
  assert.ok(malformed.length + counted >= 9600, `malformed events: ${malformed.length} stored, ${counted} counted`);
  assert.equal(apiary.proc.exitCode, 0);
});
