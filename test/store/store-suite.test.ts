// One store test suite, run on SQLite and on PostgreSQL (a throwaway server this file starts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { IncidentTracker } from '../../src/analysis/incident-tracker.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { readAheadThreads } from '../../src/store/sqlite/read-ahead.js';
import fc from 'fast-check';
import { PgStore, partitionAt, partitionOf } from '../../src/store/postgres/pg-store.js';
import type { AttackRecord, EventFilter, EventStore, IncidentRecord, IpEnrichment, ScanOptions } from '../../src/store/store.js';
import { emptyActivity } from '../../src/analysis/incidents.js';
import { tempDir } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';
import { newEventId } from '../../src/events/id.js';
import { startPgServer, type PgServer } from '../helpers/pg-server.js';

let pg: PgServer | undefined;
let dbs = 0;

interface Backend {
  name: 'sqlite' | 'postgres';
  /** A new, empty store; a second call with the same NAME opens the same database. */
  open(name?: string): Promise<EventStore>;
}

const sqliteDir = tempDir('apiary-store-suite-');
const BACKENDS: Backend[] = [
  { name: 'sqlite', open: async (name) => new SqliteStore(join(sqliteDir, `${name ?? `s${dbs++}`}.db`)) },
  {
    name: 'postgres',
    open: async (name) => {
      const db = name ?? `s${dbs++}`;
      if (!opened.has(db)) {
        pg!.createDatabase(db);
        opened.add(db);
      }
      return PgStore.open({ url: pg!.url(db) });
    },
  },
];
const opened = new Set<string>();

before(async () => {
  pg = await startPgServer({ fast: true });
});
after(() => pg?.destroy());

const conn = (time: string, src: string, extra: { sensor?: string; session?: string } = {}): ApiaryEvent =>
  makeEvent({ type: 'connection.open', time, src, payload: { transport: 'tcp' }, ...extra });

const incident = (id: string, src: string, first: string, last: string): IncidentRecord => ({
  id, src_ip: src, scope: 'external', country: 'NL', first_seen: first, last_seen: last, kind: 'scan', severity: 'low', status: 'new', notes: [],
  activity: { ...emptyActivity(), events: 1, sensors: ['a'], protocols: ['ssh'], dst_ports: [22] }, alerted_at: null,
});

