// The dashboard's reports, against an in-process dashboard: a period that does not parse, or ends
// before it starts, is refused (never served as "all time" or as an empty period), and a report names
// the GeoIP databases it was enriched with, as `apiary report` does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pino from 'pino';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { geoIpFromConfig } from '../../src/enrich/from-config.js';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { newEventId } from '../../src/events/id.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { startDashboard } from '../../src/web/server.js';
import { tempDir } from '../helpers/apiary-process.js';
import { dashboardLogin, httpsRequest } from '../helpers/https-client.js';

const ADMIN_PASSWORD = 'reports password 1';

test('dashboard reports: bad or reversed periods are refused with 400; the report names its GeoIP sources', async () => {
  const dir = tempDir();
  const config = validateConfig({ data_dir: dir, dashboard: { listen: '127.0.0.1:0', admin_password: ADMIN_PASSWORD } }) as unknown as Config;
  const store = new SqliteStore(join(dir, 'apiary.db'));
  const t = Date.UTC(2026, 0, 1);
  await store.insertBatch([{ id: newEventId(t), time: new Date(t).toISOString(), type: 'connection.open', sensor: 's', session: 's1', protocol: 'ssh', src_ip: '203.0.113.9', src_port: 1, dst_ip: '192.0.2.9', dst_port: 22, payload: { transport: 'tcp' } } as ApiaryEvent]);
  const dash = await startDashboard({ config, dash: config.dashboard!, store, services: [], onEvents: () => () => undefined, log: pino({ level: 'silent' }) });
  try {
    const port = dash.bound[0]!.port;
    const { cookie } = await dashboardLogin(port, 'admin', ADMIN_PASSWORD);
    const get = (path: string) => httpsRequest(port, path, { headers: { cookie } });
    for (const path of ['/api/reports/json?from=garbage', '/api/reports/csv?to=2026-13-01', '/api/overview?from=2026-02-01&to=2026-01-01', '/api/exports/stix?from=2026-01-02&to=2026-01-02']) {
      const r = await get(path);
      assert.equal(r.status, 400, `${path}: ${r.body}`);
      assert.match(r.json<{ error: string }>().error, /^(from|to)\b/, path);
    }
    const r = await get('/api/reports/json?from=2026-01-01&to=2026-01-02');
    assert.equal(r.status, 200, r.body);
    const report = r.json<{ totals: { events: number }; sources_of_data: { country: string; asn: string } }>();
    assert.equal(report.totals.events, 1);
    assert.deepEqual(report.sources_of_data, geoIpFromConfig(config).sources);
  } finally {
    await dash.close();
    await store.close();
  }
});
