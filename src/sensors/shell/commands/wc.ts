// wc: lines, words, bytes (-l -w -c -m).
import type { CommandDef } from '../types.js';
import { parseOpts, readInputs } from './util.js';

export const wc: CommandDef = {
  names: ['wc'],
  run(ctx) {
    const o = parseOpts(ctx.args);
    let want = ['l', 'w', 'c', 'm'].filter((f) => o.flags.has(f) || o.flags.has({ l: 'lines', w: 'words', c: 'bytes', m: 'chars' }[f]!));
    if (want.length === 0) want = ['l', 'w', 'c'];
    const { inputs, status } = readInputs(ctx, 'wc', o.rest);
    const rows: { counts: number[]; name: string }[] = [];
    const total = [0, 0, 0, 0];
    for (const inp of inputs) {
      const text = inp.data.toString('utf8');
      const all = { l: inp.data.filter((b) => b === 10).length, w: text.split(/\s+/).filter(Boolean).length, c: inp.data.length, m: [...text].length };
      const counts = want.map((k) => all[k as keyof typeof all]);
      counts.forEach((v, i) => (total[i]! += v));
      rows.push({ counts, name: inp.name === '-' ? '' : inp.name });
    }
    if (inputs.length > 1) rows.push({ counts: total.slice(0, want.length), name: 'total' });
    // wc pads to the widest count when reading files, and not at all for one count from stdin.
    const single = want.length === 1 && o.rest.length === 0;
    const width = single ? 0 : Math.max(o.rest.length ? 1 : 7, ...rows.flatMap((r) => r.counts.map((c) => String(c).length)));
    for (const r of rows) ctx.out(`${r.counts.map((c) => String(c).padStart(width)).join(' ')}${r.name ? ` ${r.name}` : ''}\n`);
    return status;
  },
};
