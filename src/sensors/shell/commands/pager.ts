// more (util-linux 2.38) and less (590): paging is not emulated. Not at a terminal both behave as
// cat (more puts a header before each of several files, as it does then); at a terminal the file is
// printed whole, as either shows a file that fits the screen, and the command ends rather than wait.
import type { CommandContext, CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';

function page(ctx: CommandContext, tool: 'more' | 'less'): number {
  const files = ctx.args.filter((a) => !a.startsWith('-') && !a.startsWith('+'));
  if (ctx.args.includes('-V') || ctx.args.includes('--version')) {
    ctx.out(tool === 'more' ? 'more from util-linux 2.38.1\n' : 'less 590 (GNU regular expressions)\nCopyright (C) 1984-2021  Mark Nudelman\n\nless comes with NO WARRANTY, to the extent permitted by law.\nFor information about the terms of redistribution,\nsee the file named README in the less distribution.\nHome page: https://greenwoodsoftware.com/less\n');
    return 0;
  }
  if (files.length === 0) {
    if (ctx.stdinIsTerminal) {
      ctx.err(tool === 'more' ? "more: bad usage\nTry 'more --help' for more information.\n" : 'Missing filename ("less --help" for help)\n');
      return 1;
    }
    ctx.out(ctx.stdin);
    return 0;
  }
  for (const f of files) {
    const st = ctx.sh.vfs.stat(ctx.sh.resolve(f));
    if (typeof st !== 'string' && st.node.kind === 'dir') {
      if (tool === 'more') ctx.out(`\n*** ${f}: directory ***\n\n`);
      else ctx.err(`${f} is a directory\n`);
      continue;
    }
    const data = ctx.sh.vfs.readFile(ctx.sh.resolve(f));
    if (typeof data === 'string') {
      ctx.err(tool === 'more' ? `more: cannot open ${f}: ${FS_ERROR_TEXT[data]}\n` : `${f}: ${FS_ERROR_TEXT[data]}\n`);
      continue;
    }
    if (tool === 'more' && files.length > 1) ctx.out(`::::::::::::::\n${f}\n::::::::::::::\n`);
    ctx.out(data);
  }
  return 0;
}

export const more: CommandDef = { names: ['more'], run: (ctx) => page(ctx, 'more') };
export const less: CommandDef = { names: ['less'], run: (ctx) => page(ctx, 'less') };
