// nproc: the profile's core count.
import type { CommandDef } from '../types.js';

export const nproc: CommandDef = {
  names: ['nproc'],
  run(ctx) {
    ctx.out(`${ctx.sh.profile.cpu.cores}\n`);
    return 0;
  },
};
