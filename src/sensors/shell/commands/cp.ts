// cp: files, and trees with -r/-a.
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';
import { parseOpts } from './util.js';

export const cp: CommandDef = {
  names: ['cp'],
  run(ctx) {
    const o = parseOpts(ctx.args, ['t', 'S']);
    const recursive = ['r', 'R', 'a', 'recursive', 'archive'].some((f) => o.flags.has(f));
    if (o.rest.length < 2) {
      ctx.err(o.rest.length === 0 ? "cp: missing file operand\nTry 'cp --help' for more information.\n" : `cp: missing destination file operand after '${o.rest[0]}'\nTry 'cp --help' for more information.\n`);
      return 1;
    }
    const dest = o.rest[o.rest.length - 1]!;
    const sources = o.rest.slice(0, -1);
    const destPath = ctx.sh.resolve(dest);
    if (sources.length > 1 && !ctx.sh.vfs.isDir(destPath)) {
      ctx.err(`cp: target '${dest}': Not a directory\n`);
      return 1;
    }
    let status = 0;
    for (const s of sources) {
      const st = ctx.sh.vfs.stat(ctx.sh.resolve(s));
      if (typeof st === 'string') {
        ctx.err(`cp: cannot stat '${s}': ${FS_ERROR_TEXT[st]}\n`);
        status = 1;
        continue;
      }
      if (st.node.kind === 'dir' && !recursive) {
        ctx.err(`cp: -r not specified; omitting directory '${s}'\n`);
        status = 1;
        continue;
      }
      const e = ctx.sh.vfs.copy(st.path, destPath, recursive);
      if (e) {
        ctx.err(`cp: cannot create regular file '${dest}': ${FS_ERROR_TEXT[e]}\n`);
        status = 1;
      }
    }
    return status;
  },
};
