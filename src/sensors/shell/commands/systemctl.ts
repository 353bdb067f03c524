// systemctl and service: status of the units the fake server runs; start/stop/enable succeed quietly.
import type { CommandDef } from '../types.js';

const UNITS: Record<string, string> = { ssh: 'OpenBSD Secure Shell server', sshd: 'OpenBSD Secure Shell server', cron: 'Regular background program processing daemon', nginx: 'A high performance web server and a reverse proxy server', mariadb: 'MariaDB 10.11.6 database server', mysql: 'MariaDB 10.11.6 database server', rsyslog: 'System Logging Service' };

export const systemctl: CommandDef = {
  names: ['systemctl', 'service'],
  run(ctx) {
    const args = ctx.args.filter((a) => !a.startsWith('-'));
    const [verb, unit0] = ctx.name === 'service' ? [args[1], args[0]] : [args[0], args[1]];
    const unit = (unit0 ?? '').replace(/\.service$/, '');
    if (!verb) {
      ctx.out('  UNIT                     LOAD   ACTIVE SUB     DESCRIPTION\n' + Object.entries(UNITS).filter(([u]) => u !== 'sshd' && u !== 'mysql').map(([u, d]) => `  ${`${u}.service`.padEnd(24)} loaded active running ${d}\n`).join(''));
      return 0;
    }
    if (!UNITS[unit] && unit) {
      ctx.err(ctx.name === 'service' ? `${unit}: unrecognized service\n` : `Unit ${unit}.service could not be found.\n`);
      return ctx.name === 'service' ? 1 : verb === 'status' ? 4 : 5;
    }
    if (verb === 'status') {
      const start = new Date(ctx.sh.profile.bootMs + 9000).toISOString().replace('T', ' ').slice(0, 19);
      ctx.out(`● ${unit}.service - ${UNITS[unit]}\n     Loaded: loaded (/lib/systemd/system/${unit}.service; enabled; preset: enabled)\n     Active: active (running) since ${start} UTC\n`);
      return 0;
    }
    if (verb === 'is-active') {
      ctx.out('active\n');
      return 0;
    }
    return 0;
  },
};
