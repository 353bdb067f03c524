// The shipper against a collector that is away for a while: batches stay in the spool through the
// back-off, and a sensor that stops soon after the collector is back ships them at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { CertificateAuthority, newKeyPair } from '../../src/transport/pki.js';
import { PATHS } from '../../src/transport/protocol.js';
import { Shipper } from '../../src/transport/shipper.js';
import { Spool } from '../../src/transport/spool.js';
import { tempDir } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';

test('drained() sends a batch waiting out a long back-off at once when the collector is back', async () => {
  const dir = tempDir('apiary-shipper-');
  const ca = await CertificateAuthority.loadOrCreate(join(dir, 'ca'));
  const server = await ca.issueServerCert(['127.0.0.1']);
  const client = newKeyPair();
  const { cert } = await ca.issueSensorCert('s1', client.publicKey);
  let up = false;
  let received = 0;
  const collector = createServer({ key: server.key, cert: server.cert, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    req.resume();
    req.on('end', () => {
      if (!up) return void res.writeHead(503).end('away');
      if (req.url === PATHS.events) {
        received++;
        const n = Number(req.headers['x-apiary-events'] ?? 1);
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received: n, stored: n, duplicates: 0, invalid: 0 }));
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const spool = new Spool({ dir: join(dir, 'spool'), maxBytes: 1 << 20, dropPolicy: 'oldest', segmentEvents: 10, syncIntervalMs: 5 });
  const shipper = new Shipper({
    collector: new URL(`https://127.0.0.1:${(collector.address() as AddressInfo).port}`),
    credentials: { key: client.privateKey, cert, ca: ca.certPem },
    spool, log: pino({ level: 'silent' }), maxBackoffMs: 60_000, heartbeatMs: 3600_000,
    heartbeat: () => ({ version: 'test', config_hash: '', services: [] }),
  });
  try {
    shipper.start();
    spool.write(makeEvent({ type: 'connection.open', time: '2025-01-01T00:00:00.000Z', src: '198.51.100.9', payload: { transport: 'tcp' } }));
    await spool.flush();
    // Refused again and again, the back-off doubles (from 100 ms) to seconds.
    while (shipper.stats.failures < 6) await new Promise((r) => setTimeout(r, 20));
    up = true;
    const t0 = performance.now();
    assert.equal(await shipper.drained(1500), true, 'shipped while draining, not after the back-off');
    assert.ok(performance.now() - t0 < 1500);
    assert.equal(received, 1);
    assert.equal(spool.stats.depth, 0);
  } finally {
    await shipper.stop();
    await spool.close();
    collector.close();
  }
});
