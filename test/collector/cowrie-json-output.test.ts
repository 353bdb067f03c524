// The cowrie_json output: Apiary's SSH/Telnet events written as Cowrie 3.x JSON lines, and the round
// trip events -> cowrie_json -> `apiary import cowrie` -> the same events.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { ApiaryEvent, EventType, Payload } from '../../src/events/catalogue.js';
import { createSessionEmitter, type EventSink } from '../../src/events/emitter.js';
import { toCowrie } from '../../src/collector/cowrie-json-output.js';
import { BatchWriter } from '../../src/importers/core/import-core.js';
import { CowrieRun } from '../../src/importers/cowrie/cowrie-importer.js';
import { runCli, startApiaryProcess, writeConfig } from '../helpers/apiary-process.js';
import { sshWithPassword } from '../helpers/ssh-tools.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { canonicalIp } from '../../src/enrich/networks.js';
import { removeScratch, scratchDir } from '../helpers/scratch.js';

after(removeScratch);

/** What must survive a round trip: everything but the id (and the importer's added source), as stored (JSON). */
function comparable(e: ApiaryEvent): Omit<ApiaryEvent, 'id' | 'source'> {
  const { id: _id, source: _source, ...rest } = e;
  return JSON.parse(JSON.stringify(rest)) as Omit<ApiaryEvent, 'id' | 'source'>;
}

async function importCowrie(path: string): Promise<ApiaryEvent[]> {
  const got: ApiaryEvent[] = [];
  const writer = new BatchWriter(async (events) => {
    got.push(...events);
    return events.length;
  });
  const run = new CowrieRun(writer, { recordingsDir: scratchDir('apiary-rec-') });
  const report = await run.importFile(path);
  await run.finish();
  assert.equal(report.skippedCount, 0, JSON.stringify([...report.skipped]));
  return got.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('hex'));
const text = fc.string({ maxLength: 40 });
const payloads: { [T in EventType]?: fc.Arbitrary<Payload<T>> } = {
  'client.version': fc.record({ version: fc.stringMatching(/^SSH-2\.0-[A-Za-z0-9_.]{1,20}$/), comments: fc.option(text, { nil: undefined }) }, { requiredKeys: ['version'] }),
  'client.kex': fc.record({
    hassh: hex(16),
    hassh_algorithms: text,
    kex_algs: fc.array(text, { maxLength: 3 }),
    key_algs: fc.array(text, { maxLength: 3 }),
    enc_cs: fc.array(text, { maxLength: 3 }),
    mac_cs: fc.array(text, { maxLength: 3 }),
    comp_cs: fc.array(text, { maxLength: 3 }),
  }),
  'auth.attempt': fc.oneof(
    fc.record({ method: fc.constantFrom('password' as const, 'keyboard-interactive' as const), username: text, password: text, success: fc.boolean() }),
    fc.record({ method: fc.constant('publickey' as const), username: text, key_type: fc.constantFrom('ssh-ed25519', 'ssh-rsa'), key_fingerprint: text.map((t) => `SHA256:${t}`), success: fc.boolean() }),
    fc.record({ method: fc.constant('none' as const), username: text, success: fc.constant(false) }),
  ),
  'command.input': fc.record({ input: text, known: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: ['input'] }),
  'command.stdin': fc.record({ realm: fc.constantFrom('passwd', 'cat'), input: text }),
  'file.download': fc.oneof(
    fc.record({ url: fc.webUrl(), sha256: hex(32), outcome: fc.constantFrom('stored' as const, 'duplicate' as const), path: fc.constant('/tmp/x'), size: fc.nat() }),
    fc.record({ url: fc.webUrl(), outcome: fc.constantFrom('failed' as const, 'refused' as const, 'disabled' as const), reason: text }),
  ),
  'file.upload': fc.record({ filename: text, sha256: hex(32), size: fc.nat(), outcome: fc.constantFrom('stored' as const, 'duplicate' as const, 'truncated' as const) }),
  'tunnel.request': fc.record(
    { target_host: fc.domain(), target_port: fc.integer({ min: 0, max: 65535 }), orig_ip: fc.ipV4(), orig_port: fc.integer({ min: 0, max: 65535 }), first_bytes_hex: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('hex')) },
    { requiredKeys: ['target_host', 'target_port'] },
  ),
  'client.size': fc.record({ width: fc.nat(1000), height: fc.nat(1000), term: fc.option(fc.constantFrom('xterm', 'xterm-256color', 'vt100'), { nil: undefined }) }, { requiredKeys: ['width', 'height'] }),
  'client.env': fc.record({ name: fc.stringMatching(/^[A-Z_]{1,12}$/), value: text }),
  'session.params': fc.record({ arch: fc.constantFrom('linux-x64-lsb', 'linux-arm-lsb') }),
  'session.recording': fc.record(
    { state: fc.constantFrom('open' as const, 'closed' as const, 'stored' as const), path: text, format: fc.constantFrom('ttylog' as const, 'asciicast' as const), sha256: hex(32), size: fc.nat(), duration_ms: fc.nat() },
    { requiredKeys: ['state', 'path', 'format'] },
  ),
  'protocol.malformed': fc.record({ reason: text, sample_hex: hex(8) }),
};

