// uname: kernel name, node, release, version, machine, from the profile.
import type { CommandDef } from '../types.js';

export const uname: CommandDef = {
  names: ['uname'],
  run(ctx) {
    const p = ctx.sh.profile;
    const f = new Set<string>();
    for (const a of ctx.args) {
      if (a === '--all') f.add('a');
      else if (a === '--kernel-name') f.add('s');
      else if (a === '--nodename') f.add('n');
      else if (a === '--kernel-release') f.add('r');
      else if (a === '--kernel-version') f.add('v');
      else if (a === '--machine') f.add('m');
      else if (a === '--operating-system') f.add('o');
      else if (/^-[asnrvmpio]+$/.test(a)) for (const c of a.slice(1)) f.add(c);
      else {
        ctx.err(a.startsWith('-') ? `uname: invalid option -- '${a.replace(/^-+/, '')[0]}'\nTry 'uname --help' for more information.\n` : `uname: extra operand '${a}'\nTry 'uname --help' for more information.\n`);
        return 1;
      }
    }
    if (f.size === 0) f.add('s');
    const all = f.has('a');
    const parts: string[] = [];
    if (all || f.has('s')) parts.push('Linux');
    if (all || f.has('n')) parts.push(p.hostname);
    if (all || f.has('r')) parts.push(p.kernel.release);
    if (all || f.has('v')) parts.push(p.kernel.version);
    if (all || f.has('m')) parts.push('x86_64');
    // GNU uname omits "unknown" processor and platform from -a.
    if (!all && f.has('p')) parts.push('unknown');
    if (!all && f.has('i')) parts.push('unknown');
    if (all || f.has('o')) parts.push('GNU/Linux');
    ctx.out(`${parts.join(' ')}\n`);
    return 0;
  },
};
