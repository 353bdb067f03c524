// tail: last lines (-n N, -N, -n +N) or bytes; -f prints what is there and returns.
import type { CommandDef } from '../types.js';
import { lines, parseOpts, readInputs } from './util.js';

export const tail: CommandDef = {
  names: ['tail'],
  run(ctx) {
    const args = ctx.args.map((a) => (/^-\d+$/.test(a) ? `-n${a.slice(1)}` : a));
    const o = parseOpts(args, ['n', 'c', 'lines', 'bytes']);
    const spec = o.values.get('n') ?? o.values.get('lines') ?? '10';
    const c = o.values.get('c') ?? o.values.get('bytes');
    const { inputs, status } = readInputs(ctx, 'tail', o.rest);
    inputs.forEach((inp, i) => {
      if (inputs.length > 1) ctx.out(`${i ? '\n' : ''}==> ${inp.name === '-' ? 'standard input' : inp.name} <==\n`);
      if (c !== undefined) {
        ctx.out(inp.data.subarray(Math.max(0, inp.data.length - Number(c))));
        return;
      }
      const ls = lines(inp.data.toString('utf8'));
      const sel = spec.startsWith('+') ? ls.slice(Math.max(0, Number(spec.slice(1)) - 1)) : ls.slice(Math.max(0, ls.length - Math.abs(Number(spec) || 0)));
      ctx.out(sel.map((l) => `${l}\n`).join(''));
    });
    return status;
  },
};
