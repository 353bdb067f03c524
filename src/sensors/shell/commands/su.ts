// su: asks for a password; root switching to any user succeeds without one.
import type { CommandDef } from '../types.js';

export const su: CommandDef = {
  names: ['su'],
  async run(ctx) {
    const target = ctx.args.filter((a) => a !== '-' && a !== '-l' && !a.startsWith('-'))[0] ?? 'root';
    const u = target === 'root' ? { name: 'root', uid: 0, gid: 0, home: '/root' } : ctx.sh.users.find((x) => x.name === target);
    if (!u) {
      ctx.err(`su: user ${target} does not exist or the user entry does not contain all the required fields\n`);
      return 1;
    }
    if (ctx.sh.user.uid !== 0) {
      const pw = await ctx.readLine('Password: ', false);
      await ctx.sh.sleep(2200);
      void pw;
      ctx.err('su: Authentication failure\n');
      return 1;
    }
    const cIdx = ctx.args.indexOf('-c');
    if (cIdx >= 0 && ctx.args[cIdx + 1]) return ctx.sh.runScript(ctx.args[cIdx + 1]!, { name: 'su', args: [], stdin: ctx.stdin, out: ctx.out, err: ctx.err, subshell: true });
    return 0;
  },
};
