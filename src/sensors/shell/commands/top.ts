// top: one batch-mode screen (top -bn1, or top on a terminal, which prints one screen and returns).
import type { CommandDef } from '../types.js';
import { loadAt, memoryAt, uptimeSeconds } from '../profile.js';
import { processTable } from './processes.js';
import { hhmm, pad2, uptimeText } from './util.js';
import { usersText, utmpCount } from './who.js';

export const top: CommandDef = {
  names: ['top'],
  run(ctx) {
    const sh = ctx.sh;
    const now = sh.now();
    const m = memoryAt(sh.profile, now);
    const procs = processTable(sh);
    const mib = (kb: number): string => (kb / 1024).toFixed(1).padStart(8);
    const out: string[] = [];
    out.push(`top - ${hhmm(now)}:${pad2(new Date(now).getUTCSeconds())} ${uptimeText(uptimeSeconds(sh.profile, now))},  ${usersText(utmpCount(sh))},  load average: ${loadAt(now).map((x) => x.toFixed(2)).join(', ')}`);
    out.push(`Tasks: ${procs.length + 80} total,   1 running, ${procs.length + 79} sleeping,   0 stopped,   0 zombie`);
    out.push('%Cpu(s):  0.3 us,  0.2 sy,  0.0 ni, 99.5 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st ');
    out.push(`MiB Mem : ${mib(m.total)} total, ${mib(m.free)} free, ${mib(m.used)} used, ${mib(m.buffers + m.cached)} buff/cache     `);
    out.push(`MiB Swap: ${mib(sh.profile.swapKb)} total, ${mib(sh.profile.swapKb - m.swapUsed)} free, ${mib(m.swapUsed)} used. ${mib(m.available)} avail Mem `);
    out.push('');
    out.push('    PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND');
    for (const p of [...procs].sort((a, b) => b.cpu - a.cpu || a.pid - b.pid).slice(0, Math.max(5, sh.terminal.height - 8))) {
      out.push(`${String(p.pid).padStart(7)} ${p.user.slice(0, 8).padEnd(8)}  20   0 ${String(p.vsz).padStart(7)} ${String(p.rss).padStart(6)} ${String(Math.floor(p.rss * 0.6)).padStart(6)} ${p.stat[0]} ${p.cpu.toFixed(1).padStart(5)} ${p.mem.toFixed(1).padStart(5)} ${`${Math.floor(p.timeS / 60)}:${pad2(p.timeS % 60)}.${pad2(p.pid % 100)}`.padStart(9)} ${p.cmd.replace(/^\[|\]$/g, '').split(' ')[0]!.replace(/^.*\//, '')}`);
    }
    ctx.out(`${out.join('\n')}\n`);
    return 0;
  },
};
