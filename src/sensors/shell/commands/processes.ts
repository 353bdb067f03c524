// The fake process table shared by ps, top, netstat and ss: systemd, cron, the host's daemons (sshd,
// the database, the web server... as configured), the attacker's own login and anything they started
// in the background, with pids and start times derived from the profile.
import type { ShellApi } from '../types.js';
import type { HostDaemon } from '../../runtime/host.js';
import { SeededRandom, type SystemProfile } from '../profile.js';
import type { ProcProcess } from '../proc-pids.js';
import { findProgram, hhmm, monthName } from './util.js';

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
  /** The command line word by word, where splitting CMD at spaces would not give it (bash -c's). */
  argv?: string[];
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
  const shellArgv = sh.terminal.interactive ? ['-bash'] : ['bash', '-c', (sh.terminal.command ?? '').slice(0, MAX_CMDLINE_CHARS)];
  out.push({ pid: shellPid, ppid: loginPid, user: sh.user.name, cpu: 0, mem: 0.1, ...memKb(sh.profile, shellPid, 5_000, 8_200), tty, stat: sh.terminal.interactive ? 'Ss' : 'S', startMs: login, timeS: 0, cmd: shellCmd, argv: shellArgv, role: 'shell' });
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

/** The kernel's name for a process (comm): its program without path or arguments, 15 characters at most; a kernel thread's whole name. */
export function commOf(cmd: string): string {
  if (cmd.startsWith('[')) return cmd.slice(1, -1);
  const first = cmd.split(' ')[0]!;
  // Debian's /sbin/init is systemd; telnetd is in.telnetd.
  if (first === '/sbin/init') return 'systemd';
  if (first === 'telnetd') return 'in.telnetd';
  return first.replace(/^.*\//, '').replace(/:$/, '').replace(/^-/, '').slice(0, 15);
}

/** The unit each base service runs as, by comm (the daemons' are in DAEMON_UNIT). */
const SERVICE_UNIT: Record<string, string> = {
  'systemd-journal': 'systemd-journald.service',
  'systemd-udevd': 'systemd-udevd.service',
  'systemd-timesyn': 'systemd-timesyncd.service',
  cron: 'cron.service',
  'dbus-daemon': 'dbus.service',
  'systemd-logind': 'systemd-logind.service',
  agetty: 'system-getty.slice/getty@tty1.service',
  rsyslogd: 'rsyslog.service',
  'qemu-ga': 'qemu-guest-agent.service',
  'in.telnetd': 'inetd.service',
};
const DAEMON_UNIT: Record<HostDaemon['kind'], string> = { sshd: 'ssh.service', inetd: 'inetd.service', apache2: 'apache2.service', nginx: 'nginx.service', mini_httpd: 'mini-httpd.service', vsftpd: 'vsftpd.service', tftpd: 'tftpd-hpa.service', asterisk: 'asterisk.service', mysqld: 'mysql.service', mariadbd: 'mariadb.service' };

/** The logind session number of a login at LOGINMS (session-N.scope). */
export function sessionNumber(p: SystemProfile, loginMs: number): number {
  return 3 + (loginPids(p, loginMs).loginPid % 211);
}

/** The program file of a process whose command line starts with FIRST, as /proc/PID/exe names it (merged /usr). */
export function exeOf(first: string): string {
  if (first === '/sbin/init') return '/usr/lib/systemd/systemd';
  if (first === 'sshd:') return '/usr/sbin/sshd';
  if (first === 'nginx:') return '/usr/sbin/nginx';
  if (first === 'telnetd') return '/usr/sbin/in.telnetd';
  if (first === '-bash' || first === 'bash') return '/usr/bin/bash';
  if (/^\/(s?bin|lib)\//.test(first)) return `/usr${first}`;
  return first.startsWith('/') ? first : `/usr/bin/${first}`;
}

/** The uid and gid behind a ps user column (ps cuts names past 8 characters to 7 and a +). */
function idsOf(sh: ShellApi, user: string): { uid: number; gid: number } {
  const named = (n: string): boolean => (user.endsWith('+') ? n.startsWith(user.slice(0, -1)) : n === user);
  const u = sh.users.find((x) => named(x.name)) ?? sh.profile.daemonAccounts.find((x) => named(x.name));
  if (u) return { uid: u.uid, gid: u.gid };
  const fixed: Record<string, [number, number]> = { root: [0, 0], 'www-data': [33, 33], nobody: [65534, 65534], 'systemd+': [997, 997], 'message+': [100, 107] };
  const f = fixed[user] ?? [65534, 65534];
  return { uid: f[0], gid: f[1] };
}

/** The terminal device number (/proc/PID/stat's tty_nr) of a ps TTY column. */
function ttyNr(tty: string): number {
  const pts = /^pts\/(\d+)$/.exec(tty);
  if (pts) return 136 * 256 + Number(pts[1]);
  const vt = /^tty(\d+)$/.exec(tty);
  return vt ? 4 * 256 + Number(vt[1]) : 0;
}

/**
 * The processes as /proc shows them: the table ps shows and the command running now, each with its
 * program, cgroup and environment (ENVIRON for the attacker's own: the shell's exported variables).
 */
export function procProcesses(sh: ShellApi, environ: readonly string[]): ProcProcess[] {
  const table = processTable(sh);
  const shell = table.find((p) => p.role === 'shell')!;
  const scope = `/user.slice/user-${sh.user.uid}.slice/session-${sessionNumber(sh.profile, sh.terminal.loginMs)}.scope`;
  const path = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const out: ProcProcess[] = [];
  const add = (p: FakeProcess, exe: string | undefined, mine: boolean): void => {
    const kernel = p.cmd.startsWith('[');
    const comm = commOf(p.cmd);
    const argv = kernel ? [] : (p.argv ?? p.cmd.split(' '));
    const unit = p.daemon ? DAEMON_UNIT[p.daemon] : SERVICE_UNIT[comm];
    const cgroup = kernel ? '/' : p.pid === 1 ? '/init.scope' : mine || p.role === 'login' ? scope : unit ? `/system.slice/${unit}` : '/';
    const rng = new SeededRandom(`proc-env:${sh.profile.seed}:${p.pid}`);
    const env = kernel ? [] : mine ? environ : p.pid === 1 ? ['HOME=/', 'init=/sbin/init', 'TERM=linux', `BOOT_IMAGE=/boot/vmlinuz-${sh.profile.kernel.release}`, path, 'PWD=/'] : ['LANG=C.UTF-8', path, `INVOCATION_ID=${rng.hex(16)}`, `JOURNAL_STREAM=8:${rng.int(10_000, 30_000)}`, `SYSTEMD_EXEC_PID=${p.pid}`];
    out.push({ pid: p.pid, ppid: p.ppid, ...idsOf(sh, p.user), comm, argv, ...(kernel ? {} : { exe: exe ?? exeOf(argv[0] ?? '') }), cwd: mine ? sh.cwd : '/', cgroup, state: p.stat[0] ?? 'S', startMs: p.startMs, cpuS: p.timeS, rssKb: p.rss, vszKb: p.vsz, threads: p.stat.includes('l') ? 2 + (p.pid % 3) : 1, ttyNr: ttyNr(p.tty), environ: env });
  };
  for (const p of table) {
    const mine = p.role === 'shell' || sh.jobs.some((j) => j.pid === p.pid);
    const first = p.cmd.split(' ')[0]!;
    add(p, mine && p.role !== 'shell' && first.includes('/') ? sh.resolve(first) : undefined, mine);
  }
  const r = sh.running;
  if (r && !out.some((p) => p.pid === r.pid)) {
    const argv0 = r.argv[0] ?? r.name;
    const exe = argv0.includes('/') ? sh.resolve(argv0) : (findProgram(sh, argv0) ?? `/usr/bin/${r.name}`);
    add({ pid: r.pid, ppid: shell.pid, user: sh.user.name, cpu: 0, mem: 0, ...memKb(sh.profile, r.pid, 1_000, 5_500), tty: shell.tty, stat: 'R', startMs: sh.now(), timeS: 0, cmd: r.argv.join(' '), argv: [...r.argv] }, exe, true);
  }
  return out;
}
