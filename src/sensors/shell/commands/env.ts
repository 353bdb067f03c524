// env and printenv: the exported variables (env NAME=v cmd runs cmd).
import type { CommandDef } from '../types.js';

export const env: CommandDef = {
  names: ['env', 'printenv'],
  run(ctx) {
    const sh = ctx.sh;
    const vars = [...sh.env].filter(([k]) => !['PS1', 'IFS', 'OLDPWD'].includes(k) || k === 'OLDPWD');
    if (ctx.name === 'printenv' && ctx.args.length) {
      let status = 0;
      for (const a of ctx.args) {
        const v = sh.env.get(a);
        if (v === undefined) status = 1;
        else ctx.out(`${v}\n`);
      }
      return status;
    }
    if (ctx.args.length && ctx.name === 'env') {
      const rest = ctx.args.filter((a) => !/^[A-Za-z_]\w*=/.test(a) && a !== '-i' && a !== '-');
      if (rest.length) {
        ctx.err(`env: '${rest[0]}': No such file or directory\n`);
        return 127;
      }
    }
    ctx.out(vars.filter(([k]) => k !== 'PS1' && k !== 'IFS').map(([k, v]) => `${k}=${v}\n`).join(''));
    return 0;
  },
};
