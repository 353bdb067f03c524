// nohup: runs the rest of the line with output to nohup.out, as nohup does when not on a terminal.
import type { CommandDef } from '../types.js';

export const nohup: CommandDef = {
  names: ['nohup', 'setsid', 'timeout', 'nice', 'stdbuf'],
  async run(ctx) {
    let args = [...ctx.args];
    if (ctx.name === 'timeout') args = args.filter((a, i) => i > 0 || !/^\d+[smhd]?$/.test(a)).filter((a) => !a.startsWith('-'));
    else while (args[0]?.startsWith('-')) args.shift();
    if (args.length === 0) {
      ctx.err(`${ctx.name}: missing operand\nTry '${ctx.name} --help' for more information.\n`);
      return 125;
    }
    if (ctx.name === 'nohup' && ctx.stdinIsTerminal) ctx.err("nohup: ignoring input and appending output to 'nohup.out'\n");
    const quoted = args.map((a) => (/^[\w./:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
    return ctx.sh.runScript(quoted, { name: ctx.name, args: [], stdin: ctx.stdin, out: ctx.name === 'nohup' && ctx.stdinIsTerminal ? () => {} : ctx.out, err: ctx.err, subshell: false });
  },
};
