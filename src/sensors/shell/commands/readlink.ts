// readlink and realpath (coreutils 9.1): a link's target, or a path with every link resolved (-f, -e, -m).
import { posix } from 'node:path';
import type { CommandContext, CommandDef } from '../types.js';
import { FS_ERROR_TEXT, type FsError } from '../vfs.js';
import { parseOpts } from './util.js';

/** How much of the path must exist: all but the last part (-f), all (-e), or none (-m). */
type Mode = 'f' | 'e' | 'm';

/** PATH with every symlink resolved under MODE, or the error that stops it. */
function canonical(ctx: CommandContext, path: string, mode: Mode): string | FsError {
  const vfs = ctx.sh.vfs;
  const abs = ctx.sh.resolve(path);
  const real = vfs.realpath(abs);
  if (real.startsWith('/')) {
    if (mode === 'e' && !vfs.exists(real)) return 'ENOENT';
    return real;
  }
  if (mode !== 'm') return real as FsError;
  // -m: resolve the longest part that exists and append the rest as written.
  const parts = abs.split('/').filter(Boolean);
  for (let n = parts.length - 1; n >= 0; n--) {
    const head = vfs.realpath(`/${parts.slice(0, n).join('/')}`);
    if (head.startsWith('/') && vfs.exists(head)) return posix.normalize(`${head}/${parts.slice(n).join('/')}`);
  }
  return posix.normalize(abs);
}

export const readlink: CommandDef = {
  names: ['readlink', 'realpath'],
  run(ctx) {
    const cmd = ctx.name.replace(/^.*\//, '') === 'realpath' ? 'realpath' : 'readlink';
    const o = parseOpts(ctx.args, [], cmd === 'realpath' ? 'emqszLPE' : 'femnqsvz');
    if (o.bad !== undefined) {
      ctx.err(`${cmd}: invalid option -- '${o.bad}'\nTry '${cmd} --help' for more information.\n`);
      return 1;
    }
    if (o.rest.length === 0) {
      ctx.err(`${cmd}: missing operand\nTry '${cmd} --help' for more information.\n`);
      return 1;
    }
    const f = o.flags;
    const mode: Mode | undefined = f.has('e') || f.has('canonicalize-existing') ? 'e' : f.has('m') || f.has('canonicalize-missing') ? 'm' : f.has('f') || f.has('canonicalize') || cmd === 'realpath' ? 'f' : undefined;
    // readlink is quiet about failures unless -v; realpath says why unless -q.
    const verbose = cmd === 'realpath' ? !f.has('q') && !f.has('quiet') : f.has('v') || f.has('verbose');
    const end = f.has('z') || f.has('zero') ? '\0' : f.has('n') && o.rest.length === 1 ? '' : '\n';
    let status = 0;
    for (const p of o.rest) {
      let out: { path: string } | { error: FsError };
      if (cmd === 'realpath' && (f.has('s') || f.has('no-symlinks'))) out = { path: ctx.sh.resolve(p) };
      else if (mode) {
        const c = canonical(ctx, p, mode);
        out = c.startsWith('/') ? { path: c } : { error: c as FsError };
      } else {
        const st = ctx.sh.vfs.stat(ctx.sh.resolve(p), false);
        out = typeof st === 'string' ? { error: st } : st.node.kind === 'link' ? { path: st.node.target } : { error: 'EINVAL' };
      }
      if ('error' in out) {
        if (verbose) ctx.err(`${cmd}: ${p}: ${FS_ERROR_TEXT[out.error]}\n`);
        status = 1;
        continue;
      }
      ctx.out(`${out.path}${end}`);
    }
    return status;
  },
};
