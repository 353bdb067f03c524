// The collector's ingest endpoint in this process against clients that do not play fair: sockets that
// never start TLS, and an enrolled sensor sending gzip bombs as files or events with a source nested
// or sized past the bounds. Sensors are exposed to attackers, so a compromised one is a case to hold
// against, and the endpoint itself is reachable by anyone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { request } from 'node:https';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { Collector } from '../../src/collector/collector.js';
import { MAX_REMOTE_SOURCE_BYTES, MAX_REMOTE_SOURCE_DEPTH } from '../../src/collector/remote-event.js';
import { CLOCK_SKEW_ALERT_S, heartbeatKey, InflightBytes, INGEST_HANDSHAKE_TIMEOUT_MS, MAX_INGEST_CONNECTIONS_PER_SOURCE, RemoteIngest } from '../../src/collector/remote-ingest.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { CertificateAuthority, formatToken, newEnrolmentSecret, newKeyPair, tokenKey } from '../../src/transport/pki.js';
import { tempDir } from '../helpers/apiary-process.js';
import { makeEvent, nested } from '../helpers/events.js';

type Ingest = { ingest: RemoteIngest; store: SqliteStore; ca: CertificateAuthority; close(): Promise<void> };
type Credentials = { ca: string; key: string; cert: string };

async function startIngest(inflight?: InflightBytes, maxConnectionsPerSource?: number, log: pino.Logger = pino({ level: 'silent' })): Promise<Ingest> {
  const dir = tempDir();
  const ca = await CertificateAuthority.loadOrCreate(join(dir, 'ca'));
  const store = new SqliteStore(join(dir, 'apiary.db'));
  const collector = new Collector(store, log);
  const ingest = new RemoteIngest({
    host: '127.0.0.1', port: 0, ca, serverNames: ['127.0.0.1'], store, collector, log, maxBatchBytes: 8 * 1024 * 1024, silentAfterMs: 600_000,
    filesDir: join(dir, 'files'), recordingsDir: join(dir, 'recordings'), ...(inflight ? { inflight } : {}), ...(maxConnectionsPerSource ? { maxConnectionsPerSource } : {}),
  });
  await ingest.start();
  return { ingest, store, ca, close: async () => { await ingest.close(); await collector.close(); await store.close(); } };
}

