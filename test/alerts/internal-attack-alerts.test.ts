// An internal host (an ssh client bound to 127.0.0.x, listed in networks.internal) attacks the live SSH
// sensor: exactly one alert per incident reaches the test's webhook receiver and its syslog socket,
// within a second of the incident's first event. A non-internal low-severity source raises none. On
// SQLite the analysis runs on the main thread; on PostgreSQL in its own thread (src/cli/analysis.ts).
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { runCli, startApiaryProcess, waitFor } from '../helpers/apiary-process.js';
import { run, SSH_OPTS } from '../helpers/ssh-tools.js';
import { startPgServer, type PgServer } from '../helpers/pg-server.js';

let pg: PgServer;
before(async () => {
  pg = await startPgServer({ fast: true });
});
after(() => pg.destroy());

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    req.setEncoding('utf8').on('data', (d: string) => (s += d)).on('end', () => resolve(s));
  });
}

function sshFrom(bind: string, port: number, password: string) {
  return run('sshpass', ['-p', password, 'ssh', ...SSH_OPTS, '-b', bind, '-p', String(port), `root@127.0.0.1`, 'true'], { timeoutMs: 20_000 });
}

async function internalAttack(t: TestContext, store?: Record<string, unknown>): Promise<void> {
  const hooks: { at: number; body: Record<string, unknown> }[] = [];
  const web = createServer(async (req, res) => {
    hooks.push({ at: Date.now(), body: JSON.parse(await readBody(req)) as Record<string, unknown> });
    res.end('ok');
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const syslog: { at: number; msg: string }[] = [];
  const udp = createSocket('udp4');
  udp.on('message', (m) => syslog.push({ at: Date.now(), msg: m.toString('utf8') }));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  const apiary = await startApiaryProcess({
    sensor: 'alert-test',
    ...(store ? { store } : {}),
    auth: [{ user: 'root', password: 'Tr0ub4dor&3', allow: true }],
    networks: { internal: ['127.0.0.7/32', '127.0.0.8/32'] },
    services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0 } },
    alerts: {
      min_severity: 'high',
      webhook: { url: `http://127.0.0.1:${(web.address() as AddressInfo).port}/hook`, retries: 1 },
      syslog: { host: '127.0.0.1', port: (udp.address() as AddressInfo).port, protocol: 'udp' },
    },
  });
  try {
    const port = apiary.ports.ssh!;
    // Host .7 tries three passwords over three connections; host .8 tries one; 127.0.0.1 (not internal) tries one.
    for (const pw of ['123456', 'password', 'letmein']) await sshFrom('127.0.0.7', port, pw);
    await sshFrom('127.0.0.8', port, 'admin');
    await sshFrom('127.0.0.1', port, 'root');
    await waitFor(() => hooks.length >= 2 && syslog.length >= 2, 5000);
    // Anything more would be a duplicate: give it time to show up.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(hooks.length, 2, `one webhook alert per internal incident: ${JSON.stringify(hooks.map((h) => h.body.src_ip))}`);
    assert.equal(syslog.length, 2, 'one syslog alert per internal incident');
    assert.deepEqual(hooks.map((h) => h.body.src_ip).sort(), ['127.0.0.7', '127.0.0.8']);
    for (const h of hooks) {
      t.diagnostic(`webhook alert for ${String(h.body.src_ip)} ${h.at - Date.parse(String(h.body.first_seen))} ms after the incident's first event`);
      assert.equal(h.body.scope, 'internal');
      assert.equal(h.body.reason, 'internal_source');
      assert.equal(h.body.severity, 'high');
      assert.ok(h.at - Date.parse(String(h.body.first_seen)) < 1000, `webhook alert within a second (${h.at - Date.parse(String(h.body.first_seen))} ms)`);
    }
    for (const s of syslog) {
      assert.match(s.msg, /^<131>1 \S+ \S+ apiary \d+ incident \[apiary@32473 incident="[0-9A-Z]{26}" src="127\.0\.0\.[78]" scope="internal" kind="\w+" severity="high"/);
    }
    assert.equal(apiary.stderr().split('\n').filter((l) => l.includes('"msg":"ALERT ')).length, 2, 'one log line per alert');
    const first = Math.min(...hooks.map((h) => Date.parse(String(h.body.first_seen))));
    assert.ok(Math.min(...syslog.map((s) => s.at)) - first < 1000, 'syslog alert within a second');
  } finally {
    await apiary.stop();
    web.close();
    udp.close();
  }
  const { stdout } = await runCli(['incidents', '--config', apiary.configPath, '--json']);
  const incidents = stdout.trim().split('\n').map((l) => JSON.parse(l) as { src_ip: string; scope: string; alerted_at: string | null; activity: { connections: number } });
  const byIp = new Map(incidents.map((i) => [i.src_ip, i]));
  assert.equal(incidents.length, 3);
  assert.equal(byIp.get('127.0.0.7')!.activity.connections, 3, 'three connections, one incident');
  assert.ok(byIp.get('127.0.0.7')!.alerted_at);
  assert.equal(byIp.get('127.0.0.1')!.scope, 'private');
  assert.equal(byIp.get('127.0.0.1')!.alerted_at, null);
  const internalOnly = await runCli(['incidents', '--config', apiary.configPath, '--internal']);
  assert.match(internalOnly.stdout, /2 incidents/);
}

test('internal sources attacking a live sensor: one alert per incident on webhook and syslog, within a second', (t) => internalAttack(t));

test('the same on PostgreSQL, with incident tracking and alerts in the analysis thread', (t) =>
  internalAttack(t, { kind: 'postgres', postgres: { url: pg.createDatabase('alerts'), pool_size: 4 } }));
