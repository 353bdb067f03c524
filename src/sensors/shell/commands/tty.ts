// tty: the terminal's name, or "not a tty" when stdin is none (an exec request, a pipe).
import type { CommandDef } from '../types.js';

export const tty: CommandDef = {
  names: ['tty'],
  run(ctx) {
    const silent = ctx.args.includes('-s') || ctx.args.includes('--silent') || ctx.args.includes('--quiet');
    const onTerminal = ctx.sh.terminal.interactive && ctx.stdinIsTerminal;
    if (!silent) ctx.out(onTerminal ? `${ctx.sh.terminal.tty}\n` : 'not a tty\n');
    return onTerminal ? 0 : 1;
  },
};
