// The SQL Server Browser (UDP 1434) under a datagram flood: it is held to the UDP sensors' per-source
// datagram rate and cap on flows, so its connection.open events (kept whatever the event budget) are
// bounded; one per datagram once stored 51,676 in 7.6 s. UDP sources can be forged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { startApiaryProcess } from '../../helpers/apiary-process.js';
import { askUdp } from '../../helpers/udp-ask.js';

function bound(from: string): Promise<Socket> {
  const s = createSocket('udp4');
  s.on('error', () => {});
  return new Promise((r) => s.bind(0, from, () => r(s)));
}


test('an SSRP flood from one address, on one port and on a thousand: connection.open stays within the datagram rate, another source is answered and recorded', async (t) => {
  const RATE = 50;
  const apiary = await startApiaryProcess({
    sensor: 'ssrp-flood',
    services: { mssql: { listen: ['127.0.0.1:0'], browser: { listen: ['127.0.0.1:0'] } } },
    limits: { udp_datagrams_per_source_s: RATE },
  });
  const ONE_PORT = 2000;
  const FRESH_PORTS = 1000;
  let elapsedS = 0;
  let answer: Buffer | undefined;
  try {
    const port = apiary.ports['mssql-browser']!;
    const start = Date.now();
    // Every datagram from a port of its own (a flow each, as forged sources would be), then all from one.
    for (let i = 0; i < FRESH_PORTS; i += 50) {
      const socks = await Promise.all(Array.from({ length: 50 }, () => bound('127.0.0.1')));
      await Promise.all(socks.map((s) => new Promise<void>((r) => s.send(Buffer.from([0x02]), port, '127.0.0.1', () => r()))));
      for (const s of socks) s.close();
    }
    const one = await bound('127.0.0.1');
    await Promise.all(Array.from({ length: ONE_PORT }, () => new Promise<void>((r) => one.send(Buffer.from([0x02]), port, '127.0.0.1', () => r()))));
    one.close();
    elapsedS = (Date.now() - start) / 1000;
    // Another source, once this second's answers over all sources are free again.
    await new Promise((r) => setTimeout(r, 1100));
    for (let tries = 0; tries < 3 && !answer; tries++) answer = await askUdp(port, Buffer.from([0x03]), 1000, '127.0.0.2');
  } finally {
    await apiary.stop();
  }
  const events = await apiary.events(['--limit', '1000000']);
  const from = (ip: string, type: string) => events.filter((e) => e.src_ip === ip && e.protocol === 'mssql-browser' && e.type === type);
  const opens = from('127.0.0.1', 'connection.open').length;
  const probes = from('127.0.0.1', 'scan.probe').length;
  const limited = from('127.0.0.1', 'connection.limited').filter((e) => e.limit === 'per_source');
  const refused = limited.reduce((n, e) => n + (e.refused as number), 0);
  t.diagnostic(`${ONE_PORT + FRESH_PORTS} datagrams in ${elapsedS.toFixed(1)} s: ${opens} connection.open, ${probes} scan.probe stored, ${refused} counted`);
  // A second's worth at once, then RATE a second.
  const allowed = RATE * (1 + Math.ceil(elapsedS));
  assert.ok(opens <= allowed, `${opens} connection.open for ${ONE_PORT + FRESH_PORTS} datagrams; the rate allows ${allowed}`);
  assert.ok(probes <= allowed, `${probes} scan.probe`);
  assert.ok(limited.length >= 1 && refused >= 1, 'the rest summarised in connection.limited (per_source)');
  assert.equal(from('127.0.0.1', 'connection.close').length, opens, 'each flow is closed');
  assert.ok(answer, 'another source is answered');
  assert.match(answer.subarray(3).toString('latin1'), /^ServerName;/);
  assert.ok(from('127.0.0.2', 'connection.open').length >= 1, 'and recorded');
  assert.ok(from('127.0.0.2', 'scan.probe').length >= 1);
  assert.equal(apiary.proc.exitCode, 0);
});
