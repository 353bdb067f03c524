// ps: the fake process table in the common formats (ps, ps aux, ps -ef, ps -p).
import type { CommandDef } from '../types.js';
import { commOf, cpuTime, memKb, processTable, startColumn, type FakeProcess } from './processes.js';

/** TIME in ps's [DD-]HH:MM:SS form. */
function clockTime(s: number): string {
  return `00:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** The process's name (comm), as /proc/PID/comm has it. */
function commName(p: FakeProcess): string {
  return commOf(p.cmd);
}

export const ps: CommandDef = {
  names: ['ps'],
  run(ctx) {
    const sh = ctx.sh;
    const now = sh.now();
    const a = ctx.args.join(' ');
    const all = processTable(sh);
    const shell = all.find((p) => p.role === 'shell')!;
    // ps runs on the shell's terminal ('?' without one).
    const tty = shell.tty;
    // Without a terminal ps's own state has no + (it is in no foreground process group).
    const selfStat = sh.terminal.interactive ? 'R+' : 'R';
    // ps itself: the pid the shell gave this command, under the shell.
    const pid = sh.running?.pid ?? sh.nextPid();
    const self: FakeProcess = { pid, ppid: shell.pid, user: sh.user.name, cpu: 0, mem: 0, ...memKb(sh.profile, pid, 4_400, 11_000), tty, stat: selfStat, startMs: now, timeS: 0, cmd: ['ps', ...ctx.args].join(' ') };
    const rows = [...all, self];
    const bsd = /(^|\s)[a-z]*[ax][a-z]*/.test(a) && !a.includes('-');
    if (bsd || /aux/.test(a)) {
      ctx.out('USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n');
      for (const p of rows) ctx.out(`${p.user.padEnd(10)} ${String(p.pid).padStart(6)} ${p.cpu.toFixed(1).padStart(4)} ${p.mem.toFixed(1).padStart(4)} ${String(p.vsz).padStart(6)} ${String(p.rss).padStart(5)} ${p.tty.padEnd(8)} ${p.stat.padEnd(4)} ${startColumn(p.startMs, now).padStart(5)} ${cpuTime(p.timeS).padStart(6)} ${p.cmd}\n`);
      return 0;
    }
    if (/-e|-A/.test(a)) {
      const full = /f/.test(a);
      ctx.out(full ? 'UID          PID    PPID  C STIME TTY          TIME CMD\n' : '    PID TTY          TIME CMD\n');
      for (const p of rows) {
        const t = clockTime(p.timeS);
        if (full) ctx.out(`${p.user.padEnd(8)} ${String(p.pid).padStart(7)} ${String(p.ppid).padStart(7)}  0 ${startColumn(p.startMs, now).padEnd(5)} ${p.tty.padEnd(8)} ${t} ${p.cmd}\n`);
        else ctx.out(`${String(p.pid).padStart(7)} ${p.tty.padEnd(8)} ${t} ${commName(p)}\n`);
      }
      return 0;
    }
    ctx.out('    PID TTY          TIME CMD\n');
    // Bare ps lists the user's processes on ps's terminal; with none (an exec request), every one of
    // the user's processes that has no terminal either, as procps does.
    const mine = sh.terminal.interactive ? [shell, self] : rows.filter((p) => p.tty === '?' && p.user === sh.user.name);
    for (const p of mine) ctx.out(`${String(p.pid).padStart(7)} ${tty.padEnd(8)} ${clockTime(p.timeS)} ${commName(p)}\n`);
    return 0;
  },
};
