// Broken input: a truncated line, invalid JSON, an unknown event id, a SQLite file that is not
// Dionaea's, a truncated gzip file. Each gets a clear message, the rest is imported, and the exit
// status (3) says records were skipped.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { runCli, writeConfig } from '../helpers/apiary-process.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { DATA } from '../helpers/shared-data.js';
import { removeScratch, scratchDir } from '../helpers/scratch.js';

after(removeScratch);

const COWRIE = join(DATA, 'cowrie/honeylist-2019-cowrie.json');
const DIONAEA = join(DATA, 'dionaea/rebound-2024-dionaea.sqlite');

async function count(db: string): Promise<number> {
  const s = new SqliteStore(db, { readonly: true });
  try {
    return await s.count();
  } finally {
    await s.close();
  }
}

test('Cowrie: truncated line, invalid JSON, unknown event id are reported; the rest is imported; exit 3', { skip: !existsSync(COWRIE) }, async () => {
  const dir = scratchDir('apiary-bad-');
  const config = writeConfig(dir, {});
  const good = readFileSync(COWRIE, 'utf8').split('\n').slice(0, 40);
  const clean = join(dir, 'clean.json');
  writeFileSync(clean, `${good.join('\n')}\n`);
  const ref = await runCli(['import', 'cowrie', clean, '--config', writeConfig(scratchDir('apiary-ref-'), {})]);
  const expected = Number(/imported (\d+) events/.exec(ref.stdout)![1]);

  const bad = join(dir, 'bad.json');
  const lines = [
    ...good.slice(0, 20),
    good[20]!.slice(0, 50), // cut in the middle of a line
    'this is not json at all',
    '{"eventid":"cowrie.made.up","timestamp":"2019-07-08T10:00:00.000000Z","session":"abcdef123456","src_ip":"192.0.2.1"}',
    ...good.slice(21),
  ];
  writeFileSync(bad, `${lines.join('\n')}\n`);
  const r = await runCli(['import', 'cowrie', bad, '--config', config], { allowFail: true });
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /skipped 1 x truncated JSON line \(first at line 21\)/);
  assert.match(r.stdout, /skipped 1 x invalid JSON \(first at line 22\): this is not json at all/);
  assert.match(r.stdout, /skipped 1 x unknown event id \(first at line 23\).*cowrie\.made\.up/);
  assert.match(r.stdout, /3 records skipped/);
  // Everything but the cut line's own event was stored.
  const stored = await count(join(dir, 'data', 'apiary.db'));
  assert.ok(stored >= expected - 1 && stored <= expected, `stored ${stored}, clean file gives ${expected}`);
});

test('Cowrie: a gzip file cut short keeps what decompressed and says the file is truncated', { skip: !existsSync(COWRIE) }, async () => {
  const dir = scratchDir('apiary-gz-');
  const config = writeConfig(dir, {});
  const gz = gzipSync(readFileSync(COWRIE));
  const cut = join(dir, 'cowrie.json.gz');
  writeFileSync(cut, gz.subarray(0, Math.floor(gz.length / 2)));
  const r = await runCli(['import', 'cowrie', cut, '--config', config], { allowFail: true });
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /SKIPPED FILE: the gzip stream ends early \(truncated file\)/);
  assert.ok((await count(join(dir, 'data', 'apiary.db'))) > 100);
});

test('Dionaea: a SQLite file that is not Dionaea\'s is refused with a clear message; the real one beside it imports; exit 3', { skip: !existsSync(DIONAEA) }, async () => {
  const dir = scratchDir('apiary-notdionaea-');
  const config = writeConfig(dir, {});
  const other = join(dir, 'other.sqlite');
  const db = new Database(other);
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES (\'hello\');');
  db.close();
  const notSql = join(dir, 'readme.txt');
  writeFileSync(notSql, 'just some text\n');
  const r = await runCli(['import', 'dionaea', other, DIONAEA, notSql, '--config', config], { allowFail: true });
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /other\.sqlite: .*\n  SKIPPED FILE: not a Dionaea logsql database: no "connections" table/);
  assert.match(r.stdout, /readme\.txt: .*\n  SKIPPED FILE: neither a Dionaea logsql SQLite database nor Dionaea log_json/);
  assert.match(r.stdout, /rebound-2024-dionaea\.sqlite: 67 records -> 67 events \(67 new/);
  assert.equal(await count(join(dir, 'data', 'apiary.db')), 67);
});

