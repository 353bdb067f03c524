// getent (libc-bin, glibc 2.36): entries of passwd, group, shadow, gshadow and hosts from the
// session's own /etc files, by key or all of them; exit 2 when a key is not found. Debian 12's
// nsswitch adds systemd after files, which makes up root's (and nobody's) shadow line for a user
// who cannot read /etc/shadow.
import type { CommandDef, CommandContext } from '../types.js';
import { accountFileLines } from '../accounts.js';

/** Keys looked up at most (the rest are ignored, as if the command line had ended). */
export const MAX_GETENT_KEYS = 256;

const TRY = "Try `getent --help' or `getent --usage' for more information.\n";
/** The databases glibc's getent knows, beyond the ones answered here (they answer nothing). */
const OTHER_DATABASES = ['ahosts', 'ahostsv4', 'ahostsv6', 'aliases', 'ethers', 'initgroups', 'netgroup', 'networks', 'protocols', 'rpc', 'services'];

/** passwd, group, shadow, gshadow: KEY is a name, or a uid/gid for passwd and group. */
function accountDb(ctx: CommandContext, db: string, keys: string[]): number {
  const byId = db === 'passwd' || db === 'group';
  const secret = db === 'shadow' || db === 'gshadow';
  const readable = !secret || ctx.sh.user.uid === 0;
  const lines = readable ? accountFileLines(ctx.sh.vfs, `/etc/${db}`) : [];
  if (keys.length === 0) {
    ctx.out(lines.map((l) => `${l}\n`).join(''));
    return 0;
  }
  let status = 0;
  for (const key of keys) {
    const numeric = byId && /^\d+$/.test(key);
    const line = lines.find((l) => {
      const f = l.split(':');
      return numeric ? f[2] !== undefined && /^\d+$/.test(f[2]) && Number(f[2]) === Number(key) : f[0] === key;
    });
    if (line !== undefined) ctx.out(`${line}\n`);
    else if (!readable && db === 'shadow' && (key === 'root' || key === 'nobody')) ctx.out(`${key}:!*:::::::\n`);
    else status = 2;
  }
  return status;
}

/** One /etc/hosts line as getent prints a host: the address padded to 15, the name, the aliases. */
function hostLine(fields: string[]): string {
  return `${fields[0]!.padEnd(15)} ${fields.slice(1).join(' ')}\n`;
}

/** hosts: an address looks up its line, a name the first IPv6 line naming it and then the first IPv4 one. */
function hostsDb(ctx: CommandContext, keys: string[]): number {
  const hosts = accountFileLines(ctx.sh.vfs, '/etc/hosts')
    .map((l) => l.replace(/#.*/, '').trim().split(/\s+/))
    .filter((f) => f.length >= 2);
  if (keys.length === 0) {
    ctx.out(hosts.map(hostLine).join(''));
    return 0;
  }
  let status = 0;
  for (const key of keys) {
    const isAddr = /^[\d.]+$/.test(key) || key.includes(':');
    const named = (f: string[]): boolean => f.slice(1).some((n) => n.toLowerCase() === key.toLowerCase());
    const found = isAddr ? hosts.find((f) => f[0] === key) : (hosts.find((f) => f[0]!.includes(':') && named(f)) ?? hosts.find((f) => !f[0]!.includes(':') && named(f)));
    if (found) ctx.out(hostLine(found));
    else status = 2;
  }
  return status;
}

export const getent: CommandDef = {
  names: ['getent'],
  run(ctx) {
    const args: string[] = [];
    for (let i = 0; i < ctx.args.length; i++) {
      const a = ctx.args[i]!;
      if (a === '-s' || a === '--service') i++;
      else if (!/^(-s.|--service=|-i$|-A$|--no-idn$|--no-addrconfig$)/.test(a)) args.push(a);
    }
    if (args[0] === '-V' || args[0] === '--version') {
      ctx.out('getent (Debian GLIBC 2.36-9+deb12u10) 2.36\nCopyright (C) 2022 Free Software Foundation, Inc.\nThis is free software; see the source for copying conditions.  There is NO\nwarranty; not even for MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.\nWritten by Thorsten Kukuk.\n');
      return 0;
    }
    const [db, ...rest] = args;
    const keys = rest.slice(0, MAX_GETENT_KEYS);
    if (db === undefined) {
      ctx.err(`getent: wrong number of arguments\n${TRY}`);
      return 1;
    }
    if (db === 'passwd' || db === 'group' || db === 'shadow' || db === 'gshadow') return accountDb(ctx, db, keys);
    if (db === 'hosts') return hostsDb(ctx, keys);
    if (OTHER_DATABASES.includes(db)) return keys.length ? 2 : 0;
    ctx.err(`Unknown database: ${db}\n${TRY}`);
    return 1;
  },
};
