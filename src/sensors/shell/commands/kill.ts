// kill, pkill, killall: signals to the fake processes (the attacker's own jobs can be ended).
import type { CommandDef } from '../types.js';
import { processTable } from './processes.js';

export const kill: CommandDef = {
  names: ['kill'],
  run(ctx) {
    if (ctx.args[0] === '-l') {
      ctx.out(' 1) SIGHUP\t 2) SIGINT\t 3) SIGQUIT\t 4) SIGILL\t 5) SIGTRAP\n 6) SIGABRT\t 7) SIGBUS\t 8) SIGFPE\t 9) SIGKILL\t10) SIGUSR1\n11) SIGSEGV\t12) SIGUSR2\t13) SIGPIPE\t14) SIGALRM\t15) SIGTERM\n');
      return 0;
    }
    const pids = ctx.args.filter((a) => !a.startsWith('-'));
    if (pids.length === 0) {
      ctx.err('kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n');
      return 2;
    }
    const table = processTable(ctx.sh);
    let status = 0;
    for (const p of pids) {
      if (!/^\d+$/.test(p)) {
        ctx.err(`-bash: kill: ${p}: arguments must be process or job IDs\n`);
        status = 1;
        continue;
      }
      const proc = table.find((x) => x.pid === Number(p));
      if (!proc) {
        // procps's kill when run as a program, bash's builtin otherwise.
        ctx.err(ctx.program ? `${ctx.name}: (${p}): No such process\n` : `-bash: kill: (${p}) - No such process\n`);
        status = 1;
        continue;
      }
      const j = ctx.sh.jobs.findIndex((x) => x.pid === proc.pid);
      if (j >= 0) ctx.sh.jobs.splice(j, 1);
    }
    return status;
  },
};

export const pkill: CommandDef = {
  names: ['pkill', 'killall', 'killall5'],
  run(ctx) {
    const names = ctx.args.filter((a) => !a.startsWith('-'));
    if (names.length === 0) {
      ctx.err(ctx.name === 'pkill' ? 'pkill: no matching criteria specified\nTry `pkill --help\' for more information.\n' : 'Usage: killall [OPTION]... [--] NAME...\n');
      return ctx.name === 'pkill' ? 2 : 1;
    }
    const table = processTable(ctx.sh);
    let any = false;
    for (const n of names) {
      const hits = table.filter((p) => (ctx.args.includes('-f') ? p.cmd.includes(n) : p.cmd.split(' ')[0]!.replace(/^.*\//, '') === n));
      if (hits.length) any = true;
      else if (ctx.name === 'killall') ctx.err(`${n}: no process found\n`);
      for (const h of hits) {
        const j = ctx.sh.jobs.findIndex((x) => x.pid === h.pid);
        if (j >= 0) ctx.sh.jobs.splice(j, 1);
      }
    }
    return any ? 0 : 1;
  },
};