test('import: usage errors name the problem and exit 2', async () => {
  const r1 = await runCli(['import', 'snort', 'x'], { allowFail: true });
  assert.equal(r1.code, 2);
  assert.match(r1.stderr, /APIARY_CLI_USAGE: unknown import format "snort"/);
  const r2 = await runCli(['import', 'cowrie', '/nonexistent/cowrie.json'], { allowFail: true });
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /\/nonexistent\/cowrie\.json: no such file/);
  // An analyst's first try is often the log directory itself; nothing is imported from a command that names one.
  const dir = scratchDir('apiary-dirarg-');
  writeFileSync(join(dir, 'cowrie.json'), '');
  const r4 = await runCli(['import', 'cowrie', join(dir, 'cowrie.json'), dir, '--config', writeConfig(dir, {})], { allowFail: true });
  assert.equal(r4.code, 2);
  assert.match(r4.stderr, /APIARY_CLI_USAGE: .* is a directory: name the logs in it \(e\.g\. .*\/\*\)/);
  assert.equal(r4.stdout, '');
  const r3 = await runCli(['import', 'cowrie', '/etc/hostname', '--sensor', 'bad name!'], { allowFail: true });
  assert.equal(r3.code, 2);
  assert.match(r3.stderr, /flag --sensor/);
});

test('a file given to the wrong importer gets one message naming the right one, not a skip per line', { skip: !existsSync(COWRIE) || !existsSync(DIONAEA) }, async () => {
  const config = writeConfig(scratchDir('apiary-wrong-'), {});
  const cases: [string, string, RegExp][] = [
    ['kippo', COWRIE, /SKIPPED FILE: this is JSON, not a Twisted text log; Cowrie JSON logs are imported with "apiary import cowrie"/],
    ['dionaea', COWRIE, /SKIPPED FILE: this is a Cowrie JSON log; import it with "apiary import cowrie"/],
    ['cowrie', DIONAEA, /SKIPPED FILE: this is a SQLite database, not a Cowrie log \(Dionaea's logsql is imported with "apiary import dionaea"\)/],
    ['kippo', DIONAEA, /SKIPPED FILE: this is a SQLite database, not a Kippo log \(Dionaea's logsql is imported with "apiary import dionaea"\)/],
  ];
  for (const [format, file, message] of cases) {
    const r = await runCli(['import', format, file, '--config', config], { allowFail: true });
    assert.equal(r.code, 3, `${format} ${file}: ${r.stdout}`);
    assert.match(r.stdout, message);
    assert.match(r.stdout, /from 1 file in .*; 1 record skipped\n$/);
  }
});

test('Cowrie: a source "address" carrying terminal escapes is skipped as not an IP address', async () => {
  const dir = scratchDir('apiary-esc-');
  const file = join(dir, 'esc.json');
  const line = (src: string): string => JSON.stringify({ eventid: 'cowrie.session.connect', timestamp: '2019-07-08T10:00:00.000000Z', session: 'abcdef123456', src_ip: src, src_port: 4000, dst_ip: '192.0.2.9', dst_port: 22, protocol: 'ssh' });
  writeFileSync(file, `${line('\u001b]52;c;Y3VybCB4fHNo\u0007\u001b[2J1.2.3.4')}\n${line('198.51.100.4')}\n`);
  const r = await runCli(['import', 'cowrie', file, '--config', writeConfig(dir, {})], { allowFail: true });
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /skipped 1 x .*address is not an IP address/);
  assert.equal(await count(join(dir, 'data', 'apiary.db')), 1);
});
