// w, who, users, last: the one logged-in session (the attacker's own) and a plausible login history.
import type { CommandDef, ShellApi } from '../types.js';
import { hostLogins } from '../logins.js';
import { loadAt, uptimeSeconds } from '../profile.js';
import { dateTime, dayName, hhmm, monthName, pad2, uptimeText } from './util.js';

/** who's login time, to the minute. */
function loginStamp(ms: number): string {
  return dateTime(ms).slice(0, -3);
}

/** last's session length: (HH:MM), with the days before a + past a day. */
function loginDuration(ms: number): string {
  const m = Math.max(0, Math.floor(ms / 60_000));
  const days = Math.floor(m / 1440);
  return `${days ? `${days}+` : ''}${pad2(Math.floor(m / 60) % 24)}:${pad2(m % 60)}`;
}

function from(sh: ShellApi): string {
  return sh.terminal.remoteIp;
}

/**
 * The sessions utmp lists: the attacker's own when it has a terminal. An exec request without a pty
 * is in no utmp record, so w, who and users leave it out (and w's count says 0).
 */
export function utmpCount(sh: ShellApi): number {
  return sh.terminal.interactive ? 1 : 0;
}

/** procps 4.0.2's count in w and uptime ("0 user", "1 user", "2 users"). */
export function usersText(n: number): string {
  return `${n} ${n > 1 ? 'users' : 'user'}`;
}

export const w: CommandDef = {
  names: ['w'],
  run(ctx) {
    const sh = ctx.sh;
    const now = sh.now();
    const load = loadAt(now).map((x) => x.toFixed(2)).join(', ');
    if (!ctx.args.includes('-h')) {
      ctx.out(` ${hhmm(now)}:${pad2(new Date(now).getUTCSeconds())} ${uptimeText(uptimeSeconds(sh.profile, now))},  ${usersText(utmpCount(sh))},  load average: ${load}\n`);
      ctx.out('USER     TTY      FROM             LOGIN@   IDLE   JCPU   PCPU WHAT\n');
    }
    if (utmpCount(sh)) ctx.out(`${sh.user.name.padEnd(8)} ${sh.terminal.tty.replace('/dev/', '').padEnd(8)} ${from(sh).padEnd(16)} ${hhmm(sh.terminal.loginMs).padEnd(8)} 0.00s  0.02s  0.00s w\n`);
    return 0;
  },
};

export const who: CommandDef = {
  names: ['who'],
  run(ctx) {
    const sh = ctx.sh;
    if (ctx.args.includes('-b')) {
      ctx.out(`         system boot  ${loginStamp(sh.profile.bootMs)}\n`);
      return 0;
    }
    if (ctx.args.includes('-r')) {
      ctx.out(`         run-level 5  ${loginStamp(sh.profile.bootMs)}\n`);
      return 0;
    }
    if (utmpCount(sh)) ctx.out(`${sh.user.name.padEnd(8)} ${sh.terminal.tty.replace('/dev/', '').padEnd(12)} ${loginStamp(sh.terminal.loginMs)} (${from(sh)})\n`);
    return 0;
  },
};

export const users: CommandDef = {
  names: ['users'],
  run(ctx) {
    if (utmpCount(ctx.sh)) ctx.out(`${ctx.sh.user.name}\n`);
    return 0;
  },
};

export const last: CommandDef = {
  names: ['last', 'lastb'],
  run(ctx) {
    const sh = ctx.sh;
    const p = sh.profile;
    const fmt = (ms: number): string => {
      const d = new Date(ms);
      return `${dayName(d.getUTCDay())} ${monthName(d.getUTCMonth())} ${String(d.getUTCDate()).padStart(2)} ${hhmm(ms)}`;
    };
    const rows: string[] = [];
    if (ctx.name === 'last') {
      // wtmp: the admins' logins and this attacker's own terminal logins (this one too, unless it is
      // an exec request, which sshd does not record), newest first, with the boot in its place.
      const logins = [...hostLogins(p, sh.now()), ...sh.vfs.overlay.logins].sort((a, b) => b.startMs - a.startMs);
      const reboot = `reboot   system boot  ${p.kernel.release.padEnd(16)} ${fmt(p.bootMs)}   still running`;
      for (const r of logins) {
        if (r.startMs < p.bootMs && !rows.includes(reboot)) rows.push(reboot);
        const span = r.endMs === undefined ? '  still logged in' : `- ${hhmm(r.endMs)}  (${loginDuration(r.endMs - r.startMs)})`;
        rows.push(`${r.user.slice(0, 8).padEnd(8)} ${r.tty.padEnd(12)} ${r.from.slice(0, 16).padEnd(16)} ${fmt(r.startMs)} ${span}`);
      }
      if (!rows.includes(reboot)) rows.push(reboot);
    }
    const d = new Date(p.bootMs - 86_400_000 * 30);
    ctx.out(`${rows.join('\n')}${rows.length ? '\n' : ''}\n${ctx.name === 'last' ? 'wtmp' : 'btmp'} begins ${dayName(d.getUTCDay())} ${monthName(d.getUTCMonth())} ${String(d.getUTCDate()).padStart(2)} ${hhmm(d.getTime())}:${pad2(d.getUTCSeconds())} ${d.getUTCFullYear()}\n`);
    return 0;
  },
};
