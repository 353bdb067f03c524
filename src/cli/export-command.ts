// `apiary export stix|misp`: the indicators of a period (attacking addresses, file hashes, URLs) as a
// STIX 2.1 bundle or a MISP event, for a threat-sharing platform (OpenCTI, MISP, a TAXII server, a SIEM).
import { closeSync, openSync, writeSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { ApiaryError } from '../errors/errors.js';
import { classifierFromConfig } from '../enrich/from-config.js';
import { gatherIndicators } from '../exporters/indicators.js';
import { defaultProducer, EXPORT_FORMATS, exportChunks, type ExportFormat } from '../exporters/export.js';
import { TLP_LEVELS, type Tlp } from '../exporters/stix.js';
import { SEVERITIES, type Severity } from '../store/store.js';
import { parseFlags } from './flags.js';
import { counted } from './terminal.js';

/** The left_out counts that are nouns (the others read as adjectives: "2 internal, 1 ignored"). */
const LEFT_OUT_NOUNS: Readonly<Record<string, [string, string]>> = {
  long_urls: ['long URL', 'long URLs'],
  unparsable_urls: ['unparsable URL', 'unparsable URLs'],
  urls_naming_internal: ['URL naming an internal host', 'URLs naming internal hosts'],
};
import { bringUpToDate, openStore, parseDateFlag } from './tracking-commands.js';

export async function runExport(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    config: { type: 'string', short: 'c' },
    from: { type: 'string' },
    to: { type: 'string' },
    out: { type: 'string', short: 'o' },
    tlp: { type: 'string' },
    'min-severity': { type: 'string' },
    'include-internal': { type: 'boolean' },
    producer: { type: 'string' },
  });
  const format = positionals[0];
  if (!(EXPORT_FORMATS as readonly (string | undefined)[]).includes(format)) throw new ApiaryError('APIARY_CLI_USAGE', `apiary export: expected ${EXPORT_FORMATS.join(' or ')}, got ${JSON.stringify(format ?? '')}`);
  const tlp = (values.tlp ?? 'amber').toLowerCase();
  if (!(TLP_LEVELS as readonly string[]).includes(tlp)) throw new ApiaryError('APIARY_CLI_USAGE', `flag --tlp: expected ${TLP_LEVELS.join(', ')}, got ${JSON.stringify(values.tlp)}`);
  const minSeverity = values['min-severity'] ?? 'low';
  if (!(SEVERITIES as readonly string[]).includes(minSeverity)) throw new ApiaryError('APIARY_CLI_USAGE', `flag --min-severity: expected ${SEVERITIES.join(', ')}, got ${JSON.stringify(minSeverity)}`);
  const now = new Date().toISOString();
  const from = values.from ? parseDateFlag('from', values.from) : new Date(0).toISOString();
  const to = values.to ? parseDateFlag('to', values.to) : now;
  if (from >= to) throw new ApiaryError('APIARY_CLI_USAGE', `flags --from/--to: --from (${from}) must be before --to (${to})`);
  const { config } = loadConfig(values.config, { checkDataDir: false });
  const store = await openStore(config);
  let indicators;
  try {
    // Incidents and attack chains say what each source did: bring them up to date first (unless a
    // running Apiary keeps them current).
    await bringUpToDate(store, config, { attacks: true });
    const enricher = classifierFromConfig(config);
    indicators = await gatherIndicators(store, { from, to, includeInternal: values['include-internal'] === true, minSeverity: minSeverity as Severity, classify: (ip) => enricher.enrich(ip) });
  } finally {
    await store.close();
  }
  const chunks = exportChunks(format as ExportFormat, indicators, { producer: values.producer ?? defaultProducer(config.sensor), tlp: tlp as Tlp, now });
  if (values.out) {
    let fd: number | undefined;
    try {
      fd = openSync(values.out, 'w');
      for (const c of chunks) writeSync(fd, c);
    } catch (err) {
      throw new ApiaryError('APIARY_REPORT', `cannot write ${values.out}: ${(err as Error).message}`);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  } else for (const c of chunks) process.stdout.write(c);
  const l = indicators.left_out;
  const leftOut = Object.entries(l).filter(([, n]) => n > 0).map(([k, n]) => {
    const noun = LEFT_OUT_NOUNS[k];
    return noun ? counted(n, noun[0], noun[1]) : `${n} ${k.replace(/_/g, ' ')}`;
  });
  // The summary goes to stderr when the document goes to stdout, so a pipe gets the JSON alone.
  const say = values.out ? process.stdout : process.stderr;
  say.write(
    `export: ${format === 'stix' ? 'STIX 2.1 bundle' : 'MISP event'}${values.out ? ` written to ${values.out}` : ''} (TLP:${tlp.toUpperCase()}): ` +
      `${counted(indicators.sources.length, 'source address', 'source addresses')}, ${counted(indicators.files.length, 'file')}, ${counted(indicators.urls.length, 'URL')} from ${from} to ${to}` +
      `${leftOut.length ? `; left out: ${leftOut.join(', ')}` : ''}` +
      `${indicators.incidents_cut ? '; the period holds more incidents than one export reads: only the newest were read (narrow --from/--to)' : ''}\n`,
  );
  return 0;
}
