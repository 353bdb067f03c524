// Kippo/Cowrie binary TTY logs become asciicast v2 recordings under DATA_DIR/recordings/SESSION.cast,
// linked to the session whose log line opened them (in the same import or one stored before).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, writeConfig } from '../helpers/apiary-process.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { encodeTtyRecord, TTY_DIR, TTY_OP } from '../../src/importers/kippo/ttylog.js';
import { removeScratch, scratchDir } from '../helpers/scratch.js';

after(removeScratch);

const T0 = Date.parse('2017-04-06T23:19:06Z') / 1000;
const KIPPO_LOG = [
  '2017-04-06 16:18:37-0700 [kippo.core.ssh.HoneyPotSSHFactory] New connection: 192.168.86.10:43748 (192.168.86.10:4633) [session: 3]',
  '2017-04-06 16:19:06-0700 [SSHService ssh-userauth on HoneyPotTransport,3,192.168.86.10] login attempt [root/123456] succeeded',
  '2017-04-06 16:19:06-0700 [SSHChannel session (0) on SSHService ssh-connection on HoneyPotTransport,3,192.168.86.10] Terminal size: 30 100',
  '2017-04-06 16:19:06-0700 [SSHChannel session (0) on SSHService ssh-connection on HoneyPotTransport,3,192.168.86.10] Opening TTY log: log/tty/20170406-161906-6014.log',
  '2017-04-06 16:19:31-0700 [SSHChannel session (0) on SSHService ssh-connection on HoneyPotTransport,3,192.168.86.10] CMD: pwd',
  '2017-04-06 16:19:31-0700 [SSHChannel session (0) on SSHService ssh-connection on HoneyPotTransport,3,192.168.86.10] Command found: pwd',
  '2017-04-06 16:25:40-0700 [HoneyPotTransport,3,192.168.86.10] connection lost',
].join('\n');

function ttylog(): Buffer {
  return Buffer.concat([
    encodeTtyRecord({ op: TTY_OP.OPEN, tty: 1, direction: 0, time: T0, data: Buffer.alloc(0) }),
    encodeTtyRecord({ op: TTY_OP.WRITE, tty: 1, direction: TTY_DIR.OUTPUT, time: T0 + 0.5, data: Buffer.from('svr03:~# ') }),
    encodeTtyRecord({ op: TTY_OP.WRITE, tty: 1, direction: TTY_DIR.INPUT, time: T0 + 25, data: Buffer.from('pwd\r') }),
    encodeTtyRecord({ op: TTY_OP.WRITE, tty: 1, direction: TTY_DIR.OUTPUT, time: T0 + 25.01, data: Buffer.from('/root\r\nsvr03:~# ') }),
    encodeTtyRecord({ op: TTY_OP.CLOSE, tty: 1, direction: 0, time: T0 + 30, data: Buffer.alloc(0) }),
  ]);
}

function setup(): { dir: string; config: string; log: string; tty: string } {
  const dir = scratchDir('apiary-tty-');
  const config = writeConfig(dir, {});
  const log = join(dir, 'kippo.log');
  writeFileSync(log, `${KIPPO_LOG}\n`);
  mkdirSync(join(dir, 'tty'));
  const tty = join(dir, 'tty', '20170406-161906-6014.log');
  writeFileSync(tty, ttylog());
  return { dir, config, log, tty };
}

async function check(dir: string): Promise<void> {
  const store = new SqliteStore(join(dir, 'data', 'apiary.db'), { readonly: true });
  const login = (await store.query({ type: 'auth.attempt' }))[0]!;
  const rec = (await store.query({ type: 'session.recording' })).find((e) => (e.payload as { state: string }).state === 'stored')!;
  await store.close();
  assert.ok(rec, 'a stored recording event');
  assert.equal(rec.session, login.session, 'the recording belongs to the session that opened it');
  assert.equal(rec.src_ip, '192.168.86.10');
  const p = rec.payload as { path: string; format: string; duration_ms: number; size: number };
  assert.equal(p.path, join(dir, 'data', 'recordings', `${login.session}.cast`));
  assert.equal(p.format, 'asciicast');
  assert.equal(p.duration_ms, 30000);
  assert.ok(existsSync(p.path));
  const lines = readFileSync(p.path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
  assert.deepEqual(lines[0], { version: 2, width: 100, height: 30, timestamp: T0, env: { TERM: 'xterm', SHELL: '/bin/sh' }, title: `${login.session} (20170406-161906-6014.log)` });
  assert.deepEqual(lines.slice(1), [
    [0.5, 'o', 'svr03:~# '],
    [25, 'i', 'pwd\r'],
    [25.01, 'o', '/root\r\nsvr03:~# '],
  ]);
}

test('a TTY log imported with the Kippo log that opened it becomes SESSION.cast for that session', async () => {
  const { dir, config, log, tty } = setup();
  // Given first, the TTY log is still read after the text log, whose line names it.
  const r = await runCli(['import', 'kippo', tty, log, '--config', config]);
  assert.equal(r.code, 0, r.stdout);
  assert.doesNotMatch(r.stdout, /not linked/);
  await check(dir);
});

test('a TTY log imported later finds its session among stored events', async () => {
  const { dir, config, log, tty } = setup();
  await runCli(['import', 'kippo', log, '--config', config]);
  const r = await runCli(['import', 'kippo', tty, '--config', config]);
  assert.equal(r.code, 0, r.stdout);
  assert.doesNotMatch(r.stdout, /not linked/);
  await check(dir);
});

test('a UTF-8 character split across two TTY records is replayed whole, not as two replacement characters', async () => {
  const { ttyToAsciicast } = await import('../../src/importers/kippo/ttylog.js');
  const text = Buffer.from('你好.txt\r\n', 'utf8');
  // Cowrie writes output as it is produced: a record boundary may fall inside a character.
  const records = [
    { op: TTY_OP.WRITE, tty: 1, direction: TTY_DIR.OUTPUT, time: 1000, data: text.subarray(0, 2) },
    { op: TTY_OP.WRITE, tty: 1, direction: TTY_DIR.INPUT, time: 1000.5, data: Buffer.from([0xc3]) },
    { op: TTY_OP.WRITE, tty: 1, direction: TTY_DIR.OUTPUT, time: 1001, data: text.subarray(2) },
    { op: TTY_OP.WRITE, tty: 1, direction: TTY_DIR.INPUT, time: 1001.5, data: Buffer.from([0xa9, 0x0d]) },
  ];
  const lines = ttyToAsciicast(records).text.trim().split('\n').slice(1).map((l) => JSON.parse(l) as [number, string, string]);
  assert.equal(lines.filter((l) => l[1] === 'o').map((l) => l[2]).join(''), '你好.txt\r\n');
  assert.equal(lines.filter((l) => l[1] === 'i').map((l) => l[2]).join(''), 'é\r');
  // A byte sequence that is not UTF-8 at all still shows as replacement characters, and the last record flushes.
  const bad = ttyToAsciicast([{ op: TTY_OP.WRITE, tty: 1, direction: TTY_DIR.OUTPUT, time: 1, data: Buffer.from([0x61, 0xe4, 0xbd]) }]).text;
  assert.equal((JSON.parse(bad.trim().split('\n')[1]!) as unknown[])[2], 'a\ufffd');
});
