// The tracking commands from the outside: enrich, incidents, incident show/set, report flags, and
// start-up refusing a missing or corrupt GeoIP database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, runCli, tempDir, writeConfig } from '../helpers/apiary-process.js';
import { writeScenario } from '../helpers/report-scenario.js';

test('report rejects dates out of range or impossible, a reversed period and bad flags, with a clear error', async () => {
  const dir = tempDir();
  const { configPath } = await writeScenario(dir);
  const out = join(dir, 'r.json');
  const cases: [string[], RegExp][] = [
    [['--from', '2026-02-30'], /--from: "2026-02-30" is not a day of the calendar/],
    [['--from', '1969-12-31'], /--from: expected a date .* between 1970 and 9999/],
    [['--to', '10000-01-01'], /--to: expected a date/],
    [['--to', 'yesterday'], /--to: expected a date/],
    [['--from', '2025-01-02', '--to', '2025-01-01'], /--from .* must be before --to/],
    [['--format', 'docx'], /--format: expected html, pdf, json or csv/],
  ];
  for (const [flags, msg] of cases) {
    const r = await runCli(['report', '--config', configPath, '--out', out, ...flags], { allowFail: true });
    assert.equal(r.code, 2, flags.join(' '));
    assert.match(r.stderr, /APIARY_CLI_USAGE/);
    assert.match(r.stderr, msg);
  }
  const noOut = await runCli(['report', '--config', configPath], { allowFail: true });
  assert.match(noOut.stderr, /--out FILE is required/);
  const period = await runCli(['report', '--config', configPath, '--format', 'json', '--out', out, '--from', '2024-06-01', '--to', '2024-06-02']);
  assert.match(period.stdout, /\(5 events, 1 source, 2 incidents\)/);
  const bySensor = await runCli(['report', '--config', configPath, '--format', 'json', '--out', out, '--sensor', 'sensor-b']);
  assert.match(bySensor.stdout, /\(11 events, 3 sources, 3 incidents\)/);
  const r = JSON.parse(readFileSync(out, 'utf8')) as { filters: { sensors: string[] }; totals: { sensors: string[] } };
  assert.deepEqual([r.filters.sensors, r.totals.sensors], [['sensor-b'], ['sensor-b']]);
});

test('enrich, incidents, incident show and set', async () => {
  const dir = tempDir();
  const { configPath } = await writeScenario(dir);
  const e = await runCli(['enrich', '--config', configPath, '--since', '2024-01-01']);
  assert.match(e.stdout, /^enriched 7 source addresses: 3 external, 3 internal, 1 private, 1 ignored, 3 with a country; 0 incidents revised$/m);
  const bad = await runCli(['enrich', '--config', configPath, '--since', '2024-13-01'], { allowFail: true });
  assert.match(bad.stderr, /APIARY_CLI_USAGE: flag --since/);

  const list = await runCli(['incidents', '--config', configPath, '--json']);
  const incidents = list.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; src_ip: string; kind: string; severity: string; scope: string });
  assert.equal(incidents.length, 9, 'the ignored host has no incident');
  const int5 = incidents.find((i) => i.src_ip === '10.20.1.5')!;
  assert.deepEqual([int5.kind, int5.severity, int5.scope], ['malware_propagation', 'critical', 'internal']);
  const internal = await runCli(['incidents', '--config', configPath, '--internal']);
  assert.match(internal.stdout, /malware propagation/);
  assert.match(internal.stdout, /^2 incidents$/m);

  const set = await runCli(['incident', 'set', int5.id, '--config', configPath, '--status', 'investigating', '--note', 'PC in lab 3\x1b[31m, owner told']);
  assert.match(set.stdout, /status {5}investigating/);
  assert.match(set.stdout, /PC in lab 3\\x1b\[31m, owner told/, 'notes are shown inert');
  const set2 = await runCli(['incident', 'set', int5.id, '--config', configPath, '--status', 'resolved']);
  assert.match(set2.stdout, /status {5}resolved/);
  const show = await runCli(['incident', 'show', int5.id, '--config', configPath, '--json']);
  const shown = JSON.parse(show.stdout) as { status: string; notes: { text: string }[] };
  assert.equal(shown.status, 'resolved');
  assert.equal(shown.notes.length, 1);
  const resolved = await runCli(['incidents', '--config', configPath, '--status', 'resolved']);
  assert.match(resolved.stdout, /^1 incident$/m);
  // The private host turns out to be ours: after `enrich`, its incident is internal and high.
  const cfg = readFileSync(configPath, 'utf8').replace('- 10.20.0.0/16', '- 10.20.0.0/16\n    - 192.168.7.0/24');
  writeFileSync(configPath, cfg);
  const re = await runCli(['enrich', '--config', configPath]);
  assert.match(re.stdout, /4 internal, 0 private, .*; 1 incident revised$/m);
  const priv = JSON.parse((await runCli(['incident', 'show', incidents.find((i) => i.src_ip === '192.168.7.7')!.id, '--config', configPath, '--json'])).stdout) as { scope: string; severity: string };
  assert.deepEqual([priv.scope, priv.severity], ['internal', 'high']);
  const missing = await runCli(['incident', 'show', 'NOPE', '--config', configPath], { allowFail: true });
  assert.match(missing.stderr, /APIARY_NOT_FOUND/);
  const badStatus = await runCli(['incident', 'set', int5.id, '--config', configPath, '--status', 'done'], { allowFail: true });
  assert.match(badStatus.stderr, /APIARY_CLI_USAGE: flag --status: expected one of new, investigating, resolved, false_positive/);
});

test('start-up stops with APIARY_GEOIP when the configured GeoIP file is missing or corrupt', () => {
  const dir = tempDir();
  const corrupt = join(dir, 'GeoLite2-Country.mmdb');
  writeFileSync(corrupt, 'this is not a MaxMind database at all'.repeat(100));
  for (const [db, msg] of [[join(dir, 'nope.mmdb'), /cannot read GeoIP database .*ENOENT/], [corrupt, /is not a valid MaxMind DB file/]] as const) {
    const configPath = writeConfig(dir, { geoip: { country_db: db }, services: { ssh: { listen: ['127.0.0.1:0'] } } });
    const r = spawnSync(process.execPath, [CLI, 'start', '--config', configPath], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^apiary: APIARY_GEOIP: key geoip\.country_db: /);
    assert.match(r.stderr, msg);
    assert.doesNotMatch(r.stdout, /listening/);
  }
});