function send(port: number, opts: { method: string; path: string; body: Buffer; headers?: Record<string, string>; key?: string; cert?: string; ca: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: opts.method, path: opts.path, ca: opts.ca, key: opts.key, cert: opts.cert, servername: '127.0.0.1', agent: false, headers: { 'content-length': String(opts.body.length), ...opts.headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A new enrolment token for sensor NAME, kept in the store as the CLI keeps one. */
async function newToken(c: Ingest, name: string): Promise<string> {
  const secret = newEnrolmentSecret();
  await c.store.setState(tokenKey(secret), JSON.stringify({ name, expires: new Date(Date.now() + 60_000).toISOString() }));
  return formatToken({ name, secret, caFingerprint: c.ca.fingerprint });
}

/** Enrols a new key with TOKEN; the credentials the sensor then sends with. */
async function enrol(c: Ingest, token: string): Promise<Credentials> {
  const kp = newKeyPair();
  const enrolled = await send(c.ingest.port, { method: 'POST', path: '/v1/enroll', ca: c.ca.certPem, body: Buffer.from(JSON.stringify({ token, public_key: kp.publicKey })), headers: { 'content-type': 'application/json' } });
  assert.equal(enrolled.status, 200, enrolled.body);
  return { ca: c.ca.certPem, key: kp.privateKey, cert: (JSON.parse(enrolled.body) as { cert: string }).cert };
}

test('sockets that never start TLS: one source holds at most MAX_INGEST_CONNECTIONS_PER_SOURCE, each for INGEST_HANDSHAKE_TIMEOUT_MS', { timeout: 60_000 }, async () => {
  const c = await startIngest();
  const sockets: Socket[] = [];
  try {
    const closedAt = new Map<Socket, number>();
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: c.ingest.port });
        s.on('error', () => {});
        s.on('close', () => closedAt.set(s, Date.now()));
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
    for (let i = 0; i < MAX_INGEST_CONNECTIONS_PER_SOURCE; i++) sockets.push(await open());
    const started = Date.now();
    const extra = await open();
    sockets.push(extra);
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(closedAt.has(extra), 'the connection past the cap is closed at once');
    assert.equal(sockets.slice(0, -1).filter((s) => closedAt.has(s)).length, 0, 'the others wait for their handshake');
    await new Promise((r) => setTimeout(r, INGEST_HANDSHAKE_TIMEOUT_MS + 2000 - (Date.now() - started)));
    assert.equal(sockets.filter((s) => closedAt.has(s)).length, sockets.length, 'no handshake within the timeout: closed');
  } finally {
    for (const s of sockets) s.destroy();
    await c.close();
  }
});

test('collector.max_connections_per_source sets the cap (a TCP load balancer in front gives every sensor its address)', async () => {
  const c = await startIngest(undefined, 3);
  const sockets: Socket[] = [];
  try {
    const closed = new Set<Socket>();
    for (let i = 0; i < 4; i++) {
      const s = connect({ host: '127.0.0.1', port: c.ingest.port });
      s.on('error', () => {});
      s.on('close', () => closed.add(s));
      await new Promise((r) => s.once('connect', r));
      sockets.push(s);
    }
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(sockets.map((s) => closed.has(s)), [false, false, false, true]);
  } finally {
    for (const s of sockets) s.destroy();
    await c.close();
  }
});

test('a bad key does not use up an enrolment token; an enrolled sensor sending a gzip bomb as a file is stopped at its share of the in-flight budget (503), not inflated to 64 MiB', async () => {
  const c = await startIngest(new InflightBytes(8 * 1024 * 1024, 4 * 1024 * 1024));
  try {
    const token = await newToken(c, 's1');
    // A key that is not one is refused without using the token up.
    const badKey = await send(c.ingest.port, { method: 'POST', path: '/v1/enroll', ca: c.ca.certPem, body: Buffer.from(JSON.stringify({ token, public_key: 'not a key' })), headers: { 'content-type': 'application/json' } });
    assert.equal(badKey.status, 400, badKey.body);
    const creds = await enrol(c, token);
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 10), { level: 9 });
    const sha = 'a'.repeat(64);
    const r = await send(c.ingest.port, { method: 'PUT', path: `/v1/files/${sha}`, body: bomb, headers: { 'content-encoding': 'gzip' }, ...creds });
    assert.equal(r.status, 503, r.body);
    // A real file still goes through, and nothing stays held.
    const data = Buffer.from('MZ not really a binary');
    const { createHash } = await import('node:crypto');
    const ok = await send(c.ingest.port, { method: 'PUT', path: `/v1/files/${createHash('sha256').update(data).digest('hex')}`, body: gzipSync(data), headers: { 'content-encoding': 'gzip' }, ...creds });
    assert.equal(ok.status, 201, ok.body);
  } finally {
    await c.close();
  }
});

