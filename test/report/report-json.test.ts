// A labelled set of events (internal and external sources, every activity type, several sensors and
// months, an ignored host, a private one) is stored; every number in `apiary report --format json`
// must equal the count computed here, independently, from the labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiaryEvent } from '../../src/events/catalogue.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { AttackRecord } from '../../src/store/store.js';
import { runCli, tempDir } from '../helpers/apiary-process.js';
import { SHA_A, SHA_B, SOURCES, groupsAt, writeScenario, type Kind, type Labelled, type Scope } from '../helpers/report-scenario.js';

const distinct = (xs: Iterable<string>): number => new Set(xs).size;

test('report --format json: every number equals an independent count over labelled events', async () => {
  const dir = tempDir();
  const { configPath, labelled } = await writeScenario(dir);
  const store = new SqliteStore(join(dir, 'data', 'apiary.db'), { readonly: true });
  const stored: ApiaryEvent[] = await store.query({});
  await store.close();
  assert.equal(stored.length, labelled.length);

  const out = join(dir, 'report.json');
  const r = await runCli(['report', '--config', configPath, '--format', 'json', '--out', out]);
  assert.match(r.stdout, /report: json written/);
  const report = JSON.parse(readFileSync(out, 'utf8'));

  // Independent counts from the labels.
  const counted = labelled.filter((l) => !SOURCES[l.spec.src]!.ignored);
  const ignored = labelled.filter((l) => SOURCES[l.spec.src]!.ignored);
  const scopeOf = (l: Labelled): Scope => SOURCES[l.spec.src]!.scope;
  const svc = (l: Labelled): string => l.spec.protocol ?? 'ssh';
  const sen = (l: Labelled): string => l.spec.sensor ?? 'sensor-a';
  const scopeCounts = (ls: Labelled[]) => ({
    external: distinct(ls.filter((l) => scopeOf(l) === 'external').map((l) => l.spec.src)),
    internal: distinct(ls.filter((l) => scopeOf(l) === 'internal').map((l) => l.spec.src)),
    private: distinct(ls.filter((l) => scopeOf(l) === 'private').map((l) => l.spec.src)),
  });
  const keys = <T>(xs: T[]): T[] => [...new Set(xs)].sort();

  assert.deepEqual(report.totals, {
    events: counted.length,
    sources: { all: distinct(counted.map((l) => l.spec.src)), ...scopeCounts(counted) },
    incidents: distinct(counted.map((l) => l.incident)),
    sensors: keys(counted.map(sen)),
    services: keys(counted.map(svc)),
  });
  assert.equal(report.filters.ignored_events, ignored.length);
  assert.equal(report.filters.ignored_sources, 1);
  assert.equal(report.period.first_event, new Date(counted[0]!.spec.time).toISOString());
  assert.equal(report.period.last_event, new Date(counted.at(-1)!.spec.time).toISOString());

  assert.deepEqual(
    report.figure1.by_service,
    keys(counted.map(svc)).map((service) => {
      const ls = counted.filter((l) => svc(l) === service);
      return { service, events: ls.length, ...scopeCounts(ls) };
    }),
  );
  assert.deepEqual(
    report.figure1.by_sensor,
    keys(counted.map(sen)).map((sensor) => {
      const ls = counted.filter((l) => sen(l) === sensor);
      return { sensor, events: ls.length, ...scopeCounts(ls) };
    }),
  );
  assert.deepEqual(
    report.figure1.by_service_sensor,
    keys(counted.map((l) => `${svc(l)}\u0000${sen(l)}`)).map((k) => {
      const [service, sensor] = k.split('\u0000');
      const ls = counted.filter((l) => svc(l) === service && sen(l) === sensor);
      return { service, sensor, events: ls.length, ...scopeCounts(ls) };
    }),
  );
  const month = (l: Labelled): string => l.spec.time.slice(0, 7);
  assert.deepEqual(
    report.figure1.monthly,
    keys(counted.flatMap((l) => [`${month(l)}\u0000${svc(l)}`, `${month(l)}\u0000*`])).map((k) => {
      const [m, service] = k.split('\u0000');
      const ls = counted.filter((l) => month(l) === m && (service === '*' || svc(l) === service));
      return { month: m, service, events: ls.length, ...scopeCounts(ls) };
    }),
  );

  const kinds: Kind[] = ['scan', 'brute_force', 'intrusion', 'exploitation', 'malware_propagation'];
  const internal = counted.filter((l) => scopeOf(l) === 'internal');
  const internalByKind = kinds.map((kind) => {
    const ls = internal.filter((l) => l.kind === kind);
    return { kind, incidents: distinct(ls.map((l) => l.incident)), sources: distinct(ls.map((l) => l.spec.src)), events: ls.length };
  });
  assert.deepEqual(
    [...report.figure2.internal_by_kind].sort((a: { kind: Kind }, b: { kind: Kind }) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind)),
    internalByKind,
  );
  assert.equal(report.figure2.internal_by_kind[0].kind, 'malware_propagation', 'malware propagation leads the internal attack types here');
  assert.deepEqual(
    report.figure2.internal_hosts,
    keys(internal.map((l) => l.spec.src)).map((ip) => {
      const ls = internal.filter((l) => l.spec.src === ip);
      return {
        ip, site: null, first_seen: new Date(ls[0]!.spec.time).toISOString(), last_seen: new Date(ls.at(-1)!.spec.time).toISOString(),
        kinds: kinds.filter((k) => ls.some((l) => l.kind === k)), sensors: keys(ls.map(sen)), services: keys(ls.map(svc)),
        incidents: distinct(ls.map((l) => l.incident)), events: ls.length,
      };
    }),
  );
  assert.deepEqual(
    report.incidents_by_kind,
    kinds.map((kind) => {
      const ls = counted.filter((l) => l.kind === kind);
      return { kind, incidents: distinct(ls.map((l) => l.incident)), events: ls.length, ...scopeCounts(ls) };
    }),
  );

  const located = counted.filter((l) => SOURCES[l.spec.src]!.country !== null);
  const countryOf = (l: Labelled): string => SOURCES[l.spec.src]!.country!;
  assert.deepEqual(
    new Map(report.countries.top.map((c: { country: string; sources: number; events: number }) => [c.country, [c.sources, c.events]])),
    new Map(keys(located.map(countryOf)).map((c) => [c, [distinct(located.filter((l) => countryOf(l) === c).map((l) => l.spec.src)), located.filter((l) => countryOf(l) === c).length]])),
  );
  assert.deepEqual(
    report.countries.map,
    Object.fromEntries(keys(located.map(countryOf)).map((c) => [c, distinct(located.filter((l) => countryOf(l) === c).map((l) => l.spec.src))])),
  );
  const groupNames = ['nato', 'nato-candidate', 'nato-partner', 'eu', 'non-nato', 'unlocated'];
  assert.deepEqual(report.countries.groups.map((g: { group: string }) => g.group), groupNames);
  for (const g of report.countries.groups) {
    const inGroup = counted.filter((l) => groupsAt(SOURCES[l.spec.src]!.country, l.spec.time).includes(g.group));
    assert.deepEqual(g.total, { sources: distinct(inGroup.map((l) => l.spec.src)), events: inGroup.length }, `group ${g.group}`);
    for (const kind of kinds) {
      const ls = inGroup.filter((l) => l.kind === kind);
      assert.deepEqual(g.by_kind[kind], { sources: distinct(ls.map((l) => l.spec.src)), events: ls.length }, `group ${g.group} × ${kind}`);
    }
  }
  // The paper's finding holds on this data: non-NATO sources scan, NATO ones intrude.
  const group = (name: string) => report.countries.groups.find((g: { group: string }) => g.group === name);
  assert.equal(group('non-nato').by_kind.scan.sources, 1);
  assert.equal(group('nato').by_kind.intrusion.sources, 1);

  const probes = counted.filter((l) => l.spec.type === 'scan.probe');
  assert.deepEqual(
    report.unserved_ports,
    keys(probes.map((l) => String(l.spec.dst_port).padStart(5, '0'))).map((p) => {
      const ls = probes.filter((l) => l.spec.dst_port === Number(p));
      return { port: Number(p), sources: distinct(ls.map((l) => l.spec.src)), events: ls.length };
    }).sort((a, b) => b.events - a.events || a.port - b.port),
  );
  const auths = counted.filter((l) => l.spec.type === 'auth.attempt').map((l) => ({ ...(l.spec.payload as { username: string; password: string; success: boolean }), src: l.spec.src }));
  assert.deepEqual(
    report.credentials,
    keys(auths.map((a) => `${a.username}\u0000${a.password}`)).map((k) => {
      const [username, password] = k.split('\u0000');
      const as = auths.filter((a) => a.username === username && a.password === password);
      return { username, password, attempts: as.length, successes: as.filter((a) => a.success).length, sources: distinct(as.map((a) => a.src)) };
    }).sort((a, b) => b.attempts - a.attempts || (`${a.username}\u0000${a.password}` < `${b.username}\u0000${b.password}` ? -1 : 1)),
  );
  const cmds = counted.filter((l) => l.spec.type === 'command.input');
  assert.deepEqual(
    report.commands,
    keys(cmds.map((l) => (l.spec.payload as { input: string }).input)).map((command) => {
      const ls = cmds.filter((l) => (l.spec.payload as { input: string }).input === command);
      return { command, count: ls.length, sources: distinct(ls.map((l) => l.spec.src)) };
    }).sort((a, b) => b.count - a.count),
  );
  const files = counted.filter((l) => l.spec.type === 'file.download');
  assert.deepEqual(
    report.malware.map((m: { sha256: string; events: number; sources: number; size: number; type: string; servers: unknown }) => [m.sha256, m.events, m.sources, m.size, m.type, m.servers]),
    [
      [SHA_A, files.filter((l) => (l.spec.payload as { sha256: string }).sha256 === SHA_A).length, 2, 73_802, 'exe', [{ host: '185.20.0.1', country: 'US' }]],
      [SHA_B, 1, 1, 120, 'sh', [{ host: '8.8.8.8', country: 'US' }]],
    ],
  );
});

