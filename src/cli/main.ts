#!/usr/bin/env node
// The `apiary` command: start, events, config check.
import { resolve as resolvePath } from 'node:path';
import { parseFlags } from './flags.js';
import { ApiaryError, isApiaryError } from '../errors/errors.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { endQuietlyWhenStdoutCloses } from './closed-stdout.js';
import { outputLines, storeLine } from './output-lines.js';
import { counted, hostPort } from './terminal.js';
// Each command's module is imported when it runs, so `apiary start` does not carry the report,
// import and browser code in its memory, and a quick command does not load the sensors.

const USAGE = `usage: apiary <command> [options]

commands:
  start [--config FILE]            run every configured sensor, the collector and the store
  events [--config FILE] [--type T] [--src IP] [--session S] [--since T] [--until T] [--limit N | --last N] [--json] [--source]
                                   list stored events (a table, or JSON lines with --json; --source adds imported records)
  import cowrie|kippo|dionaea FILE... [--sensor NAME] [--config FILE]
                                   import existing honeypot logs (exit status 3: some records skipped)
  enrich [--config FILE] [--since T] [--until T]
                                   (re)compute country, ASN and internal/external for stored sources
  incidents [--config FILE] [--status S] [--internal] [--json]
                                   list incidents (statuses: new, investigating, resolved, false_positive)
  incident show ID [--json]        one incident in full
  incident set ID [--status S] [--note TEXT]
                                   set an incident's status and/or add a note
  report --format html|pdf|json|csv --out FILE [--from DATE] [--to DATE] [--sensor NAME]...
                                   the incident report for a period (PDF needs Debian's chromium)
  export stix|misp [--config FILE] [--from DATE] [--to DATE] [--out FILE] [--tlp clear|green|amber|red]
         [--min-severity low|medium|high|critical] [--include-internal] [--producer NAME]
                                   share the period's indicators (attacking addresses, file hashes, URLs)
                                   as a STIX 2.1 bundle or a MISP event (internal and private addresses left out)
  honeytokens [--config FILE] [--json]
                                   list the fake secrets planted in decoys (secrets masked)
  replay SESSION [--config FILE] [--speed N] [--max-idle S] [--instant]
                                   play a shell session's recording in the terminal
  shell-reset [--config FILE] [IP] forget the files attackers wrote in the fake shell (one address, or all)
  dashboard [--config FILE]        the web dashboard over the store alone (no sensors): imported logs, a stopped honeypot
  attacks [--config FILE] [--min-score N] [--limit N] [--json]
                                   attack chains ranked by APT score (links, intent, techniques)
  attack show ID [--json]          one attack chain: score factors, links and the timeline of its steps
  simulate --scenario FILE [--config FILE] [--truth FILE] [--host 127.X.Y.Z] [--port SERVICE=N]... [--print-enrichment]
                                   play a multi-stage campaign against the running sensors; write its ground truth
  sensor [--config FILE]           run the configured sensors and ship their events to the collector (shipper.collector)
  sensor enroll TOKEN [--config FILE]
                                   exchange a one-time token for this sensor's client certificate
  collector [--config FILE]        receive events from enrolled sensors over mutual TLS into the store
  collector enroll NAME | revoke NAME | sensors [--json] | settings NAME FILE|--clear
                                   print a one-time enrolment token; revoke a sensor; list sensors and heartbeats;
                                   set a sensor's services centrally (FILE has a services: block)
  config check FILE | --config FILE
                                   validate a configuration file
  version, --version               print Apiary's version
  help                             this text`;

