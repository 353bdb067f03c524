// What the benchmarks read of other processes from /proc: CPU time, resident and proportional
// memory, and the tree of descendants (sshd and PostgreSQL fork a process per connection).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/PID/stat's CPU times (USER_HZ). */
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
/** Bytes per page, for /proc/PID/statm. */
export const PAGE_BYTES = Number(execFileSync('getconf', ['PAGESIZE']).toString().trim()) || 4096;

/** The fields of /proc/PID/stat after the command name (which may hold spaces): field 3 onwards. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU milliseconds (user + system, all threads) PID has used so far; with CHILDREN, also those of its
 * children that have ended and been reaped. 0 when the process is gone.
 */
export function cpuMs(pid: number, children = false): number {
  try {
    const f = statFields(pid);
    const ticks = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
    return (ticks * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** CPU milliseconds of PID, its reaped children and every live descendant. */
export function treeCpuMs(pid: number): number {
  return descendants(pid).reduce((sum, p) => sum + cpuMs(p, true), cpuMs(pid, true));
}

/** Every live descendant of PID. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(statFields(Number(d))[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      /* process went away */
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** Resident and peak resident bytes of PID (VmRSS, VmHWM), or undefined when it is gone. */
export function residentBytes(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Proportional set size in KiB of the given processes (forked children share pages fairly). */
export function pssKb(pids: readonly number[]): number {
  let kb = 0;
  for (const p of pids) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      kb += Number(m?.[1] ?? 0);
    } catch {
      /* gone */
    }
  }
  return kb;
}

/** Proportional set size in MB of PID and all its descendants, and how many processes that is. */
export function pssMb(pid: number): { mb: number; processes: number } {
  const all = [pid, ...descendants(pid)];
  return { mb: pssKb(all) / 1024, processes: all.length };
}
