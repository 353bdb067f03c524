// su: root becomes any user without a password, in a shell of theirs that `exit` leaves (with -c, or
// commands on stdin, only those run as them); anyone else is asked for the password and refused.
import type { CommandDef } from '../types.js';

export const su: CommandDef = {
  names: ['su'],
  async run(ctx) {
    const args = [...ctx.args];
    let login = false;
    let command: string | undefined;
    const names: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '-' || a === '-l' || a === '--login') login = true;
      else if (a === '-c' || a === '--command') command = args[++i];
      else if (a.startsWith('--command=')) command = a.slice('--command='.length);
      else if (!a.startsWith('-')) names.push(a);
    }
    const target = names[0] ?? 'root';
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
    const user = { name: u.name, uid: u.uid, gid: u.gid, home: u.home };
    if (command !== undefined) return ctx.sh.runAs(user, () => ctx.sh.runScript(command, { name: 'bash', args: [], stdin: ctx.stdin, out: ctx.out, err: ctx.err, subshell: true }));
    if (!ctx.stdinIsTerminal) return ctx.sh.runAs(user, () => ctx.sh.runScript(ctx.stdin.toString('utf8'), { name: 'bash', args: [], stdin: Buffer.alloc(0), out: ctx.out, err: ctx.err, subshell: true }));
    if (!ctx.sh.enterShell({ user, login })) {
      ctx.err('su: failed to execute /bin/bash: Resource temporarily unavailable\n');
      return 1;
    }
    return 0;
  },
};
