// sudo: root runs the command directly; other users are asked for their password first.
import type { CommandDef } from '../types.js';

export const sudo: CommandDef = {
  names: ['sudo'],
  async run(ctx) {
    const args = [...ctx.args];
    while (args[0]?.startsWith('-')) {
      const f = args.shift()!;
      if (f === '-u' || f === '-g') args.shift();
      if (f === '-l') {
        ctx.out(`Matching Defaults entries for ${ctx.sh.user.name} on ${ctx.sh.profile.hostname}:\n    env_reset, mail_badpass, secure_path=/usr/local/sbin\\:/usr/local/bin\\:/usr/sbin\\:/usr/bin\\:/sbin\\:/bin, use_pty\n\nUser ${ctx.sh.user.name} may run the following commands on ${ctx.sh.profile.hostname}:\n    (ALL : ALL) ALL\n`);
        return 0;
      }
      if (f === '-i' || f === '-s') {
        if (args.length === 0) return 0;
      }
    }
    if (args.length === 0) {
      ctx.err('usage: sudo -h | -K | -k | -V\nusage: sudo -v [-ABkNnS] [-g group] [-h host] [-p prompt] [-u user]\n');
      return 1;
    }
    if (ctx.sh.user.uid !== 0) {
      const pw = await ctx.readLine(`[sudo] password for ${ctx.sh.user.name}: `, false);
      if (pw === undefined) return 1;
    }
    const quoted = args.map((a) => (/^[\w./:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
    return ctx.sh.runScript(quoted, { name: 'sudo', args: [], stdin: ctx.stdin, out: ctx.out, err: ctx.err, subshell: false });
  },
};
