// mv: renames within the virtual filesystem.
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';
import { parseOpts } from './util.js';

export const mv: CommandDef = {
  names: ['mv'],
  run(ctx) {
    const o = parseOpts(ctx.args, ['t', 'S']);
    if (o.rest.length < 2) {
      ctx.err(o.rest.length === 0 ? "mv: missing file operand\nTry 'mv --help' for more information.\n" : `mv: missing destination file operand after '${o.rest[0]}'\nTry 'mv --help' for more information.\n`);
      return 1;
    }
    const dest = o.rest[o.rest.length - 1]!;
    let status = 0;
    for (const s of o.rest.slice(0, -1)) {
      const src = ctx.sh.resolve(s);
      const st = ctx.sh.vfs.stat(src, false);
      if (typeof st === 'string') {
        ctx.err(`mv: cannot stat '${s}': ${FS_ERROR_TEXT[st]}\n`);
        status = 1;
        continue;
      }
      const e = ctx.sh.vfs.rename(src, ctx.sh.resolve(dest));
      if (e) {
        ctx.err(`mv: cannot move '${s}' to '${dest}': ${FS_ERROR_TEXT[e]}\n`);
        status = 1;
      }
    }
    return status;
  },
};
