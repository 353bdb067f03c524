// ln: symbolic links (-s); hard links are copies in the virtual filesystem.
import { posix } from 'node:path';
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';
import { parseOpts } from './util.js';

export const ln: CommandDef = {
  names: ['ln'],
  run(ctx) {
    const o = parseOpts(ctx.args);
    const [target, link] = o.rest;
    if (target === undefined) {
      ctx.err("ln: missing file operand\nTry 'ln --help' for more information.\n");
      return 1;
    }
    let path = ctx.sh.resolve(link ?? posix.basename(target));
    if (ctx.sh.vfs.isDir(path)) path = `${path}/${posix.basename(target)}`;
    if (o.flags.has('f') && ctx.sh.vfs.exists(path)) ctx.sh.vfs.remove(path, false);
    const e = o.flags.has('s') ? ctx.sh.vfs.symlink(target, path) : ctx.sh.vfs.copy(ctx.sh.resolve(target), path, false);
    if (e) {
      ctx.err(`ln: failed to create ${o.flags.has('s') ? 'symbolic ' : 'hard '}link '${link ?? posix.basename(target)}': ${FS_ERROR_TEXT[e]}\n`);
      return 1;
    }
    return 0;
  },
};
