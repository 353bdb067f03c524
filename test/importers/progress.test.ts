// The progress line `apiary import` shows on a terminal: it counts what was read so far (not the
// records of the chunk still to be parsed), and a Dionaea database's line counts connections, not
// megabytes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchWriter } from '../../src/importers/core/import-core.js';
import { CowrieRun } from '../../src/importers/cowrie/cowrie-importer.js';
import { DionaeaRun } from '../../src/importers/dionaea/dionaea-importer.js';
import { removeScratch, scratchDir } from '../helpers/scratch.js';
import Database from 'better-sqlite3';

after(removeScratch);

const writer = (): BatchWriter => new BatchWriter(async (events) => events.length);

test('a log read in one chunk shows its records at 100%, not "0 records ... (100%)"', async () => {
  const dir = scratchDir('apiary-progress-');
  const file = join(dir, 'cowrie.json');
  const rec = (i: number) => JSON.stringify({ eventid: 'cowrie.session.connect', timestamp: '2019-07-08T10:00:00.000000Z', session: `abcdef12345${i}`, src_ip: '198.51.100.4', src_port: 4000 + i, dst_ip: '192.0.2.9', dst_port: 22, protocol: 'ssh' });
  writeFileSync(file, `${[1, 2, 3].map(rec).join('\n')}\n`);
  const shown: string[] = [];
  await new CowrieRun(writer(), { recordingsDir: dir, progress: (s) => shown.push(s) }).importFile(file);
  assert.ok(shown.length > 0);
  assert.match(shown.at(-1)!, /^cowrie\.json: 3 records, 0\.0 MB of 0\.0 MB \(100%\)$/);
});

test('a Dionaea database shows connections done of all, not connections as megabytes', async () => {
  const dir = scratchDir('apiary-progress-');
  const file = join(dir, 'dionaea.sqlite');
  const db = new Database(file);
  db.exec(`CREATE TABLE connections (connection INTEGER PRIMARY KEY, connection_type TEXT, connection_transport TEXT, connection_protocol TEXT,
    connection_timestamp INTEGER, connection_root INTEGER, connection_parent INTEGER, local_host TEXT, local_port INTEGER, remote_host TEXT, remote_hostname TEXT, remote_port INTEGER)`);
  db.prepare("INSERT INTO connections VALUES (1, 'accept', 'tcp', 'smbd', 1730687403.5, 1, NULL, '192.0.2.4', 445, '198.51.100.7', '', 40000)").run();
  db.close();
  const shown: string[] = [];
  await new DionaeaRun(writer(), { recordingsDir: dir, progress: (s) => shown.push(s) }).importFile(file);
  assert.deepEqual(shown, ['dionaea.sqlite: connection 1 of 1 (100%)']);
});
