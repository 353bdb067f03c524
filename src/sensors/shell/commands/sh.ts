// sh, bash, dash: -c STRING, a script file, or a script on stdin (curl ... | sh); at the prompt, with
// nothing to read, a shell inside this one that `exit` leaves.
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';

export const sh: CommandDef = {
  names: ['sh', 'bash', 'dash'],
  async run(ctx) {
    const args = [...ctx.args];
    const name = ctx.name.replace(/^.*\//, '');
    while (args[0]?.startsWith('-') && args[0] !== '-c') {
      const f = args.shift()!;
      if (f === '--version' || f === '-version') {
        ctx.out(name === 'bash' ? 'GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)\nCopyright (C) 2022 Free Software Foundation, Inc.\nLicense GPLv3+: GNU GPL version 3 or later <http://gnu.org/licenses/gpl.html>\n\nThis is free software; you are free to change and redistribute it.\nThere is NO WARRANTY, to the extent permitted by law.\n' : '');
        if (name !== 'bash') {
          ctx.err(`${name}: 0: Illegal option --\n`);
          return 2;
        }
        return 0;
      }
    }
    if (args[0] === '-c') {
      const script = args[1];
      if (script === undefined) {
        ctx.err(`${name}: -c: option requires an argument\n`);
        return 2;
      }
      return ctx.sh.runScript(script, { name: args[2] ?? name, args: args.slice(3), stdin: ctx.stdin, out: ctx.out, err: ctx.err, subshell: true });
    }
    const file = args[0];
    if (file !== undefined) {
      const data = ctx.sh.vfs.readFile(ctx.sh.resolve(file));
      if (typeof data === 'string') {
        ctx.err(name === 'bash' ? `bash: ${file}: ${FS_ERROR_TEXT[data]}\n` : `${name}: 0: cannot open ${file}: ${data === 'ENOENT' ? 'No such file' : FS_ERROR_TEXT[data]}\n`);
        return 127;
      }
      if (data.includes(0)) {
        ctx.err(`${file}: ${file}: cannot execute binary file\n`);
        return 126;
      }
      return ctx.sh.runScript(data.toString('utf8'), { name: file, args: args.slice(1), stdin: ctx.stdin, out: ctx.out, err: ctx.err, subshell: true });
    }
    if (!ctx.stdinIsTerminal) return ctx.sh.runScript(ctx.stdin.toString('utf8'), { name, args: [], stdin: Buffer.alloc(0), out: ctx.out, err: ctx.err, subshell: true });
    // At the prompt: a shell inside this one, which `exit` leaves.
    if (ctx.sh.terminal.interactive && !ctx.sh.enterShell({ login: false })) {
      ctx.err(`${name}: fork: retry: Resource temporarily unavailable\n`);
      return 254;
    }
    return 0;
  },
};
