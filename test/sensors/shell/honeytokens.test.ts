// Honeytokens: decoy credentials are planted where attackers look, announced as events, and their
// later use is recognised from the events alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findHoneytokenUse, type Honeytoken } from '../../../src/events/honeytokens.js';
import { testShell } from '../../helpers/shell.js';

test('default decoys are planted in .my.cnf, .bash_history, .env and config.php, and announced', async () => {
  const t = testShell({ shell: { seed: 'tokens' } });
  t.env.announceHoneytokens();
  const planted = t.events.filter((e) => e.type === 'honeytoken.planted').map((e) => e.payload as { token_id: string; kind: string; secret: string; username: string; locations: string[] });
  assert.deepEqual(planted.map((p) => p.kind), ['mysql', 'ssh', 'app_db']);
  const s = t.open();
  const mycnf = (await s.run('cat /root/.my.cnf')).out;
  assert.ok(mycnf.includes(`password=${planted[0]!.secret}`));
  const hist = (await s.run('cat ~/.bash_history')).out;
  assert.ok(hist.includes(`mysql -u root -p${planted[0]!.secret}`));
  assert.ok(hist.includes(planted[1]!.secret) && hist.includes(`ssh ${planted[1]!.username}@`));
  const found = (await s.run('grep -r DB_PASSWORD /var/www')).out;
  assert.ok(found.includes(planted[2]!.secret), found);
  for (const p of planted) for (const loc of p.locations) assert.equal((await s.run(`test -f ${loc}`)).code, 0, loc);
  await s.end();
  // The same seed plants the same tokens (stable ids), another seed different ones.
  const again = testShell({ shell: { seed: 'tokens' } });
  const other = testShell({ shell: { seed: 'tokens-2' } });
  assert.deepEqual(again.env.honeytokens.map((x) => x.id), planted.map((p) => p.token_id));
  assert.notDeepEqual(other.env.honeytokens.map((x) => x.secret), planted.map((p) => p.secret));
});

test('configured decoys replace the defaults, and their use is recognised in logins and typed lines', () => {
  const t = testShell({ shell: { seed: 'x', honeytokens: [{ kind: 'mysql', username: 'root', secret: 'Zebra-77-Quartz' }] } });
  t.env.announceHoneytokens();
  const ev = t.events.find((e) => e.type === 'honeytoken.planted')!.payload as { token_id: string; kind: 'mysql'; username: string; secret: string; locations: string[] };
  const tokens: Honeytoken[] = [{ id: ev.token_id, kind: ev.kind, username: ev.username, secret: ev.secret, locations: ev.locations }];
  assert.equal(findHoneytokenUse(tokens, 'Zebra-77-Quartz')[0]?.how, 'exact');
  assert.equal(findHoneytokenUse(tokens, 'mysql -h 10.0.0.5 -uroot -pZebra-77-Quartz', 'contains')[0]?.how, 'contains');
  assert.equal(findHoneytokenUse(tokens, 'hunter2').length, 0);
  assert.equal(t.env.honeytokens.length, 1);
});
