// Cowrie's format drift, one small log per era (written from the format reference): COW00xx ids
// (2015), 1.x (system/isError, KEX inside client.version), 2.x (bytes reprs, string duration), 3.x
// (duration_ms, uuid, late); plain and gzip; a rotated set given out of order; cowrie.log text.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCli, writeConfig } from '../helpers/apiary-process.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { derivedSession } from '../../src/importers/core/import-core.js';
import { removeScratch, scratchDir } from '../helpers/scratch.js';

after(removeScratch);

const SHA = 'a'.repeat(64);

async function importLines(files: Record<string, string>, order?: string[]): Promise<{ events: ApiaryEvent[]; stdout: string; code: number }> {
  const dir = scratchDir('apiary-era-');
  const config = writeConfig(dir, {});
  const paths: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const p = join(dir, name);
    writeFileSync(p, name.endsWith('.gz') ? gzipSync(text) : text);
    paths.push(p);
  }
  const given = order ? order.map((n) => join(dir, n)) : paths;
  const r = await runCli(['import', 'cowrie', ...given, '--config', config], { allowFail: true });
  const store = new SqliteStore(join(dir, 'data', 'apiary.db'), { readonly: true });
  const events = await store.query({});
  await store.close();
  return { events, stdout: r.stdout, code: r.code };
}

const jsonl = (recs: object[], sep = ','): string => `${recs.map((r) => JSON.stringify(r).replaceAll('","', `"${sep}"`)).join('\n')}\n`;
const brief = (events: ApiaryEvent[]): [string, unknown][] => events.map((e) => [e.type, e.payload]);

test('2015 era: COW00xx ids map like their named successors', async () => {
  const base = { session: 'a1b2c3d4', src_ip: '198.51.100.5', sensor: 'old' };
  const { events, code, stdout } = await importLines({
    'cowrie.json': jsonl([
      { eventid: 'COW0001', timestamp: '2015-12-01T10:00:00.000000Z', src_port: 40000, dst_ip: '192.0.2.10', dst_port: 2222, ...base },
      { eventid: 'COW0009', timestamp: '2015-12-01T10:00:00.100000Z', version: 'SSH-2.0-libssh-0.6.3', ...base },
      { eventid: 'COW0003', timestamp: '2015-12-01T10:00:01.000000Z', username: 'root', password: 'admin', ...base },
      { eventid: 'COW0002', timestamp: '2015-12-01T10:00:02.000000Z', username: 'root', password: '123456', ...base },
      { eventid: 'COW0010', timestamp: '2015-12-01T10:00:02.500000Z', width: 120, height: 40, ...base },
      { eventid: 'COW0005', timestamp: '2015-12-01T10:00:03.000000Z', input: 'uname -a', ...base },
      { eventid: 'COW0006', timestamp: '2015-12-01T10:00:04.000000Z', input: 'foo', ...base },
      { eventid: 'COW0007', timestamp: '2015-12-01T10:00:05.000000Z', url: 'http://198.51.100.9/x.sh', outfile: `dl/${SHA}`, shasum: SHA, ...base },
      { eventid: 'COW0011', timestamp: '2015-12-01T10:00:06.000000Z', duration: 6.02, ...base },
    ]),
  });
  assert.equal(code, 0, stdout);
  assert.deepEqual(brief(events), [
    ['connection.open', { transport: 'tcp' }],
    ['client.version', { version: 'SSH-2.0-libssh-0.6.3' }],
    ['auth.attempt', { method: 'password', username: 'root', password: 'admin', success: false }],
    ['auth.attempt', { method: 'password', username: 'root', password: '123456', success: true }],
    ['client.size', { width: 120, height: 40 }],
    ['command.input', { input: 'uname -a', known: true }],
    ['command.input', { input: 'foo', known: false }],
    ['file.download', { url: 'http://198.51.100.9/x.sh', sha256: SHA, outcome: 'stored' }],
    ['connection.close', { duration_ms: 6020, bytes_in: 0, bytes_out: 0, reason: 'client' }],
  ]);
  // Envelope from the connect record on every event; 8-hex session mapped to Apiary's 16 hex.
  assert.ok(events.every((e) => e.dst_port === 2222 && e.src_port === 40000 && e.sensor === 'old' && /^[0-9a-f]{16}$/.test(e.session)));
  assert.equal(new Set(events.map((e) => e.session)).size, 1);
});

