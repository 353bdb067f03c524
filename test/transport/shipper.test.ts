// The shipper against a collector that is away for a while or does not answer: batches stay in the
// spool through the back-off, and a sensor that stops soon after the collector is back ships them
// at once, on a new connection if the old one stalls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { CertificateAuthority, newKeyPair } from '../../src/transport/pki.js';
import { PATHS } from '../../src/transport/protocol.js';
import { DRAIN_RESEND_MS, Shipper } from '../../src/transport/shipper.js';
import { Spool } from '../../src/transport/spool.js';
import { tempDir } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';

/** Answers an events POST as the collector does, for N events. */
function stored(res: ServerResponse, n = 1): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received: n, stored: n, duplicates: 0, invalid: 0 }));
}

/**
 * A collector (mutual TLS) whose events POSTs EVENTS answers (other requests get `{}`), and a started
 * shipper with one spooled event; `close` stops both.
 */
async function harness(
  events: (req: IncomingMessage, res: ServerResponse) => void,
  opts: { heartbeat?: (res: ServerResponse) => void; heartbeatMs?: number; log?: pino.Logger } = {},
): Promise<{ shipper: Shipper; spool: Spool; close(): Promise<void> }> {
  const dir = tempDir('apiary-shipper-');
  const ca = await CertificateAuthority.loadOrCreate(join(dir, 'ca'));
  const server = await ca.issueServerCert(['127.0.0.1']);
  const client = newKeyPair();
  const { cert } = await ca.issueSensorCert('s1', client.publicKey);
  const collector = createServer({ key: server.key, cert: server.cert, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === PATHS.events) events(req, res);
      else if (req.url === PATHS.heartbeat && opts.heartbeat) opts.heartbeat(res);
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const spool = new Spool({ dir: join(dir, 'spool'), maxBytes: 1 << 20, dropPolicy: 'oldest', segmentEvents: 10, syncIntervalMs: 5 });
  const shipper = new Shipper({
    collector: new URL(`https://127.0.0.1:${(collector.address() as AddressInfo).port}`),
    credentials: { key: client.privateKey, cert, ca: ca.certPem },
    spool, log: opts.log ?? pino({ level: 'silent' }), maxBackoffMs: 60_000, heartbeatMs: opts.heartbeatMs ?? 3600_000,
    heartbeat: () => ({ version: 'test', config_hash: '', services: [] }),
  });
  shipper.start();
  spool.write(makeEvent({ type: 'connection.open', time: '2025-01-01T00:00:00.000Z', src: '198.51.100.9', payload: { transport: 'tcp' } }));
  await spool.flush();
  return {
    shipper,
    spool,
    async close() {
      await shipper.stop();
      await spool.close();
      collector.closeAllConnections();
      collector.close();
    },
  };
}

test('drained() sends a batch waiting out a long back-off at once when the collector is back', async () => {
  let up = false;
  let received = 0;
  const h = await harness((_req, res) => {
    if (!up) return void res.writeHead(503).end('away');
    received++;
    stored(res);
  });
  try {
    // Refused again and again, the back-off doubles (from 100 ms) to seconds.
    while (h.shipper.stats.failures < 6) await new Promise((r) => setTimeout(r, 20));
    up = true;
    const t0 = performance.now();
    assert.equal(await h.shipper.drained(1500), true, 'shipped while draining, not after the back-off');
    assert.ok(performance.now() - t0 < 1500);
    assert.equal(received, 1);
    assert.equal(h.spool.stats.depth, 0);
  } finally {
    await h.close();
  }
});

test('drained() sends a batch again on a new connection when its request stalls (a link back from a cut)', async () => {
  let posts = 0;
  // The first batch request is never answered, as one lost on a dead connection.
  const h = await harness((_req, res) => void (posts++ === 0 || stored(res)));
  try {
    while (posts === 0) await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    assert.equal(await h.shipper.drained(DRAIN_RESEND_MS + 3000), true, 'sent again and answered while draining');
    assert.ok(performance.now() - t0 >= DRAIN_RESEND_MS - 100, 'not before the request had stalled');
    assert.equal(posts, 2);
    assert.equal(h.spool.stats.depth, 0);
  } finally {
    await h.close();
  }
});

test('a collector that refuses the sensor\'s heartbeats (revoked) is an alert in the sensor\'s log, once; heartbeats passing again are logged once', async () => {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) });
  let beats = 0;
  const h = await harness((_req, res) => stored(res), {
    heartbeatMs: 30,
    log,
    heartbeat: (res) => {
      beats++;
      if (beats <= 5) res.writeHead(403).end('sensor s1 is revoked');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    },
  });
  try {
    while (beats < 8) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    const refused = lines.filter((l) => /refuses this sensor/.test(l.msg));
    assert.equal(refused.length, 1, 'one alert for five refused heartbeats');
    assert.equal(refused[0]!.level, 50, 'error level');
    assert.match(refused[0]!.msg, /^ALERT /);
    assert.equal(lines.filter((l) => /heartbeats reach the collector again/.test(l.msg)).length, 1);
  } finally {
    await h.close();
  }
});

test('batches failing again and again are logged once per reason and minute, with the count, and the recovery once', async () => {
  const lines: { level: number; msg: string; failed?: number }[] = [];
  const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) });
  let up = false;
  const h = await harness((_req, res) => (up ? stored(res) : void res.writeHead(503).end('away')), { log });
  try {
    while (h.shipper.stats.failures < 5) await new Promise((r) => setTimeout(r, 20));
    up = true;
    assert.equal(await h.shipper.drained(5000), true);
    const failed = lines.filter((l) => /shipping a batch failed/.test(l.msg));
    assert.equal(failed.length, 1, `one line for ${h.shipper.stats.failures} failures`);
    const back = lines.filter((l) => /shipping batches works again/.test(l.msg));
    assert.equal(back.length, 1);
    assert.ok(back[0]!.failed! >= 5);
  } finally {
    await h.close();
  }
});
