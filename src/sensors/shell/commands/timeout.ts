// timeout (coreutils 9.1): runs a command under a time limit in the shell's own emulation; 124 when
// the time runs out (137 with -s KILL, the command's own status with --preserve-status).
import type { CommandDef } from '../types.js';
import { findProgram } from './util.js';

/** Signal numbers for -s, by name without SIG (the ones scripts use). */
const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, USR1: 10, USR2: 12, TERM: 15 };

/** A coreutils duration (float with s, m, h or d) in milliseconds, or undefined. */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(s);
  if (!m) return undefined;
  return Number(m[1]) * ({ s: 1, m: 60, h: 3600, d: 86400 }[m[2] || 's'] ?? 1) * 1000;
}

export const timeout: CommandDef = {
  names: ['timeout'],
  async run(ctx) {
    const args = [...ctx.args];
    let signal = 15;
    let preserve = false;
    const usage = (): number => (ctx.err("Try 'timeout --help' for more information.\n"), 125);
    while (args[0]?.startsWith('-') && args[0] !== '-') {
      const a = args.shift()!;
      if (a === '--') break;
      if (a === '--preserve-status') preserve = true;
      else if (a === '--foreground' || a === '-v' || a === '--verbose') continue;
      else if (a === '-s' || a === '--signal' || a.startsWith('-s') || a.startsWith('--signal=')) {
        const v = (a === '-s' || a === '--signal' ? args.shift() : a.startsWith('-s') ? a.slice(2) : a.slice(9)) ?? '';
        const n = /^\d+$/.test(v) ? Number(v) : SIGNALS[v.toUpperCase().replace(/^SIG/, '')];
        if (n === undefined || n > 64) {
          ctx.err(`timeout: ‘${v}’: invalid signal\n`);
          return usage();
        }
        signal = n;
      } else if (a === '-k' || a === '--kill-after') args.shift();
      else if (!a.startsWith('-k') && !a.startsWith('--kill-after=')) {
        ctx.err(`timeout: invalid option -- '${a.replace(/^-+/, '')}'\n`);
        return usage();
      }
    }
    if (args.length < 2) return usage();
    const [duration, ...argv] = args as [string, string, ...string[]];
    const ms = parseDuration(duration);
    if (ms === undefined) {
      ctx.err(`timeout: invalid time interval ‘${duration}’\n`);
      return usage();
    }
    const prog = argv[0]!;
    const found = findProgram(ctx.sh, prog);
    const st = found === undefined ? undefined : ctx.sh.vfs.stat(ctx.sh.resolve(found));
    if (found === undefined || st === undefined || typeof st === 'string') {
      ctx.err(`timeout: failed to run command ‘${prog}’: No such file or directory\n`);
      return 127;
    }
    if (st.node.kind !== 'file') {
      ctx.err(`timeout: failed to run command ‘${prog}’: Permission denied\n`);
      return 126;
    }
    const io = { stdin: ctx.stdin, out: ctx.out, err: ctx.err };
    const run = async (): Promise<number> => (await ctx.sh.runProgram(argv, io)) ?? 127;
    // A duration of 0 disables the limit.
    if (ms === 0) return run();
    const r = await ctx.sh.withDeadline(ms, run);
    if (!r.timedOut) return r.status;
    if (preserve) return 128 + signal;
    return signal === 9 ? 137 : 124;
  },
};
