// nohup, setsid, nice, stdbuf: run the rest of the line (nohup with output to nohup.out when not on a terminal).
import type { CommandDef } from '../types.js';

/** How each says it could not find the program (nohup and stdbuf say it as the default does). */
const NOT_FOUND: Record<string, (prog: string) => string> = {
  setsid: (p) => `setsid: failed to execute ${p}: No such file or directory\n`,
  nice: (p) => `nice: ‘${p}’: No such file or directory\n`,
};

export const nohup: CommandDef = {
  names: ['nohup', 'setsid', 'nice', 'stdbuf'],
  async run(ctx) {
    const args = [...ctx.args];
    while (args[0]?.startsWith('-')) args.shift();
    if (args.length === 0) {
      ctx.err(`${ctx.name}: missing operand\nTry '${ctx.name} --help' for more information.\n`);
      return 125;
    }
    if (ctx.name === 'nohup' && ctx.stdinIsTerminal) ctx.err("nohup: ignoring input and appending output to 'nohup.out'\n");
    const status = await ctx.sh.runProgram(args, { stdin: ctx.stdin, out: ctx.name === 'nohup' && ctx.stdinIsTerminal ? () => {} : ctx.out, err: ctx.err });
    if (status !== undefined) return status;
    const prog = args[0]!;
    ctx.err(NOT_FOUND[ctx.name]?.(prog) ?? `${ctx.name}: failed to run command ‘${prog}’: No such file or directory\n`);
    return ctx.name === 'setsid' ? 1 : 127;
  },
};
