// Saving the attack state: in pieces of bounded size under keys of their own (one JSON string of a
// large state passes V8's string limit), two slots taken in turn, a restart resuming from them; and a
// save that fails is logged with its code, does not fail the catch-up, and is tried again an interval later.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ATTACK_STATE_SAVE_ERROR, ATTACKS_STATE_KEY, ATTACKS_WATERMARK_KEY, AttackRunner, STATE_SAVE_INTERVAL_MS, statePieceKey } from '../../../src/analysis/attack-runner.js';
import { overrideMethods } from '../../../src/store/override.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { tempDir } from '../../helpers/apiary-process.js';
import { makeEvent } from '../../helpers/events.js';

const T0 = Date.parse('2026-07-01T08:00:00Z');
let tick = 0;
function login(src: string, password: string, success: boolean) {
  tick++;
  return makeEvent({ type: 'auth.attempt', time: new Date(T0 + tick * 1000).toISOString(), src, session: `${src}-${tick}`, payload: { method: 'password', username: 'root', password, success } });
}

/** A brute force that finds PASSWORD from each of N sources (every one a chain worth saving). */
function bruteForces(n: number, from: number, password: string) {
  return Array.from({ length: n }, (_, i) => `198.51.${(from + i) >> 8}.${(from + i) & 255}`).flatMap((src) => [login(src, 'q1', false), login(src, 'q2', false), login(src, 'q3', false), login(src, password, true)]);
}

test('the state is saved in bounded pieces, slots taken in turn, and a restarted runner resumes from them', async () => {
  const store = new SqliteStore(join(tempDir(), 's.db'));
  try {
    await store.insertBatch(bruteForces(60, 0, 'Pieces#One'));
    const first = new AttackRunner(store, { pieceChars: 4000 });
    await first.catchUp();
    await first.flush();
    const saved = await store.listState(`${ATTACKS_STATE_KEY}.`);
    assert.ok(saved.size > 3, `${saved.size} pieces`);
    for (const [key, value] of saved) {
      assert.match(key, /^attacks\.state\.a\.\d+$/);
      // A piece holds entries up to the size, and then one more at most (here a source or a chain of a few KB).
      assert.ok(value.length < 4000 + 8000, `${key}: ${value.length}`);
    }
    const manifest = (await store.getState(ATTACKS_STATE_KEY))!;
    assert.ok(manifest.length < 200, manifest);
    assert.equal(JSON.parse(manifest.slice(manifest.indexOf('\n') + 1)).pieces, saved.size);

    // A restarted runner loads the pieces: the password found before links to a login after.
    await store.insertBatch([login('203.0.113.7', 'Pieces#One', true), makeEvent({ type: 'command.input', time: new Date(T0 + ++tick * 1000).toISOString(), src: '203.0.113.7', session: `203.0.113.7-${tick - 1}`, payload: { input: 'cat /etc/shadow' } })]);
    const second = new AttackRunner(store, { pieceChars: 4000 });
    assert.equal((await second.catchUp()).events, 2, 'only the events after the save are folded');
    const chain = (await store.listAttacks()).find((c) => c.sources.some((s) => s.ip === '203.0.113.7'))!;
    assert.ok(chain.links.some((l) => l.type === 'credential_handoff' && l.to === '203.0.113.7'));

    // The next save goes to the other slot; the first stays whole until the one after.
    await second.flush();
    const again = await store.listState(`${ATTACKS_STATE_KEY}.`);
    assert.ok([...again.keys()].some((k) => k.startsWith('attacks.state.b.')));
    const m2 = JSON.parse((await store.getState(ATTACKS_STATE_KEY))!.split('\n')[1]!) as { slot: string; pieces: number };
    assert.equal(m2.slot, 'b');
    assert.ok(await store.getState(statePieceKey('b', m2.pieces - 1)));
    assert.equal(await store.getState(statePieceKey('b', m2.pieces)), undefined);
  } finally {
    await store.close();
  }
});

test('a failed save is logged with its code, the catch-up goes on, and the save is tried again an interval later', async () => {
  const store = new SqliteStore(join(tempDir(), 'f.db'));
  let now = 1_000_000;
  let failing = true;
  let attempts = 0;
  const failingStore = overrideMethods(store, {
    setState: async (key: string, value: string) => {
      if (key.startsWith(ATTACKS_STATE_KEY)) {
        attempts++;
        // What JSON.stringify threw for a state past V8's string limit.
        if (failing) throw new RangeError('Invalid string length');
      }
      return store.setState(key, value);
    },
  });
  const logged: string[] = [];
  const runner = new AttackRunner(failingStore, { now: () => now, log: { error: (_obj, msg) => logged.push(msg) } });
  try {
    await store.insertBatch(bruteForces(3, 0, 'Save#Fails1'));
    now += STATE_SAVE_INTERVAL_MS;
    const r1 = await runner.catchUp();
    assert.equal(r1.events, 12, 'the catch-up resolves with what it folded');
    assert.equal(attempts, 1);
    assert.equal(logged.length, 1);
    assert.ok(logged[0]!.startsWith(`${ATTACK_STATE_SAVE_ERROR}:`), logged[0]);
    assert.equal(await store.getState(ATTACKS_WATERMARK_KEY), (await store.readCommitted(undefined, 1000)).cursor, 'the chains and watermark were committed');

    // Within the interval: folding goes on, the save is not tried on every catch-up.
    await store.insertBatch(bruteForces(2, 10, 'Save#Fails2'));
    assert.equal((await runner.catchUp()).events, 8);
    assert.equal(attempts, 1);

    // An interval later, with the store healthy again, it is saved; a new runner resumes from it.
    failing = false;
    now += STATE_SAVE_INTERVAL_MS;
    await store.insertBatch(bruteForces(1, 20, 'Save#Fails3'));
    assert.equal((await runner.catchUp()).events, 4);
    assert.ok(attempts >= 2);
    assert.equal(logged.length, 1);
    assert.ok(await store.getState(ATTACKS_STATE_KEY));
    const next = new AttackRunner(store);
    assert.equal((await next.catchUp()).events, 0, 'nothing left to refold after the save');
    await store.insertBatch([login('203.0.113.9', 'Save#Fails2', true)]);
    await next.catchUp();
    const chain = (await store.listAttacks()).find((c) => c.sources.some((s) => s.ip === '203.0.113.9'))!;
    assert.ok(chain.links.some((l) => l.type === 'credential_handoff'), 'the restored state knows the earlier sources');

    // A failure at shutdown is logged too, and flush resolves.
    failing = true;
    await store.insertBatch(bruteForces(1, 30, 'Save#Fails4'));
    await runner.catchUp();
    await runner.flush();
    assert.equal(logged.length, 2);
  } finally {
    await store.close();
  }
});
