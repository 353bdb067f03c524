// Attacker text shown at a terminal: every table cell and the incident view are inert, so escape
// sequences (OSC 52 clipboard writes, screen clears, title changes) never reach the tty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { inert, table } from '../../src/cli/terminal.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runCli, tempDir, writeConfig } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

test('table() makes every cell inert, whatever the cells hold', () => {
  fc.assert(
    fc.property(fc.array(fc.array(fc.string({ unit: 'binary', maxLength: 20 }), { minLength: 3, maxLength: 3 }), { maxLength: 5 }), (rows) => {
      const out = table(['A', 'B', 'C'], rows);
      for (const line of out.split('\n')) assert.doesNotMatch(line, CONTROL);
    }),
  );
  assert.equal(inert(inert('\u001b[2J')), inert('\u001b[2J'), 'inert twice is inert once');
});

test('`apiary events` prints a stored source with escapes inert', async () => {
  const dir = tempDir();
  const config = writeConfig(dir, {});
  const store = new SqliteStore(join(dir, 'data', 'apiary.db'));
  // A remote sensor's batch is the way such a source gets in (the importers refuse it).
  await store.insertBatch([makeEvent({ type: 'connection.open', time: '2025-01-01T00:00:00.000Z', src: '\u001b]2;PWNED\u0007\u001b[2J1.2.3.4', payload: { transport: 'tcp' } })]);
  await store.close();
  const r = await runCli(['events', '--config', config]);
  assert.doesNotMatch(r.stdout, /\u001b/);
  assert.match(r.stdout, /\\x1b\]2;PWNED\\x07\\x1b\[2J1\.2\.3\.4/);
});
