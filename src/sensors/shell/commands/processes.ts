// The fake process table shared by ps and top: systemd, sshd, cron, the attacker's own shell and
// anything they started in the background, with pids and start times derived from the profile.
import type { ShellApi } from '../types.js';
import { SeededRandom, memoryAt } from '../profile.js';
import { hhmm, monthName } from './util.js';

export interface FakeProcess {
  pid: number;
  ppid: number;
  user: string;
  cpu: number;
  mem: number;
  vsz: number;
  rss: number;
  tty: string;
  stat: string;
  startMs: number;
  timeS: number;
  cmd: string;
}

export function processTable(sh: ShellApi): FakeProcess[] {
  const p = sh.profile;
  const rng = new SeededRandom(`ps:${p.seed}`);
  const boot = p.bootMs;
  const mem = memoryAt(p, sh.now());
  const base: [string, string, number, string][] = [
    ['root', '/sbin/init', 12_000, 'Ss'],
    ['root', '[kthreadd]', 0, 'S'],
    ['root', '[rcu_gp]', 0, 'I<'],
    ['root', '[kworker/0:0H-events_highpri]', 0, 'I<'],
    ['root', '[mm_percpu_wq]', 0, 'I<'],
    ['root', '[ksoftirqd/0]', 0, 'S'],
    ['root', '[rcu_preempt]', 0, 'I'],
    ['root', '[migration/0]', 0, 'S'],
    ['root', '[kcompactd0]', 0, 'S'],
    ['root', '[khugepaged]', 0, 'SN'],
    ['root', '[kswapd0]', 0, 'S'],
    ['root', '[jbd2/vda1-8]', 0, 'S'],
    ['root', '/lib/systemd/systemd-journald', 40_000, 'Ss'],
    ['root', '/lib/systemd/systemd-udevd', 26_000, 'Ss'],
    ['systemd+', '/lib/systemd/systemd-timesyncd', 7_000, 'Ssl'],
    ['root', '/usr/sbin/cron -f', 2_600, 'Ss'],
    ['message+', '/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only', 5_000, 'Ss'],
    ['root', '/lib/systemd/systemd-logind', 7_500, 'Ss'],
    ['root', '/sbin/agetty -o -p -- \\u --noclear - linux', 1_900, 'Ss+'],
    ['root', '/usr/sbin/rsyslogd -n -iNONE', 5_200, 'Ssl'],
    ['root', 'sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups', 9_100, 'Ss'],
    ['mysql', '/usr/sbin/mariadbd', Math.min(Math.floor(mem.total * 0.03), 400_000), 'Ssl'],
    ['root', 'nginx: master process /usr/sbin/nginx -g daemon on; master_process on;', 2_400, 'Ss'],
    ['www-data', 'nginx: worker process', 5_600, 'S'],
    ['root', '/usr/sbin/qemu-ga', 4_100, 'Ssl'],
  ];
  const out: FakeProcess[] = [];
  let pid = 1;
  for (const [user, cmd, rss, stat] of base) {
    out.push({ pid, ppid: pid === 1 || cmd.startsWith('[') ? (pid === 2 ? 0 : pid === 1 ? 0 : 2) : 1, user, cpu: rss > 100_000 ? 0.3 : 0, mem: Math.round((rss / mem.total) * 1000) / 10, vsz: rss ? rss * 3 + 8000 : 0, rss, tty: stat.endsWith('+') ? 'tty1' : '?', stat, startMs: boot + (pid < 12 ? 0 : rng.int(2, 9) * 1000), timeS: rss ? rng.int(0, 200) : 0, cmd });
    pid = pid < 12 ? pid + 1 : pid + rng.int(3, 90);
  }
  const login = sh.terminal.loginMs;
  const sshdPid = 2000 + rng.int(100, 900) + Math.floor((login / 1000) % 20000);
  out.push({ pid: sshdPid, ppid: out[20]!.pid, user: 'root', cpu: 0, mem: 0.1, vsz: 17_000, rss: 10_900, tty: '?', stat: 'Ss', startMs: login, timeS: 0, cmd: `sshd: ${sh.user.name}@${sh.terminal.tty.replace('/dev/', '')}` });
  out.push({ pid: sshdPid + 9, ppid: sshdPid, user: sh.user.name, cpu: 0, mem: 0.1, vsz: 8_200, rss: 5_000, tty: sh.terminal.tty.replace('/dev/', ''), stat: 'Ss', startMs: login, timeS: 0, cmd: '-bash' });
  for (const j of sh.jobs) out.push({ pid: j.pid, ppid: 1, user: sh.user.name, cpu: 0.0, mem: 0.0, vsz: 2_400, rss: 800, tty: '?', stat: 'S', startMs: j.startedMs, timeS: 0, cmd: j.command });
  return out;
}

export function startColumn(ms: number, now: number): string {
  const d = new Date(ms);
  if (now - ms < 86_400_000) return hhmm(ms);
  if (now - ms < 365 * 86_400_000) return `${monthName(d.getUTCMonth())}${String(d.getUTCDate()).padStart(2, '0')}`;
  return String(d.getUTCFullYear());
}

export function cpuTime(s: number): string {
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
