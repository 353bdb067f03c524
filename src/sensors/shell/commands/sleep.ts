// sleep: really waits (capped, and Ctrl-C wakes it), since commands that finish at once are a honeypot tell.
import type { CommandDef } from '../types.js';

export const sleep: CommandDef = {
  names: ['sleep'],
  async run(ctx) {
    if (ctx.args.length === 0) {
      ctx.err("sleep: missing operand\nTry 'sleep --help' for more information.\n");
      return 1;
    }
    let total = 0;
    for (const a of ctx.args) {
      const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(a);
      if (!m) {
        ctx.err(`sleep: invalid time interval '${a}'\nTry 'sleep --help' for more information.\n`);
        return 1;
      }
      total += Number(m[1]) * ({ s: 1, m: 60, h: 3600, d: 86400 }[m[2] || 's'] ?? 1) * 1000;
    }
    await ctx.sh.sleep(total);
    return ctx.sh.interrupted ? 130 : 0;
  },
};
