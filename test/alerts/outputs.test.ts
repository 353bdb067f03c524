// Alert outputs under bad conditions: huge, endless and malformed webhook answers, failing receivers,
// syslog down (UDP and TCP), and message formats that attacker-influenced text cannot break.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import fc from 'fast-check';
import { MAX_WEBHOOK_RESPONSE_BYTES, sendWebhook } from '../../src/alerts/webhook.js';
import { SyslogSender } from '../../src/alerts/syslog.js';
import { buildAlert, formatCef, formatRfc5424, MAX_SYSLOG_BYTES, type Alert } from '../../src/alerts/format.js';
import { AlertRateLimiter } from '../../src/alerts/alert-manager.js';
import { emptyActivity } from '../../src/analysis/incidents.js';
import type { IncidentRecord } from '../../src/store/store.js';

async function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

function incident(over: Partial<IncidentRecord> = {}): IncidentRecord {
  return {
    id: '01J00000000000000000000000', src_ip: '127.0.0.7', scope: 'internal', country: null, first_seen: '2026-01-01T00:00:00.000Z',
    last_seen: '2026-01-01T00:00:01.000Z', kind: 'scan', severity: 'high', status: 'new', notes: [],
    activity: { ...emptyActivity(), events: 3, sensors: ['s1'], protocols: ['ssh'] }, alerted_at: null, ...over,
  };
}

const alert: Alert = buildAlert(incident(), 'internal_source', new Date('2026-01-01T00:00:02Z'));

