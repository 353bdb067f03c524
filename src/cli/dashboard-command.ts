// `apiary dashboard`: the web dashboard over an existing store, without sensors (imported logs, a
// stopped honeypot's data, or a store a collector fills elsewhere). Incidents and attack chains are
// brought up to date first unless a running Apiary keeps them; the live monitor shows nothing (no
// events arrive here).
import { loadConfig } from '../config/load.js';
import { dashboardSchema } from '../config/schema.js';
import { createLogger } from '../log/logger.js';
import { SqliteDashboardReads } from '../store/sqlite/dashboard-reads.js';
import { openStore } from '../store/open.js';
import { startDashboard } from '../web/server.js';
import { parseFlags } from './flags.js';
import { hostPort } from './terminal.js';
import { bringUpToDate } from './tracking-commands.js';

export async function runDashboard(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { config: { type: 'string', short: 'c' } });
  const { config } = loadConfig(values.config);
  const log = createLogger(config.log.level);
  const store = await openStore(config);
  await bringUpToDate(store, config, { attacks: true });
  const dash = config.dashboard ?? dashboardSchema.parse({});
  const web = await startDashboard({
    config,
    dash,
    store,
    ...(store.kind === 'sqlite' ? { reads: new SqliteDashboardReads(config.store.sqlite.path) } : {}),
    services: [],
    onEvents: () => () => undefined,
    log: log.child({ part: 'dashboard' }),
  });
  const b = web.bound[0]!;
  const url = `https://${hostPort(b.host, b.port)}/`;
  const out = [`apiary: dashboard over ${config.store.sqlite.path}`, `  dashboard listening on ${hostPort(b.host, b.port)}`, `  dashboard ${url}`];
  if (web.setupToken) out.push(`  dashboard set-up token (one use, creates the admin): ${web.setupToken}`);
  out.push('press Ctrl-C to stop');
  process.stdout.write(`${out.join('\n')}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await web.close();
  await store.close();
  process.stdout.write('apiary: dashboard stopped\n');
  return 0;
}
