// gcc/cc: "compiles" C sources into an x86-64 ELF in the virtual filesystem, with gcc's messages
// for missing inputs, so build-and-run droppers carry on.
import { posix } from 'node:path';
import type { CommandDef } from '../types.js';
import { fakeElf } from '../elf.js';

export const gcc: CommandDef = {
  names: ['gcc', 'cc', 'gcc-12'],
  async run(ctx) {
    if (ctx.args.includes('--version') || ctx.args.includes('-v')) {
      ctx.out('gcc (Debian 12.2.0-14) 12.2.0\nCopyright (C) 2022 Free Software Foundation, Inc.\nThis is free software; see the source for copying conditions.  There is NO\nwarranty; not even for MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.\n\n');
      return 0;
    }
    const oi = ctx.args.indexOf('-o');
    const output = oi >= 0 ? ctx.args[oi + 1] : undefined;
    const inputs = ctx.args.filter((a, i) => !a.startsWith('-') && !(oi >= 0 && i === oi + 1));
    const sources = inputs.filter((a) => /\.(c|cc|cpp|s|S|o)$/.test(a));
    if (sources.length === 0) {
      ctx.err('gcc: fatal error: no input files\ncompilation terminated.\n');
      return 1;
    }
    let total = 0;
    for (const s of sources) {
      const d = ctx.sh.vfs.readFile(ctx.sh.resolve(s));
      if (typeof d === 'string') {
        ctx.err(`cc1: fatal error: ${s}: No such file or directory\ncompilation terminated.\n`);
        return 1;
      }
      total += d.length;
    }
    await ctx.sh.sleep(400 + Math.min(4000, total / 20));
    if (ctx.args.includes('-c')) {
      for (const s of sources) ctx.sh.vfs.writeFile(ctx.sh.resolve(s.replace(/\.\w+$/, '.o')), fakeElf(s, 2048 + total), { mode: 0o644 });
      return 0;
    }
    const out = ctx.sh.resolve(output ?? 'a.out');
    const e = ctx.sh.vfs.writeFile(out, fakeElf(posix.basename(out), 16_000 + total * 3), { mode: 0o755 });
    if (e) {
      ctx.err(`/usr/bin/ld: cannot open output file ${output ?? 'a.out'}: Permission denied\ncollect2: error: ld returned 1 exit status\n`);
      return 1;
    }
    return 0;
  },
};
