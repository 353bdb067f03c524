// which: where an emulated command lives (and nothing, status 1, for the rest).
import type { CommandDef } from '../types.js';

export const which: CommandDef = {
  names: ['which'],
  run(ctx) {
    const names = ctx.args.filter((a) => !a.startsWith('-'));
    let status = names.length ? 0 : 1;
    const path = (ctx.sh.env.get('PATH') ?? '/usr/bin:/bin').split(':');
    for (const n of names) {
      let found: string | undefined;
      if (n.includes('/')) found = ctx.sh.vfs.exists(ctx.sh.resolve(n)) ? n : undefined;
      else
        for (const d of path) {
          const st = ctx.sh.vfs.stat(`${d}/${n}`);
          if (typeof st !== 'string' && st.node.kind === 'file' && st.node.mode & 0o111) {
            found = `${d}/${n}`;
            break;
          }
        }
      if (found) ctx.out(`${found}\n`);
      else status = 1;
    }
    return status;
  },
};
