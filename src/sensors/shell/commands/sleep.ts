// sleep: really waits (capped, and Ctrl-C wakes it), since commands that finish at once are a honeypot tell.
import type { CommandDef } from '../types.js';
import { parseDuration } from './timeout.js';

export const sleep: CommandDef = {
  names: ['sleep'],
  async run(ctx) {
    if (ctx.args.length === 0) {
      ctx.err("sleep: missing operand\nTry 'sleep --help' for more information.\n");
      return 1;
    }
    let total = 0;
    for (const a of ctx.args) {
      const ms = parseDuration(a);
      if (ms === undefined) {
        ctx.err(`sleep: invalid time interval ‘${a}’\nTry 'sleep --help' for more information.\n`);
        return 1;
      }
      total += ms;
    }
    await ctx.sh.sleep(total);
    return ctx.sh.interrupted ? 130 : 0;
  },
};
