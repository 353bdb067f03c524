// Incident grouping and classification as pure functions, and the tracker's exactly-once catch-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { classify, emptyActivity, foldIncidents, severityOf, type IncidentChange } from '../../src/analysis/incidents.js';
import { IncidentTracker, LEASE_MS, TRACKER_CHUNK, TRACKER_COMMIT_EVENTS, leaseHolder } from '../../src/analysis/incident-tracker.js';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { overrideMethods } from '../../src/store/override.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { EventStore, IpEnrichment } from '../../src/store/store.js';
import { tempDir } from '../helpers/apiary-process.js';
import { sqliteAtVersion } from '../helpers/sqlite-schema.js';
import { makeEvent } from '../helpers/events.js';

const enr = (ip: string, scope: IpEnrichment['scope'], ignored = false): IpEnrichment => ({
  ip, scope, ignored, country: null, asn: null, as_org: null, site: null, source: 'none', enriched_at: '2026-01-01T00:00:00Z',
});

test('classification: each kind from what the source did; internal sources are at least high', () => {
  const a = (over: Partial<ReturnType<typeof emptyActivity>>) => ({ ...emptyActivity(), ...over });
  assert.equal(classify(a({ connections: 5, probes: 3 }), 'external'), 'scan');
  assert.equal(classify(a({ failed_logins: 1 }), 'external'), 'scan', 'one failed login is not yet brute force');
  assert.equal(classify(a({ failed_logins: 7 }), 'external'), 'brute_force');
  assert.equal(classify(a({ failed_logins: 7, successful_logins: 1 }), 'external'), 'brute_force', 'a login with nothing after it');
  assert.equal(classify(a({ successful_logins: 1, commands: 2 }), 'external'), 'intrusion');
  assert.equal(classify(a({ exploits: 1 }), 'external'), 'exploitation');
  assert.equal(classify(a({ exploits: 1, downloads: 1 }), 'external'), 'malware_propagation');
  assert.equal(classify(a({ exploits: 1, smb_exploits: 1 }), 'external'), 'exploitation');
  assert.equal(classify(a({ exploits: 1, smb_exploits: 1 }), 'internal'), 'malware_propagation', 'an internal host exploiting SMB spreads malware');
  assert.equal(severityOf('scan', 'external'), 'low');
  assert.equal(severityOf('scan', 'internal'), 'high');
  assert.equal(severityOf('malware_propagation', 'internal'), 'critical');
});

test('a quiet gap starts a new incident; ignored sources make none', () => {
  const ev = [
    makeEvent({ type: 'connection.open', time: '2026-01-01T00:00:00Z', src: '198.51.100.1', payload: { transport: 'tcp' } }),
    makeEvent({ type: 'connection.open', time: '2026-01-01T00:30:00Z', src: '198.51.100.1', payload: { transport: 'tcp' } }),
    makeEvent({ type: 'connection.open', time: '2026-01-01T02:00:00Z', src: '198.51.100.1', payload: { transport: 'tcp' } }),
    makeEvent({ type: 'connection.open', time: '2026-01-01T02:00:00Z', src: '10.9.9.9', payload: { transport: 'tcp' } }),
  ];
  const changes = foldIncidents(new Map(), ev, new Map([['10.9.9.9', enr('10.9.9.9', 'internal', true)]]), 3600_000);
  assert.deepEqual(changes.map((c) => [c.incident.id, c.incident.activity.events, c.created]), [[ev[0]!.id, 2, true], [ev[2]!.id, 1, true]]);
});

test('folding into a stored incident leaves the stored record as it was', () => {
  const first = [makeEvent({ type: 'connection.open', time: '2026-01-01T00:00:00Z', src: '198.51.100.1', protocol: 'ssh', dst_port: 22, payload: { transport: 'tcp' } })];
  const stored = foldIncidents(new Map(), first, new Map(), 3600_000)[0]!.incident;
  const before = JSON.stringify(stored);
  const more = [makeEvent({ type: 'connection.open', time: '2026-01-01T00:10:00Z', src: '198.51.100.1', protocol: 'telnet', dst_port: 23, payload: { transport: 'tcp' } })];
  const [c] = foldIncidents(new Map([['198.51.100.1', stored]]), more, new Map(), 3600_000);
  assert.deepEqual([c!.incident.activity.events, c!.incident.activity.protocols, c!.incident.activity.dst_ports], [2, ['ssh', 'telnet'], [22, 23]]);
  assert.equal(JSON.stringify(stored), before);
});

