// mount: with no arguments lists the mounts (the same table as /proc/mounts); mounting needs a device.
import type { CommandDef } from '../types.js';

export const mount: CommandDef = {
  names: ['mount'],
  run(ctx) {
    if (ctx.args.length === 0 || ctx.args.every((a) => a.startsWith('-'))) {
      const m = ctx.sh.vfs.readFile('/proc/mounts');
      if (typeof m === 'string') return 1;
      ctx.out(
        m
          .toString()
          .split('\n')
          .filter(Boolean)
          .map((l) => {
            const [dev, dir, type, opts] = l.split(' ');
            return `${dev} on ${dir} type ${type} (${opts})\n`;
          })
          .join(''),
      );
      return 0;
    }
    ctx.err(`mount: ${ctx.args[ctx.args.length - 1]}: can't find in /etc/fstab.\n`);
    return 1;
  },
};
