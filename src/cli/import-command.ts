// `apiary import cowrie|kippo|dionaea FILE...`: streams existing honeypot logs into the store, shows
// progress on a terminal, prints what was imported and what was skipped and why.
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ApiaryError } from '../errors/errors.js';
import { loadConfig } from '../config/load.js';
import { EnrichmentStage } from '../collector/enrichment.js';
import { enricherFromConfig } from '../enrich/from-config.js';
import { openStore } from '../store/open.js';
import type { EventStore } from '../store/store.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { BatchWriter, cleanSensor, orderRotated, type FileReport } from '../importers/core/import-core.js';
import { createImportRun, IMPORT_FORMATS, type ImportFormat } from '../importers/importers.js';
import { SqliteWriterThread, WriterThreadBatchWriter } from '../importers/core/sqlite-writer.js';
import { looksLikeTextLog, looksLikeTtyLog, type RecordingOwner } from '../importers/kippo/text-log-importer.js';
import { parseFlags } from './flags.js';
import { counted, inert } from './terminal.js';

/** Exit status when the import finished but some records (or files) were skipped. */
export const EXIT_SKIPPED = 3;

export const IMPORT_USAGE = 'usage: apiary import cowrie|kippo|dionaea FILE... [--sensor NAME] [--config FILE]';

export async function runImport(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    config: { type: 'string', short: 'c' },
    sensor: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  });
  const [format, ...files] = positionals;
  if (!format || !(IMPORT_FORMATS as readonly string[]).includes(format)) {
    throw new ApiaryError('APIARY_CLI_USAGE', `${format ? `unknown import format ${JSON.stringify(format)}; ` : ''}${IMPORT_USAGE}`);
  }
  if (files.length === 0) throw new ApiaryError('APIARY_CLI_USAGE', `no files given; ${IMPORT_USAGE}`);
  for (const f of files) {
    if (!existsSync(f)) throw new ApiaryError('APIARY_CLI_USAGE', `${f}: no such file; ${IMPORT_USAGE}`);
    if (statSync(f).isDirectory()) throw new ApiaryError('APIARY_CLI_USAGE', `${f} is a directory: name the logs in it (e.g. ${join(f, '*')}); ${IMPORT_USAGE}`);
    if (!statSync(f).isFile()) throw new ApiaryError('APIARY_CLI_USAGE', `${f} is not a regular file; ${IMPORT_USAGE}`);
  }
  let sensor: string | undefined;
  if (values.sensor !== undefined) {
    sensor = cleanSensor(values.sensor);
    if (sensor === undefined || sensor !== values.sensor) {
      throw new ApiaryError('APIARY_CLI_USAGE', `flag --sensor: letters, digits, ".", "_" and "-" only (at most 128), got ${JSON.stringify(values.sensor)}`);
    }
  }
  const { config } = loadConfig(values.config);
  const store = await openStore(config);
  const tty = process.stderr.isTTY === true && !values.quiet;
  const show = tty ? (status: string) => process.stderr.write(`\r\x1b[K${inert(status).slice(0, Math.max(80, process.stderr.columns ?? 0) - 1)}`) : undefined;
  // Into SQLite, a second thread stores while this one reads and builds events.
  const writerThread = store instanceof SqliteStore ? new SqliteWriterThread(store.path) : undefined;
  // Sources are enriched as live ones are, before their events are stored.
  const writer = writerThread
    ? new WriterThreadBatchWriter(writerThread)
    : new BatchWriter(async (events, enrichment) => {
        await store.upsertEnrichment(enrichment);
        return store.insertBatch(events);
      });
  const enrichment = new EnrichmentStage(enricherFromConfig(config));
  writer.enrichWith((ip) => enrichment.recordFor(ip));
  const run = createImportRun(format as ImportFormat, writer, {
    ...(sensor !== undefined ? { sensor } : {}),
    recordingsDir: join(config.data_dir, 'recordings'),
    ...(show ? { progress: show } : {}),
    findRecording: recordingFinder(store),
  });
  const reports: FileReport[] = [];
  const started = Date.now();
  try {
    // Binary TTY logs after the text logs whose lines name them, so they find their sessions.
    const ordered = orderRotated(files);
    const isTty = (f: string): boolean => format !== 'dionaea' && !looksLikeTextLog(f) && looksLikeTtyLog(f);
    for (const f of [...ordered.filter((f) => !isTty(f)), ...ordered.filter(isTty)]) reports.push(await run.importFile(f));
    await run.finish();
  } finally {
    if (tty) process.stderr.write('\r\x1b[K');
    await writerThread?.close();
    await store.close();
  }
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(summarise(reports, writer.stored, writer.written, seconds));
  const skipped = reports.reduce((n, r) => n + r.skippedCount, 0);
  return skipped > 0 ? EXIT_SKIPPED : 0;
}

/**
 * Finds the session that opened a TTY log of a given file name, among the session.recording events
 * already stored (read once, on the first TTY log of the run).
 */
function recordingFinder(store: EventStore): (name: string) => Promise<RecordingOwner | undefined> {
  let owners: Map<string, RecordingOwner> | undefined;
  return async (name) => {
    if (!owners) {
      owners = new Map();
      for (const e of await store.query({ type: 'session.recording' })) {
        const p = e.payload as { path?: string; state?: string };
        if (p.state === 'stored' || p.path === undefined || owners.has(basename(p.path))) continue;
        const { sensor, session, protocol, src_ip, src_port, dst_ip, dst_port } = e;
        owners.set(basename(p.path), { env: { sensor, session, protocol, src_ip, src_port, dst_ip, dst_port } });
      }
    }
    const owner = owners.get(name);
    if (!owner) return undefined;
    const size = (await store.query({ session: owner.env.session, type: 'client.size', limit: 1 }))[0]?.payload as { width?: number; height?: number } | undefined;
    return size?.width ? { ...owner, width: size.width, height: size.height } : owner;
  };
}

/** The report printed after an import: per file, then totals. Attacker text is shown inert. */
export function summarise(reports: readonly FileReport[], stored: number, written: number, seconds: number): string {
  const out: string[] = [];
  for (const r of reports) {
    out.push(`${inert(r.file)}: ${counted(r.records, 'record')} -> ${counted(r.events, 'event')} (${r.stored} new, ${r.duplicates} already stored), ${r.skippedCount} skipped`);
    if (r.fatal) out.push(`  SKIPPED FILE: ${inert(r.fatal)}`);
    for (const [reason, s] of r.skipped) {
      out.push(`  skipped ${s.count} x ${inert(reason)} (first at ${s.first})${s.example !== undefined ? `: ${inert(s.example)}` : ''}`);
    }
    for (const [reason, n] of r.noEvent) out.push(`  no event for ${n} x ${inert(reason)}`);
  }
  const skipped = reports.reduce((n, r) => n + r.skippedCount, 0);
  const rate = seconds > 0 ? Math.round(written / seconds) : written;
  out.push(`imported ${counted(written, 'event')} (${stored} new, ${written - stored} already stored) from ${counted(reports.length, 'file')} in ${seconds.toFixed(1)} s (${rate} events/s); ${counted(skipped, 'record')} skipped`);
  return `${out.join('\n')}\n`;
}
