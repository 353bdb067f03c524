// The attack runner and the store's chain table: watermark semantics shared with the incidents, ranking,
// merged chains removed, restart from the saved state, two runners on one store, and the CLI showing
// hostile attacker strings inert.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ATTACKS_STATE_KEY, ATTACKS_WATERMARK_KEY, AttackRunner } from '../../../src/analysis/attack-runner.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import type { AttackRecord } from '../../../src/store/store.js';
import { runCli, tempDir, writeConfig } from '../../helpers/apiary-process.js';
import { makeEvent } from '../../helpers/events.js';

function record(id: string, score: number, last: string, merged: string[] = []): AttackRecord {
  return { id, score, factors: {}, first_seen: last, last_seen: last, sources: [], services: [], techniques: [], intents: [], links: [], steps: [], events: 1, merged };
}

test('commitAttacks moves the watermark only from the expected value; listAttacks ranks by score; merged chains go', async () => {
  const store = new SqliteStore(join(tempDir(), 'a.db'));
  try {
    const wm = { key: 'attacks.watermark', expected: undefined, next: 'B' };
    assert.equal(await store.commitAttacks([record('c1', 10, '2026-01-01T00:00:00.000Z'), record('c2', 70, '2026-01-02T00:00:00.000Z')], wm), true);
    assert.equal(await store.commitAttacks([record('c3', 99, '2026-01-03T00:00:00.000Z')], wm), false, 'stale expected watermark');
    assert.equal(await store.getState('attacks.watermark'), 'B');
    assert.deepEqual((await store.listAttacks()).map((a) => a.id), ['c2', 'c1']);
    assert.deepEqual((await store.listAttacks({ minScore: 50 })).map((a) => a.id), ['c2']);
    assert.deepEqual((await store.listAttacks({ limit: 1 })).map((a) => a.id), ['c2']);
    await store.commitAttacks([record('c1', 80, '2026-01-04T00:00:00.000Z', ['c2'])], { key: 'attacks.watermark', expected: 'B', next: 'C' });
    assert.deepEqual((await store.listAttacks()).map((a) => `${a.id}:${a.score}`), ['c1:80']);
    assert.equal(await store.getAttack('c2'), undefined);
    assert.equal((await store.getAttack('c1'))?.score, 80);
  } finally {
    await store.close();
  }
});

const T0 = Date.parse('2026-04-01T08:00:00Z');
function login(i: number, src: string, password: string, success: boolean) {
  return makeEvent({ type: 'auth.attempt', time: new Date(T0 + i * 1000).toISOString(), src, session: `${src}-${i}`, payload: { method: 'password', username: 'root', password, success } });
}

test('the runner resumes after a restart from its saved state, and two runners on one store store each chain once', async () => {
  const path = join(tempDir(), 'r.db');
  const store = new SqliteStore(path);
  try {
    await store.insertBatch(['a', 'b', 'c', 'S3cret!Pass'].map((pw, i) => login(i, '198.51.100.1', pw, pw === 'S3cret!Pass')));
    const first = new AttackRunner(store);
    await first.catchUp();
    await first.flush();
    assert.ok(await store.getState(ATTACKS_STATE_KEY));
    // Events after the save; a new runner (a restarted Apiary) links them to what the first one saw.
    await store.insertBatch([login(10, '203.0.113.7', 'S3cret!Pass', true), makeEvent({ type: 'command.input', time: new Date(T0 + 11_000).toISOString(), src: '203.0.113.7', session: '203.0.113.7-10', payload: { input: 'cat /etc/shadow' } })]);
    const [r1, r2] = [new AttackRunner(store), new AttackRunner(store)];
    const [a, b] = await Promise.all([r1.catchUp(), r2.catchUp()]);
    // Whichever folds second refolds from the saved state, or finds nothing left; the stored chains are the same.
    assert.ok(a.events === 2 || b.events === 2, JSON.stringify([a, b]));
    const chains = await store.listAttacks();
    assert.equal(chains.length, 1);
    assert.deepEqual(chains[0]!.links.map((l) => `${l.type} ${l.from}>${l.to}`), ['credential_handoff 198.51.100.1>203.0.113.7']);
    assert.equal(await store.getState(ATTACKS_WATERMARK_KEY), (await store.readCommitted(undefined, 1000)).cursor, 'the watermark is at the last event committed');
  } finally {
    await store.close();
  }
});

test('apiary attacks and attack show: flags checked, attacker strings shown inert', async () => {
  const dir = tempDir();
  const config = writeConfig(dir, { sensor: 'cli' });
  const store = new SqliteStore(join(dir, 'data', 'apiary.db'));
  const evil = 'echo \u001b]0;pwned\u0007\u001b[2J; crontab -r';
  await store.insertBatch([
    login(0, '198.51.100.9', 'Gr8Pass#1', true),
    makeEvent({ type: 'command.input', time: new Date(T0 + 5000).toISOString(), src: '198.51.100.9', session: '198.51.100.9-0', payload: { input: evil } }),
  ]);
  await store.close();
  const list = await runCli(['attacks', '--config', config, '--json']);
  const [chain] = list.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AttackRecord);
  assert.ok(chain && chain.techniques.some((t) => t.id === 'T1053.003'));
  const show = await runCli(['attack', 'show', chain.id, '--config', config]);
  assert.doesNotMatch(show.stdout, /\u001b/);
  assert.match(show.stdout, /echo \\x1b\]0;pwned\\x07\\x1b\[2J; crontab -r/);
  assert.match(show.stdout, /T1053\.003 +Scheduled Task\/Job: Cron/);
  const bad = await runCli(['attacks', '--config', config, '--min-score', '101'], { allowFail: true });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--min-score: expected a whole number from 0 to 100/);
  const missing = await runCli(['attack', 'show', 'nope\u001b[31m', '--config', config], { allowFail: true });
  assert.match(missing.stderr, /APIARY_NOT_FOUND: no attack chain "nope\\\\x1b\[31m"/);
  assert.doesNotMatch(missing.stderr, /\u001b/);
});
