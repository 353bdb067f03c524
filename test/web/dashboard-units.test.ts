// Pieces of the dashboard on their own: password hashing, the aggregate cache's background refresh,
// the period aggregates' single pass, and the recording filter (property: whatever bytes a recording holds, only text and CR/LF/BS/TAB
// reach the page).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hashPassword, passwordProblem, verifyPassword } from '../../src/web/password.js';
import { AggregateCache, plainTerminalText } from '../../src/web/api.js';
import { tacticsOf } from '../../src/web/chains.js';
import { join } from 'node:path';
import { periodAggregates } from '../../src/web/aggregates.js';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { enricherFromConfig } from '../../src/enrich/from-config.js';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { newEventId } from '../../src/events/id.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDir } from '../helpers/apiary-process.js';

test('passwords: scrypt hash verifies the right password only; a tampered hash fails', async () => {
  const h = await hashPassword('correct horse battery');
  assert.match(h, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(await hashPassword('correct horse battery'), h, 'salted');
  assert.equal(await verifyPassword('correct horse battery', h), true);
  assert.equal(await verifyPassword('correct horse batterY', h), false);
  const parts = h.split('$');
  parts[5] = `A${parts[5]!.slice(1)}` === parts[5] ? `B${parts[5]!.slice(1)}` : `A${parts[5]!.slice(1)}`;
  assert.equal(await verifyPassword('correct horse battery', parts.join('$')), false);
  assert.equal(await verifyPassword('x', 'scrypt$1048577$8$1$aa$bb'), false, 'absurd costs are refused');
  assert.equal(await verifyPassword('x', 'garbage'), false);
  assert.match(String(passwordProblem('short')), /at least 12/);
  assert.equal(passwordProblem('long enough password'), undefined);
});

test('aggregate cache: one computation for concurrent callers; stale value served while a new one is computed', async () => {
  const cache = new AggregateCache(50, 4);
  let runs = 0;
  const compute = async (): Promise<number> => {
    runs++;
    await new Promise((r) => setTimeout(r, 20));
    return runs;
  };
  const [a, b] = await Promise.all([cache.get('k', compute), cache.get('k', compute)]);
  assert.deepEqual([a, b, runs], [1, 1, 1]);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(await cache.get('k', compute), 1, 'stale value at once');
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(await cache.get('k', compute), 2, 'then the refreshed one');
  const failing = cache.get('bad', () => Promise.reject(new Error('boom')));
  await assert.rejects(failing);
  assert.equal(await cache.get('bad', async () => 7), 7, 'a failure is not cached');
});

test('recording filter: only printable text and CR/LF/BS/TAB survive, for any input', () => {
  assert.equal(plainTerminalText('a\x1b[31mred\x1b[0m\x1b]0;title\x07b\x1bPdcs\x1b\\c\r\n'), 'aredbc\r\n');
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
      const out = plainTerminalText(s);
      assert.doesNotMatch(out, /[\x00-\x07\x0b\x0c\x0e-\x1f\x7f-\x9f]/);
    }),
    { numRuns: 500 },
  );
});

test('ATT&CK tactics of tagged techniques, sub-techniques included', () => {
  assert.deepEqual(tacticsOf('T1110.001'), ['Credential Access']);
  assert.deepEqual(tacticsOf('T1078'), ['Initial Access', 'Persistence']);
  assert.deepEqual(tacticsOf('T9999'), ['Other']);
});

