// What an operator meets running a honeynet from the README: central settings that fail or are
// removed, a re-enrolment while the sensor runs, misplaced or unreadable credentials and CA files,
// a wrong collector URL. `apiary collector` and `apiary sensor` run as child processes on loopback.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLI, runCli, tempDir, waitFor, writeConfig } from '../helpers/apiary-process.js';
import { collectorSetup, freePort, sensorSetup, type Child } from '../helpers/honeynet.js';
import { startPgServer, type PgServer } from '../helpers/pg-server.js';

let server: PgServer;
let dbs = 0;
const children: Child[] = [];
const holders: Server[] = [];

before(async () => {
  server = await startPgServer({ fast: true });
});
after(async () => {
  for (const c of children) await c.kill9();
  for (const h of holders) h.close();
  server.destroy();
});

async function track(p: Promise<Child>): Promise<Child> {
  const c = await p;
  children.push(c);
  return c;
}

/** A port some other program holds on 127.0.0.1. */
async function heldPort(): Promise<number> {
  const port = await freePort();
  const s = createServer();
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  holders.push(s);
  return port;
}

describe('honeynet operations', { timeout: 240_000 }, () => {
  test('central settings that cannot start are not kept for the next start; --clear brings the config file\'s services back', async () => {
    const c = await collectorSetup({ pgUrl: server.createDatabase(`op${dbs++}`) });
    const collector = await track(c.start());
    const dmz = await sensorSetup('dmz-1', `https://127.0.0.1:${c.port}`, await c.token('dmz-1'));
    let sensor = await track(dmz.start());
    const heartbeat = async (): Promise<{ services: string[] }> =>
      (JSON.parse((await runCli(['collector', 'sensors', '--json', '--config', c.configPath])).stdout.trim()) as { heartbeat: { services: string[] } | null }).heartbeat ?? { services: [] };
    await waitFor(async () => (await heartbeat()).services.includes('ssh'), 10_000, 200);
    const set = async (services: Record<string, unknown>): Promise<void> => {
      const file = join(c.dir, `services-${Date.now()}.yaml`);
      writeFileSync(file, stringify({ services }));
      await runCli(['collector', 'settings', 'dmz-1', file, '--config', c.configPath]);
    };

    // Telnet on a port another program holds: the sensor keeps its SSH, and a restart does not run the failed settings.
    const busy = await heldPort();
    await set({ telnet: { listen: [`127.0.0.1:${busy}`] } });
    await waitFor(() => sensor.stderr().includes('could not be applied'), 15_000, 100);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(sensor.stderr().split('could not be applied').length - 1, 1, 'a refused version is not tried again at every heartbeat');
    assert.deepEqual((await heartbeat()).services, ['ssh']);
    await sensor.stop();
    sensor = await track(dmz.start());
    assert.match(sensor.stdout(), /ssh\s+listening on/, 'the restart runs what ran before the failed settings');
    assert.doesNotMatch(sensor.stdout(), /telnet/);

    // Settings that work, then --clear: back to the config file's services at the next heartbeat, and after a restart.
    const telnetPort = await freePort();
    await set({ telnet: { listen: [`127.0.0.1:${telnetPort}`], failure_delay_ms: 0 } });
    await waitFor(async () => (await heartbeat()).services.join() === 'telnet', 15_000, 200);
    const cleared = await runCli(['collector', 'settings', 'dmz-1', '--clear', '--config', c.configPath]);
    assert.match(cleared.stdout, /goes back to its config file's services at its next heartbeat/);
    await waitFor(async () => (await heartbeat()).services.join() === 'ssh', 15_000, 200);
    assert.equal(existsSync(join(dmz.spoolDir, 'applied-settings.json')), false);
    await sensor.stop();
    sensor = await track(dmz.start());
    assert.match(sensor.stdout(), /ssh\s+listening on/);
    assert.doesNotMatch(sensor.stdout(), /telnet/);
    await sensor.stop();
    await collector.stop();
  });

  test('a CA directory with ca.pem but no ca.key stops the collector with APIARY_CA; no new CA replaces it', async () => {
    const first = await collectorSetup();
    await runCli(['collector', 'enroll', 'dmz-1', '--config', first.configPath]);
    const second = await collectorSetup();
    mkdirSync(join(second.dir, 'data', 'ca'), { recursive: true });
    copyFileSync(join(first.dir, 'data', 'ca', 'ca.pem'), join(second.dir, 'data', 'ca', 'ca.pem'));
    const before = readFileSync(join(second.dir, 'data', 'ca', 'ca.pem'), 'utf8');
    const r = await runCli(['collector', 'enroll', 'dmz-1', '--config', second.configPath], { allowFail: true });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^apiary: APIARY_CA: \S+ca\.key is missing beside \S+ca\.pem: copy the whole ca directory/m);
    assert.equal(r.stdout, '', 'no token from a CA that is not the one sensors pin');
    assert.equal(readFileSync(join(second.dir, 'data', 'ca', 'ca.pem'), 'utf8'), before);
    assert.equal(existsSync(join(second.dir, 'data', 'ca', 'ca.key')), false);
  });

  test('enrolment: a URL host the collector\'s certificate does not name, and a used token, are APIARY_ENROLL with the fix', async () => {
    const c = await collectorSetup({ pgUrl: server.createDatabase(`op${dbs++}`) });
    const collector = await track(c.start());
    const token = await c.token('dmz-1');
    const byName = await sensorSetup('dmz-1', `https://localhost:${c.port}`, undefined);
    const wrong = await runCli(['sensor', 'enroll', token, '--config', byName.configPath], { allowFail: true });
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /^apiary: APIARY_ENROLL: key shipper\.collector: the collector's certificate does not name localhost \(it names IP Address:127\.0\.0\.1\): use one of those in the URL, or add localhost to the collector's collector\.server_names/m);
    assert.equal(existsSync(join(byName.dir, 'data', 'credentials', 'sensor.pem')), false);
    const stale = await c.token('dmz-1');
    const ok = await sensorSetup('dmz-1', `https://127.0.0.1:${c.port}`, token);
    // A second token made before that enrolment and left unused cannot take the name over from the running sensor.
    const thief = await sensorSetup('dmz-1', `https://127.0.0.1:${c.port}`, undefined);
    const late = await runCli(['sensor', 'enroll', stale, '--config', thief.configPath], { allowFail: true });
    assert.equal(late.code, 2);
    assert.match(late.stderr, /^apiary: APIARY_ENROLL: the collector refused the enrolment: the token was made before sensor dmz-1 was last enrolled or revoked \(\d{4}-.*Z\), and such tokens no longer enrol it; /m);
    assert.equal(existsSync(join(thief.dir, 'data', 'credentials', 'sensor.pem')), false);
    const again = await runCli(['sensor', 'enroll', token, '--config', ok.configPath], { allowFail: true });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /^apiary: APIARY_ENROLL: the collector refused the enrolment: unknown, used or expired enrolment token; a token is used once and expires \(collector\.token_ttl_s\): make a new one with "apiary collector enroll dmz-1" there$/m);
    await collector.stop();
  });

  test('a sensor whose credentials its user cannot read stops with APIARY_ENROLL naming the file and the chown, not "not enrolled"', async () => {
    const c = await collectorSetup();
    const enrolling = await track(c.start());
    const dmz = await sensorSetup('dmz-1', `https://127.0.0.1:${c.port}`, await c.token('dmz-1'));
    await enrolling.stop();
    // As root (as CI runs), the sensor runs as nobody over a data directory that is nobody's but for
    // the credentials, as when `apiary sensor enroll` ran as root; otherwise the key is made unreadable.
    const root = process.getuid?.() === 0;
    const cred = join(dmz.dir, 'data', 'credentials');
    if (root) {
      const nobody = Number(execFileSync('id', ['-u', 'nobody']).toString());
      chmodSync(dmz.dir, 0o755);
      for (const d of ['data', 'data/spool']) {
        mkdirSync(join(dmz.dir, d), { recursive: true });
        chownSync(join(dmz.dir, d), nobody, -1);
      }
    } else chmodSync(join(cred, 'sensor.key'), 0);
    const argv = [process.execPath, CLI, 'sensor', '--config', dmz.configPath];
    let stderr = '';
    let status = 0;
    try {
      execFileSync(root ? 'runuser' : argv[0]!, root ? ['-u', 'nobody', '--', ...argv] : argv.slice(1), { stdio: 'pipe', timeout: 30_000 });
    } catch (err) {
      const e = err as { status: number; stderr: Buffer };
      status = e.status;
      stderr = e.stderr.toString();
    }
    assert.equal(status, 2, stderr);
    assert.match(stderr, /^apiary: APIARY_ENROLL: \S+credentials\/sensor\.key cannot be used \(EACCES\); apiary runs as \S+ here: give it the directory \(chown -R \S+ \S+credentials\)/m);
    assert.doesNotMatch(stderr, /not enrolled|internal error/);
  });

  test('a sensor enrolled again while it runs ships with its new certificate, without a restart', async () => {
    const url = server.createDatabase(`op${dbs++}`);
    const c = await collectorSetup({ pgUrl: url });
    const collector = await track(c.start());
    const dmz = await sensorSetup('dmz-1', `https://127.0.0.1:${c.port}`, await c.token('dmz-1'));
    const sensor = await track(dmz.start());
    await waitFor(async () => (await runCli(['collector', 'sensors', '--config', c.configPath])).stdout.includes('dmz-1\tenrolled\t2'), 10_000, 200);
    const table = (await runCli(['collector', 'sensors', '--config', c.configPath])).stdout.split('\n');
    assert.equal(table[0], 'sensor\tstate\tlast heartbeat\tversion\tspool\tdropped\tclock');
    assert.match(table[1]!, /^dmz-1\tenrolled\t\d{4}-\S+Z\t\S+\t\d+\t0\t(?:ok|[+-]?\d+ s)$/);
    await runCli(['collector', 'revoke', 'dmz-1', '--config', c.configPath]);
    await waitFor(() => sensor.stderr().includes('ALERT the collector refuses this sensor'), 10_000, 100);
    assert.match(sensor.stderr(), /which this sensor takes at its next heartbeat/);
    await runCli(['sensor', 'enroll', await c.token('dmz-1'), '--config', dmz.configPath]);
    await waitFor(() => sensor.stderr().includes('new credentials found'), 10_000, 100);
    await waitFor(() => sensor.stderr().includes('heartbeats reach the collector again'), 10_000, 100);
    await sensor.stop();
    assert.match(sensor.stdout(), /all shipped/, 'what waited in the spool while revoked is shipped with the new certificate');
    await collector.stop();
  });
});