test('every non-ignored event lands in exactly one incident, however the events are ordered', () => {
  const ips = ['198.51.100.1', '198.51.100.2', '10.0.0.3', '10.0.0.4'];
  const enrichment = new Map([['10.0.0.3', enr('10.0.0.3', 'internal')], ['10.0.0.4', enr('10.0.0.4', 'internal', true)]]);
  const evArb = fc.record({ ip: fc.constantFrom(...ips), minute: fc.integer({ min: 0, max: 600 }), kind: fc.constantFrom('open', 'fail', 'exploit') });
  fc.assert(
    fc.property(fc.array(evArb, { maxLength: 60 }), fc.integer({ min: 1, max: 200 }), (specs, gapMin) => {
      const events: ApiaryEvent[] = specs
        .sort((a, b) => a.minute - b.minute)
        .map((s) => {
          const time = new Date(Date.UTC(2026, 0, 1) + s.minute * 60_000).toISOString();
          if (s.kind === 'open') return makeEvent({ type: 'connection.open', time, src: s.ip, payload: { transport: 'tcp' } });
          if (s.kind === 'fail') return makeEvent({ type: 'auth.attempt', time, src: s.ip, payload: { method: 'password', username: 'u', success: false } });
          return makeEvent({ type: 'exploit.attempt', time, src: s.ip, protocol: 'smb', dst_port: 445, payload: { name: 'x' } });
        });
      const shuffled = [...events].reverse();
      const changes = foldIncidents(new Map(), shuffled, enrichment, gapMin * 60_000);
      const counted = events.filter((e) => e.src_ip !== '10.0.0.4').length;
      assert.equal(changes.reduce((n, c) => n + c.incident.activity.events, 0), counted);
      for (const c of changes) {
        assert.ok(c.incident.first_seen <= c.incident.last_seen);
        if (c.incident.scope === 'internal') assert.ok(['high', 'critical'].includes(c.incident.severity));
      }
    }),
    { numRuns: 200 },
  );
});

test('the tracker folds each stored event once, across runs, and keeps a person\'s status and notes', async () => {
  const store = new SqliteStore(join(tempDir(), 'a.db'));
  try {
    const ev = (time: string, type: 'connection.open' | 'exploit.attempt') =>
      type === 'connection.open'
        ? makeEvent({ type, time, src: '198.51.100.9', payload: { transport: 'tcp' } })
        : makeEvent({ type, time, src: '198.51.100.9', payload: { name: 'x' } });
    await store.insertBatch([ev('2026-02-01T00:00:00Z', 'connection.open')]);
    const seen: IncidentChange[] = [];
    const collect = (c: IncidentChange[]): void => void seen.push(...c);
    const tracker = new IncidentTracker(store, 3600_000, collect);
    assert.deepEqual(await tracker.catchUp(), { events: 1, changes: 1 });
    const first = seen.splice(0);
    const id = first[0]!.incident.id;
    await store.updateIncident(id, { status: 'investigating', note: 'looking', time: '2026-02-01T00:01:00Z' });
    assert.deepEqual(await tracker.catchUp(), { events: 0, changes: 0 }, 'nothing new, nothing folded');
    assert.equal(seen.length, 0);
    await store.insertBatch([ev('2026-02-01T00:10:00Z', 'exploit.attempt')]);
    await new IncidentTracker(store, 3600_000, collect).catchUp();
    const second = seen.splice(0);
    assert.deepEqual(second.map((c) => [c.incident.id, c.created, c.previousSeverity, c.incident.kind]), [[id, false, 'low', 'exploitation']]);
    const stored = await store.getIncident(id);
    assert.equal(stored?.activity.events, 2);
    assert.equal(stored?.status, 'investigating');
    assert.deepEqual(stored?.notes, [{ time: '2026-02-01T00:01:00Z', text: 'looking' }]);
    assert.equal(await store.claimAlert(id, 'now'), true);
    assert.equal(await store.claimAlert(id, 'again'), false, 'an incident is alerted once');
  } finally {
    await store.close();
  }
});

test('two trackers on one database (a running Apiary and a CLI command) never fold an event twice', async () => {
  const path = join(tempDir(), 'b.db');
  const a = new SqliteStore(path);
  const b = new SqliteStore(path);
  try {
    const events = Array.from({ length: 12_000 }, (_, i) =>
      makeEvent({ type: 'connection.open', time: new Date(Date.UTC(2026, 2, 1) + i * 1000).toISOString(), src: `198.51.100.${i % 7}`, payload: { transport: 'tcp' } }),
    );
    await a.insertBatch(events);
    await Promise.all([new IncidentTracker(a, 3600_000).catchUp(), new IncidentTracker(b, 3600_000).catchUp(), new IncidentTracker(a, 3600_000).catchUp()]);
    const incidents = await a.listIncidents();
    assert.equal(incidents.reduce((n, i) => n + i.activity.events, 0), events.length);
    assert.equal(incidents.length, 7);
  } finally {
    await a.close();
    await b.close();
  }
});

