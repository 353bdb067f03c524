// pwd: the working directory.
import type { CommandDef } from '../types.js';

export const pwd: CommandDef = {
  names: ['pwd'],
  run(ctx) {
    ctx.out(`${ctx.sh.cwd}\n`);
    return 0;
  },
};
