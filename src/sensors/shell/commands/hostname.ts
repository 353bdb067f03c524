// hostname: the profile's name (-f fqdn, -i/-I addresses, -d domain).
import type { CommandDef } from '../types.js';

export const hostname: CommandDef = {
  names: ['hostname'],
  run(ctx) {
    const p = ctx.sh.profile;
    const a = ctx.args[0];
    if (a === undefined) ctx.out(`${p.hostname}\n`);
    else if (a === '-f' || a === '--fqdn' || a === '-A') ctx.out(`${p.hostname}.${p.domain}\n`);
    else if (a === '-d' || a === '--domain') ctx.out(`${p.domain}\n`);
    else if (a === '-i') ctx.out('127.0.1.1\n');
    else if (a === '-I' || a === '--all-ip-addresses') ctx.out(`${p.net.ipv4} \n`);
    else if (a === '-s' || a === '--short') ctx.out(`${p.hostname}\n`);
    else if (a.startsWith('-')) {
      ctx.err(`hostname: invalid option -- '${a.slice(1)}'\nTry 'hostname --help' or 'hostname --usage' for more information.\n`);
      return 1;
    } else {
      if (ctx.sh.user.uid !== 0) {
        ctx.err('hostname: you must be root to change the host name\n');
        return 1;
      }
      return 0;
    }
    return 0;
  },
};
