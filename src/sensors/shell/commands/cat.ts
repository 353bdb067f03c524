// cat: files or stdin to stdout; -n numbers lines.
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';
import { parseOpts } from './util.js';

export const cat: CommandDef = {
  names: ['cat'],
  async run(ctx) {
    const o = parseOpts(ctx.args, []);
    const files = o.rest.length ? o.rest : ['-'];
    let status = 0;
    const chunks: Buffer[] = [];
    for (const f of files) {
      if (f === '-') {
        if (ctx.stdinIsTerminal) {
          // Reads the terminal until Ctrl-D, echoing each line as cat does.
          for (;;) {
            const line = await ctx.readLine('', true);
            if (line === undefined) break;
            chunks.push(Buffer.from(`${line}\n`));
            ctx.out(`${line}\n`);
          }
        } else chunks.push(ctx.stdin);
        continue;
      }
      const data = ctx.sh.vfs.readFile(ctx.sh.resolve(f));
      if (typeof data === 'string') {
        ctx.err(`cat: ${f}: ${FS_ERROR_TEXT[data]}\n`);
        status = 1;
        continue;
      }
      chunks.push(data);
    }
    let out = Buffer.concat(chunks);
    if (ctx.stdinIsTerminal && files.length === 1 && files[0] === '-') return status;
    if (o.flags.has('n')) {
      const lines = out.toString('utf8').split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      out = Buffer.from(lines.map((l, i) => `${String(i + 1).padStart(6)}\t${l}\n`).join(''));
    }
    ctx.out(out);
    return status;
  },
};