test('period aggregates: per-day, per-port and file counts in the report pass, which yields to the event loop', async () => {
  const dir = tempDir();
  const store = new SqliteStore(join(dir, 'a.db'));
  try {
    const start = Date.UTC(2026, 0, 1);
    const events: ApiaryEvent[] = [];
    for (let i = 0; i < 12_000; i++) {
      const t = start + (i % 3) * 86_400_000 + i;
      const type = i % 4 === 0 ? 'scan.probe' : i % 4 === 1 ? 'connection.open' : i === 2 ? 'file.download' : 'auth.attempt';
      const payload =
        type === 'scan.probe' ? { first_bytes_hex: '00' } : type === 'connection.open' ? { transport: 'tcp' } : type === 'file.download' ? { url: 'http://192.0.2.1/x', sha256: 'a'.repeat(64), outcome: 'stored' } : { method: 'password', username: 'root', password: 'x', success: false };
      events.push({ id: newEventId(t), time: new Date(t).toISOString(), type, sensor: 's', session: `s${i >> 2}`, protocol: type === 'scan.probe' ? 'tcp' : 'ssh', src_ip: `198.51.100.${i % 50}`, src_port: 1, dst_ip: '192.0.2.9', dst_port: type === 'scan.probe' ? 8080 : 22, payload } as ApiaryEvent);
    }
    const planted = { token_id: 'ab'.repeat(8), kind: 'mysql', username: 'root', secret: 'Winter1608@', locations: ['/root/.my.cnf'] };
    const t9 = start + 5;
    events.push({ id: newEventId(start - 1), time: new Date(start - 1).toISOString(), type: 'honeytoken.planted', sensor: 's', session: 'p', protocol: 'ssh', src_ip: '0.0.0.0', src_port: 0, dst_ip: '0.0.0.0', dst_port: 0, payload: planted } as ApiaryEvent);
    events.push({ id: newEventId(t9), time: new Date(t9).toISOString(), type: 'command.input', sensor: 's', session: 'u', protocol: 'ssh', src_ip: '203.0.113.9', src_port: 1, dst_ip: '192.0.2.9', dst_port: 22, payload: { input: 'mysql -uroot -pWinter1608@ -h db' } } as ApiaryEvent);
    await store.insertBatch(events);
    const config = validateConfig({ data_dir: dir }) as unknown as Config;
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const agg = await periodAggregates(store, config, { from: undefined, to: undefined, enricher: enricherFromConfig(config) });
    clearInterval(ticker);
    assert.ok(turns >= 3, `timers ran during the pass (${turns})`);
    assert.deepEqual(agg.days.map((d) => [d.day, d.events, d.sources]), [['2025-12-31', 1, 1], ['2026-01-01', 4001, 51], ['2026-01-02', 4000, 50], ['2026-01-03', 4000, 50]]);
    assert.deepEqual(agg.ports.map((p) => [p.port, p.protocol, p.served, p.unserved]), [[22, 'ssh', 3000, 0], [8080, 'tcp', 0, 3000]]);
    assert.equal(agg.fileLastSeen.get('a'.repeat(64)), events[2]!.time);
    assert.deepEqual(agg.honeytokens.map((t) => [t.username, t.used, t.uses.map((u) => [u.src_ip, u.type, u.how])]), [['root', 1, [['203.0.113.9', 'command.input', 'contains']]]]);
  } finally {
    await store.close();
  }
});

test('login limits: parallel wrong logins see each other; refused tries leave nothing that could push a lock out', async () => {
  const { Accounts } = await import('../../src/web/accounts.js');
  const store = new SqliteStore(join(tempDir(), 'accounts.db'));
  try {
    const accounts = new Accounts(store, { idleMs: 60_000, maxFailures: 4 });
    await accounts.prepare('admin password 123');
    // Forty at once from one address: only maxFailures passwords are checked, the rest refused.
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => accounts.login('admin', `wrong ${i}`, '198.51.100.7')));
    assert.equal(results.filter((r) => r === 'wrong').length, 4);
    assert.equal(results.filter((r) => r === 'locked').length, 36);
    // A flood of new names from the locked address is refused without being recorded, so a later
    // failure elsewhere cannot find a full table and drop the lock.
    for (let i = 0; i < 100_001; i++) assert.equal(await accounts.login(`name${i}`, 'x', '198.51.100.7'), 'locked');
    assert.equal(await accounts.login('other', 'x', '203.0.113.9'), 'wrong');
    assert.ok(accounts.lockedFor('198.51.100.7', 'admin') > 0, 'still locked');
    assert.equal(await accounts.login('admin', 'admin password 123', '198.51.100.7'), 'locked');
    // A right password takes back the attempt it was counted as before the check.
    const fresh = new Accounts(store, { idleMs: 60_000, maxFailures: 4 });
    const ip = '203.0.113.10';
    for (const password of ['wrong 1', 'wrong 2']) assert.equal(await fresh.login('admin', password, ip), 'wrong');
    assert.equal(typeof (await fresh.login('admin', 'admin password 123', ip)), 'object');
    assert.equal(await fresh.login('admin', 'wrong 3', ip), 'wrong');
    assert.equal(fresh.lockedFor(ip, 'someone'), 0, 'three failures, not four');
  } finally {
    await store.close();
  }
});
