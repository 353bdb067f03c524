// `apiary enrich`, `apiary incidents`, `apiary incident show|set` and `apiary report`.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { ApiaryError } from '../errors/errors.js';
import { IncidentTracker, leaseHolder } from '../analysis/incident-tracker.js';
import { AttackRunner } from '../analysis/attack-runner.js';
import { quarantineStrings } from '../analysis/quarantine-strings.js';
import { recordingKeystrokes } from '../analysis/recording-keystrokes.js';
import { KIND_LABELS, reviseForEnrichment } from '../analysis/incidents.js';
import { enricherFromConfig, geoIpFromConfig } from '../enrich/from-config.js';
import { buildReport, enrichMissing } from '../report/build.js';
import { renderCsv } from '../report/csv.js';
import { renderHtml } from '../report/html.js';
import { htmlToPdf } from '../report/browser.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { openStore as openConfiguredStore } from '../store/open.js';
import type { EventStore } from '../store/store.js';
import { INCIDENT_STATUSES, type EventFilter, type IncidentFilter, type IncidentRecord, type IncidentStatus } from '../store/store.js';
import { parseTimeFlag } from './events-command.js';
import { parseFlags } from './flags.js';
import { counted, inert, table } from './terminal.js';

/** Longest note accepted on `incident set --note`. */
export const MAX_NOTE_CHARS = 4000;

/** A --from/--to/--since date: parseTimeFlag plus a check that the day exists (no 2026-02-30). */
export function parseDateFlag(flag: string, v: string): string {
  const iso = parseTimeFlag(flag, v);
  const day = /^(\d{4}-\d{2}-\d{2})/.exec(v)?.[1];
  if (day !== undefined && new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) {
    throw new ApiaryError('APIARY_CLI_USAGE', `flag --${flag}: ${JSON.stringify(v)} is not a day of the calendar`);
  }
  return iso;
}

export async function openStore(config: Config): Promise<EventStore> {
  if (config.store.kind === 'postgres') return openConfiguredStore(config);
  const path = config.store.sqlite.path;
  if (!existsSync(path)) {
    throw new ApiaryError('APIARY_STORE_OPEN', `no store at ${path} yet; run "apiary start" first (or pass the --config that names the store)`);
  }
  return new SqliteStore(path);
}

/**
 * Brings enrichment and incidents up to date with the stored events, unless a running Apiary holds the
 * tracking lease: then it keeps them current itself (and alerts on them; the CLI never alerts).
 */
export async function bringUpToDate(store: EventStore, config: Config, opts: { attacks?: boolean } = {}): Promise<void> {
  if ((await leaseHolder(store)) !== undefined) return;
  await enrichMissing(store, enricherFromConfig(config));
  await new IncidentTracker(store, config.incidents.quiet_gap_s * 1000).catchUp();
  if (opts.attacks) {
    const runner = new AttackRunner(store, { fileText: quarantineStrings(join(config.data_dir, 'quarantine')), keystrokes: recordingKeystrokes(config.data_dir) });
    await runner.catchUp();
    await runner.flush();
  }
}

export async function runEnrich(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { config: { type: 'string', short: 'c' }, since: { type: 'string' }, until: { type: 'string' } });
  const { config } = loadConfig(values.config, { checkDataDir: false });
  const enricher = enricherFromConfig(config);
  const filter: EventFilter = {};
  if (values.since) filter.since = parseDateFlag('since', values.since);
  if (values.until) filter.until = parseDateFlag('until', values.until);
  const store = await openStore(config);
  try {
    const at = enricher.now();
    const records = (await store.distinctSources(filter)).map((ip) => enricher.enrich(ip, at));
    await store.upsertEnrichment(records);
    // Incidents follow their source's record: after a new networks.internal or a database update, and
    // when they were folded without one (events stored by an older import beside a running sensor).
    const byIp = new Map(records.map((r) => [r.ip, r]));
    let revised = 0;
    for (const ip of byIp.keys()) {
      const changed = reviseForEnrichment(await store.listIncidents({ src: ip }), byIp);
      await store.reviseIncidents(changed);
      revised += changed.length;
    }
    const count = (pred: (r: (typeof records)[number]) => boolean): number => records.filter(pred).length;
    process.stdout.write(
      `enriched ${counted(records.length, 'source address', 'source addresses')}: ${count((r) => r.scope === 'external')} external, ${count((r) => r.scope === 'internal')} internal, ` +
        `${count((r) => r.scope === 'private')} private, ${count((r) => r.ignored)} ignored, ${count((r) => r.country !== null)} with a country; ${counted(revised, 'incident')} revised\n`,
    );
  } finally {
    await store.close();
  }
  return 0;
}

