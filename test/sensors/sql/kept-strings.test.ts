// What the decoy engine keeps (user variables, rows, names in a source's copy) holds what it counts:
// copies of the attacker's text, never views into the 4 Mi-character REPEAT() or megabyte statement
// they were cut from, which V8 keeps alive with the view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execute } from '../../../src/sensors/sql/engine.js';
import { generateDecoy } from '../../../src/sensors/sql/decoy-data.js';
import { DecoyState } from '../../../src/sensors/sql/decoy-state.js';
import { MAX_PARSED_STATEMENT_CHARS } from '../../../src/sensors/sql/lexer.js';
import { MAX_USER_VAR_CHARS, MAX_USER_VARS, MAX_USER_VARS_TOTAL_CHARS } from '../../../src/sensors/sql/user-vars.js';
import { flatCopy } from '../../../src/wire/flat-copy.js';
import { heldBy, MiB } from '../../helpers/heap.js';
import { recordStatement } from '../../../src/sensors/sql/record.js';
import type { PayloadStore } from '../../../src/sensors/sql/payload-store.js';
import type { SessionEmitter } from '../../../src/events/emitter.js';
import { rows, sqlSession } from '../../helpers/sql-engine.js';

const decoy = generateDecoy({ seed: Buffer.alloc(16, 4), now: Date.UTC(2026, 0, 1), appDatabase: 'webshop', customers: 10, orders: 10 });
/** REPEAT's count in the reviewer's reproduction: the engine's MAX_VALUE_CHARS. */
const FOUR_MI = 4 * 1024 * 1024;
/** Each kept piece's parent is 4 MiB (or 1 MiB): without copies 32 of them hold 32 to 128 MiB. */
const BOUND = 8 * MiB;

/** A statement of nearly MAX_PARSED_STATEMENT_CHARS: HEAD, then a comment that fills it. */
function padded(head: string, i: number): string {
  return `${head} /* ${String(i).padStart(4, '0')}${'c'.repeat(MAX_PARSED_STATEMENT_CHARS - head.length - 64)} */`;
}

function ok(sql: string, s: ReturnType<typeof sqlSession>, view: ReturnType<DecoyState['viewFor']>): void {
  const r = execute(sql, s, view).result;
  assert.equal(r.kind, 'ok', `${sql.slice(0, 80)}: ${JSON.stringify(r).slice(0, 200)}`);
}

test('flatCopy gives an equal string that does not keep the string it was cut from', async () => {
  for (const s of ['', 'short', 'x'.repeat(13), 'ā'.repeat(40), '\ud800 lone surrogate \udfff and more', 'mixed ascii and 漢字 text']) assert.equal(flatCopy(s), s);
  const kept: string[] = [];
  const held = await heldBy(() => {
    for (let i = 0; i < 32; i++) kept.push(flatCopy(`${String.fromCharCode(97 + i)}`.repeat(FOUR_MI).slice(3, 103)));
  });
  assert.ok(held < BOUND, `${(held / MiB).toFixed(1)} MiB held by 32 copies of 100 characters`);
  assert.equal(kept[5], 'f'.repeat(100));
});

test('user variables set from REPEAT() hold their own characters, not the 4 Mi-character values they were cut from', async () => {
  const view = new DecoyState(decoy).viewFor('198.51.100.1');
  const s = sqlSession('webshop');
  const held = await heldBy(() => {
    for (let i = 0; i < 32; i++) ok(`SET @v${i} = REPEAT('${String.fromCharCode(97 + (i % 26))}', ${FOUR_MI})`, s, view);
  });
  assert.ok(held < BOUND, `${(held / MiB).toFixed(1)} MiB held by the user variables`);
  assert.deepEqual(rows(execute('SELECT LENGTH(@v0), SUBSTRING(@v1, 1, 3)', s, view).result), [[MAX_USER_VAR_CHARS, 'bbb']]);
  let total = 0;
  for (const [k, v] of s.userVars) total += k.length + (typeof v === 'string' ? v.length : 0);
  assert.ok(total <= MAX_USER_VARS_TOTAL_CHARS, `${total} characters kept`);
});

