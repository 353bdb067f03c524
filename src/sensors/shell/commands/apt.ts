// apt and apt-get: update and install look real and then fail to reach the mirror, as on a server
// whose outbound traffic is filtered; installed packages answer "already the newest version".
import type { CommandDef } from '../types.js';

const INSTALLED: Record<string, string> = { wget: '1.21.3-1+b2', curl: '7.88.1-10+deb12u8', perl: '5.36.0-7+deb12u1', python3: '3.11.2-1+b1', 'openssh-server': '1:9.2p1-2+deb12u3', busybox: '1:1.35.0-4+b3', gcc: '4:12.2.0-3', 'build-essential': '12.9', sudo: '1.9.13p3-1+deb12u1', nano: '7.2-1+deb12u1', cron: '3.0pl1-162', tar: '1.34+dfsg-1.2+deb12u1' };

export const apt: CommandDef = {
  names: ['apt', 'apt-get'],
  async run(ctx) {
    const args = ctx.args.filter((a) => !a.startsWith('-'));
    const verb = args[0];
    const mirrorFail = "Temporary failure resolving 'deb.debian.org'";
    if (ctx.sh.user.uid !== 0 && verb && ['update', 'install', 'upgrade', 'remove'].includes(verb)) {
      ctx.err('E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?\n');
      return 100;
    }
    switch (verb) {
      case 'update':
        await ctx.sh.sleep(1500);
        ctx.out(`Ign:1 http://deb.debian.org/debian bookworm InRelease\nIgn:2 http://deb.debian.org/debian bookworm-updates InRelease\nIgn:3 http://security.debian.org/debian-security bookworm-security InRelease\nErr:1 http://deb.debian.org/debian bookworm InRelease\n  ${mirrorFail}\nErr:2 http://deb.debian.org/debian bookworm-updates InRelease\n  ${mirrorFail}\nErr:3 http://security.debian.org/debian-security bookworm-security InRelease\n  Temporary failure resolving 'security.debian.org'\nReading package lists... Done\n`);
        ctx.err(`W: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  ${mirrorFail}\nW: Some index files failed to download. They have been ignored, or old ones used instead.\n`);
        return 0;
      case 'install':
      case 'reinstall': {
        const pkgs = args.slice(1);
        ctx.out('Reading package lists... Done\nBuilding dependency tree... Done\nReading state information... Done\n');
        const missing = pkgs.filter((p) => !INSTALLED[p]);
        for (const p of pkgs.filter((x) => INSTALLED[x])) ctx.out(`${p} is already the newest version (${INSTALLED[p]}).\n`);
        if (missing.length === 0) {
          ctx.out('0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n');
          return 0;
        }
        ctx.out(`The following NEW packages will be installed:\n  ${missing.join(' ')}\n0 upgraded, ${missing.length} newly installed, 0 to remove and 0 not upgraded.\nNeed to get ${missing.length * 412} kB of archives.\nAfter this operation, ${missing.length * 1536} kB of additional disk space will be used.\n`);
        await ctx.sh.sleep(1200);
        for (const [i, p] of missing.entries()) ctx.out(`Err:${i + 1} http://deb.debian.org/debian bookworm/main amd64 ${p} amd64 ${p.length}.${i}-1\n  ${mirrorFail}\n`);
        ctx.err(`E: Failed to fetch http://deb.debian.org/debian/pool/main/${missing[0]![0]}/${missing[0]}/${missing[0]}_1.0-1_amd64.deb  ${mirrorFail}\nE: Unable to fetch some archives, maybe run apt-get update or try with --fix-missing?\n`);
        return 100;
      }
      case 'upgrade':
      case 'dist-upgrade':
        ctx.out('Reading package lists... Done\nBuilding dependency tree... Done\nReading state information... Done\nCalculating upgrade... Done\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n');
        return 0;
      case 'remove':
      case 'purge':
        ctx.out('Reading package lists... Done\nBuilding dependency tree... Done\nReading state information... Done\n');
        for (const p of args.slice(1)) if (!INSTALLED[p]) ctx.out(`Package '${p}' is not installed, so not removed\n`);
        ctx.out('0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n');
        return 0;
      case undefined:
        ctx.out(`${ctx.name === 'apt' ? 'apt 2.6.1 (amd64)' : 'apt 2.6.1 (amd64)'}\nUsage: ${ctx.name} [options] command\n`);
        return ctx.name === 'apt' ? 1 : 1;
      default:
        ctx.err(`E: Invalid operation ${verb}\n`);
        return 100;
    }
  },
};