test('a tracker keeps the incidents it saved and reads back only other sources\', until another tracker folds', async () => {
  const store = new SqliteStore(join(tempDir(), 'held.db'));
  try {
    const asked: string[][] = [];
    const counting = overrideMethods(store, {
      latestIncidents: (ips, since) => (asked.push([...ips].sort()), store.latestIncidents(ips, since)),
    });
    const a = new IncidentTracker(counting, 3600_000);
    const at = (min: number) => new Date(Date.UTC(2026, 3, 1, 10, min)).toISOString();
    const open = (min: number, src: string) => makeEvent({ type: 'connection.open', time: at(min), src, payload: { transport: 'tcp' } });
    await store.insertBatch([open(0, '198.51.100.1')]);
    await a.catchUp();
    assert.deepEqual(asked.splice(0), [['198.51.100.1']]);
    await store.insertBatch([open(10, '198.51.100.1'), open(10, '198.51.100.2')]);
    await a.catchUp();
    assert.deepEqual(asked.splice(0), [['198.51.100.2']], 'the incident it saved is not read back');
    const [inc] = await store.listIncidents({ src: '198.51.100.1' });
    await store.updateIncident(inc!.id, { status: 'investigating', note: 'mine', time: at(11) });
    // Another tracker (a CLI command) folds the next event: the kept copy is stale now.
    await store.insertBatch([open(20, '198.51.100.1')]);
    await new IncidentTracker(store, 3600_000).catchUp();
    await store.insertBatch([open(30, '198.51.100.1')]);
    await a.catchUp();
    assert.deepEqual(asked.splice(0), [['198.51.100.1']], 'after another tracker saved, it reads the incident again');
    const after = await store.listIncidents({ src: '198.51.100.1' });
    assert.equal(after.length, 1);
    assert.equal(after[0]!.activity.events, 4, 'every event in the one incident, the other tracker\'s too');
    assert.equal(after[0]!.status, 'investigating', 'a person\'s status survives the saves');
    assert.equal(after[0]!.notes.length, 1);
  } finally {
    await store.close();
  }
});

test('through a backlog, chunks are saved together: the same incidents as one fold of everything, each change reported once', async () => {
  const store = new SqliteStore(join(tempDir(), 'backlog.db'));
  try {
    // Five sources throughout, one of which goes quiet for two hours half-way (a second incident).
    const n = TRACKER_COMMIT_EVENTS + 2 * TRACKER_CHUNK + 123;
    const start = Date.UTC(2026, 3, 1);
    const events = Array.from({ length: n }, (_, i) => {
      const src = `198.51.100.${i % 5}`;
      const gap = src === '198.51.100.0' && i >= n / 2 ? 2 * 3600_000 : 0;
      const time = new Date(start + i * 100 + gap).toISOString();
      return i % 3 === 0
        ? makeEvent({ type: 'auth.attempt', time, src, payload: { method: 'password', username: 'root', success: false } })
        : makeEvent({ type: 'connection.open', time, src, payload: { transport: 'tcp' } });
    });
    for (let i = 0; i < n; i += 4000) await store.insertBatch(events.slice(i, i + 4000));
    let commits = 0;
    const counting: EventStore = overrideMethods(store, { commitIncidents: (...a) => (commits++, store.commitIncidents(...a)) });
    const seen: IncidentChange[] = [];
    const result = await new IncidentTracker(counting, 3600_000, (c) => void seen.push(...c)).catchUp();
    assert.equal(result.events, n);
    assert.equal(commits, 2, `${n} events: saved after ${TRACKER_COMMIT_EVENTS}, then at the end`);
    const expected = foldIncidents(new Map(), events, new Map(), 3600_000).map((c) => c.incident);
    const stored = await store.listIncidents();
    const shape = (i: { id: string; src_ip: string; first_seen: string; last_seen: string; kind: string; activity: unknown }) => [i.id, i.src_ip, i.first_seen, i.last_seen, i.kind, i.activity];
    assert.deepEqual(stored.map(shape).sort(), expected.map(shape).sort());
    assert.equal(expected.length, 6);
    // Each incident was created once; the second save reports the same incidents as changed, not new.
    const created = seen.filter((c) => c.created).map((c) => c.incident.id).sort();
    assert.deepEqual(created, expected.map((i) => i.id).sort());
    assert.equal(seen.length, 6 + 5, 'five incidents go on past the first save');
  } finally {
    await store.close();
  }
});

