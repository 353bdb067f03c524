// outputs.syslog: committed events reach a SIEM's syslog receiver (RFC 5424 over UDP, CEF over TCP)
// from a live SSH login attempt with a hostile user name; every message is one line within its size
// cap and its fields read back exactly, whatever the attacker strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import fc from 'fast-check';
import { MAX_SYSLOG_BYTES } from '../../src/alerts/format.js';
import { validateConfig } from '../../src/config/load.js';
import { cefText, formatEventCef, formatEventRfc5424, MAX_CEF_FIELD_CHARS, SyslogOutput } from '../../src/collector/syslog-output.js';
import { maskedEvent } from '../../src/events/mask.js';
import { MAX_SYSLOG_UNSENT_BYTES } from '../../src/alerts/syslog.js';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { startApiaryProcess, waitFor } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';
import ssh2 from 'ssh2';

/** One password attempt with the ssh2 client (OpenSSH refuses user names like HOSTILE_USER). */
function sshAttempt(port: number, username: string, password: string): Promise<void> {
  return new Promise((resolve) => {
    const c = new ssh2.Client();
    c.on('error', () => resolve());
    c.on('ready', () => (c.end(), resolve()));
    c.on('close', () => resolve());
    c.connect({ host: '127.0.0.1', port, username, password, readyTimeout: 10_000 });
  });
}

/** The test's own reader of an RFC 5424 line: header fields, structured-data params, message. */
function parse5424(line: string): { pri: number; msgid: string; sd: Record<string, string>; msg: string } {
  const m = /^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) \[(\S+)((?: [a-z]+="(?:[^"\\\]]|\\.)*")*)\] (.*)$/s.exec(line);
  assert.ok(m, line);
  const sd: Record<string, string> = {};
  for (const p of m[8]!.matchAll(/ ([a-z]+)="((?:[^"\\\]]|\\.)*)"/g)) sd[p[1]!] = p[2]!.replace(/\\(.)/g, '$1');
  return { pri: Number(m[1]), msgid: m[6]!, sd, msg: m[9]! };
}

/** The test's own reader of a CEF extension (values unescaped). */
function parseCefExtension(cef: string): Record<string, string> {
  // Seven header fields end in unescaped pipes; the extension may hold pipes of its own.
  const header = /^(?:(?:[^|\\]|\\.)*\|){7}/s.exec(cef);
  assert.ok(header, cef);
  const out: Record<string, string> = {};
  for (const p of cef.slice(header[0].length).matchAll(/(\w+)=((?:[^\\=]|\\.)*?)(?= \w+=|$)/gs)) {
    out[p[1]!] = p[2]!.replace(/\\(r|n|.)/g, (_, c: string) => (c === 'r' ? '\r' : c === 'n' ? '\n' : c));
  }
  return out;
}

const HOSTILE_USER = 'ro"o]t\\x=y|z';

test('live: an SSH login attempt reaches a UDP syslog receiver as RFC 5424, the hostile user name intact', async () => {
  const got: string[] = [];
  const udp = createSocket('udp4');
  udp.on('message', (m) => got.push(m.toString('utf8')));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  const apiary = await startApiaryProcess({
    sensor: 'syslog-test',
    services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0 } },
    outputs: { syslog: { host: '127.0.0.1', port: udp.address().port, types: ['auth.attempt'] } },
  });
  try {
    assert.match(apiary.stdout(), new RegExp(`^  output   syslog udp 127\\.0\\.0\\.1:${udp.address().port} rfc5424 \\(only auth\\.attempt\\)$`, 'm'), 'the banner names the output');
    await sshAttempt(apiary.ports.ssh!, HOSTILE_USER, 'wrong-password');
    await waitFor(() => got.length > 0, 10_000);
    const m = parse5424(got[0]!);
    assert.equal(m.msgid, 'auth.attempt', 'only the types asked for');
    assert.equal(m.pri, 16 * 8 + 5, 'local0, notice: a failed login');
    assert.equal(m.sd.src, '127.0.0.1');
    assert.equal(m.sd.sensor, 'syslog-test');
    const payload = JSON.parse(m.msg) as { username: string; success: boolean };
    assert.equal(payload.username, HOSTILE_USER);
    assert.equal(payload.success, false);
    assert.ok(got.every((g) => parse5424(g).msgid === 'auth.attempt'));
  } finally {
    await apiary.stop();
    udp.close();
  }
});

