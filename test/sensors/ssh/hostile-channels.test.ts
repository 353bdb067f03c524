// Hostile channel parameters after a login: a packet size of 0 (ssh2 alone never finishes writing to
// such a channel: the process hung and ran out of memory), a window that never opens while the client
// keeps asking for output, and more channels than OpenSSH's MaxSessions. The connection is cut or the
// channel refused; the process keeps serving. ssh2's client on 127.0.0.1, with its channel-open
// parameters changed as an attacker's client would send them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ssh2 from 'ssh2';
import { startApiaryProcess, waitFor, type ApiaryProcess } from '../../helpers/apiary-process.js';
import { sshWithPassword } from '../../helpers/ssh-tools.js';
import { MAX_OPEN_CHANNELS, MIN_CLIENT_PACKET_BYTES } from '../../../src/sensors/ssh/channel-limits.js';

const CONFIG = {
  auth: [{ user: 'root', password: 'letmein', allow: true }],
  services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0 } },
};

/** A logged-in ssh2 client whose session channels announce WINDOW and PACKET (undefined: ssh2's own). */
function login(port: number, window?: number, packet?: number): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once('ready', () => {
      const proto = (client as unknown as { _protocol: { session(chan: number, win: number, max: number): void } })._protocol;
      const session = proto.session.bind(proto);
      proto.session = (chan, win, max) => session(chan, window ?? win, packet ?? max);
      resolve(client);
    });
    client.once('error', reject);
    client.connect({ host: '127.0.0.1', port, username: 'root', password: 'letmein', readyTimeout: 10_000 });
  });
}

/** Resolves when CLIENT's connection has closed, or rejects after MS. */
function closed(client: ssh2.Client, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`connection still open after ${ms} ms`)), ms);
    client.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

async function stillServes(apiary: ApiaryProcess): Promise<void> {
  const ok = await sshWithPassword(apiary.ports.ssh!, 'root', 'letmein', 'echo alive');
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /alive/);
  assert.equal(apiary.proc.exitCode, null, 'still running');
}

test('a channel announcing a packet size of 0 or 1 ends its connection, recorded; the sensor keeps serving', async () => {
  const apiary = await startApiaryProcess(CONFIG);
  try {
    for (const packet of [0, 1, MIN_CLIENT_PACKET_BYTES - 1]) {
      const client = await login(apiary.ports.ssh!, undefined, packet);
      client.on('error', () => {});
      const end = closed(client, 10_000);
      client.shell((err, stream) => {
        if (!err) stream.on('error', () => {}).resume();
      });
      await end;
    }
    await stillServes(apiary);
    await apiary.stop();
    const events = await apiary.events();
    const malformed = events.filter((e) => e.type === 'protocol.malformed').map((e) => String(e.reason));
    assert.deepEqual(malformed, [0, 1, MIN_CLIENT_PACKET_BYTES - 1].map((n) => `channel packet size ${n} below ${MIN_CLIENT_PACKET_BYTES}`));
    assert.equal(events.filter((e) => e.type === 'connection.close' && e.reason === 'policy').length, 3);
  } finally {
    await apiary.stop();
  }
});

test("output the client's window never lets out ends the connection once past the unsent limit", async () => {
  const apiary = await startApiaryProcess(CONFIG);
  try {
    const client = await login(apiary.ports.ssh!, 0);
    client.on('error', () => {});
    const end = closed(client, 30_000);
    const stream = await new Promise<ssh2.ClientChannel>((resolve, reject) => client.shell((err, s) => (err ? reject(err) : resolve(s))));
    stream.on('error', () => {});
    // Each line asks for about 64 KB of output; none of it can be sent. Stops when the sensor cuts the connection.
    let open = true;
    void end.then(() => (open = false), () => (open = false));
    for (let i = 0; i < 200 && open; i++) {
      stream.write(`printf '%65000s\\n' x\n`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await end;
    await stillServes(apiary);
    await apiary.stop();
    const events = await apiary.events();
    assert.equal(events.filter((e) => e.type === 'connection.close' && e.reason === 'policy').length, 1);
  } finally {
    await apiary.stop();
  }
});

test(`channels past ${MAX_OPEN_CHANNELS} open at once are refused; closing one lets another open`, async () => {
  const apiary = await startApiaryProcess(CONFIG);
  try {
    const client = await login(apiary.ports.ssh!);
    const shell = (): Promise<ssh2.ClientChannel | Error> => new Promise((resolve) => client.shell((err, s) => resolve(err ?? s.on('error', () => {}).resume())));
    const opened: (ssh2.ClientChannel | Error)[] = [];
    for (let i = 0; i < MAX_OPEN_CHANNELS + 2; i++) opened.push(await shell());
    const ok = opened.filter((c): c is ssh2.ClientChannel => !(c instanceof Error));
    assert.equal(ok.length, MAX_OPEN_CHANNELS);
    assert.ok(opened.slice(MAX_OPEN_CHANNELS).every((c) => c instanceof Error && /open failure/i.test(c.message)));
    const first = ok[0]!;
    const gone = new Promise((r) => first.once('close', r));
    first.end('exit\n');
    await gone;
    await waitFor(async () => !((await shell()) instanceof Error), 5000);
    client.end();
    await stillServes(apiary);
  } finally {
    await apiary.stop();
  }
});
