// `apiary honeytokens`: ACCEPTED says what an attacker trying the token at a login would see, by the
// configured auth rules (the policy the sensors decide with), not only for the decoy database's accounts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runCli, tempDir, writeConfig } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';

const planted = (token: string, kind: 'ssh' | 'mysql' | 'web_login', username: string, secret: string, location: string, accepted?: boolean) =>
  makeEvent({
    type: 'honeytoken.planted', time: '2026-01-01T00:00:00Z', src: '0.0.0.0', sensor: 'sensor-a',
    payload: { token_id: token, kind, username, secret, locations: [location], ...(accepted === undefined ? {} : { accepted }) },
  });

test('apiary honeytokens: ACCEPTED follows the auth rules: a planted root password they allow is accepted, one they refuse is not', async () => {
  const dir = tempDir();
  const config = writeConfig(dir, { auth: [{ user: 'root', password: ['Planted-Root-7', '123456'], allow: true }, { user: 'deploy', password: '/^Deploy-\\d{4}$/', allow: true }] });
  const store = new SqliteStore(join(dir, 'data', 'apiary.db'));
  await store.insertBatch([
    // The shell's planted root password, which the auth rules let in (the sensor does not say so itself).
    planted('1'.repeat(16), 'ssh', 'root', 'Planted-Root-7', 'shell:/root/.bash_history'),
    // Matched by a pattern rule, not literally.
    planted('2'.repeat(16), 'web_login', 'deploy', 'Deploy-2024', 'http:/backup/config.php'),
    // Refused by the rules.
    planted('3'.repeat(16), 'ssh', 'backup', 'Not-Allowed-1', 'shell:/etc/backup.conf'),
    // A decoy database's account: accepted by the rule the decoy puts before the operator's.
    planted('4'.repeat(16), 'mysql', 'app', 'App-Secret-9', 'mysql:mysql.user', true),
  ]);
  await store.close();
  const json = (await runCli(['honeytokens', '--config', config, '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { username: string; accepted: boolean });
  assert.deepEqual(Object.fromEntries(json.map((t) => [t.username, t.accepted])), { root: true, deploy: true, backup: false, app: true });
  const text = (await runCli(['honeytokens', '--config', config])).stdout;
  assert.match(text, /^\S+ +ssh +root +\S+ +shell:\/root\/\.bash_history +yes /m);
  assert.match(text, /^\S+ +ssh +backup +\S+ +shell:\/etc\/backup\.conf +no /m);
  assert.match(text, /^4 honeytokens$/m);
});

test('apiary honeytokens: one token reads "1 honeytoken"', async () => {
  const dir = tempDir();
  const config = writeConfig(dir, {});
  const store = new SqliteStore(join(dir, 'data', 'apiary.db'));
  await store.insertBatch([planted('5'.repeat(16), 'ssh', 'root', 'x', 'shell:/root/.bash_history')]);
  await store.close();
  assert.match((await runCli(['honeytokens', '--config', config])).stdout, /^1 honeytoken$/m);
});
