// Logs imported while `apiary start` runs: that process holds the tracking lease, so it is the one that
// folds them into incidents, without waiting for its own sensors to record something; and it finds
// their sources enriched (scope, country) because the import writes each source's record before its
// events, as the collector does for live ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { IncidentTracker } from '../../src/analysis/incident-tracker.js';
import { enricherFromConfig } from '../../src/enrich/from-config.js';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { makeEvent } from '../helpers/events.js';
import { runCli, startApiaryProcess, tempDir, waitFor, writeConfig } from '../helpers/apiary-process.js';
import { DATA } from '../helpers/shared-data.js';

const COWRIE = join(DATA, 'cowrie/honeylist-2019-cowrie.json');
/** A source of that log declared internal by the test's config. */
const INTERNAL = '5.188.86.164';

interface Row {
  src_ip: string;
  scope: string;
  country: string | null;
}

test('a Cowrie log imported beside a running, idle sensor is folded within seconds, each incident with its source\'s scope and country', { timeout: 120_000 }, async () => {
  const app = await startApiaryProcess({
    networks: { internal: [`${INTERNAL}/32`] },
    alerts: { log: false },
    services: { ssh: { listen: ['127.0.0.1:0'] } },
  });
  try {
    const imported = await runCli(['import', 'cowrie', COWRIE, '--config', app.configPath]);
    assert.match(imported.stdout, /imported \d+ events/);
    const incidents = async (): Promise<Row[]> =>
      (await runCli(['incidents', '--config', app.configPath, '--json'])).stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Row);
    // No sensor traffic: only the running process's own look for other processes' commits folds them.
    await waitFor(async () => (await incidents()).length > 0, 30_000, 500);
    const rows = await incidents();
    const internal = rows.filter((r) => r.src_ip === INTERNAL);
    assert.ok(internal.length > 0 && internal.every((r) => r.scope === 'internal'), JSON.stringify(internal));
    const external = rows.filter((r) => r.src_ip !== INTERNAL);
    assert.ok(external.every((r) => r.scope === 'external'), 'public sources are external');
    const located = external.filter((r) => r.country !== null).length;
    assert.ok(located >= external.length * 0.9, `${located} of ${external.length} external incidents have a country`);
  } finally {
    await app.stop();
  }
});

test('apiary enrich brings incidents folded before their source had a record into line, even when the record exists by then', async () => {
  const dir = tempDir('apiary-enrich-stale-');
  const configPath = writeConfig(dir, { networks: { internal: [`${INTERNAL}/32`] } });
  const config = validateConfig({ data_dir: join(dir, 'data'), networks: { internal: [`${INTERNAL}/32`] } }) as unknown as Config;
  const store = new SqliteStore(join(dir, 'data', 'apiary.db'));
  const t = Date.UTC(2019, 6, 8);
  await store.insertBatch([INTERNAL, '5.188.86.165'].map((src, i) => makeEvent({ type: 'connection.open', time: new Date(t + i).toISOString(), src, payload: { transport: 'tcp' } })));
  // Folded with no record (as beside a running sensor before imports enriched), then recorded (as a report does).
  await new IncidentTracker(store, 3600_000).catchUp();
  const enricher = enricherFromConfig(config);
  await store.upsertEnrichment([INTERNAL, '5.188.86.165'].map((ip) => enricher.enrich(ip)));
  const stale = await store.listIncidents();
  assert.deepEqual(stale.map((i) => [i.scope, i.country]), [['external', null], ['external', null]]);
  await store.close();
  const r = await runCli(['enrich', '--config', configPath]);
  assert.match(r.stdout, /; 2 incidents revised$/m);
  const reopened = new SqliteStore(join(dir, 'data', 'apiary.db'));
  const fixed = await reopened.listIncidents();
  await reopened.close();
  assert.deepEqual(fixed.map((i) => [i.src_ip, i.scope]), [[INTERNAL, 'internal'], ['5.188.86.165', 'external']]);
  assert.ok(fixed.every((i) => i.country !== null), JSON.stringify(fixed));
});
