// `apiary shell-reset [IP]`: forgets what attackers wrote into the fake shell's filesystem (all of
// them, or one source: an address, or for IPv6 its whole /64). Takes effect for sessions that start afterwards.
import { join } from 'node:path';
import { isIP } from 'node:net';
import { ApiaryError } from '../errors/errors.js';
import { loadConfig } from '../config/load.js';
import { resetOverlays } from '../sensors/shell/overlay-store.js';
import { parseFlags } from './flags.js';

export async function runShellReset(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { config: { type: 'string', short: 'c' } });
  const ip = positionals[0];
  if (positionals.length > 1 || (ip !== undefined && !isIP(ip))) throw new ApiaryError('APIARY_CLI_USAGE', 'usage: apiary shell-reset [--config FILE] [IP]');
  const { config } = loadConfig(values.config, { checkDataDir: false });
  const n = resetOverlays(join(config.data_dir, 'shell', 'overlays'), ip);
  process.stdout.write(`shell-reset: removed ${n} attacker filesystem${n === 1 ? '' : 's'}${ip ? ` for ${ip}` : ''}\n`);
  return 0;
}