test('1.x era: system/isError, ", " separators, KEX lists inside client.version give a client.kex with HASSH', async () => {
  const base = { session: '5c1e2a3b4d5f', src_ip: '203.0.113.7', sensor: 'h1', system: 'HoneyPotSSHTransport,3,203.0.113.7', isError: 0 };
  const kex = ['curve25519-sha256@libssh.org', 'diffie-hellman-group14-sha1'];
  const enc = ['aes128-ctr'];
  const mac = ['hmac-sha1'];
  const comp = ['none'];
  const { events, code } = await importLines({
    'cowrie.json.gz': jsonl(
      [
        { eventid: 'cowrie.session.connect', timestamp: '2018-05-06T17:44:50.100000Z', src_port: 51234, dst_ip: '192.0.2.10', dst_port: 22, ...base },
        { eventid: 'cowrie.client.version', timestamp: '2018-05-06T17:44:51.165980Z', version: 'SSH-2.0-Go', kexAlgs: kex, keyAlgs: ['ssh-rsa'], encCS: enc, macCS: mac, compCS: comp, ...base },
        { eventid: 'cowrie.direct-tcpip.data', timestamp: '2018-05-06T17:44:52.000000Z', dst_ip: 'example.org', dst_port: 443, data: "'\\x16\\x03\\x01'", ...base },
        { eventid: 'cowrie.session.closed', timestamp: '2018-05-06T17:44:58.000000Z', duration: 7.9, ...base },
      ],
      ', ',
    ),
  });
  assert.equal(code, 0);
  const k = events.find((e) => e.type === 'client.kex')!;
  const algos = `${kex.join(',')};${enc.join(',')};${mac.join(',')};${comp.join(',')}`;
  assert.deepEqual(k.payload, { hassh: createHash('md5').update(algos).digest('hex'), hassh_algorithms: algos, kex_algs: kex, key_algs: ['ssh-rsa'], enc_cs: enc, mac_cs: mac, comp_cs: comp });
  assert.equal((events.find((e) => e.type === 'connection.close')!.payload as { duration_ms: number }).duration_ms, 7900);
  // 1.x wrote tunnelled data as a Python 2 repr; the target is the tunnel's, the envelope the session's.
  const tunnel = events.find((e) => e.type === 'tunnel.request')!;
  assert.deepEqual(tunnel.payload, { target_host: 'example.org', target_port: 443, first_bytes_hex: '160301' });
  assert.equal(tunnel.dst_port, 22);
  assert.equal(events[0]!.protocol, 'ssh');
});

test('2.x era: bytes-repr versions, string durations, empty-list messages', async () => {
  const base = { session: '0123456789ab', src_ip: '192.0.2.77', sensor: 's2', message: [] };
  const { events } = await importLines({
    'cowrie.json': jsonl([
      { eventid: 'cowrie.session.connect', timestamp: '2019-07-08T10:00:00.000000Z', src_port: 1, dst_ip: '1.2.3.4', dst_port: 2223, protocol: 'telnet', ...base },
      { eventid: 'cowrie.client.version', timestamp: '2019-07-08T10:00:00.100000Z', version: "b'SSH-2.0-Go'", ...base },
      { eventid: 'cowrie.client.version', timestamp: '2019-07-08T10:00:00.200000Z', version: "'SSH-2.0-PUTTY'", ...base },
      { eventid: 'cowrie.session.closed', timestamp: '2019-07-08T10:00:07.500000Z', duration: '7.5', ...base },
    ]),
  });
  assert.deepEqual(brief(events), [
    ['connection.open', { transport: 'tcp' }],
    ['client.version', { version: 'SSH-2.0-Go' }],
    ['client.version', { version: 'SSH-2.0-PUTTY' }],
    ['connection.close', { duration_ms: 7500, bytes_in: 0, bytes_out: 0, reason: 'client' }],
  ]);
  assert.equal(events[0]!.protocol, 'telnet');
});

