// chattr and lsattr: attributes are accepted and listed (droppers use chattr -i / +i on their files).
import type { CommandDef } from '../types.js';

export const chattr: CommandDef = {
  names: ['chattr', 'lsattr'],
  run(ctx) {
    const files = ctx.args.filter((a) => !/^[-+=][aAcCdDeFijmPsStTux]+$/.test(a) && a !== '-R');
    let status = 0;
    for (const f of files.length ? files : ctx.name === 'lsattr' ? ['.'] : []) {
      if (!ctx.sh.vfs.exists(ctx.sh.resolve(f))) {
        ctx.err(`${ctx.name}: No such file or directory while trying to stat ${f}\n`);
        status = 1;
      } else if (ctx.name === 'lsattr') ctx.out(`--------------e------- ${f}\n`);
    }
    if (ctx.name === 'chattr' && files.length === 0) {
      ctx.err('Usage: chattr [-RVf] [-+=aAcCdDeijPsStTuFx] [-p project] [-v version] files...\n');
      return 1;
    }
    return status;
  },
};