test('webhook: a huge or endless answer is read only up to the limit, then dropped', async () => {
  const server = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(64 * 1024, 0x78);
    // Endless body: only the client hanging up stops it.
    const pump = (): void => {
      while (res.write(chunk)) { /* fill the socket buffer */ }
    };
    res.on('drain', pump);
    res.on('close', () => res.off('drain', pump));
    pump();
  });
  const port = await listen(server);
  try {
    const t0 = Date.now();
    const r = await sendWebhook(alert, { url: `http://127.0.0.1:${port}/`, timeoutMs: 5000, retries: 0 });
    assert.equal(r.ok, true);
    assert.equal(r.body?.length, MAX_WEBHOOK_RESPONSE_BYTES);
    assert.ok(Date.now() - t0 < 3000, 'did not wait for the endless body');
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('webhook: malformed HTTP answers, 500s and silence are retried, then reported as failed; never thrown', async () => {
  let garbageHits = 0;
  const garbage = createTcpServer((s) => {
    garbageHits++;
    s.on('data', () => s.end('\x00\xffHTTP/9 ???\r\n\r\n<<<not http>>>'));
  });
  const gport = await listen(garbage);
  let fails = 0;
  const failing = createHttpServer((_req, res) => {
    fails++;
    res.writeHead(fails < 3 ? 500 : 204);
    res.end();
  });
  const fport = await listen(failing);
  const silent = createTcpServer(() => {});
  const sport = await listen(silent);
  try {
    const g = await sendWebhook(alert, { url: `http://127.0.0.1:${gport}/`, timeoutMs: 2000, retries: 2, backoffMs: 10 });
    assert.equal(g.ok, false);
    assert.equal(g.attempts, 3);
    assert.equal(garbageHits, 3);
    assert.ok(g.error);
    const f = await sendWebhook(alert, { url: `http://127.0.0.1:${fport}/`, timeoutMs: 2000, retries: 3, backoffMs: 10 });
    assert.deepEqual([f.ok, f.attempts, f.status], [true, 3, 204], 'two 500s then success');
    const s = await sendWebhook(alert, { url: `http://127.0.0.1:${sport}/`, timeoutMs: 300, retries: 1, backoffMs: 10 });
    assert.equal(s.ok, false);
    assert.match(s.error ?? '', /no answer within 300 ms/);
    const closed = await sendWebhook(alert, { url: 'http://127.0.0.1:1/', timeoutMs: 500, retries: 1, backoffMs: 10 });
    assert.equal(closed.ok, false);
    assert.match(closed.error ?? '', /ECONNREFUSED/);
  } finally {
    garbage.close();
    failing.close();
    silent.close();
  }
});

test('syslog over TCP: octet-counted frames, CEF inside; a receiver that is down costs only errors', async () => {
  let data = '';
  const receiver = createTcpServer((s) => s.setEncoding('utf8').on('data', (d: string) => (data += d)));
  const port = await listen(receiver);
  const errors: Error[] = [];
  const sender = new SyslogSender({ host: '127.0.0.1', port, protocol: 'tcp' }, (e) => errors.push(e));
  const msg = formatRfc5424(alert, { facility: 16, hostname: 'h' }, formatCef(alert, '0.1.0'));
  sender.send(msg);
  sender.send(msg);
  const deadline = Date.now() + 3000;
  while (data.length < 2 * msg.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await sender.close();
  receiver.close();
  const frameLen = Buffer.byteLength(msg);
  assert.equal(data, `${frameLen} ${msg}${frameLen} ${msg}`);
  assert.match(msg, /CEF:0\|Apiary\|Apiary\|0\.1\.0\|incident\.scan\|scan from internal source\|8\|rt=\d+ src=127\.0\.0\.7 /);
  assert.deepEqual(errors, []);

  const downErrors: Error[] = [];
  const down = new SyslogSender({ host: '127.0.0.1', port: 1, protocol: 'tcp' }, (e) => downErrors.push(e));
  for (let i = 0; i < 5; i++) down.send(msg);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(/ECONNREFUSED/.test(downErrors[0]!.message));
  assert.equal(downErrors.length, 1, 'one connection attempt, one error line: the next waits out its back-off');
  for (let i = 0; i < 5; i++) down.send(msg);
  assert.equal(down.dropped, 0, 'kept (bounded) for the next attempt');
  await down.close();
  assert.equal(down.dropped, 10, 'what never reached a receiver is counted when stopping');
  const udpErrors: Error[] = [];
  const udpDown = new SyslogSender({ host: '127.0.0.1', port: 1, protocol: 'udp' }, (e) => udpErrors.push(e));
  for (let i = 0; i < 3; i++) udpDown.send(msg);
  await new Promise((r) => setTimeout(r, 200));
  await udpDown.close();
});

test('syslog and CEF formats stay well-formed whatever text they carry', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 3000 }), fc.string({ maxLength: 40 }), (text, host) => {
      const a = { ...alert, summary: text, country: text.slice(0, 5), src_ip: text.slice(0, 40) };
      const line = formatRfc5424(a, { facility: 16, hostname: host });
      assert.ok(Buffer.byteLength(line) <= MAX_SYSLOG_BYTES);
      assert.ok(!/[\r\n]/.test(line));
      // The structured data element still closes where it should: every ] inside a value is escaped.
      const m = /^<\d+>1 \S+ \S+ \S+ \S+ incident (\[apiary@32473(?: \w+="(?:[^"\\\]]|\\.)*")*\])/.exec(line);
      assert.ok(m, line.slice(0, 200));
      const cef = formatCef(a, '1|x');
      assert.ok(!/[\r\n]/.test(cef));
      const header = /^CEF:0((?:\|(?:[^|\\]|\\.)*){6})\|(.*)$/s.exec(cef);
      assert.ok(header, 'seven header fields, then the extension');
      assert.equal(header[1]!.split(/(?<!\\)\|/).length, 7);
      assert.match(header[2]!, /^rt=\d+ src=/);
    }),
    { numRuns: 500 },
  );
});

test('rate limits: per source per hour and global per minute', () => {
  const rl = new AlertRateLimiter(2, 3);
  const t = 1_000_000;
  assert.equal(rl.take('a', t), true);
  assert.equal(rl.take('a', t + 1), true);
  assert.equal(rl.take('a', t + 2), false, 'third alert from one source in the hour');
  assert.equal(rl.take('b', t + 3), true);
  assert.equal(rl.take('c', t + 4), false, 'fourth alert in the minute');
  assert.equal(rl.take('c', t + 61_000), true);
  assert.equal(rl.take('a', t + 3_600_001), true);
});
