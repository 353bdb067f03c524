// The fake process table shared by ps, top, netstat and ss: systemd, cron, the host's daemons (sshd,
// the database, the web server... as configured), the attacker's own login and anything they started
// in the background, with pids and start times derived from the profile.
import type { ShellApi } from '../types.js';
import type { HostDaemon } from '../../runtime/host.js';
import { SeededRandom, type SystemProfile } from '../profile.js';
import { hhmm, monthName } from './util.js';

/** Longest command line ps shows for the attacker's bash -c (the kernel keeps a page of it for ps). */
export const MAX_CMDLINE_CHARS = 4096;

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
  /** The host daemon this process belongs to, if any. */
  daemon?: HostDaemon['kind'];
  /** The attacker's own processes: the one that took the login (sshd's session, telnetd) and the shell. */
  role?: 'login' | 'shell';
}

/**
 * RSS and VSZ (kB) near the figures given for process PID on this host: whole pages, different per
 * host and process, the same on every call (round figures such as 44000 and 12000 gave it away).
 */
export function memKb(p: SystemProfile, pid: number, rss: number, vsz: number): { rss: number; vsz: number } {
  const rng = new SeededRandom(`ps-mem:${p.seed}:${pid}`);
  const near = (kb: number): number => (kb ? Math.max(4, Math.round((kb * (0.86 + rng.next() * 0.28)) / 4) * 4) : 0);
  const r = near(rss);
  return { rss: r, vsz: Math.max(r, near(vsz)) };
}

/** The programs behind a daemon: its processes (the first is the parent), as Debian 12 runs them. */
function daemonProcesses(d: HostDaemon, p: SystemProfile): { user: string; cmd: string; rss: number; stat: string }[] {
  const big = Math.min(Math.floor(p.memKb * 0.03), 400_000);
  switch (d.kind) {
    case 'sshd':
      return [{ user: 'root', cmd: 'sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups', rss: 9_100, stat: 'Ss' }];
    case 'inetd':
      return [{ user: 'root', cmd: '/usr/sbin/inetd', rss: 1_700, stat: 'Ss' }];
    case 'apache2':
      return [
        { user: 'root', cmd: '/usr/sbin/apache2 -k start', rss: 5_300, stat: 'Ss' },
        { user: 'www-data', cmd: '/usr/sbin/apache2 -k start', rss: 8_900, stat: 'Sl' },
        { user: 'www-data', cmd: '/usr/sbin/apache2 -k start', rss: 8_700, stat: 'Sl' },
      ];
    case 'nginx':
      return [
        { user: 'root', cmd: 'nginx: master process /usr/sbin/nginx -g daemon on; master_process on;', rss: 2_400, stat: 'Ss' },
        ...Array.from({ length: Math.min(p.cpu.cores, 4) }, () => ({ user: 'www-data', cmd: 'nginx: worker process', rss: 5_600, stat: 'S' })),
      ];
    case 'mini_httpd':
      return [{ user: 'nobody', cmd: '/usr/sbin/mini_httpd -C /etc/mini-httpd.conf -D', rss: 1_200, stat: 'Ss' }];
    case 'vsftpd':
      return [{ user: 'root', cmd: '/usr/sbin/vsftpd /etc/vsftpd.conf', rss: 2_100, stat: 'Ss' }];
    case 'tftpd':
      return [{ user: 'root', cmd: `/usr/sbin/in.tftpd --listen --user tftp --address :${d.sockets[0]?.port ?? 69} --secure /srv/tftp`, rss: 1_100, stat: 'Ss' }];
    case 'asterisk':
      return [{ user: 'asterisk', cmd: '/usr/sbin/asterisk -g -f -p -U asterisk', rss: 61_000, stat: 'Ssl' }];
    case 'mysqld':
      return [{ user: 'mysql', cmd: '/usr/sbin/mysqld', rss: big, stat: 'Ssl' }];
    case 'mariadbd':
      return [{ user: 'mysql', cmd: '/usr/sbin/mariadbd', rss: big, stat: 'Ssl' }];
  }
}

/** The name a process goes by in ss (its comm) and, shortened, in netstat -p. */
export const DAEMON_COMM: Record<HostDaemon['kind'], string> = { sshd: 'sshd', inetd: 'inetd', apache2: 'apache2', nginx: 'nginx', mini_httpd: 'mini_httpd', vsftpd: 'vsftpd', tftpd: 'in.tftpd', asterisk: 'asterisk', mysqld: 'mysqld', mariadbd: 'mariadbd' };

/** systemProcesses per profile: made once, as they depend on nothing but the profile. */
const SYSTEM_PROCESSES = new WeakMap<SystemProfile, readonly FakeProcess[]>();

/**
 * The processes of the machine itself, the same for every session: kernel threads, systemd and the
 * base services, then one group per daemon of the profile (the host's configured services). Made
 * once per profile and shared, so callers must not change them.
 */
export function systemProcesses(p: SystemProfile): readonly FakeProcess[] {
  let made = SYSTEM_PROCESSES.get(p);
  if (!made) SYSTEM_PROCESSES.set(p, (made = makeSystemProcesses(p)));
  return made;
}

