// history: this shell's history (with the admin's earlier lines); -c clears it.
import type { CommandDef } from '../types.js';

export const history: CommandDef = {
  names: ['history'],
  run(ctx) {
    const h = ctx.sh.history;
    if (ctx.args.includes('-c')) {
      h.length = 0;
      return 0;
    }
    const n = ctx.args[0] && /^\d+$/.test(ctx.args[0]) ? Number(ctx.args[0]) : h.length;
    const start = Math.max(0, h.length - n);
    ctx.out(h.slice(start).map((l, i) => `${String(start + i + 1).padStart(5)}  ${l}\n`).join(''));
    return 0;
  },
};
