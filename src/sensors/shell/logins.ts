// Who logged in to the fake host on a terminal: the admins' logins (fixed per host by its seed and
// boot time) and the attacker's own earlier ones (kept in its overlay), so the "Last login" line at
// login, `last` and `lastlog` tell one story. Exec requests without a pty are not logins, as sshd
// writes no wtmp or lastlog record for them.
import { SeededRandom, type SystemProfile } from './profile.js';
import { dateString } from './commands/util.js';
import type { LoginRecord } from './vfs.js';

/** The admins' logins `last` shows at most (the newest). */
export const MAX_HOST_LOGINS = 8;
const DAY_MS = 86_400_000;
/** The office address the admins log in from: fixed per host, on its own network. */
export function officeAddress(p: SystemProfile): string {
  return `${p.net.gateway.split('.').slice(0, 3).join('.')}.${(p.hostname.length * 17) % 200 + 20}`;
}

/**
 * The admins' logins that ended by NOW, oldest first: from a few days before boot, one every one to
 * three days in working hours, drawn from the seed and the boot time alone, so every call (and every
 * restart) gives the same rows and only the passing of time adds new ones. None spans the boot.
 */
export function hostLogins(p: SystemProfile, now: number): LoginRecord[] {
  const rng = new SeededRandom(`logins:${p.seed}:${p.bootMs}`);
  const from = officeAddress(p);
  const out: LoginRecord[] = [];
  let day = Math.floor(p.bootMs / DAY_MS) * DAY_MS - rng.int(3, 8) * DAY_MS;
  // Each turn moves a day or more: under 200 turns over MAX_UPTIME_MS, capped for a clock far ahead.
  for (let i = 0; day < now && i < 1000; i++, day += rng.int(1, 3) * DAY_MS) {
    const startMs = day + rng.int(7 * 3600 + 1800, 19 * 3600) * 1000 + rng.int(0, 999);
    const endMs = startMs + rng.int(3 * 60, 58 * 60) * 1000 + rng.int(0, 999);
    const user = i === 0 || rng.next() < 0.45 ? 'root' : p.admin.name;
    const clear = endMs + 300_000 < p.bootMs || startMs > p.bootMs + 900_000;
    if (clear && endMs <= now) out.push({ user, tty: 'pts/0', from, startMs, endMs });
  }
  return out.slice(-MAX_HOST_LOGINS);
}

/** USER's latest login that started before BEFORE_MS among RECORDS (what lastlog holds). */
export function latestLogin(user: string, records: readonly LoginRecord[], beforeMs: number): LoginRecord | undefined {
  let best: LoginRecord | undefined;
  for (const r of records) if (r.user === user && r.startMs < beforeMs && (!best || r.startMs > best.startMs)) best = r;
  return best;
}

/**
 * The line at login: sshd's ("Last login: Thu Nov 26 10:11:12 2026 from X", ctime's format) or,
 * for telnet, pam_lastlog's under login(1) ("... 10:11:12 UTC 2026 from X on pts/1").
 */
export function lastLoginLine(r: LoginRecord, via: string): string {
  const when = dateString(r.startMs);
  return via === 'telnet' ? `Last login: ${when} from ${r.from} on ${r.tty}\n` : `Last login: ${when.replace(' UTC', '')} from ${r.from}\n`;
}
