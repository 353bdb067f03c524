// free: memory from the profile, the same figures /proc/meminfo shows (-b -k -m -g -h).
import type { CommandDef } from '../types.js';
import { memoryAt } from '../profile.js';
import { humanSize } from './util.js';

export const free: CommandDef = {
  names: ['free'],
  run(ctx) {
    const m = memoryAt(ctx.sh.profile, ctx.sh.now());
    const swap = ctx.sh.profile.swapKb;
    const a = ctx.args.join(' ');
    const conv = (kb: number): string => {
      if (/-h|--human/.test(a)) return humanSize(kb * 1024, 'i').replace(/^(\d+)$/, '$1B');
      if (/-b|--bytes/.test(a)) return String(kb * 1024);
      if (/-m|--mebi/.test(a)) return String(Math.floor(kb / 1024));
      if (/-g|--gibi/.test(a)) return String(Math.floor(kb / 1048576));
      return String(kb);
    };
    const row = (label: string, vals: number[]): string => `${label.padEnd(7)}${vals.map((v) => conv(v).padStart(12)).join('')}\n`;
    ctx.out('               total        used        free      shared  buff/cache   available\n');
    ctx.out(row('Mem:', [m.total, m.used, m.free, m.shared, m.buffers + m.cached, m.available]));
    ctx.out(row('Swap:', [swap, m.swapUsed, swap - m.swapUsed]));
    return 0;
  },
};
