// perl and python3: versions answer as Debian 12's; code given with -e/-c, a script file or stdin is
// followed as far as python-snippet.ts and perl-snippet.ts can without running anything, then quiet.
import type { CommandContext, CommandDef } from '../types.js';
import { runPerl } from './perl-snippet.js';
import { runPython, type SnippetHost } from './python-snippet.js';

function host(ctx: CommandContext, out: (s: string) => void): SnippetHost {
  return {
    out,
    system: (cmd) => ctx.sh.runScript(cmd, { name: 'sh', args: [], stdin: Buffer.alloc(0), out: ctx.out, err: ctx.err, subshell: true }),
  };
}

/** A script file's text, or the message the interpreter gives when it cannot be read. */
function script(ctx: CommandContext, file: string): string | undefined {
  const data = ctx.sh.vfs.readFile(ctx.sh.resolve(file));
  return typeof data === 'string' ? undefined : data.toString('utf8');
}

export const perl: CommandDef = {
  names: ['perl'],
  async run(ctx) {
    if (ctx.args[0] === '-v' || ctx.args[0] === '--version') {
      ctx.out('\nThis is perl 5, version 36, subversion 0 (v5.36.0) built for x86_64-linux-gnu-thread-multi\n(with 60 registered patches, see perl -V for more detail)\n\nCopyright 1987-2022, Larry Wall\n\n');
      return 0;
    }
    const code: string[] = [];
    let say = false;
    let newline = false;
    let filter = false;
    let file: string | undefined;
    for (let i = 0; i < ctx.args.length && file === undefined; i++) {
      const a = ctx.args[i]!;
      if (a === '--') {
        file = ctx.args[i + 1];
        break;
      }
      if (!a.startsWith('-') || a === '-') {
        if (!code.length) file = a;
        break;
      }
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (c === 'e' || c === 'E') {
          say ||= c === 'E';
          code.push(a.slice(j + 1) || (ctx.args[++i] ?? ''));
          break;
        }
        if (c === 'l') newline = true;
        else if ('npi'.includes(c)) filter = true;
        else if ('IMm'.includes(c)) break;
      }
    }
    // -n/-p loop over input lines, which is not followed: quiet, as before.
    if (filter) return 0;
    let text: string;
    if (code.length) text = code.join('\n');
    else if (file !== undefined && file !== '-') {
      const t = script(ctx, file);
      if (t === undefined) {
        ctx.err(`Can't open perl script "${file}": No such file or directory\n`);
        return 2;
      }
      text = t.replace(/^#!.*\n/, '');
    } else if (!ctx.stdinIsTerminal) text = ctx.stdin.toString('utf8');
    else return 0;
    return runPerl(text, say, host(ctx, newline ? (s) => ctx.out(`${s}\n`) : ctx.out), ctx.err);
  },
};

export const python3: CommandDef = {
  names: ['python3', 'python3.11'],
  async run(ctx) {
    if (ctx.args[0] === '-V' || ctx.args[0] === '--version') {
      ctx.out('Python 3.11.2\n');
      return 0;
    }
    let code: string | undefined;
    let file: string | undefined;
    for (let i = 0; i < ctx.args.length; i++) {
      const a = ctx.args[i]!;
      if (a === '-c') {
        code = ctx.args[i + 1] ?? '';
        break;
      }
      if (a.startsWith('-c')) {
        code = a.slice(2);
        break;
      }
      // -m runs a module (http.server, pty): not followed.
      if (a === '-m' || a.startsWith('-m')) return 0;
      if (a === '-' || !a.startsWith('-')) {
        file = a;
        break;
      }
    }
    if (code !== undefined) return runPython(code, '<string>', host(ctx, ctx.out), ctx.err);
    if (file !== undefined && file !== '-') {
      const t = script(ctx, file);
      if (t === undefined) {
        ctx.err(`${ctx.name}: can't open file '${ctx.sh.resolve(file)}': [Errno 2] No such file or directory\n`);
        return 2;
      }
      return runPython(t.replace(/^#!.*\n/, '\n'), ctx.sh.resolve(file), host(ctx, ctx.out), ctx.err);
    }
    if (ctx.stdinIsTerminal) {
      ctx.out('Python 3.11.2 (main, Mar 13 2023, 12:18:29) [GCC 12.2.0] on linux\nType "help", "copyright", "credits" or "license" for more information.\n');
      return 0;
    }
    return runPython(ctx.stdin.toString('utf8'), '<stdin>', host(ctx, ctx.out), ctx.err);
  },
};