test('live: CEF over TCP (octet-counted frames), with suser and outcome mapped', async () => {
  let buf = '';
  const server = createServer((s) => s.on('data', (d) => (buf += d.toString('utf8'))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const apiary = await startApiaryProcess({
    sensor: 'syslog-cef',
    services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0 } },
    outputs: { syslog: { host: '127.0.0.1', port: (server.address() as AddressInfo).port, protocol: 'tcp', format: 'cef' } },
  });
  try {
    await sshAttempt(apiary.ports.ssh!, HOSTILE_USER, 'wrong-password');
    const frames = (): string[] => {
      const out: string[] = [];
      let rest = buf;
      for (let m = /^(\d+) /.exec(rest); m; m = /^(\d+) /.exec(rest)) {
        const body = Buffer.from(rest.slice(m[0].length), 'utf8');
        const len = Number(m[1]);
        if (body.length < len) break;
        out.push(body.subarray(0, len).toString('utf8'));
        rest = body.subarray(len).toString('utf8');
      }
      return out;
    };
    await waitFor(() => frames().some((f) => f.includes('|auth.attempt|')), 10_000);
    const line = frames().find((f) => f.includes('|auth.attempt|'))!;
    const ext = parseCefExtension(parse5424(line).msg);
    assert.equal(ext.suser, HOSTILE_USER);
    assert.equal(ext.outcome, 'failure');
    assert.equal(ext.src, '127.0.0.1');
    assert.ok(frames().some((f) => f.includes('|connection.open|')), 'all types by default');
    // Decoy secrets leave masked.
    const planted = frames().filter((f) => f.includes('|honeytoken.planted|')).map((f) => JSON.parse(parseCefExtension(parse5424(f).msg).msg!) as { secret: string });
    assert.ok(planted.length > 0);
    assert.ok(planted.every((p) => /^.{0,2}\*+.?$/.test(p.secret)), JSON.stringify(planted));
  } finally {
    await apiary.stop();
    server.close();
  }
});

test('any attacker strings: one line, within the cap, fields read back exactly', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 300 }), fc.string({ maxLength: 40 }), (user, input, session) => {
      const events: ApiaryEvent[] = [
        { ...makeEvent({ type: 'auth.attempt', time: '2026-01-01T00:00:00.000Z', src: '198.51.100.7', payload: { method: 'password', username: user, password: input, success: false } }), session },
        makeEvent({ type: 'command.input', time: '2026-01-01T00:00:01.000Z', src: '198.51.100.7', payload: { input } }),
      ];
      for (const e of events) {
        const line = formatEventRfc5424(e, { facility: 16, hostname: 'h' });
        assert.ok(!/[\r\n]/.test(line));
        assert.ok(Buffer.byteLength(line) <= MAX_SYSLOG_BYTES);
        if (Buffer.byteLength(line) < MAX_SYSLOG_BYTES) {
          const m = parse5424(line);
          assert.equal(m.sd.session, e.session);
          assert.deepEqual(JSON.parse(m.msg), e.payload);
        }
        const cef = formatEventCef(e, '1.0');
        assert.ok(!/[\r\n]/.test(cef));
        const ext = parseCefExtension(cef);
        assert.equal(ext.cs1, e.session);
        assert.deepEqual(JSON.parse(ext.msg!), e.payload);
        if (e.type === 'auth.attempt') assert.equal(ext.suser, cefText(user.slice(0, MAX_CEF_FIELD_CHARS)));
        assert.ok(!/[\x00-\x1f\x7f-\x9f\u2028\u2029]/.test(cef), 'no control or line-separator character goes out raw');
      }
    }),
    { numRuns: 300 },
  );
});

test('config: the receiver must be an IP address and the types real event types, each refusal naming its key', () => {
  assert.throws(() => validateConfig({ outputs: { syslog: { host: 'siem.example.com' } } }), /outputs\.syslog\.host: an IP address/);
  assert.throws(() => validateConfig({ outputs: { syslog: { host: '192.0.2.20', types: ['auth.attmept'] } } }), /outputs\.syslog\.types\[0\]: an event type/);
  assert.throws(() => validateConfig({ outputs: { syslog: { host: '192.0.2.20', colour: 'red' } } }), /colour/);
});

