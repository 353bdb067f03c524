// Pieces of the dashboard on their own: password hashing, the aggregate cache's background refresh,
// the period aggregates' single pass, and the recording filter (property: whatever bytes a recording holds, only text and CR/LF/BS/TAB
// reach the page).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hashPassword, passwordProblem, verifyPassword } from '../../src/web/password.js';
import { AggregateCache, plainTerminalText } from '../../src/web/api.js';
import { Accounts, MAX_FAILED_LOGIN_AUDITS_PER_MINUTE, MAX_RUNNING_CHECKS, MAX_SESSIONS_PER_USER, MAX_WAITING_CHECKS, SESSION_MAX_MS } from '../../src/web/accounts.js';
import { Busy, WorkLimiter } from '../../src/web/limiter.js';
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
import { callWithin } from '../helpers/bounded-call.js';

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
    // The planted honeytoken (from 0.0.0.0, on 2025-12-31) is the sensor's, not an attacker's: no day of its own.
    assert.deepEqual(agg.days.map((d) => [d.day, d.events, d.sources]), [['2026-01-01', 4001, 51], ['2026-01-02', 4000, 50], ['2026-01-03', 4000, 50]]);
    assert.deepEqual(agg.ports.map((p) => [p.port, p.protocol, p.served, p.unserved]), [[22, 'ssh', 3000, 0], [8080, 'tcp', 0, 3000]]);
    assert.equal(agg.fileLastSeen.get('a'.repeat(64)), events[2]!.time);
    // With its session: the report's pass beneath the tally reads no sessions of its own (ScanOptions.counting).
    assert.deepEqual(agg.honeytokens.map((t) => [t.username, t.used, t.uses.map((u) => [u.src_ip, u.session, u.type, u.how])]), [['root', 1, [['203.0.113.9', 'u', 'command.input', 'contains']]]]);
  } finally {
    await store.close();
  }
});