test('3.x era: duration_ms, uuid, late, connection fields on every event, offsets in timestamps', async () => {
  const conn = { session: 'fedcba987654', src_ip: '198.51.100.20', src_port: 5555, dst_ip: '192.0.2.1', dst_port: 2222, protocol: 'ssh', sensor: 'new', uuid: 'f0e1d2c3-0000-4000-8000-000000000000' };
  const { events } = await importLines({
    'cowrie.json': jsonl([
      { eventid: 'cowrie.login.failed', timestamp: '2026-07-01T12:00:00.000000+0200', username: 'admin', password: 'admin', ...conn },
      { eventid: 'cowrie.command.input', timestamp: '2026-07-01T10:00:01.000000Z', input: 'cat /proc/cpuinfo | grep name', ...conn },
      { eventid: 'cowrie.command.failed', timestamp: '2026-07-01T10:00:01.001000Z', input: 'grep name', ...conn },
      { eventid: 'cowrie.session.file_download.failed', timestamp: '2026-07-01T10:00:02.000000Z', url: 'http://203.0.113.5/a', error: 'timeout', ...conn },
      { eventid: 'cowrie.session.closed', timestamp: '2026-07-01T10:00:03.000000Z', duration_ms: 3123, late: true, ...conn },
    ]),
  });
  assert.deepEqual(brief(events), [
    ['auth.attempt', { method: 'password', username: 'admin', password: 'admin', success: false }],
    ['command.input', { input: 'cat /proc/cpuinfo | grep name', known: false }],
    ['file.download', { url: 'http://203.0.113.5/a', outcome: 'failed', reason: 'timeout' }],
    ['connection.close', { duration_ms: 3123, bytes_in: 0, bytes_out: 0, reason: 'client' }],
  ]);
  assert.equal(events[0]!.time, '2026-07-01T10:00:00.000Z', '+0200 offset applied');
  assert.ok(events.every((e) => e.src_port === 5555 && e.dst_port === 2222));
  // The command's source keeps both the input record and the folded failure.
  assert.equal((events[1]!.source!.merged![0] as { eventid: string }).eventid, 'cowrie.command.failed');
});

test('a rotated set given newest first is read oldest first and its sessions continue across files', async () => {
  const base = { session: '0a0b0c0d0e0f', src_ip: '192.0.2.200', sensor: 'rot' };
  const { events, stdout } = await importLines(
    {
      'cowrie.json.2019-07-07': jsonl([
        { eventid: 'cowrie.session.connect', timestamp: '2019-07-07T23:59:58.000000Z', src_port: 999, dst_ip: '192.0.2.1', dst_port: 2223, protocol: 'telnet', ...base },
        { eventid: 'cowrie.login.success', timestamp: '2019-07-07T23:59:59.000000Z', username: 'root', password: 'x', ...base },
      ]),
      'cowrie.json': jsonl([
        { eventid: 'cowrie.command.input', timestamp: '2019-07-08T00:00:01.000000Z', input: 'id', ...base },
        { eventid: 'cowrie.session.closed', timestamp: '2019-07-08T00:00:02.000000Z', duration: 4.0, ...base },
      ]),
    },
    ['cowrie.json', 'cowrie.json.2019-07-07'],
  );
  assert.ok(stdout.indexOf('cowrie.json.2019-07-07:') < stdout.indexOf('cowrie.json:'), stdout);
  assert.equal(new Set(events.map((e) => e.session)).size, 1);
  assert.ok(events.every((e) => e.protocol === 'telnet' && e.dst_port === 2223 && e.src_port === 999), JSON.stringify(events.map((e) => [e.type, e.protocol, e.dst_port])));
});