test('rows inserted from SUBSTRING(REPEAT()) and from literals in a megabyte statement hold only their own characters', async () => {
  const view = new DecoyState(decoy).viewFor('198.51.100.2');
  const s = sqlSession();
  ok('CREATE DATABASE zz', s, view);
  ok('CREATE TABLE zz.t (a TEXT)', s, view);
  const held = await heldBy(() => {
    for (let i = 0; i < 32; i++) ok(`INSERT INTO zz.t VALUES (SUBSTRING(REPEAT('${String.fromCharCode(97 + (i % 26))}', ${FOUR_MI}), 1, 100))`, s, view);
    for (let i = 0; i < 16; i++) ok(padded(`INSERT INTO zz.t VALUES ('${`literal-${i}-`.padEnd(100, 'l')}')`, i), s, view);
  });
  assert.ok(held < BOUND, `${(held / MiB).toFixed(1)} MiB held by 48 rows of 100 characters`);
  assert.deepEqual(rows(execute('SELECT COUNT(*), SUM(LENGTH(a)) FROM zz.t', s, view).result), [[48, 4800]]);
});

test('names of databases, tables and columns created in megabyte statements hold only their own characters', async () => {
  const view = new DecoyState(decoy).viewFor('198.51.100.3');
  const s = sqlSession();
  ok('CREATE DATABASE zz', s, view);
  const held = await heldBy(() => {
    for (let i = 0; i < 24; i++) {
      ok(padded(`CREATE DATABASE \`d${i}_${'n'.repeat(40)}\``, i), s, view);
      ok(padded(`CREATE TABLE zz.t${i}_${'n'.repeat(40)} (c_${'m'.repeat(40)} varchar(255))`, i), s, view);
    }
  });
  assert.ok(held < BOUND, `${(held / MiB).toFixed(1)} MiB held by 48 names`);
  assert.deepEqual(rows(execute(`SHOW COLUMNS FROM zz.t7_${'n'.repeat(40)}`, s, view).result)[0]!.slice(0, 2), [`c_${'m'.repeat(40)}`, 'varchar']);
});

test(`user variables: names past MySQL's 64 characters are refused (3061); past MAX_USER_VARS or the total a new one is not kept`, () => {
  const view = new DecoyState(decoy).viewFor('198.51.100.4');
  const s = sqlSession();
  const long = execute(`SET @${'n'.repeat(65)} = 1`, s, view).result;
  assert.deepEqual(long.kind === 'error' && [long.code, long.state], [3061, '42000']);
  ok(`SET @${'n'.repeat(64)} = 1`, s, view);
  assert.equal(execute(`SET @${'n'.repeat(100)} = 1`, sqlSession(undefined, 'tsql'), view).result.kind, 'ok', 'T-SQL names go to 128');
  for (let i = 1; i < MAX_USER_VARS + 10; i++) ok(`SET @k${i} = ${i}`, s, view);
  assert.equal(s.userVars.size, MAX_USER_VARS);
  ok(`SET @k1 = 'changed'`, s, view);
  assert.deepEqual(rows(execute('SELECT @k1, @k300', s, view).result), [['changed', null]], 'a kept variable still changes');
  const t = sqlSession();
  for (let i = 0; i < 20; i++) ok(`SET @big${i} = REPEAT('z', ${MAX_USER_VAR_CHARS})`, t, view);
  assert.equal(t.userVars.size, Math.floor(MAX_USER_VARS_TOTAL_CHARS / (MAX_USER_VAR_CHARS + 'bigNN'.length)));
});

test('query and attack events cut from a megabyte packet hold copies, not the packet (events wait in a queue while the store is down)', async () => {
  const events: unknown[] = [];
  const emitter = { emit: (type: string, payload: unknown) => void events.push([type, payload]) } as unknown as SessionEmitter;
  const payloads = { put: () => { throw new Error('no payload in these statements'); } } as unknown as PayloadStore;
  const held = await heldBy(() => {
    for (let i = 0; i < 32; i++) {
      // One packet of two statements: a short sys_exec call, then a megabyte one; the first is a view.
      const packet = `SELECT sys_exec('id ${String(i).padStart(4, '0')}'); SELECT '${'x'.repeat(MiB)}'`;
      const first = packet.slice(0, packet.indexOf(';'));
      recordStatement(emitter, payloads, { text: first, database: undefined, dialect: 'mysql' });
    }
  });
  assert.ok(events.length >= 64, `${events.length} events`);
  assert.ok(held < BOUND, `32 events held ${(held / MiB).toFixed(1)} MiB`);
});
