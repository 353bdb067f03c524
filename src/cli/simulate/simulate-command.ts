// `apiary simulate --scenario FILE`: plays a campaign against the running sensors and writes the ground
// truth it played (JSON), so that what `apiary attacks` reconstructs can be checked against it.
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../../config/load.js';
import { ApiaryError } from '../../errors/errors.js';
import { parseFlags } from '../flags.js';
import { counted, inert } from '../terminal.js';
import { playScenario, type Targets } from './player.js';
import { enrichmentFor, loadScenario } from './scenario.js';

const SERVICES = ['ssh', 'mysql', 'smb', 'http', 'telnet', 'ftp'] as const;

type Config = ReturnType<typeof loadConfig>['config'];

/** The first `listen` entry of each enabled service the scenarios play. */
function firstListens(config: Config): [(typeof SERVICES)[number], string][] {
  const out: [(typeof SERVICES)[number], string][] = [];
  for (const name of SERVICES) {
    const svc = (config.services as Record<string, { enabled?: boolean; listen?: string[] } | undefined>)[name];
    const first = svc?.enabled ? svc.listen?.[0] : undefined;
    if (first) out.push([name, first]);
  }
  return out;
}

/** The port each enabled service listens on, from its first `listen` entry (0 means: give --port). */
function portsFromConfig(config: Config): Targets['ports'] {
  const out: Targets['ports'] = {};
  for (const [name, first] of firstListens(config)) {
    const port = Number(/:(\d+)$/.exec(first)?.[1]);
    if (Number.isInteger(port) && port > 0) out[name] = port;
  }
  return out;
}

/**
 * The loopback address the sensors answer on: the one address every enabled service's first `listen`
 * entry names when that is a loopback address other than 127.0.0.1 (a sensor set on 127.0.0.88 was
 * not found), else 127.0.0.1 (which also reaches 0.0.0.0 and [::]).
 */
export function hostFromConfig(config: Config): string {
  const hosts = new Set(firstListens(config).map(([, first]) => first.replace(/:\d+$/, '')));
  const [only] = hosts;
  return hosts.size === 1 && only !== undefined && /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(only) ? only : '127.0.0.1';
}

export async function runSimulate(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    config: { type: 'string', short: 'c' },
    scenario: { type: 'string' },
    truth: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string', multiple: true },
    'print-enrichment': { type: 'boolean' },
  });
  if (!values.scenario) throw new ApiaryError('APIARY_CLI_USAGE', 'flag --scenario FILE is required');
  const scenario = loadScenario(values.scenario);
  if (values['print-enrichment']) {
    process.stdout.write(`${JSON.stringify(enrichmentFor([scenario]), null, 2)}\n`);
    return 0;
  }
  const { config } = loadConfig(values.config, { checkDataDir: false });
  const host = values.host ?? hostFromConfig(config);
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) throw new ApiaryError('APIARY_CLI_USAGE', `flag --host: simulations stay on loopback (127.x.y.z), got ${JSON.stringify(host)}`);
  const ports = portsFromConfig(config);
  for (const p of values.port ?? []) {
    const m = /^([a-z]+)=(\d{1,5})$/.exec(p);
    if (!m || !(SERVICES as readonly string[]).includes(m[1]!) || Number(m[2]) > 65535) {
      throw new ApiaryError('APIARY_CLI_USAGE', `flag --port: expected SERVICE=PORT with SERVICE one of ${SERVICES.join(', ')}, got ${JSON.stringify(p)}`);
    }
    ports[m[1] as (typeof SERVICES)[number]] = Number(m[2]);
  }
  const truth = await playScenario(scenario, { host, ports }, (line) => process.stdout.write(`${inert(line)}\n`));
  const json = `${JSON.stringify(truth, null, 2)}\n`;
  if (values.truth) writeFileSync(values.truth, json);
  else process.stdout.write(json);
  const failed = truth.played.filter((p) => !p.ok).length;
  process.stdout.write(`simulate: ${scenario.name}: ${counted(truth.played.length, 'step')} played, ${failed} failed${values.truth ? `; ground truth in ${values.truth}` : ''}\n`);
  return failed ? 3 : 0;
}
