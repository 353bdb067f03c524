// ps: the fake process table in the common formats (ps, ps aux, ps -ef, ps -p).
import type { CommandDef } from '../types.js';
import { cpuTime, processTable, startColumn } from './processes.js';

export const ps: CommandDef = {
  names: ['ps'],
  run(ctx) {
    const sh = ctx.sh;
    const now = sh.now();
    const a = ctx.args.join(' ');
    const all = processTable(sh);
    const tty = sh.terminal.tty.replace('/dev/', '');
    const bsd = /(^|\s)[a-z]*[ax][a-z]*/.test(a) && !a.includes('-');
    if (bsd || /aux/.test(a)) {
      ctx.out('USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n');
      const rows = [...all, { pid: all[all.length - 1]!.pid + 31, user: sh.user.name, cpu: 0, mem: 0, vsz: 11_000, rss: 4_400, tty, stat: 'R+', startMs: now, timeS: 0, cmd: `ps ${ctx.args.join(' ')}`.trim(), ppid: 0 }];
      for (const p of rows) ctx.out(`${p.user.padEnd(10)} ${String(p.pid).padStart(6)} ${p.cpu.toFixed(1).padStart(4)} ${p.mem.toFixed(1).padStart(4)} ${String(p.vsz).padStart(6)} ${String(p.rss).padStart(5)} ${p.tty.padEnd(8)} ${p.stat.padEnd(4)} ${startColumn(p.startMs, now).padStart(5)} ${cpuTime(p.timeS).padStart(6)} ${p.cmd}\n`);
      return 0;
    }
    if (/-e|-A/.test(a)) {
      const full = /f/.test(a);
      ctx.out(full ? 'UID          PID    PPID  C STIME TTY          TIME CMD\n' : '    PID TTY          TIME CMD\n');
      for (const p of all) {
        const t = `00:${String(Math.floor(p.timeS / 60)).padStart(2, '0')}:${String(p.timeS % 60).padStart(2, '0')}`;
        if (full) ctx.out(`${p.user.padEnd(8)} ${String(p.pid).padStart(7)} ${String(p.ppid).padStart(7)}  0 ${startColumn(p.startMs, now).padEnd(5)} ${p.tty.padEnd(8)} ${t} ${p.cmd}\n`);
        else ctx.out(`${String(p.pid).padStart(7)} ${p.tty.padEnd(8)} ${t} ${p.cmd.split(' ')[0]!.replace(/^.*\//, '').replace(/:$/, '')}\n`);
      }
      return 0;
    }
    const shell = all.find((p) => p.cmd === '-bash')!;
    ctx.out('    PID TTY          TIME CMD\n');
    ctx.out(`${String(shell.pid).padStart(7)} ${tty.padEnd(8)} 00:00:00 bash\n`);
    ctx.out(`${String(shell.pid + 31).padStart(7)} ${tty.padEnd(8)} 00:00:00 ps\n`);
    return 0;
  },
};
