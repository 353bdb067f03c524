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

/** The most entries `last -n` prints (a larger limit is this one). */
export const MAX_LAST_LIMIT = 100_000;

/** last's options: -n N, -N, --limit N, and the user names and ttys to list; a message for a bad one. */
function lastOptions(args: readonly string[]): { limit?: number; names: string[] } | string {
  const names: string[] = [];
  let limit: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let n: string | undefined;
    if (/^-\d+$/.test(a)) n = a.slice(1);
    else if (a === '-n' || a === '--limit') n = args[++i] ?? '';
    else if (a.startsWith('--limit=')) n = a.slice(8);
    else if (/^-n./.test(a)) n = a.slice(2);
    else if (/^-[RaFdiwxo]+$/.test(a) || a === '--ip' || a === '--dns' || a === '--fulltimes' || a === '--fullnames' || a === '--system' || a === '--hostlast' || a === '--nohostname') continue;
    else if (a.startsWith('--')) return `last: unrecognized option '${a}'\nTry 'last --help' for more information.\n`;
    else if (a.startsWith('-') && a.length > 1) return `last: invalid option -- '${[...a.slice(1)].find((c) => !'RaFdiwxon'.includes(c)) ?? a[1]}'\nTry 'last --help' for more information.\n`;
    else names.push(a);
    if (n !== undefined) {
      if (!/^\d+$/.test(n)) return `last: failed to parse number: '${n}'\n`;
      limit = Math.min(Number(n), MAX_LAST_LIMIT);
    }
  }
  return limit === undefined ? { names } : { limit, names };
}

export const last: CommandDef = {
  names: ['last', 'lastb'],
  run(ctx) {
    const sh = ctx.sh;
    const p = sh.profile;
    const o = lastOptions(ctx.args);
    if (typeof o === 'string') {
      ctx.err(o);
      return 1;
    }
    const fmt = (ms: number): string => {
      const d = new Date(ms);
      return `${dayName(d.getUTCDay())} ${monthName(d.getUTCMonth())} ${String(d.getUTCDate()).padStart(2)} ${hhmm(ms)}`;
    };
    // Rows with the user and tty they match on (`last root`, `last pts/0`, `last reboot`).
    const rows: { user: string; tty: string; text: string }[] = [];
    if (ctx.name === 'last') {
      // wtmp: the admins' logins and this attacker's own terminal logins (this one too, unless it is
      // an exec request, which sshd does not record), newest first, with the boot in its place.
      const logins = [...hostLogins(p, sh.now()), ...sh.vfs.overlay.logins].sort((a, b) => b.startMs - a.startMs);
      const reboot = { user: 'reboot', tty: '~', text: `reboot   system boot  ${p.kernel.release.padEnd(16)} ${fmt(p.bootMs)}   still running` };
      for (const r of logins) {
        if (r.startMs < p.bootMs && !rows.includes(reboot)) rows.push(reboot);
        const span = r.endMs === undefined ? '  still logged in' : `- ${hhmm(r.endMs)}  (${loginDuration(r.endMs - r.startMs)})`;
        rows.push({ user: r.user, tty: r.tty, text: `${r.user.slice(0, 8).padEnd(8)} ${r.tty.padEnd(12)} ${r.from.slice(0, 16).padEnd(16)} ${fmt(r.startMs)} ${span}` });
      }
      if (!rows.includes(reboot)) rows.push(reboot);
    }
    const chosen = rows.filter((r) => o.names.length === 0 || o.names.some((n) => n === r.user || n === r.tty || `/dev/${r.tty}` === n)).slice(0, o.limit ?? rows.length);
    const d = new Date(p.bootMs - 86_400_000 * 30);
    ctx.out(`${chosen.map((r) => `${r.text}\n`).join('')}\n${ctx.name === 'last' ? 'wtmp' : 'btmp'} begins ${dayName(d.getUTCDay())} ${monthName(d.getUTCMonth())} ${String(d.getUTCDate()).padStart(2)} ${hhmm(d.getTime())}:${pad2(d.getUTCSeconds())} ${d.getUTCFullYear()}\n`);
    return 0;
  },
};
