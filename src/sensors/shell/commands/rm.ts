// rm: files, and trees with -r; -f is quiet about missing files. `rm -rf /` is refused as GNU rm does.
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';
import { parseOpts } from './util.js';

export const rm: CommandDef = {
  names: ['rm'],
  run(ctx) {
    const o = parseOpts(ctx.args);
    const force = o.flags.has('f') || o.flags.has('force');
    const recursive = o.flags.has('r') || o.flags.has('R') || o.flags.has('recursive');
    if (o.rest.length === 0) {
      if (force) return 0;
      ctx.err("rm: missing operand\nTry 'rm --help' for more information.\n");
      return 1;
    }
    let status = 0;
    for (const f of o.rest) {
      const path = ctx.sh.resolve(f);
      if (path === '/' && !o.flags.has('no-preserve-root')) {
        ctx.err(`rm: it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe\n`);
        status = 1;
        continue;
      }
      const st = ctx.sh.vfs.stat(path, false);
      if (typeof st === 'string') {
        if (!force) {
          ctx.err(`rm: cannot remove '${f}': ${FS_ERROR_TEXT[st]}\n`);
          status = 1;
        }
        continue;
      }
      if (st.node.kind === 'dir' && !recursive) {
        ctx.err(`rm: cannot remove '${f}': Is a directory\n`);
        status = 1;
        continue;
      }
      if (path.startsWith('/proc/') || path === '/proc' || path.startsWith('/sys')) {
        ctx.err(`rm: cannot remove '${f}': Operation not permitted\n`);
        status = 1;
        continue;
      }
      const e = ctx.sh.vfs.remove(path, recursive);
      if (e) {
        ctx.err(`rm: cannot remove '${f}': ${FS_ERROR_TEXT[e]}\n`);
        status = 1;
      }
    }
    return status;
  },
};