function makeSystemProcesses(p: SystemProfile): FakeProcess[] {
  const rng = new SeededRandom(`ps:${p.seed}`);
  const boot = p.bootMs;
  const total = p.memKb;
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
    ['root', `[jbd2/${p.disk.device.replace('/dev/', '')}-8]`, 0, 'S'],
    ['root', '/lib/systemd/systemd-journald', 40_000, 'Ss'],
    ['root', '/lib/systemd/systemd-udevd', 26_000, 'Ss'],
    ['systemd+', '/lib/systemd/systemd-timesyncd', 7_000, 'Ssl'],
    ['root', '/usr/sbin/cron -f', 2_600, 'Ss'],
    ['message+', '/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only', 5_000, 'Ss'],
    ['root', '/lib/systemd/systemd-logind', 7_500, 'Ss'],
    ['root', '/sbin/agetty -o -p -- \\u --noclear - linux', 1_900, 'Ss+'],
    ['root', '/usr/sbin/rsyslogd -n -iNONE', 5_200, 'Ssl'],
  ];
  const out: FakeProcess[] = [];
  let pid = 1;
  const push = (user: string, cmd: string, rss: number, stat: string, ppid: number, startMs: number, daemon?: HostDaemon['kind']): void => {
    const m = memKb(p, pid, rss, rss ? rss * 3 + 8000 : 0);
    out.push({ pid, ppid, user, cpu: rss > 100_000 ? 0.3 : 0, mem: Math.round((m.rss / total) * 1000) / 10, vsz: m.vsz, rss: m.rss, tty: stat.endsWith('+') ? 'tty1' : '?', stat, startMs, timeS: rss ? rng.int(0, 200) : 0, cmd, ...(daemon ? { daemon } : {}) });
    pid = pid < 12 ? pid + 1 : pid + rng.int(3, 90);
  };
  for (const [user, cmd, rss, stat] of base) {
    const ppid = pid === 1 || pid === 2 ? 0 : cmd.startsWith('[') ? 2 : 1;
    push(user, cmd, rss, stat, ppid, boot + (pid < 12 ? 0 : rng.int(2, 9) * 1000));
  }
  for (const d of p.daemons) {
    const [parent, ...children] = daemonProcesses(d, p);
    const parentPid = pid;
    push(parent!.user, parent!.cmd, parent!.rss, parent!.stat, 1, d.startMs, d.kind);
    for (const c of children) push(c.user, c.cmd, c.rss, c.stat, parentPid, d.startMs, d.kind);
  }
  push('root', '/usr/sbin/qemu-ga', 4_100, 'Ssl', 1, boot + rng.int(2, 9) * 1000);
  return out;
}

/**
 * The pids of a login at LOGINMS: the process that took it (sshd's session process, or telnetd) and
 * the attacker's shell under it, which is also the shell's $$ (and $PPID the login's).
 */
export function loginPids(p: SystemProfile, loginMs: number): { loginPid: number; shellPid: number } {
  const loginPid = 2000 + new SeededRandom(`ps-login:${p.seed}`).int(100, 900) + Math.floor((loginMs / 1000) % 20000);
  return { loginPid, shellPid: loginPid + 9 };
}

/** The process table at this moment: the machine's processes, the attacker's own login and their background jobs. */
export function processTable(sh: ShellApi): FakeProcess[] {
  const out = [...systemProcesses(sh.profile)];
  const login = sh.terminal.loginMs;
  // An exec request has no terminal: sshd's session is @notty and the shell is bash -c, with no tty.
  const tty = sh.terminal.interactive ? sh.terminal.tty.replace('/dev/', '') : '?';
  const { loginPid, shellPid } = loginPids(sh.profile, login);
  if (sh.terminal.via === 'telnet') {
    // inetd starts telnetd, which runs login, which runs the shell.
    const inetd = out.find((p) => p.daemon === 'inetd');
    out.push({ pid: loginPid, ppid: inetd?.pid ?? 1, user: 'root', cpu: 0, mem: 0, ...memKb(sh.profile, loginPid, 2_300, 5_900), tty: '?', stat: 'Ss', startMs: login, timeS: 0, cmd: 'telnetd', role: 'login' });
    out.push({ pid: loginPid + 1, ppid: loginPid, user: 'root', cpu: 0, mem: 0.1, ...memKb(sh.profile, loginPid + 1, 4_200, 9_300), tty, stat: 'Ss', startMs: login, timeS: 0, cmd: `/bin/login -p -h ${sh.terminal.remoteIp}` });
  } else {
    const sshd = out.find((p) => p.daemon === 'sshd');
    out.push({ pid: loginPid, ppid: sshd?.pid ?? 1, user: 'root', cpu: 0, mem: 0.1, ...memKb(sh.profile, loginPid, 10_900, 17_000), tty: '?', stat: 'Ss', startMs: login, timeS: 0, cmd: `sshd: ${sh.user.name}@${sh.terminal.interactive ? tty : 'notty'}`, role: 'login' });
  }
  const shellCmd = sh.terminal.interactive ? '-bash' : `bash -c ${sh.terminal.command ?? ''}`.slice(0, MAX_CMDLINE_CHARS);
  out.push({ pid: shellPid, ppid: loginPid, user: sh.user.name, cpu: 0, mem: 0.1, ...memKb(sh.profile, shellPid, 5_000, 8_200), tty, stat: sh.terminal.interactive ? 'Ss' : 'S', startMs: login, timeS: 0, cmd: shellCmd, role: 'shell' });
  for (const j of sh.jobs) out.push({ pid: j.pid, ppid: 1, user: sh.user.name, cpu: 0.0, mem: 0.0, ...memKb(sh.profile, j.pid, 800, 2_400), tty: '?', stat: 'S', startMs: j.startedMs, timeS: 0, cmd: j.command });
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
