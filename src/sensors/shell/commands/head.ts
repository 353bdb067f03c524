// head: first lines (-n N, -N) or bytes (-c N).
import type { CommandDef } from '../types.js';
import { lines, parseOpts, readInputs } from './util.js';

export const head: CommandDef = {
  names: ['head'],
  run(ctx) {
    const args = ctx.args.map((a) => (/^-\d+$/.test(a) ? `-n${a.slice(1)}` : a));
    const o = parseOpts(args, ['n', 'c', 'lines', 'bytes']);
    const n = Number(o.values.get('n') ?? o.values.get('lines') ?? 10);
    const c = o.values.get('c') ?? o.values.get('bytes');
    if (Number.isNaN(n)) {
      ctx.err(`head: invalid number of lines: '${o.values.get('n')}'\n`);
      return 1;
    }
    const { inputs, status } = readInputs(ctx, 'head', o.rest);
    inputs.forEach((inp, i) => {
      if (inputs.length > 1) ctx.out(`${i ? '\n' : ''}==> ${inp.name === '-' ? 'standard input' : inp.name} <==\n`);
      if (c !== undefined) {
        const k = Number(c);
        ctx.out(k < 0 ? inp.data.subarray(0, Math.max(0, inp.data.length + k)) : inp.data.subarray(0, k));
        return;
      }
      const ls = lines(inp.data.toString('utf8'));
      const sel = n < 0 ? ls.slice(0, Math.max(0, ls.length + n)) : ls.slice(0, n);
      ctx.out(sel.map((l) => `${l}\n`).join(''));
    });
    return status;
  },
};
