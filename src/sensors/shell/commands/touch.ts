// touch: creates empty files or updates their time.
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';
import { parseOpts } from './util.js';

export const touch: CommandDef = {
  names: ['touch'],
  run(ctx) {
    const o = parseOpts(ctx.args, ['d', 't', 'r']);
    if (o.rest.length === 0) {
      ctx.err("touch: missing file operand\nTry 'touch --help' for more information.\n");
      return 1;
    }
    let status = 0;
    for (const f of o.rest) {
      const path = ctx.sh.resolve(f);
      const e = ctx.sh.vfs.exists(path) ? ctx.sh.vfs.update(path, { mtimeMs: ctx.sh.now() }) : ctx.sh.vfs.writeFile(path, Buffer.alloc(0));
      if (e) {
        ctx.err(`touch: cannot touch '${f}': ${FS_ERROR_TEXT[e]}\n`);
        status = 1;
      }
    }
    return status;
  },
};
