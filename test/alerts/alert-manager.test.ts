// Which incidents are alerted: internal sources always, others at or above min_severity, each once,
// never for sources on the ignore list, within the rate limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { AlertManager } from '../../src/alerts/alert-manager.js';
import { emptyActivity, type IncidentChange } from '../../src/analysis/incidents.js';
import { validateConfig } from '../../src/config/load.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { IncidentRecord } from '../../src/store/store.js';
import { tempDir } from '../helpers/apiary-process.js';

/** A changed incident; its times are now unless OVER says (alerts.max_age_h leaves old ones out). */
function change(id: string, over: Partial<IncidentRecord>): IncidentChange {
  const now = new Date().toISOString();
  const incident: IncidentRecord = {
    id, src_ip: '198.51.100.1', scope: 'external', country: 'FR', first_seen: now, last_seen: now,
    kind: 'scan', severity: 'low', status: 'new', notes: [], activity: emptyActivity(), alerted_at: null, ...over,
  };
  return { incident, created: true, previousSeverity: undefined };
}

/** A webhook receiver on loopback: the alerts it got (incident and reason), in order, and its URL. */
async function receiver(): Promise<{ url: string; got: { incident_id: string; reason: string }[]; close(): void }> {
  const got: { incident_id: string; reason: string }[] = [];
  const web = createServer((req, res) => {
    let b = '';
    req.on('data', (d: Buffer) => (b += d.toString())).on('end', () => {
      got.push(JSON.parse(b) as { incident_id: string; reason: string });
      res.end();
    });
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(web.address() as AddressInfo).port}/`, got, close: () => web.close() };
}

test('alert selection, once per incident, ignore list and rate limits', async () => {
  const web = await receiver();
  const received = web.got;
  const store = new SqliteStore(join(tempDir(), 'a.db'));
  const config = validateConfig({
    alerts: {
      min_severity: 'high', log: false, ignore: ['203.0.113.0/24'],
      webhook: { url: web.url, retries: 0 },
      rate_limit: { per_source_per_hour: 2, global_per_minute: 100 },
    },
  });
  const alerts = new AlertManager(config.alerts, store, pino({ level: 'silent' }));
  try {
    const changes = [
      change('A-low-external', { severity: 'low' }),
      change('B-high-external', { kind: 'exploitation', severity: 'high' }),
      change('C-internal-scan', { src_ip: '10.0.0.5', scope: 'internal', severity: 'high' }),
      change('D-ignored', { src_ip: '203.0.113.9', kind: 'malware_propagation', severity: 'critical' }),
      change('E-critical', { src_ip: '198.51.100.2', kind: 'malware_propagation', severity: 'critical' }),
      change('F-same-source', { src_ip: '198.51.100.2', kind: 'intrusion', severity: 'high' }),
      change('G-same-source', { src_ip: '198.51.100.2', kind: 'intrusion', severity: 'high' }),
    ];
    await store.commitIncidents(changes.map((c) => c.incident), { key: 'w', expected: undefined, next: 'x' });
    await alerts.handle(changes);
    await alerts.handle(changes);
    await alerts.close();
    assert.deepEqual(received.map((r) => `${r.incident_id}:${r.reason}`).sort(), [
      'B-high-external:severity', 'C-internal-scan:internal_source', 'E-critical:severity', 'F-same-source:severity',
    ]);
    assert.deepEqual(alerts.stats, { sent: 4, suppressed: 2, failed: 0 }, 'G is over the per-source limit (both times it was handled)');
  } finally {
    web.close();
    await store.close();
  }
});

test('an incident the rate limit held back is not silenced: it alerts when it changes once the limit allows', async () => {
  const web = await receiver();
  const ids = (): string[] => web.got.map((a) => a.incident_id);
  const store = new SqliteStore(join(tempDir(), 'a.db'));
  const config = validateConfig({
    alerts: { min_severity: 'high', log: false, webhook: { url: web.url, retries: 0 }, rate_limit: { per_source_per_hour: 100, global_per_minute: 5 } },
  });
  let clock = Date.now();
  const alerts = new AlertManager(config.alerts, store, pino({ level: 'silent' }), { now: () => new Date(clock) });
  try {
    // A flood of decoy incidents uses up the global limit; the real one comes after.
    const decoys = Array.from({ length: 60 }, (_, i) => change(`decoy-${i}`, { src_ip: `198.51.100.${i + 10}`, kind: 'intrusion', severity: 'high' }));
    const real = change('real', { src_ip: '192.0.2.77', kind: 'exploitation', severity: 'high' });
    await store.commitIncidents([...decoys, real].map((c) => c.incident), { key: 'w', expected: undefined, next: 'x' });
    await alerts.handle([...decoys, real]);
    for (let i = 0; i < 500 && web.got.length < 5; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(web.got.length, 5);
    assert.ok(!ids().includes('real'));
    // An hour later it escalates: now it is alerted.
    clock += 3600_000;
    await alerts.handle([change('real', { src_ip: '192.0.2.77', kind: 'malware_propagation', severity: 'critical' })]);
    await alerts.close();
    assert.ok(ids().includes('real'), JSON.stringify(ids()));
  } finally {
    web.close();
    await store.close();
  }
});

test('incidents whose last event is older than alerts.max_age_h are history: not alerted (0: any age), unless they go on now', async () => {
  const web = await receiver();
  const sent = (): string[] => web.got.map((a) => a.incident_id);
  const store = new SqliteStore(join(tempDir(), 'a.db'));
  const hook = { url: web.url, retries: 0 };
  const now = Date.now();
  const at = (hoursAgo: number): string => new Date(now - hoursAgo * 3600_000).toISOString();
  const old = change('imported-2019', { src_ip: '10.0.0.9', scope: 'internal', first_seen: '2019-07-08T09:57:26.072Z', last_seen: '2019-07-08T11:31:38.893Z' });
  const recent = change('spool-after-outage', { src_ip: '10.0.0.8', scope: 'internal', first_seen: at(100), last_seen: at(90) });
  const stale = change('last-week', { src_ip: '10.0.0.7', scope: 'internal', first_seen: at(200), last_seen: at(169) });
  await store.commitIncidents([old, recent, stale].map((c) => c.incident), { key: 'w', expected: undefined, next: 'x' });
  try {
    const byDefault = new AlertManager(validateConfig({ alerts: { log: false, webhook: hook } }).alerts, store, pino({ level: 'silent' }), { now: () => new Date(now) });
    await byDefault.handle([old, recent, stale]);
    // The old incident goes on today (its source is back): now it is alerted.
    await byDefault.handle([change('imported-2019', { src_ip: '10.0.0.9', scope: 'internal', first_seen: old.incident.first_seen, last_seen: at(0) })]);
    await byDefault.close();
    assert.deepEqual(sent().sort(), ['imported-2019', 'spool-after-outage']);
    web.got.length = 0;
    const anyAge = new AlertManager(validateConfig({ alerts: { log: false, webhook: hook, max_age_h: 0 } }).alerts, store, pino({ level: 'silent' }), { now: () => new Date(now) });
    await anyAge.handle([stale]);
    await anyAge.close();
    assert.deepEqual(sent(), ['last-week'], 'max_age_h: 0 alerts whatever the age');
  } finally {
    web.close();
    await store.close();
  }
});
