// /proc/PID: a directory per process of the session's process table (what ps shows), made on lookup
// from the session's ProcView, with the files miner-killer scripts and ps-like tools read.
import type { VNode } from './vfs.js';

/** One process as /proc shows it. */
export interface ProcProcess {
  pid: number;
  ppid: number;
  uid: number;
  gid: number;
  /** The kernel's comm: the program's name, 15 characters at most. */
  comm: string;
  /** The command line (empty for kernel threads). */
  argv: readonly string[];
  /** The program's file, as /proc/PID/exe points at it (kernel threads have none). */
  exe?: string;
  cwd: string;
  /** The cgroup v2 path (/proc/PID/cgroup's "0::" line). */
  cgroup: string;
  /** The state letter: R, S, I. */
  state: string;
  startMs: number;
  cpuS: number;
  rssKb: number;
  vszKb: number;
  threads: number;
  /** The terminal's device number (0 without one), as /proc/PID/stat's tty_nr. */
  ttyNr: number;
  environ: readonly string[];
}

/** What the machine around the processes is: for status and stat. */
export interface ProcMachine {
  cores: number;
  memKb: number;
  bootMs: number;
}

/** The files of each /proc/PID directory (the ones tools read; the rest of Linux's are left out). */
const PID_FILES = ['cgroup', 'cmdline', 'comm', 'cwd', 'environ', 'exe', 'loginuid', 'mounts', 'root', 'stat', 'status'] as const;

const STATE_NAMES: Record<string, string> = { R: 'R (running)', S: 'S (sleeping)', I: 'I (idle)', D: 'D (disk sleep)', Z: 'Z (zombie)' };

/** /proc/PID/status as Linux 6.1 prints it. */
export function procStatusText(m: ProcMachine, p: ProcProcess): string {
  const kb = (n: number): string => `${String(n).padStart(8)} kB`;
  const ids = (n: number): string => `${n}\t${n}\t${n}\t${n}`;
  const cpus = Math.min(m.cores, 32);
  const kernel = p.exe === undefined;
  const vm: [string, string][] = kernel
    ? []
    : [
        ['VmPeak', kb(p.vszKb)], ['VmSize', kb(p.vszKb)], ['VmLck', kb(0)], ['VmPin', kb(0)], ['VmHWM', kb(p.rssKb)], ['VmRSS', kb(p.rssKb)], ['RssAnon', kb(Math.floor(p.rssKb * 0.3))], ['RssFile', kb(p.rssKb - Math.floor(p.rssKb * 0.3))], ['RssShmem', kb(0)],
        ['VmData', kb(Math.floor(p.vszKb * 0.1))], ['VmStk', kb(132)], ['VmExe', kb(20)], ['VmLib', kb(Math.min(1540, p.vszKb))], ['VmPTE', kb(48)], ['VmSwap', kb(0)], ['HugetlbPages', kb(0)],
      ];
  const root = p.uid === 0;
  const lines: [string, string][] = [
    ['Name', p.comm], ['Umask', '0022'], ['State', STATE_NAMES[p.state] ?? 'S (sleeping)'], ['Tgid', String(p.pid)], ['Ngid', '0'], ['Pid', String(p.pid)], ['PPid', String(p.ppid)], ['TracerPid', '0'],
    ['Uid', ids(p.uid)], ['Gid', ids(p.gid)], ['FDSize', '64'], ['Groups', p.gid === 0 ? ' ' : `${p.gid} `], ['NStgid', String(p.pid)], ['NSpid', String(p.pid)], ['NSpgid', String(p.pid)], ['NSsid', String(p.pid)],
    ...vm, ['CoreDumping', '0'], ['THP_enabled', '1'], ['Threads', String(p.threads)],
    ['SigQ', `0/${Math.floor(m.memKb / 128)}`], ['SigPnd', '0'.repeat(16)], ['ShdPnd', '0'.repeat(16)], ['SigBlk', '0'.repeat(16)], ['SigIgn', kernel ? 'ffffffffffffffff' : '0'.repeat(16)], ['SigCgt', '0'.repeat(16)],
    ['CapInh', '0'.repeat(16)], ['CapPrm', root ? '000001ffffffffff' : '0'.repeat(16)], ['CapEff', root ? '000001ffffffffff' : '0'.repeat(16)], ['CapBnd', '000001ffffffffff'], ['CapAmb', '0'.repeat(16)],
    ['NoNewPrivs', '0'], ['Seccomp', '0'], ['Seccomp_filters', '0'], ['Speculation_Store_Bypass', 'thread vulnerable'], ['SpeculationIndirectBranch', 'conditional enabled'],
    ['Cpus_allowed', (2 ** cpus - 1).toString(16)], ['Cpus_allowed_list', cpus > 1 ? `0-${cpus - 1}` : '0'], ['Mems_allowed', '00000000,00000001'], ['Mems_allowed_list', '0'],
    ['voluntary_ctxt_switches', String(p.cpuS * 37 + 1)], ['nonvoluntary_ctxt_switches', String(p.cpuS * 3 + 1)],
  ];
  return lines.map(([k, v]) => `${k}:\t${v}\n`).join('');
}

