// systemctl and service: status of the units the fake server runs (the base system and the host's
// daemons); start/stop/enable succeed quietly.
import type { CommandDef } from '../types.js';
import type { SystemProfile } from '../profile.js';
import type { HostDaemon } from '../../runtime/host.js';

interface Unit {
  description: string;
  startMs: number;
  /** Other names the unit answers to (systemctl status sshd is ssh.service). */
  aliases?: string[];
}

/** Each daemon's unit, as its Debian 12 package names and describes it, and the other names it answers to. */
const DAEMON_UNITS: Record<HostDaemon['kind'], { unit: string; description: string; aliases?: string[] }> = {
  sshd: { unit: 'ssh', description: 'OpenBSD Secure Shell server', aliases: ['sshd'] },
  inetd: { unit: 'inetd', description: 'Internet superserver', aliases: ['openbsd-inetd'] },
  apache2: { unit: 'apache2', description: 'The Apache HTTP Server' },
  nginx: { unit: 'nginx', description: 'A high performance web server and a reverse proxy server' },
  mini_httpd: { unit: 'mini-httpd', description: 'LSB: Start and stop the mini_httpd server' },
  vsftpd: { unit: 'vsftpd', description: 'vsftpd FTP server' },
  tftpd: { unit: 'tftpd-hpa', description: "LSB: HPA's tftp server" },
  asterisk: { unit: 'asterisk', description: 'Asterisk PBX' },
  mysqld: { unit: 'mysql', description: 'MySQL Community Server', aliases: ['mysqld'] },
  mariadbd: { unit: 'mariadb', description: 'MariaDB %s database server', aliases: ['mysql', 'mysqld'] },
};

function daemonUnit(d: HostDaemon): [string, Unit] {
  const u = DAEMON_UNITS[d.kind];
  const version = /^\d+\.\d+\.\d+/.exec(d.version ?? '')?.[0] ?? '10.11.6';
  return [u.unit, { description: u.description.replace('%s', version), startMs: d.startMs, ...(u.aliases ? { aliases: u.aliases } : {}) }];
}

function units(p: SystemProfile): Map<string, Unit> {
  const boot = p.bootMs;
  const out = new Map<string, Unit>([
    ['cron', { description: 'Regular background program processing daemon', startMs: boot + 3000 }],
    ['rsyslog', { description: 'System Logging Service', startMs: boot + 3000 }],
  ]);
  for (const d of p.daemons) out.set(...daemonUnit(d));
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

function findUnit(all: Map<string, Unit>, name: string): [string, Unit] | undefined {
  for (const [n, u] of all) if (n === name || u.aliases?.includes(name)) return [n, u];
  return undefined;
}

export const systemctl: CommandDef = {
  names: ['systemctl', 'service'],
  run(ctx) {
    const all = units(ctx.sh.profile);
    if (ctx.name === 'service' && ctx.args[0] === '--status-all') {
      ctx.out([...all.keys()].map((u) => ` [ + ]  ${u}\n`).join(''));
      return 0;
    }
    const args = ctx.args.filter((a) => !a.startsWith('-'));
    const [verb, unit0] = ctx.name === 'service' ? [args[1], args[0]] : [args[0], args[1]];
    const name = (unit0 ?? '').replace(/\.service$/, '');
    if (!verb || verb === 'list-units') {
      ctx.out(
        '  UNIT                     LOAD   ACTIVE SUB     DESCRIPTION\n' +
          [...all].map(([u, d]) => `  ${`${u}.service`.padEnd(24)} loaded active running ${d.description}\n`).join('') +
          '\nLOAD   = Reflects whether the unit definition was properly loaded.\nACTIVE = The high-level unit activation state, i.e. generalization of SUB.\nSUB    = The low-level unit activation state, values depend on unit type.\n' +
          `${all.size} loaded units listed. Pass --all to see loaded but inactive units, too.\nTo show all installed unit files use 'systemctl list-unit-files'.\n`,
      );
      return 0;
    }
    if (verb === 'list-unit-files') {
      ctx.out(
        'UNIT FILE                STATE   PRESET\n' +
          [...all.keys()].map((u) => `${`${u}.service`.padEnd(24)} enabled enabled\n`).join('') +
          `\n${all.size} unit files listed.\n`,
      );
      return 0;
    }
    const found = findUnit(all, name);
    if (!found && name) {
      ctx.err(ctx.name === 'service' ? `${name}: unrecognized service\n` : `Unit ${name}.service could not be found.\n`);
      return ctx.name === 'service' ? 1 : verb === 'status' ? 4 : 5;
    }
    if (verb === 'status' && found) {
      const [unit, u] = found;
      const start = new Date(u.startMs).toISOString().replace('T', ' ').slice(0, 19);
      ctx.out(`● ${unit}.service - ${u.description}\n     Loaded: loaded (/lib/systemd/system/${unit}.service; enabled; preset: enabled)\n     Active: active (running) since ${start} UTC\n`);
      return 0;
    }
    if (verb === 'is-active') {
      ctx.out('active\n');
      return 0;
    }
    return 0;
  },
};
