#!/usr/bin/env node
// The `apiary` command: start, events, config check.
import { parseFlags } from './flags.js';
import { ApiaryError, isApiaryError } from '../errors/errors.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { startApiary } from './app.js';
import { runEvents } from './events-command.js';
import { runReplay } from './replay-command.js';
import { runShellReset } from './shell-reset-command.js';

const USAGE = `usage: apiary <command> [options]

commands:
  start [--config FILE]            run every configured sensor, the collector and the store
  events [--config FILE] [--type T] [--src IP] [--session S] [--since T] [--until T] [--limit N] [--json]
                                   list stored events (a table, or JSON lines with --json)
  replay SESSION [--config FILE] [--speed N] [--max-idle S] [--instant]
                                   play a shell session's recording in the terminal
  shell-reset [--config FILE] [IP] forget the files attackers wrote in the fake shell (one address, or all)
  config check FILE                validate a configuration file
  help                             this text`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return runStart(rest);
    case 'events':
      return runEvents(rest);
    case 'config':
      return runConfig(rest);
    case 'replay':
      return runReplay(rest);
    case 'shell-reset':
      return runShellReset(rest);
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
  const app = await startApiary(config, log);
  const out: string[] = [`apiary: sensor ${config.sensor} running (${file ? `config ${file}` : 'built-in defaults'})`];
  for (const s of app.services) for (const b of s.bound) out.push(`  ${s.name.padEnd(8)} listening on ${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`);
  if (app.services.length === 0) out.push('  (no services enabled: add one under services: in the config)');
  out.push(`  store    sqlite ${config.store.sqlite.path}`);
  out.push(`  data     ${config.data_dir}`);
  if (config.outputs.jsonl) out.push(`  output   jsonl ${config.outputs.jsonl.path}`);
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
  process.stdout.write(`apiary: stopped; ${app.collector.stats.stored} events stored this run\n`);
  return 0;
}

async function runConfig(args: string[]): Promise<number> {
  const { positionals } = parseFlags(args, {});
  if (positionals[0] !== 'check' || positionals.length !== 2) {
    throw new ApiaryError('APIARY_CLI_USAGE', 'usage: apiary config check FILE');
  }
  const { config } = loadConfig(positionals[1], { checkDataDir: false });
  const services = Object.entries(config.services)
    .filter(([, s]) => s?.enabled)
    .map(([n, s]) => `${n} on ${s!.listen.join(', ')}`);
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
