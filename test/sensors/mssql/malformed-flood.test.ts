// 10,000 malformed TDS packets (garbage before login, unknown packet types after it) while tedious
// keeps querying on its own connection: the sensor answers, records, and keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Connection, Request } from 'tedious';
import { startApiaryProcess, waitFor } from '../../helpers/apiary-process.js';
import { garbageConnections, keepBusy, sendToEach } from '../../helpers/flood.js';
import { encodeTdsMessage, PT_LOGIN7 } from '../../../src/sensors/mssql/tds-codec.js';
import { rawLogin } from '../../helpers/tds-login.js';

test('10,000 malformed TDS packets while tedious keeps working', async () => {
  const apiary = await startApiaryProcess({
    sensor: 'mssql-flood',
    auth: [{ user: 'sa', password: '123456', allow: true }],
    services: { mssql: { listen: ['127.0.0.1:0'], browser: { enabled: false } } },
    decoy: { database: 'webshop' },
    limits: { per_source_connections: 64 },
  });
  const port = apiary.ports.mssql!;
  const client = await new Promise<Connection>((resolve, reject) => {
    const c = new Connection({ server: '127.0.0.1', authentication: { type: 'default', options: { userName: 'sa', password: '123456' } }, options: { port, encrypt: false, database: 'webshop' } });
    c.on('connect', (err) => (err ? reject(err) : resolve(c)));
    c.connect();
  });
  const query = (): Promise<number> =>
    new Promise((resolve, reject) => {
      let n = -1;
      const r = new Request('SELECT COUNT(*) FROM customers', (err) => (err ? reject(err) : resolve(n)));
      r.on('row', (cols: { value: number }[]) => (n = cols[0]!.value));
      client.execSqlBatch(r);
    });
  const real = keepBusy(async () => assert.equal(await query(), 200));
  try {
    let sent = 0;
    // After login: 8 connections x 1,200 packets of types no TDS client sends, each answered with an error.
    const logged = await Promise.all(Array.from({ length: 8 }, () => rawLogin(port)));
    sent += sendToEach(logged.map((c) => c.sock), 1200, (i) => encodeTdsMessage(0x20 + (i % 0xd0), randomBytes(i % 40)));
    await waitFor(() => logged.every((c) => c.answers() >= 1200), 60_000);
    for (const c of logged) c.sock.destroy();
    // Before login: 400 connections sending garbage, an oversized PRELOGIN header and broken LOGIN7 records.
    sent += await garbageConnections(port, 400, (i) =>
      i % 3 === 0 ? randomBytes(64) : i % 3 === 1 ? Buffer.from([0x12, 1, 0xff, 0xff, 0, 0, 1, 0]) : encodeTdsMessage(PT_LOGIN7, randomBytes(90)),
    );
    assert.ok(sent >= 10_000, `sent ${sent}`);
    const before = real.count();
    await waitFor(() => real.count() > before + 3, 10_000);
  } finally {
    await real.stop();
    client.close();
    await apiary.stop();
  }
  assert.ok(real.count() > 10, `real client batches answered: ${real.count()}`);
  const malformed = await apiary.events(['--type', 'protocol.malformed', '--limit', '100000']);
  // Every one recorded, or counted past the source's event budget (limits.source_events_s).
  const limited = await apiary.events(['--type', 'connection.limited', '--limit', '100000']);
  const counted = limited.filter((e) => e.limit === 'event_rate').reduce((n, e) => n + (e.refused as number), 0);
  assert.ok(malformed.length >= 5000, `malformed events: ${malformed.length}`);
  assert.ok(malformed.length + counted >= 9600, `malformed events: ${malformed.length} stored, ${counted} counted`);
  assert.equal(apiary.proc.exitCode, 0);
});
