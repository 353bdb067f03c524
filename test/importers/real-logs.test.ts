// Imports the real Cowrie, Kippo and Dionaea logs in ../shared/data and checks the stored counts
// against counts this test makes itself from the raw files (its own simple parsing, or SQL).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runCli, writeConfig } from '../helpers/apiary-process.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { ApiaryEvent } from '../../src/events/catalogue.js';

import { DATA } from '../helpers/shared-data.js';
import { removeScratch, scratchDir } from '../helpers/scratch.js';

after(removeScratch);
const COWRIE = join(DATA, 'cowrie/honeylist-2019-cowrie.json');
const KIPPO_SET = [join(DATA, 'kippo/kippo_log-2018-kippo.log'), join(DATA, 'kippo/kippo_log-2018-kippo.log.1')];
const KIPPO_SMALL = join(DATA, 'kippo/globitek-2017-kippo.log');
const DIONAEA = join(DATA, 'dionaea/rebound-2024-dionaea.sqlite');

interface Counts {
  sessions: number;
  loginsFailed: number;
  loginsOk: number;
  commands: number;
  downloads: number;
  dcerpcRequests: number;
  sourceIps: number;
}

/** The same counts from what the store holds for SENSOR. */
export async function storedCounts(dbPath: string, sensor: string): Promise<Counts & { total: number }> {
  const store = new SqliteStore(dbPath, { readonly: true });
  try {
    const events = await store.query({ sensor });
    const of = (t: string): ApiaryEvent[] => events.filter((e) => e.type === t);
    const auth = of('auth.attempt').map((e) => e.payload as { success: boolean });
    return {
      total: events.length,
      sessions: new Set(events.map((e) => e.session)).size,
      loginsFailed: auth.filter((a) => !a.success).length,
      loginsOk: auth.filter((a) => a.success).length,
      commands: of('command.input').length + of('query').length,
      downloads: of('file.download').filter((e) => (e.payload as { outcome: string }).outcome !== 'failed').length,
      dcerpcRequests: of('rpc.request').length,
      sourceIps: new Set(events.map((e) => e.src_ip)).size,
    };
  } finally {
    await store.close();
  }
}

function cowrieRawCounts(path: string): Counts {
  const recs = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, string>);
  const n = (id: string): number => recs.filter((r) => r.eventid === id).length;
  return {
    sessions: new Set(recs.map((r) => r.session)).size,
    loginsFailed: n('cowrie.login.failed'),
    loginsOk: n('cowrie.login.success'),
    commands: n('cowrie.command.input'),
    downloads: n('cowrie.session.file_download'),
    dcerpcRequests: 0,
    sourceIps: new Set(recs.map((r) => r.src_ip)).size,
  };
}

/** Kippo's text log read the simple way: session numbers from "New connection" and transport contexts. */
function kippoRawCounts(paths: string[]): Counts {
  const lines = paths.flatMap((p) => readFileSync(p, 'utf8').split('\n'));
  const open = new Set<string>();
  const ips = new Set<string>();
  let sessions = 0;
  const c = { loginsFailed: 0, loginsOk: 0, commands: 0, downloads: 0 };
  for (const l of lines) {
    const conn = / New connection: ([\d.]+):\d+ \([\d.]+:\d+\) \[session: (\d+)\]$/.exec(l);
    if (conn) {
      open.add(conn[2]!);
      ips.add(conn[1]!);
      sessions++;
      continue;
    }
    const t = /HoneyPotTransport,(\d+),([\d.]+)\] (.*)$/.exec(l);
    if (!t) continue;
    ips.add(t[2]!);
    if (!open.has(t[1]!)) {
      open.add(t[1]!);
      sessions++;
    }
    const msg = t[3]!;
    if (/^login attempt \[.*\] failed$/.test(msg)) c.loginsFailed++;
    if (/^login attempt \[.*\] succeeded$/.test(msg)) c.loginsOk++;
    if (msg.startsWith('CMD: ')) c.commands++;
    if (msg.startsWith('Saving URL (')) c.downloads++;
    if (msg === 'connection lost') open.delete(t[1]!);
  }
  return { sessions, ...c, dcerpcRequests: 0, sourceIps: ips.size };
}

function dionaeaRawCounts(path: string): Counts {
  const db = new Database(path, { readonly: true });
  try {
    const one = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
    return {
      sessions: one("SELECT count(*) AS n FROM connections WHERE connection_type != 'listen'"),
      // Dionaea's MSSQL/MySQL emulations accept every login; the importer records them as successful.
      loginsFailed: one("SELECT count(*) AS n FROM logins JOIN connections USING (connection) WHERE connection_protocol NOT IN ('mssqld', 'mysqld')"),
      loginsOk: one("SELECT count(*) AS n FROM logins JOIN connections USING (connection) WHERE connection_protocol IN ('mssqld', 'mysqld')"),
      commands: one('SELECT (SELECT count(*) FROM mssql_commands) + (SELECT count(*) FROM mysql_commands) AS n'),
      downloads: one('SELECT count(*) AS n FROM downloads'),
      dcerpcRequests: one('SELECT count(*) AS n FROM dcerpcrequests'),
      sourceIps: one("SELECT count(DISTINCT remote_host) AS n FROM connections WHERE connection_type != 'listen'"),
    };
  } finally {
    db.close();
  }
}