test("cowrie.log text (no JSON): sessions, logins, commands and closes; same session id as the JSON log's", async () => {
  const ctx = 'HoneyPotSSHTransport,3,203.0.113.7';
  const text = [
    `2018-05-06T17:44:50.100000+0000 [cowrie.ssh.factory.CowrieSSHFactory] New connection: 203.0.113.7:51234 (192.0.2.10:2222) [session: 5c1e2a3b4d5f]`,
    `2018-05-06T17:44:51.165980+0000 [${ctx}] Remote SSH version: b'SSH-2.0-Go'`,
    `2018-05-06T17:44:51.200000+0000 [SSHService b'ssh-userauth' on ${ctx}] login attempt [b'root'/b'hunter2'] failed`,
    `2018-05-06T17:44:51.300000+0000 [SSHService b'ssh-userauth' on ${ctx}] login attempt [b'root'/b'password'] succeeded`,
    `2018-05-06T17:44:52.000000+0000 [CowrieProtocol,3,203.0.113.7 on ${ctx}] CMD: uname -a`,
    `2018-05-06T17:44:52.010000+0000 [CowrieProtocol,3,203.0.113.7 on ${ctx}] Command found: uname -a`,
    `2018-05-06T17:44:55.100000+0000 [${ctx}] Connection lost after 5 seconds`,
  ].join('\n');
  const { events, code, stdout } = await importLines({ 'cowrie.log': `${text}\n` });
  assert.equal(code, 0, stdout);
  assert.deepEqual(brief(events), [
    ['connection.open', { transport: 'tcp' }],
    ['client.version', { version: 'SSH-2.0-Go' }],
    ['auth.attempt', { method: 'password', username: 'root', password: 'hunter2', success: false }],
    ['auth.attempt', { method: 'password', username: 'root', password: 'password', success: true }],
    ['command.input', { input: 'uname -a', known: true }],
    ['connection.close', { duration_ms: 5000, bytes_in: 0, bytes_out: 0, reason: 'client' }],
  ]);
  assert.equal(new Set(events.map((e) => e.session)).size, 1);
  assert.equal(events[0]!.session, derivedSession('cowrie', 'cowrie', '5c1e2a3b4d5f'), 'the session a JSON record of the same sensor gets');
  assert.ok(events.every((e) => e.dst_port === 2222 && e.src_port === 51234));
});

test('a command chain with a result line per part keeps MAX_MERGED_RECORDS of them and counts the rest', async () => {
  const { MAX_MERGED_RECORDS } = await import('../../src/importers/core/import-core.js');
  const base = { session: 'c0ffee01', src_ip: '198.51.100.7', sensor: 'chain' };
  const parts = 200;
  const { events, code, stdout } = await importLines({
    'cowrie.json': jsonl([
      { eventid: 'cowrie.session.connect', timestamp: '2020-01-01T10:00:00.000000Z', src_port: 40000, dst_ip: '192.0.2.10', dst_port: 22, protocol: 'ssh', ...base },
      { eventid: 'cowrie.command.input', timestamp: '2020-01-01T10:00:01.000000Z', input: 'x;'.repeat(parts), ...base },
      ...Array.from({ length: parts }, (_, i) => ({ eventid: 'cowrie.command.failed', timestamp: `2020-01-01T10:00:01.${String(i).padStart(3, '0')}000Z`, input: 'x', ...base })),
      { eventid: 'cowrie.session.closed', timestamp: '2020-01-01T10:00:02.000000Z', duration: 2, ...base },
    ]),
  });
  assert.equal(code, 0, stdout);
  const command = events.find((e) => e.type === 'command.input')!;
  assert.equal(command.source?.merged?.length, MAX_MERGED_RECORDS);
  assert.equal(command.source?.merged_dropped, parts - MAX_MERGED_RECORDS);
  assert.deepEqual(command.payload, { input: 'x;'.repeat(parts), known: false });
});
