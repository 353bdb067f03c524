// perl and python3: versions answer as Debian 12's; code given with -e/-c or a script file "runs" quietly.
import type { CommandDef } from '../types.js';

export const perl: CommandDef = {
  names: ['perl'],
  run(ctx) {
    if (ctx.args[0] === '-v' || ctx.args[0] === '--version') {
      ctx.out('\nThis is perl 5, version 36, subversion 0 (v5.36.0) built for x86_64-linux-gnu-thread-multi\n(with 60 registered patches, see perl -V for more detail)\n\nCopyright 1987-2022, Larry Wall\n\n');
      return 0;
    }
    const file = ctx.args.find((a) => !a.startsWith('-'));
    if (!ctx.args.includes('-e') && !ctx.args.includes('-E') && file && !ctx.sh.vfs.exists(ctx.sh.resolve(file))) {
      ctx.err(`Can't open perl script "${file}": No such file or directory\n`);
      return 2;
    }
    return 0;
  },
};

export const python3: CommandDef = {
  names: ['python3', 'python3.11'],
  run(ctx) {
    if (ctx.args[0] === '-V' || ctx.args[0] === '--version') {
      ctx.out('Python 3.11.2\n');
      return 0;
    }
    const file = ctx.args.find((a) => !a.startsWith('-'));
    if (!ctx.args.includes('-c') && !ctx.args.includes('-m') && file && !ctx.sh.vfs.exists(ctx.sh.resolve(file))) {
      ctx.err(`${ctx.name}: can't open file '${ctx.sh.resolve(file)}': [Errno 2] No such file or directory\n`);
      return 2;
    }
    if (!file && !ctx.args.includes('-c') && ctx.stdinIsTerminal) {
      ctx.out('Python 3.11.2 (main, Mar 13 2023, 12:18:29) [GCC 12.2.0] on linux\nType "help", "copyright", "credits" or "license" for more information.\n');
    }
    return 0;
  },
};