test("an enrolled sensor's events whose source is nested past MAX_REMOTE_SOURCE_DEPTH or larger than MAX_REMOTE_SOURCE_BYTES are counted invalid and not stored; the rest of its batch is", async () => {
  const c = await startIngest();
  try {
    const creds = await enrol(c, await newToken(c, 's1'));
    const at = (s: number): ApiaryEvent => makeEvent({ type: 'connection.open', time: new Date(Date.UTC(2026, 10, 1, 0, 0, s)).toISOString(), src: '198.51.100.4', sensor: 's1', payload: { transport: 'tcp' } });
    // As the hpfeeds input of a sensor makes them: the feed's record, its ident added.
    const normal = { ...at(0), source: { format: 'hpfeeds:cowrie.sessions', record: { ident: 'cowrie-1', session: 'a1b2c3d4e5f6', credentials: ['root', '123456'] } } };
    // The source and its record are two levels: a record nested DEPTH - 1 deep is at the bound.
    const atBound = { ...at(1), source: { format: 'hpfeeds:dionaea.connections', record: nested(MAX_REMOTE_SOURCE_DEPTH - 1) } };
    const tooDeep = { ...at(2), source: { format: 'hpfeeds:dionaea.connections', record: nested(MAX_REMOTE_SOURCE_DEPTH) } };
    // Deep enough to overflow JSON.stringify's stack (so written out by hand) when the store serialises it.
    const veryDeep = JSON.stringify({ ...at(3), source: { format: 'hpfeeds:dionaea.connections', record: 0 } }).replace(/"record":0/, `"record":${'{"a":'.repeat(20_000)}0${'}'.repeat(20_000)}`);
    const tooLarge = { ...at(4), source: { format: 'hpfeeds:cowrie.sessions', record: 'x'.repeat(MAX_REMOTE_SOURCE_BYTES) } };
    const batch = gzipSync([...[normal, atBound, tooDeep].map((e) => JSON.stringify(e)), veryDeep, JSON.stringify(tooLarge)].join('\n'));
    const r = await send(c.ingest.port, { method: 'POST', path: '/v1/events', body: batch, headers: { 'content-encoding': 'gzip' }, ...creds });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), { received: 5, stored: 2, duplicates: 0, invalid: 3 });
    assert.equal(c.ingest.stats.invalidEvents, 3);
    const stored = await c.store.query({ sensor: 's1', order: 'asc' });
    assert.deepEqual(stored.map((e) => e.id), [normal.id, atBound.id]);
    assert.deepEqual(stored.map((e) => e.source), [normal.source, atBound.source]);
  } finally {
    await c.close();
  }
});

test("a sensor whose clock is off by CLOCK_SKEW_ALERT_S or more is alerted once, and its heartbeat keeps the skew", async () => {
  const lines: { alert?: string; sensor?: string; clock_skew_s?: number; msg?: string }[] = [];
  const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  const c = await startIngest(undefined, undefined, log);
  try {
    const creds = await enrol(c, await newToken(c, 's-clock'));
    const beat = async (offsetS: number): Promise<void> => {
      const hb = { version: 'x', config_hash: 'h', services: ['ssh'], spool_depth: 0, spool_dropped: 0, recorded: 0, run_id: 'r1', drop_policy: 'oldest', spool_max_bytes: 1, sent_at: new Date(Date.now() + offsetS * 1000).toISOString() };
      const r = await send(c.ingest.port, { method: 'POST', path: '/v1/heartbeat', body: Buffer.from(JSON.stringify(hb)), headers: { 'content-type': 'application/json' }, ...creds });
      assert.equal(r.status, 200, r.body);
    };
    await beat(-3 * 3600);
    await beat(-3 * 3600);
    const stored = JSON.parse((await c.store.getState(heartbeatKey('s-clock')))!) as { clock_skew_s: number };
    assert.ok(Math.abs(stored.clock_skew_s + 3 * 3600) <= 2, String(stored.clock_skew_s));
    const alerts = lines.filter((l) => l.alert === 'clock_skew');
    assert.equal(alerts.length, 1, 'once, not at every heartbeat');
    assert.match(alerts[0]!.msg!, /^ALERT sensor s-clock's clock is 108\d\d s behind this collector's: .*time sync/);
    await beat(CLOCK_SKEW_ALERT_S / 2);
    assert.ok(Math.abs((JSON.parse((await c.store.getState(heartbeatKey('s-clock')))!) as { clock_skew_s: number }).clock_skew_s) < CLOCK_SKEW_ALERT_S);
  } finally {
    await c.close();
  }
});