const middle = fc.array(fc.constantFrom(...(Object.keys(payloads) as EventType[])).chain((t) => (payloads[t] as fc.Arbitrary<unknown>).map((p) => [t, p] as const)), { maxLength: 12 });
const session = fc.record({
  protocol: fc.constantFrom('ssh', 'telnet'),
  // Addresses as a socket gives them (sensors store no other form).
  src_ip: fc.oneof(fc.ipV4(), fc.ipV6().map((ip) => canonicalIp(ip)!)),
  src_port: fc.integer({ min: 1, max: 65535 }),
  dst_port: fc.integer({ min: 1, max: 65535 }),
  events: middle,
  close: fc.record({ duration_ms: fc.nat(), bytes_in: fc.nat(), bytes_out: fc.nat(), reason: fc.constantFrom('client' as const, 'idle_timeout' as const, 'error' as const) }),
});

test('round trip (property): any SSH/Telnet sessions -> cowrie_json -> import give back the same events', async () => {
  const dir = scratchDir('apiary-rt-');
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(session, { minLength: 1, maxLength: 4 }), async (sessions) => {
      const live: ApiaryEvent[] = [];
      const sink: EventSink = { write: (e) => void live.push(e), flush: async () => {} };
      let clock = Date.parse('2026-03-01T00:00:00Z') + n * 1e7;
      const now = () => (clock += 7);
      for (const s of sessions) {
        const em = createSessionEmitter(sink, { sensor: 'rt-sensor', protocol: s.protocol, src_ip: s.src_ip, src_port: s.src_port, dst_ip: '192.0.2.1', dst_port: s.dst_port }, { now, onInvalid: (t, r) => assert.fail(`${t}: ${r}`) });
        em.emit('connection.open', { transport: 'tcp' });
        for (const [t, p] of s.events) em.emit(t, p as never);
        em.emit('connection.close', s.close);
      }
      const path = join(dir, `cowrie-${n++}.json`);
      writeFileSync(path, live.flatMap(toCowrie).map((r) => `${JSON.stringify(r)}\n`).join(''));
      const back = await importCowrie(path);
      assert.deepEqual(back.map(comparable), live.map(comparable));
    }),
    { numRuns: 60 },
  );
});

test('cowrie_json lines look like Cowrie 3.x: eventid, timestamp with microseconds, connection fields, duration_ms', () => {
  const live: ApiaryEvent[] = [];
  const em = createSessionEmitter({ write: (e) => void live.push(e), flush: async () => {} }, { sensor: 's', protocol: 'ssh', src_ip: '198.51.100.1', src_port: 5000, dst_ip: '192.0.2.1', dst_port: 22 }, { now: () => Date.parse('2026-01-02T03:04:05.678Z') });
  em.emit('auth.attempt', { method: 'password', username: 'root', password: 'toor', success: true });
  em.emit('connection.close', { duration_ms: 1500, bytes_in: 0, bytes_out: 0, reason: 'client' });
  const [login, closed] = live.flatMap(toCowrie);
  assert.deepEqual(login, {
    eventid: 'cowrie.login.success',
    username: 'root',
    password: 'toor',
    message: 'login attempt [root/toor] succeeded',
    timestamp: '2026-01-02T03:04:05.678000Z',
    sensor: 's',
    session: em.session,
    src_ip: '198.51.100.1',
    src_port: 5000,
    dst_ip: '192.0.2.1',
    dst_port: 22,
    protocol: 'ssh',
  });
  assert.equal(closed!.eventid, 'cowrie.session.closed');
  assert.equal(closed!.duration_ms, 1500);
  assert.equal(closed!.apiary, undefined, 'no extras when Cowrie has a field for everything');
});

test('apiary start with outputs.cowrie_json: real ssh logins land in cowrie.json; importing it gives the same events', async () => {
  const dir = scratchDir('apiary-cj-');
  const cowrieJson = join(dir, 'out', 'cowrie.json');
  const apiary = await startApiaryProcess(
    {
      sensor: 'cj-sensor',
      auth: [{ user: 'root', password: 'S3cret!', allow: true }],
      services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0 } },
      outputs: { cowrie_json: { path: cowrieJson } },
    },
    { dir },
  );
  let live: ApiaryEvent[];
  try {
    assert.match(apiary.stdout(), /output   cowrie_json /);
    await sshWithPassword(apiary.ports.ssh!, 'root', 'nope', 'id');
    const ok = await sshWithPassword(apiary.ports.ssh!, 'root', 'S3cret!', 'uname -a');
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    await apiary.stop();
  }
  const store = new SqliteStore(join(dir, 'data', 'apiary.db'), { readonly: true });
  // Only SSH/Telnet sessions go to cowrie_json (the shell's honeytoken.planted announcements do not).
  live = (await store.query({})).filter((e) => e.protocol === 'ssh' || e.protocol === 'telnet');
  await store.close();
  const lines = readFileSync(cowrieJson, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    lines.filter((l) => String(l.eventid).startsWith('cowrie.login')).map((l) => [l.eventid, l.username, l.password]),
    [
      ['cowrie.login.failed', 'root', 'nope'],
      ['cowrie.login.success', 'root', 'S3cret!'],
    ],
  );
  // Import into a fresh store with the real CLI.
  const dir2 = scratchDir('apiary-cj2-');
  const r = await runCli(['import', 'cowrie', cowrieJson, '--config', writeConfig(dir2, {})]);
  assert.equal(r.code, 0, r.stdout);
  const store2 = new SqliteStore(join(dir2, 'data', 'apiary.db'), { readonly: true });
  const back = await store2.query({});
  await store2.close();
  const order = (a: ApiaryEvent, b: ApiaryEvent) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.type < b.type ? -1 : a.type > b.type ? 1 : 0);
  assert.deepEqual(back.map(comparable).sort(order as never), live.map(comparable).sort(order as never));
  assert.ok(back.every((e) => e.source?.format === 'cowrie.json'));
});