/** /proc/PID/stat: the 52 fields of Linux 6.1 (times in clock ticks of 100 Hz, rss in pages). */
export function procStatText(m: ProcMachine, p: ProcProcess): string {
  const ticks = Math.max(0, Math.floor((p.startMs - m.bootMs) / 10));
  const utime = Math.floor(p.cpuS * 70);
  const stime = p.cpuS * 100 - utime;
  const kernel = p.exe === undefined;
  const fields = [
    p.pid, `(${p.comm})`, p.state, p.ppid, p.pid, p.pid, p.ttyNr, p.ttyNr ? p.pid : -1, kernel ? 2129984 : 4194560, 1200 + p.pid, 0, 3, 0, utime, stime, 0, 0, 20, 0, p.threads, 0, ticks,
    p.vszKb * 1024, Math.floor(p.rssKb / 4), '18446744073709551615', kernel ? 0 : 1, kernel ? 0 : 1, 0, 0, 0, 0, 0, kernel ? 2147483647 : 0, 0, 0, 0, 17, p.pid % m.cores, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  ];
  return `${fields.join(' ')}\n`;
}

/** The process PID names, if the path is /proc/PID or under it (undefined for every other path). */
function pidOf(path: string): { pid: number; rest: string } | undefined {
  const m = /^\/proc\/(\d{1,9})(\/.*)?$/.exec(path);
  return m ? { pid: Number(m[1]), rest: m[2] ?? '' } : undefined;
}

/** The source of /proc/PID: the processes now, the machine, and how to read /proc/mounts. */
export interface ProcSource {
  processes(): readonly ProcProcess[];
  machine: ProcMachine;
  mounts(): string;
}

/**
 * The node at PATH when it is /proc/PID or a file in it: undefined when PATH is not such a path,
 * null when it is but no such process or file exists.
 */
export function procPidNode(path: string, src: ProcSource): VNode | null | undefined {
  const at = pidOf(path);
  if (!at) return undefined;
  const p = src.processes().find((x) => x.pid === at.pid);
  if (!p) return null;
  const meta = { uid: p.uid, gid: p.gid, mtimeMs: p.startMs };
  if (at.rest === '') return { kind: 'dir', mode: 0o555, size: 0, ...meta };
  const name = at.rest.slice(1);
  const file = (make: () => string, mode = 0o444): VNode => ({ kind: 'file', mode, size: 0, ...meta, generate: make });
  const link = (target: string): VNode => ({ kind: 'link', mode: 0o777, target, ...meta });
  switch (name) {
    case 'cmdline':
      return file(() => (p.argv.length ? `${p.argv.join('\0')}\0` : ''));
    case 'comm':
      return file(() => `${p.comm}\n`, 0o644);
    case 'status':
      return file(() => procStatusText(src.machine, p));
    case 'stat':
      return file(() => procStatText(src.machine, p));
    case 'cgroup':
      return file(() => `0::${p.cgroup}\n`);
    case 'loginuid':
      return file(() => (p.cgroup.startsWith('/user.slice/') ? String(p.uid) : '4294967295'), 0o644);
    case 'environ':
      return file(() => (p.environ.length ? `${p.environ.join('\0')}\0` : ''), 0o400);
    case 'mounts':
      return file(() => src.mounts());
    // Kernel threads have no program, so no exe link.
    case 'exe':
      return p.exe === undefined ? null : link(p.exe);
    case 'cwd':
      return link(p.cwd);
    case 'root':
      return link('/');
  }
  return null;
}

/** The names in directory PATH when it is /proc (every pid) or /proc/PID (its files); undefined otherwise. */
export function procPidNames(path: string, src: ProcSource): string[] | undefined {
  if (path === '/proc') return src.processes().map((p) => String(p.pid));
  const at = pidOf(path);
  if (!at || at.rest !== '') return undefined;
  const p = src.processes().find((x) => x.pid === at.pid);
  if (!p) return [];
  return p.exe === undefined ? PID_FILES.filter((n) => n !== 'exe') : [...PID_FILES];
}
