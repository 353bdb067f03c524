// The same real honeypot logs imported with `apiary import` into SQLite and into PostgreSQL read
// back the same through `apiary events`, `apiary incidents` and `apiary report --format json`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir, writeConfig } from '../helpers/apiary-process.js';
import { DATA } from '../helpers/shared-data.js';
import { startPgServer, type PgServer } from '../helpers/pg-server.js';

let server: PgServer;
before(async () => {
  server = await startPgServer({ fast: true });
});
after(() => server.destroy());

const LOGS: [string, string][] = [
  ['cowrie', join(DATA, 'cowrie/honeylist-2019-cowrie.json')],
  ['dionaea', join(DATA, 'dionaea/rebound-2024-dionaea.sqlite')],
];

async function importAll(configPath: string): Promise<void> {
  for (const [format, file] of LOGS) await runCli(['import', format, file, '--config', configPath], { allowFail: true });
}

const lines = (s: string): unknown[] => s.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);

test('apiary import, events, incidents and report agree on SQLite and PostgreSQL', async () => {
  const base = { networks: { internal: ['10.0.0.0/8'] }, geoip: { overrides: [] } };
  const sqliteDir = tempDir();
  const sqliteConfig = writeConfig(sqliteDir, base);
  const pgDir = tempDir();
  const pgConfig = writeConfig(pgDir, { ...base, store: { kind: 'postgres', postgres: { url: server.createDatabase('parity'), partition: 'day' } } });
  await importAll(sqliteConfig);
  await importAll(pgConfig);
  // Importing again stores nothing new: ids are derived from the records.
  await importAll(pgConfig);

  const events = async (config: string) => lines((await runCli(['events', '--json', '--source', '--limit', '100000', '--config', config])).stdout);
  const fromSqlite = await events(sqliteConfig);
  const fromPg = await events(pgConfig);
  assert.ok(fromSqlite.length > 1000, `${fromSqlite.length} events imported`);
  assert.deepEqual(fromPg, fromSqlite);

  const incidents = async (config: string) => lines((await runCli(['incidents', '--json', '--config', config])).stdout);
  const incSqlite = await incidents(sqliteConfig);
  assert.ok(incSqlite.length > 10);
  assert.deepEqual(await incidents(pgConfig), incSqlite);

  const report = async (dir: string, config: string) => {
    const out = join(dir, 'report.json');
    await runCli(['report', '--format', 'json', '--out', out, '--from', '2010-01-01', '--to', '2030-01-01', '--config', config]);
    const r = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    delete r.generated_at;
    return r;
  };
  assert.deepEqual(await report(pgDir, pgConfig), await report(sqliteDir, sqliteConfig));
});