/** The commands that only read and print, so a reader that stops early (`| head`) just ends them. */
const PRINTING_COMMANDS = new Set(['events', 'incidents', 'incident', 'export', 'honeytokens', 'replay', 'attacks', 'attack']);

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && PRINTING_COMMANDS.has(command)) endQuietlyWhenStdoutCloses();
  switch (command) {
    case 'start':
      return runStart(rest);
    case 'events':
      return (await import('./events-command.js')).runEvents(rest);
    case 'config':
      return runConfig(rest);
    case 'import':
      return (await import('./import-command.js')).runImport(rest);
    case 'enrich':
      return (await import('./tracking-commands.js')).runEnrich(rest);
    case 'incidents':
      return (await import('./tracking-commands.js')).runIncidents(rest);
    case 'incident':
      return (await import('./tracking-commands.js')).runIncident(rest);
    case 'report':
      return (await import('./tracking-commands.js')).runReport(rest);
    case 'export':
      return (await import('./export-command.js')).runExport(rest);
    case 'honeytokens':
      return (await import('./honeytokens-command.js')).runHoneytokens(rest);
    case 'replay':
      return (await import('./replay-command.js')).runReplay(rest);
    case 'shell-reset':
      return (await import('./shell-reset-command.js')).runShellReset(rest);
    case 'dashboard':
      return (await import('./dashboard-command.js')).runDashboard(rest);
    case 'attacks':
      return (await import('./attacks-command.js')).runAttacks(rest);
    case 'attack':
      return (await import('./attacks-command.js')).runAttack(rest);
    case 'simulate':
      return (await import('./simulate/simulate-command.js')).runSimulate(rest);
    case 'sensor':
      return (await import('./honeynet-commands.js')).runSensor(rest);
    case 'collector':
      return (await import('./honeynet-commands.js')).runCollector(rest);
    case 'version':
    case '--version':
      process.stdout.write(`apiary ${(await import('./version.js')).apiaryVersion()}\n`);
      return 0;
    case 'help':
    case '--help':
    case '-h':
    case undefined:
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      throw new ApiaryError('APIARY_CLI_USAGE', `unknown command ${JSON.stringify(command)}; run "apiary help"`);
  }
}

async function runStart(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { config: { type: 'string', short: 'c' } });
  const { config, file } = loadConfig(values.config);
  const log = createLogger(config.log.level);
  process.on('uncaughtException', (err) => log.error({ err }, 'uncaught exception; the process keeps serving'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection; the process keeps serving'));
  const { startApiary } = await import('./app.js');
  const app = await startApiary(config, log);
  const out: string[] = [`apiary: sensor ${config.sensor} running (${file ? `config ${file}` : 'built-in defaults'})`];
  for (const s of app.services) for (const b of s.bound) out.push(`  ${s.name.padEnd(8)} listening on ${hostPort(b.host, b.port)}`);
  if (app.services.length === 0) out.push('  (no services enabled: add one under services: in the config)');
  out.push(`  ${storeLine(config.store)}`);
  out.push(`  data     ${config.data_dir}`);
  for (const o of outputLines(config.outputs)) out.push(`  ${o}`);
  for (const n of app.notices) out.push(`  ${n}`);
  out.push('press Ctrl-C to stop');
  process.stdout.write(`${out.join('\n')}\n`);
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      process.stdout.write(`apiary: ${sig} received, flushing events and stopping\n`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await app.close();
  process.stdout.write(`apiary: stopped; ${counted(app.collector.stats.stored, 'event')} stored this run\n`);
  return 0;
}

async function runConfig(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { config: { type: 'string', short: 'c' } });
  const usage = 'usage: apiary config check FILE (or apiary config check --config FILE)';
  if (positionals[0] !== 'check' || positionals.length > 2) throw new ApiaryError('APIARY_CLI_USAGE', usage);
  // Every command takes --config FILE; here the file may also be the positional argument.
  const [named, flagged] = [positionals[1], values.config];
  if (named === undefined && flagged === undefined) throw new ApiaryError('APIARY_CLI_USAGE', `config check needs the file to check; ${usage}`);
  if (named !== undefined && flagged !== undefined && resolvePath(named) !== resolvePath(flagged)) {
    throw new ApiaryError('APIARY_CLI_USAGE', `config check was given two files (${named} and --config ${flagged}); give one of them`);
  }
  const { config } = loadConfig(named ?? flagged, { checkDataDir: false });
  const services = Object.entries(config.services)
    .filter(([, s]) => s?.enabled)
    .map(([n, s]) => `${n} on ${s!.listen.join(', ') || 'its default ports'}`);
  process.stdout.write(`config ok: sensor ${config.sensor}; ${services.length ? services.join('; ') : 'no services enabled'}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (isApiaryError(err)) {
      process.stderr.write(`apiary: ${err.code}: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`apiary: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