test('a TCP receiver that stops reading costs dropped messages and a log line, not memory', async () => {
  const held: import('node:net').Socket[] = [];
  const server = createServer((sock) => {
    sock.pause();
    held.push(sock);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const errors: string[] = [];
  const out = new SyslogOutput(
    { host: '127.0.0.1', port: (server.address() as AddressInfo).port, protocol: 'tcp', format: 'rfc5424', facility: 16, hostname: 'h', version: '1' },
    (e) => errors.push(e.message),
  );
  try {
    const e = makeEvent({ type: 'command.input', time: '2026-01-01T00:00:00.000Z', src: '198.51.100.7', payload: { input: 'x'.repeat(4000) } });
    out.write([e]);
    await waitFor(() => held.length === 1, 5000);
    // About 40 MB offered, ten times the cap, in batches as the collector hands them over.
    for (let i = 0; i < 100; i++) {
      out.write(Array.from({ length: 100 }, () => e));
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(out.dropped > 0, 'messages past the cap are dropped');
    assert.ok(errors.some((m) => /not sent/.test(m)), errors.join('\n'));
    assert.ok(process.memoryUsage().rss < 1024 * 1024 * 1024);
    // Offered 40 MB: at most the cap waits in the sender, and the kernel's socket buffers (a few MB
    // each way on loopback) hold some more; everything else must have been dropped.
    assert.ok(out.dropped * 4000 > 40e6 - MAX_SYSLOG_UNSENT_BYTES - 16e6, `only about the cap is buffered (${out.dropped} dropped)`);
    const t0 = Date.now();
    await out.close();
    assert.ok(Date.now() - t0 < 5000, 'stopping does not wait for a receiver that never reads');
  } finally {
    for (const s2 of held) s2.destroy();
    await out.close();
    server.close();
  }
});

test('decoy secrets are masked wherever they appear, and fixed CEF fields survive a long attacker string', () => {
  const planted = makeEvent({ type: 'honeytoken.planted', time: '2026-01-01T00:00:00.000Z', src: '0.0.0.0', payload: { token_id: 'e24d0a592b16c702', kind: 'ssh', username: 'ubuntu', secret: 'Rocket1192', host: '10.0.0.2', locations: ['/root/.bash_history'] } });
  const tried = makeEvent({ type: 'auth.attempt', time: '2026-01-01T00:00:01.000Z', src: '198.51.100.7', payload: { method: 'password', username: 'ubuntu', password: 'Rocket1192', success: true } });
  const typed = makeEvent({ type: 'command.input', time: '2026-01-01T00:00:02.000Z', src: '198.51.100.7', payload: { input: 'sshpass -p Rocket1192 ssh ubuntu@10.0.0.2' } });
  const sent: string[] = [];
  const out = new SyslogOutput({ host: '127.0.0.1', port: 9, protocol: 'udp', format: 'rfc5424', facility: 16, hostname: 'h', version: '1' }, () => {});
  (out as unknown as { sender: { send(m: string): void } }).sender.send = (m: string) => void sent.push(m);
  out.write([planted, tried, typed]);
  assert.equal(sent.length, 3);
  assert.ok(sent.every((m) => !m.includes('Rocket1192')), sent.join('\n'));
  assert.ok(sent[1]!.includes('Ro*******2'));
  // The unchanged event is passed through as it is.
  assert.equal(maskedEvent(typed, new Set()), typed);

  const longUrl = makeEvent({ type: 'file.download', time: '2026-01-01T00:00:03.000Z', src: '198.51.100.7', payload: { url: `http://x/${'é'.repeat(3000)}`, sha256: 'a'.repeat(64), outcome: 'stored' } });
  const ext = parseCefExtension(formatEventCef(longUrl, '1').slice(0, MAX_SYSLOG_BYTES));
  assert.equal(ext.fileHash, 'a'.repeat(64));
  assert.equal(ext.outcome, 'stored');
});