async function withStore(b: Backend, fn: (s: EventStore) => Promise<void>): Promise<void> {
  const s = await b.open();
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

for (const b of BACKENDS) {
  describe(`store: ${b.name}`, () => {
    test('insertBatch stores each event id once and says how many were new', async () => {
      await withStore(b, async (s) => {
        const ev = Array.from({ length: 50 }, (_, i) => conn(new Date(Date.UTC(2026, 5, 1, 0, 0, i)).toISOString(), `198.51.100.${i % 5}`));
        assert.equal(await s.insertBatch(ev.slice(0, 30)), 30);
        assert.equal(await s.insertBatch(ev), 20, 'the first 30 are already stored');
        assert.equal(await s.insertBatch([ev[3]!, ev[3]!, ev[4]!]), 0, 'repeats within a batch and across batches');
        assert.equal(await s.insertBatch([]), 0);
        assert.equal(await s.count(), 50);
      });
    });

    test('events read back exactly as written: unicode, NUL, control bytes, imported source records', async () => {
      await withStore(b, async (s) => {
        const weird = makeEvent({ type: 'command.input', time: '2026-06-02T10:00:00.123Z', src: '2001:db8::1', payload: { input: 'echo "\u0000\u0001 ☃ 🐝 \\\' %s $(id)"; DROP TABLE events;-- \ud800 lone \udfff' } });
        const imported = { ...conn('2026-06-02T10:00:01Z', '203.0.113.7'), source: { format: 'cowrie', file: 'x.json', line: 7, record: { eventid: 'cowrie.session.connect', n: [1, 2.5, null] } } };
        const plain = conn('2026-06-02T10:00:02.5Z', '203.0.113.8');
        await s.insertBatch([weird, imported, plain]);
        const got = await s.query({});
        assert.deepEqual(got, [weird, imported, plain]);
        assert.equal(Object.hasOwn(got[2]!, 'source'), false, 'live events have no source');
      });
    });

    test('a lone surrogate in an envelope field is stored as replacement characters (UTF-8 has no such character); the batch is not refused', async () => {
      await withStore(b, async (s) => {
        const odd = { ...conn('2026-06-02T11:00:00Z', '203.0.113.9'), session: 'ab\ud800cd' };
        assert.equal(await s.insertBatch([odd]), 1);
        assert.match((await s.query({}))[0]!.session, /^ab\ufffd+cd$/);
      });
    });

    test('query filters, order, limit and keyset paging; count and distinct sources agree', async () => {
      await withStore(b, async (s) => {
        const ev: ApiaryEvent[] = [];
        for (let i = 0; i < 40; i++) {
          const time = new Date(Date.UTC(2026, 5, 3, 0, i)).toISOString();
          ev.push(i % 4 === 0
            ? makeEvent({ type: 'auth.attempt', time, src: `10.0.0.${i % 3}`, sensor: i % 2 ? 'dmz' : 'lan', session: `s${i % 6}`, payload: { method: 'password', username: 'root', password: 'x', success: false } })
            : conn(time, `10.0.0.${i % 3}`, { sensor: i % 2 ? 'dmz' : 'lan', session: `s${i % 6}` }));
        }
        await s.insertBatch([...ev].reverse());
        const want = (pred: (e: ApiaryEvent) => boolean) => ev.filter(pred).map((e) => e.id);
        const ids = (es: ApiaryEvent[]) => es.map((e) => e.id);
        assert.deepEqual(ids(await s.query({})), ids(ev), 'ascending id order');
        assert.deepEqual(ids(await s.query({ order: 'desc', limit: 3 })), ids(ev).reverse().slice(0, 3));
        assert.deepEqual(ids(await s.query({ type: 'auth.attempt' })), want((e) => e.type === 'auth.attempt'));
        assert.deepEqual(ids(await s.query({ src: '10.0.0.1', sensor: 'dmz' })), want((e) => e.src_ip === '10.0.0.1' && e.sensor === 'dmz'));
        assert.deepEqual(ids(await s.query({ session: 's2' })), want((e) => e.session === 's2'));
        const since = ev[10]!.time;
        const until = ev[20]!.time;
        assert.deepEqual(ids(await s.query({ since, until })), want((e) => e.time >= since && e.time < until));
        assert.deepEqual(ids(await s.query({ afterId: ev[35]!.id })), ids(ev.slice(36)));
        assert.equal(await s.count({ type: 'connection.open', since }), ev.filter((e) => e.type === 'connection.open' && e.time >= since).length);
        assert.deepEqual((await s.distinctSources({ sensor: 'dmz' })).sort(), [...new Set(ev.filter((e) => e.sensor === 'dmz').map((e) => e.src_ip))].sort());
      });
    });

    test('scan pages through more rows than one page, in id order, honouring limit', async () => {
      await withStore(b, async (s) => {
        const ev = Array.from({ length: 12_500 }, (_, i) => conn(new Date(Date.UTC(2026, 5, 4) + i * 10).toISOString(), `192.0.2.${i % 250}`));
        assert.equal(await s.insertBatch(ev), ev.length);
        let n = 0;
        let last = '';
        for await (const e of s.scan({})) {
          assert.ok(e.id > last);
          last = e.id;
          n++;
        }
        assert.equal(n, ev.length);
        let limited = 0;
        for await (const _ of s.scan({ limit: 5001, src: '192.0.2.7' })) limited++;
        assert.equal(limited, 50);
      });
    });

    test('a scan over a period pages in time order from where the last page ended: each event once, ties across pages too', async () => {
      await withStore(b, async (s) => {
        // Nine distinct times (so 1,300-odd events share each, across page boundaries), ids in another order than times.
        const at = (k: number) => new Date(Date.UTC(2026, 5, 10, k)).toISOString();
        const ev = Array.from({ length: 12_000 }, (_, i) => ({ ...conn(at(i % 11), `192.0.2.${i % 250}`), id: newEventId(Date.UTC(2026, 5, 1) + ((i * 7919) % 12_000)) }));
        assert.equal(await s.insertBatch(ev), ev.length);
        // Time order; ties between equal times in commit order in SQLite (here the batch's order), by id in PostgreSQL.
        const inTimeOrder = (ids: string[], want: ApiaryEvent[], what: string): void => {
          const tie = b.name === 'sqlite' ? (_x: ApiaryEvent, _y: ApiaryEvent) => 0 : (x: ApiaryEvent, y: ApiaryEvent) => (x.id < y.id ? -1 : 1);
          const ordered = [...want].sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : tie(x, y)));
          assert.deepEqual(ids, ordered.map((e) => e.id), `${what}: each event once, in order`);
        };
        const since = at(1);
        const until = at(10);
        const got: string[] = [];
        let pages = 0;
        for await (const page of s.scanPages({ since, until })) {
          pages++;
          for (const e of page) got.push(e.id);
        }
        assert.ok(pages >= 2, `${pages} pages`);
        inTimeOrder(got, ev.filter((e) => e.time >= since && e.time < until), 'the period');
        let n = 0;
        for await (const _ of s.scan({ since, until, type: 'connection.open', limit: 6000 })) n++;
        assert.equal(n, 6000, 'a limit holds across pages');
        // Asked for (as a report does), time order without a period too.
        const all: string[] = [];
        for await (const page of s.scanPages({}, { byTime: true })) for (const e of page) all.push(e.id);
        inTimeOrder(all, ev, 'without a period');
      });
    });

    test('a scan read ahead (readAhead) yields what the same scan on this thread does, limits and unread payloads too; leaving early ends it', async () => {
      await withStore(b, async (s) => {
        const at = (k: number) => new Date(Date.UTC(2026, 5, 11, 0, k % 60)).toISOString();
        const ev = Array.from({ length: 11_000 }, (_, i) =>
          i % 3 === 0
            ? makeEvent({ type: 'auth.attempt', time: at(i), src: `198.51.100.${i % 200}`, payload: { method: 'password', username: `u${i}`, password: 'p\u00e9"\n', success: false } })
            : conn(at(i), `192.0.2.${i % 250}`),
        );
        assert.equal(await s.insertBatch(ev), ev.length);
        const read = async (f: EventFilter, opts: ScanOptions): Promise<ApiaryEvent[]> => {
          const out: ApiaryEvent[] = [];
          for await (const page of s.scanPages(f, opts)) out.push(...page);
          return out;
        };
        const only = new Set(['auth.attempt']);
        for (const [f, opts] of [
          [{}, { byTime: true, payloadTypes: only }],
          [{ since: at(5), until: at(50) }, { payloadTypes: only }],
          [{ type: 'connection.open', limit: 7000 }, {}],
        ] as [EventFilter, ScanOptions][]) {
          const here = await read(f, opts);
          const ahead = await read(f, { ...opts, readAhead: true });
          assert.ok(here.length > 0);
          assert.deepEqual(ahead, here, `${JSON.stringify(f)} ${JSON.stringify({ ...opts, payloadTypes: opts.payloadTypes && [...opts.payloadTypes] })}`);
        }
        const logins = (await read({}, { payloadTypes: only, readAhead: true })).filter((e) => e.type === 'auth.attempt');
        assert.equal(logins.length, Math.ceil(ev.length / 3));
        assert.equal((logins[0]!.payload as { password: string }).password, 'p\u00e9"\n', 'a parsed payload, quotes and escapes intact');
        const other = (await read({ type: 'connection.open', limit: 1 }, { payloadTypes: only, readAhead: true }))[0]!;
        assert.deepEqual(other.payload, {}, 'a payload left unread is empty');
        // A counting pass (a report) gets the same events, in the same order, with the fields it does not
        // read left empty: read ahead or not, in time order or by id (whose pages follow the id).
        for (const [f, opts] of [
          [{}, { byTime: true, payloadTypes: only }],
          [{ type: 'connection.open', limit: 7000 }, {}],
        ] as [EventFilter, ScanOptions][]) {
          const full = await read(f, opts);
          for (const ahead of [false, true]) {
            const counted = await read(f, { ...opts, readAhead: ahead, counting: true });
            const idKept = counted.some((e) => e.id !== '');
            assert.ok(idKept || opts.byTime, 'the id stays when pages follow it');
            const blank = (e: ApiaryEvent): ApiaryEvent => ({ ...e, id: idKept ? e.id : '', session: '', src_port: 0, dst_ip: '' });
            assert.deepEqual(counted, full.map(blank), `counting, ${ahead ? 'read ahead' : 'on this thread'}: ${JSON.stringify(f)}`);
          }
        }
        // The first page is read on the caller's thread, the rest ahead. Leaving after the first or the
        // second page ends the reading thread.
        for (const stopAt of [1, 2]) {
          let pages = 0;
          for await (const page of s.scanPages({}, { readAhead: true })) {
            assert.ok(page.length > 0);
            if (b.name === 'sqlite') assert.equal(readAheadThreads(), 1, 'a thread reads ahead');
            if (++pages === stopAt) break;
          }
          assert.equal(readAheadThreads(), 0, `no thread left after leaving at page ${stopAt}`);
        }
      });
    });

    test('enrichment: upsert replaces, get by address or all', async () => {
      await withStore(b, async (s) => {
        const r = (ip: string, scope: IpEnrichment['scope'], country: string | null): IpEnrichment => ({
          ip, scope, ignored: scope === 'private', country, asn: country ? 64500 : null, as_org: country ? 'Example' : null, site: null, source: country ? 'geoip' : 'none', enriched_at: '2026-06-05T00:00:00Z',
        });
        await s.upsertEnrichment([r('10.1.1.1', 'internal', null), r('198.51.100.1', 'external', 'DE')]);
        await s.upsertEnrichment([r('198.51.100.1', 'external', 'FR'), r('192.168.1.1', 'private', null)]);
        const all = await s.getEnrichment();
        assert.equal(all.size, 3);
        assert.deepEqual(all.get('198.51.100.1'), r('198.51.100.1', 'external', 'FR'));
        assert.deepEqual(all.get('192.168.1.1'), r('192.168.1.1', 'private', null));
        const some = await s.getEnrichment(['10.1.1.1', '203.0.113.99', '10.1.1.1']);
        assert.deepEqual([...some.keys()], ['10.1.1.1']);
      });
    });

    test('incidents: the watermark moves once; a person\'s status, notes and alert survive re-commits', async () => {
      await withStore(b, async (s) => {
        const a = incident('01A', '198.51.100.1', '2026-06-01T00:00:00Z', '2026-06-01T00:10:00Z');
        const c = incident('01C', '10.0.0.5', '2026-06-01T00:05:00Z', '2026-06-01T01:00:00Z');
        assert.equal(await s.commitIncidents([a, c], { key: 'wm', expected: undefined, next: 'E1' }), true);
        assert.equal(await s.commitIncidents([a], { key: 'wm', expected: undefined, next: 'E2' }), false, 'a stale watermark commits nothing');
        assert.equal(await s.getState('wm'), 'E1');
        const updated = await s.updateIncident('01A', { status: 'investigating', note: 'seen', time: '2026-06-01T02:00:00Z' });
        assert.equal(updated?.status, 'investigating');
        assert.equal(await s.updateIncident('nope', { status: 'resolved', time: 'x' }), undefined);
        assert.equal(await s.claimAlert('01A', '2026-06-01T02:01:00Z'), true);
        assert.equal(await s.claimAlert('01A', '2026-06-01T02:02:00Z'), false);
        await s.releaseAlert('01A', '2026-06-01T02:02:00Z');
        assert.equal(await s.claimAlert('01A', '2026-06-01T02:03:00Z'), false, 'only the claim made at that time is taken back');
        await s.releaseAlert('01A', '2026-06-01T02:01:00Z');
        assert.equal(await s.claimAlert('01A', '2026-06-01T02:01:00Z'), true, 'released, it can be claimed again');
        const grown = { ...a, last_seen: '2026-06-01T03:00:00Z', kind: 'brute_force' as const, severity: 'medium' as const, activity: { ...a.activity, events: 9 } };
        assert.equal(await s.commitIncidents([grown], { key: 'wm', expected: 'E1', next: 'E3' }), true);
        const got = await s.getIncident('01A');
        assert.deepEqual(got, { ...grown, status: 'investigating', notes: [{ time: '2026-06-01T02:00:00Z', text: 'seen' }], alerted_at: '2026-06-01T02:01:00Z' });
        await s.reviseIncidents([{ ...c, scope: 'internal', severity: 'high', kind: 'exploitation', country: null, status: 'resolved' }]);
        const rc = await s.getIncident('01C');
        assert.deepEqual([rc?.scope, rc?.severity, rc?.kind, rc?.country, rc?.status], ['internal', 'high', 'exploitation', null, 'new']);
        assert.deepEqual((await s.listIncidents()).map((i) => i.id), ['01A', '01C']);
        assert.deepEqual((await s.listIncidents({ order: 'desc', limit: 1 })).map((i) => i.id), ['01C']);
        assert.deepEqual((await s.listIncidents({ status: 'investigating' })).map((i) => i.id), ['01A']);
        assert.deepEqual((await s.listIncidents({ scope: 'internal' })).map((i) => i.id), ['01C']);
        assert.deepEqual((await s.listIncidents({ src: '10.0.0.5' })).map((i) => i.id), ['01C']);
        assert.deepEqual((await s.listIncidents({ activeSince: '2026-06-01T02:00:00Z' })).map((i) => i.id), ['01A']);
        const newer = incident('01D', '198.51.100.1', '2026-06-01T04:00:00Z', '2026-06-01T04:00:00Z');
        await s.commitIncidents([newer], { key: 'wm', expected: 'E3', next: 'E4' });
        // A period [02:00, 04:00): active in it and started before its end (what an export reads).
        assert.deepEqual((await s.listIncidents({ activeSince: '2026-06-01T02:00:00Z', startedBefore: '2026-06-01T04:00:00Z' })).map((i) => i.id), ['01A']);
        const latest = await s.latestIncidents(['198.51.100.1', '10.0.0.5', '203.0.113.1'], '2026-06-01T00:30:00Z');
        assert.deepEqual([...latest.entries()].map(([ip, i]) => [ip, i.id]).sort(), [['10.0.0.5', '01C'], ['198.51.100.1', '01D']]);
      });
    });

    test('state: set, get, compare-and-swap, delete, list by prefix (no wildcards)', async () => {
      await withStore(b, async (s) => {
        assert.equal(await s.getState('k'), undefined);
        await s.setState('k', 'v1');
        await s.setState('k', 'v2');
        assert.equal(await s.getState('k'), 'v2');
        assert.equal(await s.swapState('k', 'v1', 'v3'), false);
        assert.equal(await s.swapState('k', 'v2', 'v3'), true);
        assert.equal(await s.swapState('new', undefined, 'n1'), true);
        assert.equal(await s.swapState('new', undefined, 'n2'), false, 'created once');
        assert.equal(await s.swapState('new', 'n1', undefined), true);
        assert.equal(await s.getState('new'), undefined);
        await s.setState('sensor:a', '1');
        await s.setState('sensor:b', '2');
        await s.setState('sensorXc', '3');
        await s.setState('sensor%:d', '4');
        assert.deepEqual([...(await s.listState('sensor:')).entries()], [['sensor:a', '1'], ['sensor:b', '2']]);
        assert.deepEqual([...(await s.listState('sensor%')).keys()], ['sensor%:d']);
      });
    });

    test('concurrent one-time claims: exactly one wins', async () => {
      const s1 = await b.open('claims');
      const s2 = await b.open('claims');
      try {
        await s1.setState('token', 'unused');
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? s1 : s2).swapState('token', 'unused', undefined)));
        assert.equal(results.filter(Boolean).length, 1);
      } finally {
        await s1.close();
        await s2.close();
      }
    });

    test('two trackers on one database never fold an event twice', async () => {
      const s1 = await b.open('trackers');
      const s2 = await b.open('trackers');
      try {
        const events = Array.from({ length: 6000 }, (_, i) => conn(new Date(Date.UTC(2026, 2, 1) + i * 1000).toISOString(), `198.51.100.${i % 7}`));
        await s1.insertBatch(events);
        await Promise.all([new IncidentTracker(s1, 3600_000).catchUp(), new IncidentTracker(s2, 3600_000).catchUp(), new IncidentTracker(s1, 3600_000).catchUp()]);
        const incidents = await s2.listIncidents();
        assert.equal(incidents.reduce((n, i) => n + i.activity.events, 0), events.length);
        assert.equal(incidents.length, 7);
      } finally {
        await s1.close();
        await s2.close();
      }
    });

    test('readCommitted follows commit order: late events with old times are read once, and a reader polling during concurrent writers misses none', async () => {
      const name = `commitorder${dbs++}`;
      const [w1, w2, reader] = [await b.open(name), await b.open(name), await b.open(name)];
      try {
        const batch = (k: number, year: number) =>
          Array.from({ length: 40 }, (_, i) => conn(new Date(Date.UTC(year, 0, 1, 0, k, i)).toISOString(), `198.51.${k}.${i}`));
        const batches = Array.from({ length: 12 }, (_, k) => batch(k, k % 2 ? 2019 : 2026));
        const seen: string[] = [];
        let cursor: string | undefined;
        const poll = async (): Promise<void> => {
          for (;;) {
            const r = await reader.readCommitted(cursor, 25);
            if (r.events.length === 0) return;
            seen.push(...r.events.map((e) => e.id));
            cursor = r.cursor;
          }
        };
        let writing = true;
        const polling = (async () => {
          // A turn of the event loop between polls, as a real poller's timer gives: a writer thread's replies are events.
          while (writing) {
            await poll();
            await new Promise((r) => setImmediate(r));
          }
        })();
        await Promise.all([
          (async () => { for (const x of batches.filter((_, k) => k % 2 === 0)) await w1.insertBatch(x); })(),
          (async () => { for (const x of batches.filter((_, k) => k % 2 === 1)) await w2.insertBatch(x); })(),
        ]);
        assert.equal(await w1.insertBatch(batches[3]!), 0, 'a redelivered batch adds nothing to read');
        writing = false;
        await polling;
        await poll();
        assert.equal(seen.length, 12 * 40, 'every event read');
        assert.equal(new Set(seen).size, seen.length, 'none read twice');
        assert.deepEqual(new Set(seen), new Set(batches.flat().map((e) => e.id)));
      } finally {
        await Promise.all([w1.close(), w2.close(), reader.close()]);
      }
    });

    test('attack chains: saved with the watermark (compare-and-set), ranked, merged ones removed', async () => {
      await withStore(b, async (s) => {
        const rec = (id: string, score: number, merged: string[] = []) =>
          ({ id, score, first_seen: '2026-01-01T00:00:00Z', last_seen: `2026-01-0${score % 9 + 1}T00:00:00Z`, merged, factors: [], sources: [], services: [], techniques: [], intents: [], links: [], steps: [] }) as unknown as AttackRecord;
        assert.equal(await s.commitAttacks([rec('a', 10), rec('b', 70)], { key: 'attacks.watermark', expected: undefined, next: '5' }), true);
        assert.equal(await s.commitAttacks([rec('c', 99)], { key: 'attacks.watermark', expected: undefined, next: '6' }), false, 'a stale watermark saves nothing');
        assert.deepEqual((await s.listAttacks()).map((a) => a.id), ['b', 'a']);
        assert.deepEqual((await s.listAttacks({ limit: 1, offset: 1 })).map((a) => a.id), ['a'], 'a page of the ranking');
        // A period: chains seen in it (last seen at or after its start, first seen before its end).
        assert.deepEqual((await s.listAttacks({ since: '2026-01-05T00:00:00Z' })).map((a) => a.id), ['b'], 'a was last seen before the period');
        assert.deepEqual((await s.listAttacks({ until: '2026-01-01T00:00:00Z' })).map((a) => a.id), [], 'both were first seen at its end');
        assert.deepEqual((await s.listAttacks({ since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:01Z', limit: 1 })).map((a) => a.id), ['b']);
        assert.equal(await s.commitAttacks([rec('b', 80, ['a', 'b'])], { key: 'attacks.watermark', expected: '5', next: '9' }), true);
        assert.deepEqual((await s.listAttacks({ minScore: 0 })).map((a) => [a.id, a.score]), [['b', 80]], 'the chain merged into b is gone');
        assert.equal((await s.getAttack('b'))?.score, 80);
        assert.equal(await s.getAttack('a'), undefined);
        assert.equal(await s.getState('attacks.watermark'), '9');
        // Attacker strings inside a record come back as they were.
        const hostile = { ...rec('h', 5), intents: ['"quoted" \\ back\\slash', 'nul \u0000 and lone \ud800 surrogate', 'é ✓ 𝄞', '{"json":[1]}'] } as unknown as AttackRecord;
        assert.equal(await s.commitAttacks([hostile], { key: 'attacks.watermark', expected: '9', next: '10' }), true);
        assert.deepEqual(await s.getAttack('h'), JSON.parse(JSON.stringify(hostile)));
      });
    });

    test('re-opening runs no migration twice and keeps the data', async () => {
      const s1 = await b.open('reopen');
      await s1.insertBatch([conn('2026-06-06T00:00:00Z', '192.0.2.1')]);
      await s1.close();
      const s2 = await b.open('reopen');
      try {
        assert.equal(await s2.count(), 1);
      } finally {
        await s2.close();
      }
    });
  });
}

describe('store: postgres commit order', () => {
  test('a transaction still open holds readers back: rows committed after it are read only once it ends, then in transaction order', async () => {
    pg!.createDatabase('horizon');
    const s = await PgStore.open({ url: pg!.url('horizon') });
    const slow = await s.pool.connect();
    try {
      const early = conn('2026-07-01T00:00:00Z', '198.51.100.70');
      const late = conn('2026-07-01T00:00:01Z', '198.51.100.71');
      await s.insertBatch([conn('2026-07-01T00:00:00.500Z', '198.51.100.69')]); // also makes July's partition
      const first = await s.readCommitted(undefined, 10);
      assert.equal(first.events.length, 1);
      // A collector's insert that started first (lower transaction id) and has not committed yet.
      await slow.query('BEGIN');
      await slow.query('SELECT pg_current_xact_id()');
      await slow.query(
        `INSERT INTO events (part, id, time, type, sensor, session, protocol, src_ip, src_port, dst_ip, dst_port, payload)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [partitionOf(early, 'month'), early.id, early.time, early.type, early.sensor, early.session, early.protocol, early.src_ip, early.src_port, early.dst_ip, early.dst_port, JSON.stringify(early.payload)],
      );
      await s.insertBatch([late]);
      assert.deepEqual((await s.readCommitted(first.cursor, 10)).events, [], 'nothing past the open transaction is read yet');
      await slow.query('COMMIT');
      const after = await s.readCommitted(first.cursor, 10);
      assert.deepEqual(after.events.map((e) => e.id), [early.id, late.id], 'both, in transaction order');
      assert.deepEqual((await s.readCommitted(after.cursor, 10)).events, []);
    } finally {
      slow.release();
      await s.close();
    }
  });
});

describe('store: postgres partitions and retention', () => {
  test("an event's partition taken from its time's date part equals the one computed from the parsed time", () => {
    const dates = fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), fc.integer({ min: 0, max: 23 }));
    const pad = (n: number, w: number): string => String(n).padStart(w, '0');
    fc.assert(
      fc.property(dates, fc.constantFrom('', '.5', '.123', '.123456'), fc.constantFrom('day', 'month') as fc.Arbitrary<'day' | 'month'>, ([y, m, d, h], frac, period) => {
        const time = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(h, 2)}:00:00${frac}Z`;
        assert.equal(partitionOf({ time }, period), partitionAt(time, period), time);
      }),
      { numRuns: 2000 },
    );
  });

  test('events land in monthly partitions made on demand; retention folds old ones into aggregates and drops them', async () => {
    pg!.createDatabase('retention');
    const s = await PgStore.open({ url: pg!.url('retention') });
    try {
      const times = ['2025-11-30T23:59:59.999Z', '2025-12-01T00:00:00Z', '2025-12-15T12:00:00Z', '2026-01-02T00:00:00Z', '2026-02-01T08:00:00Z'];
      const ev = times.map((t, i) => conn(t, `198.51.100.${i % 2}`, { sensor: i % 2 ? 'dmz' : 'lan' }));
      assert.equal(await s.insertBatch(ev), 5);
      assert.deepEqual(await s.listPartitions(), ['2025-11-01', '2025-12-01', '2026-01-01', '2026-02-01']);
      assert.equal(partitionOf(ev[0]!, 'day'), '2025-11-30');
      assert.deepEqual(await s.dropPartitionsBefore('2026-01-01'), ['2025-11-01', '2025-12-01']);
      assert.deepEqual(await s.listPartitions(), ['2026-01-01', '2026-02-01']);
      assert.deepEqual((await s.query({})).map((e) => e.id), [ev[3]!.id, ev[4]!.id]);
      assert.deepEqual(await s.dailyAggregates(), [
        { day: '2025-11-30', sensor: 'lan', type: 'connection.open', events: 1 },
        { day: '2025-12-01', sensor: 'dmz', type: 'connection.open', events: 1 },
        { day: '2025-12-15', sensor: 'lan', type: 'connection.open', events: 1 },
      ]);
      // A late event for a dropped month makes its partition again (another collector may still have it cached).
      const other = await PgStore.open({ url: pg!.url('retention') });
      try {
        assert.equal(await other.insertBatch([conn('2025-12-20T00:00:00Z', '192.0.2.9')]), 1);
        assert.deepEqual(await s.listPartitions(), ['2025-12-01', '2026-01-01', '2026-02-01']);
      } finally {
        await other.close();
      }
    } finally {
      await s.close();
    }
  });

  test('a batch bigger than one statement is written in one transaction, de-duplicated across chunks', async () => {
    pg!.createDatabase('bigbatch');
    const s = await PgStore.open({ url: pg!.url('bigbatch'), partition: 'day' });
    try {
      const ev = Array.from({ length: 12_000 }, (_, i) => conn(new Date(Date.UTC(2026, 6, 1) + i * 30_000).toISOString(), '192.0.2.1'));
      assert.equal(await s.insertBatch([...ev, ...ev.slice(0, 6000)]), 12_000);
      assert.equal(await s.count(), 12_000);
      assert.equal((await s.listPartitions()).length, 5, '12,000 events 30 s apart span 4.2 days');
    } finally {
      await s.close();
    }
  });
});
