// sudo: root runs the command directly; other users are asked for their password first.
import { maySudo } from '../accounts.js';
import type { CommandDef } from '../types.js';

/** What sudo 1.9.13 (Debian 12) shows before a user's first password prompt (lecture=once). */
const LECTURE = '\nWe trust you have received the usual lecture from the local System\nAdministrator. It usually boils down to these three things:\n\n    #1) Respect the privacy of others.\n    #2) Think before you type.\n    #3) With great power comes great responsibility.\n\n';

/** What sudo says with no terminal to ask on (an exec channel without a pty) and no -S. */
const NO_TTY = 'sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper\nsudo: a password is required\n';

type Ctx = Parameters<CommandDef['run']>[0];

/**
 * Asks a user other than root for their password, as sudo does: on the terminal (after the lecture
 * for a first use), from stdin with -S, or not at all without a terminal. False when none came.
 */
async function askPassword(ctx: Ctx, fromStdin: boolean): Promise<boolean> {
  const prompt = `[sudo] password for ${ctx.sh.user.name}: `;
  if (fromStdin) {
    ctx.err(prompt);
    return ctx.stdin.length > 0;
  }
  if (!ctx.sh.terminal.interactive) {
    ctx.err(NO_TTY);
    return false;
  }
  return (await ctx.readLine(prompt, false)) !== undefined;
}

export const sudo: CommandDef = {
  names: ['sudo'],
  async run(ctx) {
    // Root, the sudo group (the host's admin user; an account made for a login name is not in it,
    // see accounts.ts, unless the attacker put it there) and whoever /etc/sudoers names.
    const sudoer = maySudo(ctx.sh.vfs, ctx.sh.user);
    const args = [...ctx.args];
    let listing = false;
    let shell = false;
    let login = false;
    let fromStdin = false;
    while (args[0]?.startsWith('-')) {
      const f = args.shift()!;
      if (f === '-u' || f === '-g') args.shift();
      if (f === '-S') fromStdin = true;
      if (f === '-l') listing = true;
      if (f === '-i') login = true;
      if (f === '-i' || f === '-s') shell = true;
    }
    // sudo -i, sudo -s, sudo su [-] [root], sudo bash: a root shell at the prompt.
    if (args.length === 0 ? shell : /^(?:(?:\/usr)?\/bin\/)?(?:su|bash|sh)$/.test(args[0]!) && args.slice(1).every((a) => a === '-' || a === '-l' || a === 'root' || a === '-i')) {
      if (args[0] !== undefined && /su$/.test(args[0]) && args.includes('-')) login = true;
      shell = true;
    }
    if (!listing && args.length === 0 && !shell) {
      ctx.err('usage: sudo -h | -K | -k | -V\nusage: sudo -v [-ABkNnS] [-g group] [-h host] [-p prompt] [-u user]\n');
      return 1;
    }
    if (ctx.sh.user.uid !== 0) {
      if (!sudoer && ctx.sh.terminal.interactive && !fromStdin) ctx.err(LECTURE);
      if (!(await askPassword(ctx, fromStdin))) return 1;
    }
    if (!sudoer) {
      // sudo 1.9.10 dropped "This incident will be reported".
      ctx.err(listing ? `Sorry, user ${ctx.sh.user.name} may not run sudo on ${ctx.sh.profile.hostname}.\n` : `${ctx.sh.user.name} is not in the sudoers file.\n`);
      return 1;
    }
    const root = { name: 'root', uid: 0, gid: 0, home: '/root' };
    if (shell && ctx.stdinIsTerminal && ctx.sh.terminal.interactive) {
      if (!ctx.sh.enterShell({ user: root, login })) return 1;
      return 0;
    }
    if (listing) {
      ctx.out(`Matching Defaults entries for ${ctx.sh.user.name} on ${ctx.sh.profile.hostname}:\n    env_reset, mail_badpass, secure_path=/usr/local/sbin\\:/usr/local/bin\\:/usr/sbin\\:/usr/bin\\:/sbin\\:/bin, use_pty\n\nUser ${ctx.sh.user.name} may run the following commands on ${ctx.sh.profile.hostname}:\n    (ALL : ALL) ALL\n`);
      return 0;
    }
    if (shell && args.length === 0) return 0;
    const status = await ctx.sh.runAs(root, () => ctx.sh.runProgram(args, { stdin: ctx.stdin, out: ctx.out, err: ctx.err }));
    if (status !== undefined) return status;
    ctx.err(`sudo: ${args[0]}: command not found\n`);
    return 1;
  },
};