test('period aggregates: days and ports count what the report counts, without the sensors\' announcements or ignored hosts', async () => {
  const dir = tempDir();
  const store = new SqliteStore(join(dir, 'a.db'));
  try {
    const t = Date.UTC(2026, 0, 1);
    const ev = (i: number, type: string, src_ip: string, payload: Record<string, unknown>): ApiaryEvent =>
      ({ id: newEventId(t + i), time: new Date(t + i).toISOString(), type, sensor: 's', session: `s${i}`, protocol: 'ssh', src_ip, src_port: 1, dst_ip: '192.0.2.9', dst_port: 22, payload }) as ApiaryEvent;
    const planted = { token_id: 'cd'.repeat(8), kind: 'ssh', username: 'backup', secret: 'Spring2024!', locations: ['/root/.pgpass'] };
    await store.insertBatch([
      ev(0, 'honeytoken.planted', '0.0.0.0', planted),
      ev(1, 'connection.open', '203.0.113.7', { transport: 'tcp' }),
      ev(2, 'connection.open', '198.51.100.77', { transport: 'tcp' }),
      ev(3, 'connection.open', '198.51.100.77', { transport: 'tcp' }),
    ]);
    // 198.51.100.77 is the operators' own scanner (networks.ignore), as its enrichment says.
    const config = validateConfig({ data_dir: dir, networks: { ignore: ['198.51.100.77/32'] } }) as unknown as Config;
    const enricher = enricherFromConfig(config);
    await store.upsertEnrichment(['203.0.113.7', '198.51.100.77'].map((ip) => enricher.enrich(ip)));
    const agg = await periodAggregates(store, config, { from: undefined, to: undefined, enricher });
    assert.equal(agg.report.totals.events, 1);
    assert.deepEqual(agg.days.map((d) => [d.day, d.events, d.sources]), [['2026-01-01', 1, 1]]);
    assert.deepEqual(agg.ports.map((p) => [p.port, p.served, p.sources]), [[22, 1, 1]]);
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

test('failed-login records stay within MAX_FAILURE_KEYS in O(1) per failure, and the newest lock holds', async () => {
  // 400,000 failures from as many addresses and names: forgetting the oldest record one at a time
  // walked the map's deleted entries on every failure (35 s here); an eighth at a time takes 3 s.
  const r = (await callWithin(new URL('../helpers/login-failures.js', import.meta.url).href, 'failFromManyAddresses', [400_000], 20_000)) as { held: number; max: number; lastLocked: boolean };
  assert.ok(r.held <= r.max, `${r.held} records held`);
  assert.equal(r.lastLocked, true);
});

/** Runs FN with Accounts on a new store (admin's password 'admin password 123'), on a clock the test moves. */
async function withAccounts(fn: (t: { accounts: Accounts; store: SqliteStore; clock: { now: number }; restart(): Promise<Accounts> }) => Promise<void>): Promise<void> {
  const store = new SqliteStore(join(tempDir(), 'accounts.db'));
  const clock = { now: Date.UTC(2026, 0, 1) };
  const open = async (adminPassword: string | undefined): Promise<Accounts> => {
    const accounts = new Accounts(store, { idleMs: 60_000, maxFailures: 4, now: () => clock.now });
    await accounts.prepare(adminPassword);
    return accounts;
  };
  try {
    await fn({ accounts: await open('admin password 123'), store, clock, restart: () => open(undefined) });
  } finally {
    await store.close();
  }
}

test('login limits: strangers guessing at a name do not lock it out where it logged in before; set-up counts per address', () =>
  withAccounts(async ({ accounts, restart }) => {
    assert.equal(typeof (await accounts.login('admin', 'admin password 123', '198.51.100.1')), 'object');
    // Four strangers' guesses at "admin" from elsewhere (one IPv6 /64 counts as one address).
    for (let i = 0; i < 4; i++) assert.equal(await accounts.login('admin', `wrong ${i}`, `2001:db8:1:2::${i + 1}`), 'wrong');
    assert.equal(await accounts.login('admin', 'wrong 5', '2001:db8:1:2:ffff::9'), 'locked', 'the /64 is locked');
    assert.equal(await accounts.login('admin', 'admin password 123', '203.0.113.50'), 'locked', 'a new address is held back by the name');
    assert.equal(typeof (await accounts.login('admin', 'admin password 123', '198.51.100.1')), 'object', 'where admin logged in before, it still can');
    // Known addresses are kept with the account: a restarted dashboard still lets admin in there.
    for (let i = 0; i < 4; i++) await accounts.login('admin', `wrong ${i}`, `192.0.2.${i + 1}`);
    const restarted = await restart();
    for (let i = 0; i < 4; i++) await restarted.login('admin', `wrong ${i}`, `192.0.2.${i + 1}`);
    assert.equal(typeof (await restarted.login('admin', 'admin password 123', '198.51.100.1')), 'object');
    // Set-up tries count per address only, apart from logins.
    for (let i = 0; i < 4; i++) accounts.noteFailure('192.0.2.77');
    assert.ok(accounts.lockedFor('192.0.2.77') > 0);
    assert.equal(accounts.lockedFor('192.0.2.78'), 0, 'another address may still set up');
    assert.equal(accounts.lockedFor('192.0.2.77', 'setup'), 0, 'and a login of a user called "setup" is not held back by it');
  }));

test('login limits: password checks run two at a time; past the queue a login is refused as busy and not counted', () =>
  withAccounts(async ({ accounts }) => {
    const n = MAX_RUNNING_CHECKS + MAX_WAITING_CHECKS + 10;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => accounts.login(`user${i}`, 'x', `198.51.100.${i + 1}`)));
    assert.equal(results.filter((r) => r === 'busy').length, 10);
    assert.equal(results.filter((r) => r === 'wrong').length, n - 10);
    // A refused login was never checked, so it counts against nobody: its address can fail four more times.
    const busy = results.findIndex((r) => r === 'busy');
    for (let i = 0; i < 3; i++) await accounts.login('someone', 'x', `198.51.100.${busy + 1}`);
    assert.equal(accounts.lockedFor(`198.51.100.${busy + 1}`, 'other'), 0);
  }));

test('login sessions: a lifetime however active, a check that does not extend them, and watchers told when they end', () =>
  withAccounts(async ({ accounts, clock }) => {
    const a = await accounts.login('admin', 'admin password 123', '198.51.100.1');
    assert.ok(typeof a === 'object');
    let endedA = 0;
    accounts.watch(a.token, () => endedA++);
    // alive() does not restart the idle timer; session() does.
    clock.now += 50_000;
    assert.equal(accounts.alive(a.token), true);
    clock.now += 20_000;
    assert.equal(accounts.alive(a.token), false, 'idle past idleMs, however often alive() looked');
    assert.equal(endedA, 1, 'its watcher was told');
    assert.equal(accounts.session(a.token), undefined);
    // Kept active, a session still ends at SESSION_MAX_MS.
    const b = await accounts.login('admin', 'admin password 123', '198.51.100.1');
    assert.ok(typeof b === 'object');
    for (let t = 0; t < SESSION_MAX_MS - 60_000; t += 50_000) {
      clock.now += 50_000;
      assert.ok(accounts.session(b.token), 'active, so not idle');
    }
    clock.now += 70_000;
    assert.equal(accounts.session(b.token), undefined, 'past its lifetime');
    // Logout tells the watchers once; a cancelled watcher is not told.
    const c = await accounts.login('admin', 'admin password 123', '198.51.100.1');
    assert.ok(typeof c === 'object');
    let endedC = 0;
    let cancelled = 0;
    accounts.watch(c.token, () => endedC++);
    accounts.watch(c.token, () => cancelled++)();
    accounts.logout(c.token);
    accounts.logout(c.token);
    assert.deepEqual([endedC, cancelled], [1, 0]);
  }));

test('audit log: past a per-minute cap, failed logins are only counted, and the count written the next minute', () =>
  withAccounts(async ({ accounts, store, clock }) => {
    let writes = 0;
    const setState = store.setState.bind(store);
    store.setState = async (k: string, v: string) => (writes++, setState(k, v));
    // Ten at a time: within what the password checks queue (more would be refused as busy, not audited).
    const burst = async (from: number, count: number) => {
      for (let i = 0; i < count; i += 10) await Promise.all(Array.from({ length: 10 }, (_, k) => accounts.login(`u${from + i + k}`, 'x', `10.${from % 256}.${i}.${k}`)));
    };
    await burst(0, MAX_FAILED_LOGIN_AUDITS_PER_MINUTE);
    assert.ok(writes <= MAX_FAILED_LOGIN_AUDITS_PER_MINUTE, `the log was rewritten ${writes} times for ${MAX_FAILED_LOGIN_AUDITS_PER_MINUTE} entries`);
    const atCap = writes;
    await burst(1000, 40);
    assert.equal(writes, atCap, 'past the cap, failed logins are only counted');
    const logged = (await accounts.auditLog()).filter((e) => e.action === 'login.failed');
    assert.equal(logged.length, MAX_FAILED_LOGIN_AUDITS_PER_MINUTE);
    clock.now += 60_000;
    await accounts.login('late', 'x', '10.9.9.9');
    const log = await accounts.auditLog();
    assert.ok(log.some((e) => e.action === 'login.failed.unlogged' && e.detail === '40 more failed logins in the minute before'));
    assert.equal(log[log.length - 1]!.target, 'late');
  }));

test('work limiter and the aggregate cache: so many run at once, a few wait, the rest are refused as busy', async () => {
  const limiter = new WorkLimiter('reports', 1, 1);
  const cache = new AggregateCache(30_000, 16, limiter);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let ran = 0;
  const slow = (v: number) => async () => (ran++, await gate, v);
  const first = cache.get('a', slow(1));
  const second = cache.get('b', slow(2));
  await assert.rejects(cache.get('c', slow(3)), (err) => err instanceof Busy && /busy/.test(err.message));
  assert.equal(ran, 1, 'the second waits its turn');
  assert.deepEqual(limiter.stats, { running: 1, waiting: 1 });
  release();
  assert.deepEqual(await Promise.all([first, second]), [1, 2]);
  assert.deepEqual(limiter.stats, { running: 0, waiting: 0 });
  // A refused period was not cached: asked again when there is room, it is computed.
  assert.equal(await cache.get('c', slow(3)), 3);
});

test('accounts: removing one or setting its password ends its sessions; the last admin stays', () =>
  withAccounts(async ({ accounts }) => {
    assert.equal(await accounts.create('vera', 'viewer password 1', 'viewer', 'admin'), true);
    const v1 = await accounts.login('vera', 'viewer password 1', '198.51.100.2');
    const a = await accounts.login('admin', 'admin password 123', '198.51.100.1');
    assert.ok(typeof v1 === 'object' && typeof a === 'object');
    let ended = 0;
    accounts.watch(v1.token, () => ended++);
    assert.equal(await accounts.resetPassword('vera', 'a new password 1', 'admin'), true);
    assert.equal(accounts.session(v1.token), undefined, 'a new password ends the open session');
    assert.equal(ended, 1, 'and its live monitors');
    assert.equal(await accounts.login('vera', 'viewer password 1', '198.51.100.2'), 'wrong');
    const v2 = await accounts.login('vera', 'a new password 1', '198.51.100.2');
    assert.ok(typeof v2 === 'object');
    assert.equal(await accounts.remove('admin', 'admin'), 'last-admin');
    assert.equal(await accounts.remove('vera', 'admin'), 'ok');
    assert.equal(accounts.session(v2.token), undefined);
    assert.ok(accounts.session(a.token), "other users' sessions stay");
    assert.equal(await accounts.remove('vera', 'admin'), 'missing');
    assert.equal(await accounts.resetPassword('vera', 'a new password 1', 'admin'), false);
  }));

test('login sessions: one user logging in again and again ends only its own oldest sessions, not other users\'', async () => {
  const store = new SqliteStore(join(tempDir(), 'accounts.db'));
  try {
    // A global cap just above one user's, so reaching it takes a few dozen logins (scrypt each), not 1,000.
    const accounts = new Accounts(store, { idleMs: 60_000, maxFailures: 4, maxSessions: MAX_SESSIONS_PER_USER + 5 });
    await accounts.prepare('admin password 123');
    assert.equal(await accounts.create('vera', 'viewer password 1', 'viewer', 'admin'), true);
    const admin = await accounts.login('admin', 'admin password 123', '198.51.100.1');
    assert.ok(typeof admin === 'object');
    const vera: string[] = [];
    for (let i = 0; i < MAX_SESSIONS_PER_USER + 10; i++) {
      const v = await accounts.login('vera', 'viewer password 1', '198.51.100.2');
      assert.ok(typeof v === 'object');
      vera.push(v.token);
    }
    assert.ok(accounts.session(admin.token), "admin's session survives another user's logins");
    assert.equal(vera.filter((t) => accounts.alive(t)).length, MAX_SESSIONS_PER_USER, 'vera keeps her newest sessions only');
    assert.ok(accounts.alive(vera[vera.length - 1]!) && !accounts.alive(vera[0]!));
  } finally {
    await store.close();
  }
});