test('a running Apiary\'s lease keeps other trackers out until it expires', async () => {
  const store = new SqliteStore(join(tempDir(), 'c.db'));
  try {
    const t = new IncidentTracker(store, 1000);
    assert.equal(await t.holdLease('live', 1_000), true);
    assert.equal(await leaseHolder(store, 2_000), 'live');
    assert.equal(await t.holdLease('cli', 2_000), false);
    assert.equal(await leaseHolder(store, 1_000 + LEASE_MS + 1), undefined);
    assert.equal(await t.holdLease('cli', 1_000 + LEASE_MS + 1), true);
  } finally {
    await store.close();
  }
});

test('events committed late with older times (a spool after an outage, an import of old logs) are still folded, once', async () => {
  const store = new SqliteStore(join(tempDir(), 'late.db'));
  try {
    const open = (time: string, src: string) => makeEvent({ type: 'connection.open', time, src, payload: { transport: 'tcp' } });
    await store.insertBatch([open('2026-05-01T10:00:00Z', '198.51.100.20')]);
    const tracker = new IncidentTracker(store, 3600_000);
    assert.deepEqual(await tracker.catchUp(), { events: 1, changes: 1 });
    // Recorded hours earlier by a sensor whose link was down, committed now; and a duplicate redelivery.
    const late = [open('2026-05-01T07:00:00Z', '198.51.100.21'), open('2026-05-01T07:00:05Z', '198.51.100.21')];
    await store.insertBatch(late);
    assert.equal(await store.insertBatch(late), 0, 'a redelivered batch stores nothing');
    assert.deepEqual(await tracker.catchUp(), { events: 2, changes: 1 });
    const inc = await store.listIncidents({ src: '198.51.100.21' });
    assert.equal(inc.length, 1);
    assert.equal(inc[0]!.activity.events, 2);
    assert.deepEqual(await tracker.catchUp(), { events: 0, changes: 0 });
  } finally {
    await store.close();
  }
});

test('readCommitted pages through every stored event in commit order, whatever the event ids', async () => {
  const store = new SqliteStore(join(tempDir(), 'order.db'));
  try {
    const batches = [2026, 2019, 2024].map((year, b) =>
      Array.from({ length: 5 }, (_, i) => makeEvent({ type: 'connection.open', time: new Date(Date.UTC(year, 0, 1, 0, 0, i)).toISOString(), src: `198.51.100.${b}`, payload: { transport: 'tcp' } })),
    );
    for (const b of batches) await store.insertBatch(b);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const r = await store.readCommitted(cursor, 4);
      if (r.events.length === 0) {
        assert.equal(r.cursor, cursor, 'an empty read keeps the cursor');
        break;
      }
      seen.push(...r.events.map((e) => e.id));
      cursor = r.cursor;
    }
    assert.deepEqual(seen, batches.flat().map((e) => e.id));
  } finally {
    await store.close();
  }
});

test('a store made before commit order is numbered in id order on upgrade, and the tracker resumes where it was', async () => {
  const path = join(tempDir(), 'old.db');
  const db = sqliteAtVersion(path, 3);
  const ev = (i: number) => makeEvent({ type: 'connection.open', time: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(), src: '198.51.100.30', payload: { transport: 'tcp' } });
  const events = [ev(0), ev(1), ev(2), ev(3)];
  const insert = db.prepare('INSERT INTO events (id, time, type, sensor, session, protocol, src_ip, src_port, dst_ip, dst_port, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  for (const e of events) insert.run(e.id, e.time, e.type, e.sensor, e.session, e.protocol, e.src_ip, e.src_port, e.dst_ip, e.dst_port, JSON.stringify(e.payload));
  // The old tracker had folded the first two events (its watermark was an event id).
  db.prepare('INSERT INTO tracker_state (key, value) VALUES (?, ?)').run('incidents.watermark', events[1]!.id);
  db.close();
  const store = new SqliteStore(path);
  try {
    assert.equal(await store.getState('incidents.watermark'), '2');
    const r = await store.readCommitted('2', 10);
    assert.deepEqual(r.events.map((e) => e.id), [events[2]!.id, events[3]!.id]);
    assert.equal(r.cursor, '4');
    const next = ev(4);
    await store.insertBatch([next]);
    assert.deepEqual(await store.readCommitted('4', 10), { events: [next], cursor: '5' }, 'new events continue the numbering');
  } finally {
    await store.close();
  }
});
