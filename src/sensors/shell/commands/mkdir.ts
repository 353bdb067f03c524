// mkdir (-p) and rmdir.
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';
import { parseOpts } from './util.js';

export const mkdir: CommandDef = {
  names: ['mkdir'],
  run(ctx) {
    const o = parseOpts(ctx.args, ['m']);
    if (o.rest.length === 0) {
      ctx.err("mkdir: missing operand\nTry 'mkdir --help' for more information.\n");
      return 1;
    }
    let status = 0;
    for (const d of o.rest) {
      const e = ctx.sh.vfs.mkdir(ctx.sh.resolve(d), o.flags.has('p') || o.flags.has('parents'));
      if (e) {
        ctx.err(`mkdir: cannot create directory '${d}': ${FS_ERROR_TEXT[e]}\n`);
        status = 1;
      }
    }
    return status;
  },
};

export const rmdir: CommandDef = {
  names: ['rmdir'],
  run(ctx) {
    const o = parseOpts(ctx.args);
    let status = 0;
    for (const d of o.rest) {
      const st = ctx.sh.vfs.stat(ctx.sh.resolve(d));
      const e = typeof st === 'string' ? st : st.node.kind !== 'dir' ? 'ENOTDIR' : ctx.sh.vfs.remove(st.path, false, true);
      if (e) {
        ctx.err(`rmdir: failed to remove '${d}': ${FS_ERROR_TEXT[e]}\n`);
        status = 1;
      }
    }
    return status;
  },
};