function parseStatus(v: string): IncidentStatus {
  const s = v.replace(/-/g, '_');
  if (!(INCIDENT_STATUSES as readonly string[]).includes(s)) {
    throw new ApiaryError('APIARY_CLI_USAGE', `flag --status: expected one of ${INCIDENT_STATUSES.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return s as IncidentStatus;
}

export async function runIncidents(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    config: { type: 'string', short: 'c' },
    status: { type: 'string' },
    internal: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const { config } = loadConfig(values.config, { checkDataDir: false });
  const filter: IncidentFilter = {};
  if (values.status) filter.status = parseStatus(values.status);
  if (values.internal) filter.scope = 'internal';
  const store = await openStore(config);
  try {
    await bringUpToDate(store, config);
    const incidents = await store.listIncidents(filter);
    if (values.json) {
      process.stdout.write(incidents.map((i) => `${JSON.stringify(i)}\n`).join(''));
    } else {
      const rows = incidents.map((i) => [i.id, i.src_ip, i.scope, i.country ?? '-', KIND_LABELS[i.kind], i.severity, i.status, i.first_seen, i.last_seen, String(i.activity.events)]);
      process.stdout.write(`${table(['ID', 'SOURCE', 'SCOPE', 'COUNTRY', 'KIND', 'SEVERITY', 'STATUS', 'FIRST', 'LAST', 'EVENTS'], rows)}\n${counted(incidents.length, 'incident')}\n`);
    }
  } finally {
    await store.close();
  }
  return 0;
}

function describeIncident(i: IncidentRecord): string {
  const a = i.activity;
  const lines = [
    `incident ${i.id}`,
    `  source     ${inert(i.src_ip)} (${i.scope}${i.country ? `, ${inert(i.country)}` : ''})`,
    `  kind       ${KIND_LABELS[i.kind]}`,
    `  severity   ${i.severity}`,
    `  status     ${i.status}`,
    `  seen       ${i.first_seen} .. ${i.last_seen}`,
    `  sensors    ${a.sensors.map(inert).join(', ')}`,
    `  services   ${a.protocols.map(inert).join(', ')}; ports ${a.dst_ports.join(', ')}`,
    `  activity   ${counted(a.events, 'event')}: ${counted(a.connections, 'connection')}, ${counted(a.probes, 'probe')}, ${a.failed_logins} failed and ${counted(a.successful_logins, 'successful login')}, ` +
      `${counted(a.commands, 'command')}, ${counted(a.exploits, 'exploit')} (${a.smb_exploits} SMB), ${counted(a.downloads, 'download')}, ${counted(a.uploads, 'upload')}`,
    `  alerted    ${i.alerted_at ?? 'no'}`,
  ];
  for (const n of i.notes) lines.push(`  note ${n.time}  ${inert(n.text)}`);
  return `${lines.join('\n')}\n`;
}

export async function runIncident(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    config: { type: 'string', short: 'c' },
    status: { type: 'string' },
    note: { type: 'string' },
    json: { type: 'boolean' },
  });
  const [sub, id] = positionals;
  if ((sub !== 'show' && sub !== 'set') || id === undefined || positionals.length !== 2) {
    throw new ApiaryError('APIARY_CLI_USAGE', 'usage: apiary incident show ID [--json] | apiary incident set ID [--status S] [--note TEXT]');
  }
  const { config } = loadConfig(values.config, { checkDataDir: false });
  const store = await openStore(config);
  try {
    let inc: IncidentRecord | undefined;
    if (sub === 'set') {
      if (values.status === undefined && values.note === undefined) throw new ApiaryError('APIARY_CLI_USAGE', 'incident set: give --status and/or --note');
      if (values.note !== undefined && (values.note.length === 0 || values.note.length > MAX_NOTE_CHARS)) {
        throw new ApiaryError('APIARY_CLI_USAGE', `flag --note: expected 1 to ${MAX_NOTE_CHARS} characters`);
      }
      const change: { status?: IncidentStatus; note?: string; time: string } = { time: new Date().toISOString() };
      if (values.status !== undefined) change.status = parseStatus(values.status);
      if (values.note !== undefined) change.note = values.note;
      inc = await store.updateIncident(id, change);
    } else {
      inc = await store.getIncident(id);
    }
    if (!inc) throw new ApiaryError('APIARY_NOT_FOUND', `no incident ${JSON.stringify(id)}; "apiary incidents" lists them`);
    process.stdout.write(values.json ? `${JSON.stringify(inc)}\n` : describeIncident(inc));
  } finally {
    await store.close();
  }
  return 0;
}

export async function runReport(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    config: { type: 'string', short: 'c' },
    from: { type: 'string' },
    to: { type: 'string' },
    sensor: { type: 'string', multiple: true },
    format: { type: 'string' },
    out: { type: 'string', short: 'o' },
  });
  const format = values.format ?? 'html';
  if (!['html', 'pdf', 'json', 'csv'].includes(format)) throw new ApiaryError('APIARY_CLI_USAGE', `flag --format: expected html, pdf, json or csv, got ${JSON.stringify(format)}`);
  if (!values.out) throw new ApiaryError('APIARY_CLI_USAGE', 'flag --out FILE is required');
  const from = values.from ? parseDateFlag('from', values.from) : undefined;
  const to = values.to ? parseDateFlag('to', values.to) : undefined;
  if (from && to && from >= to) throw new ApiaryError('APIARY_CLI_USAGE', `flags --from/--to: --from (${from}) must be before --to (${to})`);
  const { config } = loadConfig(values.config, { checkDataDir: false });
  const geoip = geoIpFromConfig(config);
  const store = await openStore(config);
  let report;
  try {
    const enricher = enricherFromConfig(config, geoip);
    // The report lists attack chains: fold what is stored first (unless a running Apiary keeps them current).
    await bringUpToDate(store, config, { attacks: true });
    await enrichMissing(store, enricher);
    report = await buildReport(store, config, { from, to, sensors: values.sensor, geoip, enricher });
  } finally {
    await store.close();
  }
  try {
    if (format === 'json') writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
    else if (format === 'csv') writeFileSync(values.out, renderCsv(report));
    else if (format === 'html') writeFileSync(values.out, renderHtml(report));
    else await htmlToPdf(renderHtml(report), values.out);
  } catch (err) {
    if (err instanceof ApiaryError) throw err;
    throw new ApiaryError('APIARY_REPORT', `cannot write ${values.out}: ${(err as Error).message}`);
  }
  process.stdout.write(`report: ${format} written to ${values.out} (${counted(report.totals.events, 'event')}, ${counted(report.totals.sources.all, 'source')}, ${counted(report.totals.incidents, 'incident')})\n`);
  return 0;
}