test('report lists the stored attack chains that overlap its period, highest score first, escaped in HTML; a report of some sensors leaves them out and says why', async () => {
  const dir = tempDir();
  const { configPath } = await writeScenario(dir);
  const store = new SqliteStore(join(dir, 'data', 'apiary.db'));
  const chain = (id: string, score: number, first: string, last: string, service: string) =>
    ({
      id, score, first_seen: first, last_seen: last, merged: [], factors: {}, events: 7,
      sources: [{ ip: '198.51.100.1', scope: 'external', country: 'NL', role: 'attacker' }, { ip: '203.0.113.9', scope: 'external', country: 'US', role: 'server' }],
      services: [service], techniques: [{ id: 'T1110.001', name: 'Password Guessing', evidence: [] }], intents: [{ name: 'mining', evidence: [] }],
      links: [{ type: 'credential_handoff', from: 'a', to: 'b', explanation: '', evidence: [] }], steps: [],
    }) as unknown as AttackRecord;
  await store.commitAttacks(
    [chain('low', 20, '2025-03-01T00:00:00Z', '2025-03-02T00:00:00Z', 'ssh'), chain('high', 90, '2025-03-01T00:00:00Z', '2025-04-01T00:00:00Z', '<img src=x onerror=alert(1)>'), chain('old', 99, '2019-01-01T00:00:00Z', '2019-01-02T00:00:00Z', 'ssh')],
    { key: 'test.watermark', expected: undefined, next: '1' },
  );
  await store.close();
  const out = join(dir, 'r.json');
  await runCli(['report', '--config', configPath, '--format', 'json', '--from', '2025-01-01', '--to', '2026-01-01', '--out', out]);
  const report = JSON.parse(readFileSync(out, 'utf8')) as { attacks: { id: string; score: number; sources: number; servers: number; countries: string[] }[] };
  const mine = report.attacks.filter((a) => ['low', 'high', 'old'].includes(a.id));
  assert.deepEqual(mine.map((a) => [a.id, a.score, a.sources, a.servers, a.countries]), [['high', 90, 1, 1, ['NL', 'US']], ['low', 20, 1, 1, ['NL', 'US']]], 'ranked by score; the 2019 chain is outside the period');
  const html = join(dir, 'r.html');
  await runCli(['report', '--config', configPath, '--format', 'html', '--from', '2025-01-01', '--to', '2026-01-01', '--out', html]);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /<section id="attacks">/);
  assert.ok(page.includes('&lt;img src=x onerror=alert(1)&gt;'));
  assert.ok(!page.includes('<img src=x'));

  // A report of some sensors lists no chain (a chain's figures count every sensor it touched) and says so.
  const some = join(dir, 'some.json');
  await runCli(['report', '--config', configPath, '--format', 'json', '--from', '2025-01-01', '--to', '2026-01-01', '--sensor', 'sensor-a', '--out', some]);
  const bySensor = JSON.parse(readFileSync(some, 'utf8')) as { attacks: unknown[]; method: { attacks: string }; filters: { sensors: string[] } };
  assert.deepEqual(bySensor.filters.sensors, ['sensor-a']);
  assert.deepEqual(bySensor.attacks, []);
  assert.match(bySensor.method.attacks, /^Left out: .*filters\.sensors/);
  const someHtml = join(dir, 'some.html');
  await runCli(['report', '--config', configPath, '--format', 'html', '--from', '2025-01-01', '--to', '2026-01-01', '--sensor', 'sensor-a', '--out', someHtml]);
  const attacksSection = /<section id="attacks">(.*?)<\/section>/s.exec(readFileSync(someHtml, 'utf8'))?.[1] ?? '';
  assert.match(attacksSection, /Left out: this report counts only the sensors/);
  assert.ok(!attacksSection.includes('<table'), 'no table of chains');
});