async function importInto(format: string, files: string[], extra: string[] = []): Promise<{ dir: string; db: string; code: number; stdout: string; stderr: string; config: string }> {
  const dir = scratchDir('apiary-import-');
  const config = writeConfig(dir, {});
  const r = await runCli(['import', format, ...files, '--config', config, ...extra], { allowFail: true });
  return { dir, config, db: join(dir, 'data', 'apiary.db'), ...r };
}

const haveData = existsSync(COWRIE);

test('Cowrie 2.0 JSON (honeylist 2019): stored counts equal the raw file counts; a second import adds nothing', { skip: !haveData }, async () => {
  const r = await importInto('cowrie', [COWRIE]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const got = await storedCounts(r.db, 'ubuntu');
  const { total, ...counts } = got;
  const want = cowrieRawCounts(COWRIE);
  assert.deepEqual(counts, want);
  assert.ok(want.sessions > 300 && want.loginsOk > 200 && want.commands > 0, 'the fixture is the expected file');
  const again = await runCli(['import', 'cowrie', COWRIE, '--config', r.config]);
  assert.match(again.stdout, new RegExp(`imported ${total} events \\(0 new, ${total} already stored\\)`));
  assert.equal((await storedCounts(r.db, 'ubuntu')).total, total);
});

test('Kippo text logs (rotated set, given newest first): counts equal the raw counts; idempotent', { skip: !haveData }, async () => {
  const r = await importInto('kippo', KIPPO_SET, ['--sensor', 'lab-kippo']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  // The older file is read first whatever the order given.
  assert.ok(r.stdout.indexOf('kippo.log.1:') < r.stdout.indexOf('kippo.log:'), r.stdout);
  const { total, ...counts } = await storedCounts(r.db, 'lab-kippo');
  assert.deepEqual(counts, kippoRawCounts([...KIPPO_SET].reverse()));
  const again = await runCli(['import', 'kippo', ...KIPPO_SET, '--sensor', 'lab-kippo', '--config', r.config]);
  assert.match(again.stdout, /events \(0 new, /);
  assert.equal((await storedCounts(r.db, 'lab-kippo')).total, total);
});

test('Kippo text log (globitek 2017): logins, commands with found/not found folded, TTY log name', { skip: !haveData }, async () => {
  const r = await importInto('kippo', [KIPPO_SMALL]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const { total: _t, ...counts } = await storedCounts(r.db, 'kippo');
  assert.deepEqual(counts, kippoRawCounts([KIPPO_SMALL]));
  const store = new SqliteStore(r.db, { readonly: true });
  const cmds = await store.query({ type: 'command.input' });
  assert.deepEqual(
    cmds.map((e) => [(e.payload as { input: string }).input, (e.payload as { known?: boolean }).known]),
    [['pwd', true], ['cd root', true], ['exit', true], ['exit', true], ['su kippo', true], ['pwd', true], ['su kippo', true], ['ls', true]],
  );
  const rec = await store.query({ type: 'session.recording' });
  assert.equal((rec[0]?.payload as { path: string }).path, 'log/tty/20170406-161906-6014.log');
  const malformed = await store.query({ type: 'protocol.malformed' });
  assert.equal(malformed.length, 3, 'three "bad packet length" probes');
  assert.equal(cmds[0]!.source?.format, 'kippo.log');
  assert.match(JSON.stringify(cmds[0]!.source), /CMD: pwd/);
  await store.close();
});

test('Dionaea logsql (rebound 2024): counts equal SQL over the raw database; DCERPC names; idempotent', { skip: !haveData }, async () => {
  const r = await importInto('dionaea', [DIONAEA]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const { total, ...counts } = await storedCounts(r.db, 'dionaea');
  assert.deepEqual(counts, dionaeaRawCounts(DIONAEA));
  const store = new SqliteStore(r.db, { readonly: true });
  const req = await store.query({ type: 'rpc.request' });
  assert.deepEqual(req[0]?.payload, { interface_uuid: '4b324fc8-1670-01d3-1278-5a47bf6ee188', opnum: 34, interface: 'srvsvc', operation: 'NetNameCanonicalize' });
  const binds = await store.query({ type: 'rpc.bind' });
  assert.deepEqual(
    binds.map((b) => (b.source?.record as { dcerpcbind: number }).dcerpcbind),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    'binds sharing a timestamp keep their row order',
  );
  await store.close();
  const shown = await runCli(['events', '--config', r.config, '--json', '--source', '--type', 'rpc.request']);
  const line = JSON.parse(shown.stdout.trim()) as { opnum: number; source: { table: string; record: { dcerpcrequest_opnum: number } } };
  assert.deepEqual([line.opnum, line.source.table, line.source.record.dcerpcrequest_opnum], [34, 'dcerpcrequests', 34]);
  const again = await runCli(['import', 'dionaea', DIONAEA, '--config', r.config]);
  assert.match(again.stdout, /events \(0 new, /);
  assert.equal((await storedCounts(r.db, 'dionaea')).total, total);
});

test('Kippo: logs of different runs imported together keep their sessions apart (numbers restart)', { skip: !haveData }, async () => {
  const together = await importInto('kippo', [KIPPO_SMALL, ...KIPPO_SET]);
  assert.equal(together.code, 0, together.stdout);
  const a = await importInto('kippo', KIPPO_SET);
  const b = await importInto('kippo', [KIPPO_SMALL]);
  const t = await storedCounts(together.db, 'kippo');
  const x = await storedCounts(a.db, 'kippo');
  const y = await storedCounts(b.db, 'kippo');
  assert.equal(t.total, x.total + y.total);
  assert.equal(t.sessions, x.sessions + y.sessions);
  assert.equal(t.commands, x.commands + y.commands);
});
