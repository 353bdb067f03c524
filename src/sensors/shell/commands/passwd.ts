// passwd, chpasswd, useradd/adduser: account changes are accepted and reported to the sensor.
import type { CommandDef } from '../types.js';
import { lines } from './util.js';

export const passwd: CommandDef = {
  names: ['passwd'],
  async run(ctx) {
    const user = ctx.args.find((a) => !a.startsWith('-')) ?? ctx.sh.user.name;
    if (ctx.args.includes('--stdin') || !ctx.stdinIsTerminal) {
      const pw = lines(ctx.stdin.toString('utf8'))[0];
      if (pw === undefined) {
        ctx.err('passwd: Authentication token manipulation error\npasswd: password unchanged\n');
        return 10;
      }
      ctx.sh.hooks.passwordChanged?.(user, pw);
      ctx.out('passwd: password updated successfully\n');
      return 0;
    }
    if (ctx.sh.user.uid !== 0) {
      if (user !== ctx.sh.user.name) {
        ctx.err(`passwd: You may not view or modify password information for ${user}.\n`);
        return 1;
      }
      await ctx.readLine(`Changing password for ${user}.\nCurrent password: `, false);
    }
    const a = await ctx.readLine('New password: ', false);
    if (a === undefined) return 10;
    const b = await ctx.readLine('Retype new password: ', false);
    if (a !== b) {
      ctx.err('Sorry, passwords do not match.\npasswd: Authentication token manipulation error\npasswd: password unchanged\n');
      return 10;
    }
    ctx.sh.hooks.passwordChanged?.(user, a);
    ctx.out('passwd: password updated successfully\n');
    return 0;
  },
};

export const chpasswd: CommandDef = {
  names: ['chpasswd'],
  async run(ctx) {
    const input = ctx.stdinIsTerminal ? await collect(ctx) : ctx.stdin.toString('utf8');
    let status = 0;
    lines(input).forEach((l, i) => {
      const c = l.indexOf(':');
      if (c < 0) {
        ctx.err(`chpasswd: line ${i + 1}: missing new password\n`);
        status = 1;
        return;
      }
      const user = l.slice(0, c);
      if (user !== 'root' && !ctx.sh.users.some((u) => u.name === user)) {
        ctx.err(`chpasswd: (user ${user}) pam_chauthtok() failed, error:\nAuthentication token manipulation error\nchpasswd: (line ${i + 1}, user ${user}) password not changed\n`);
        status = 1;
        return;
      }
      ctx.sh.hooks.passwordChanged?.(user, l.slice(c + 1));
    });
    if (status) ctx.err('chpasswd: error detected, changes ignored\n');
    return status;
  },
};

async function collect(ctx: Parameters<CommandDef['run']>[0]): Promise<string> {
  let text = '';
  for (let i = 0; i < 100; i++) {
    const l = await ctx.readLine('', true);
    if (l === undefined) break;
    text += `${l}\n`;
  }
  return text;
}

export const useradd: CommandDef = {
  names: ['useradd', 'adduser'],
  async run(ctx) {
    const o = ctx.args.filter((a, i) => !a.startsWith('-') && !['-p', '-s', '-d', '-g', '-G', '-c', '-u', '--gecos', '--shell', '--home'].includes(ctx.args[i - 1] ?? ''));
    const name = o[o.length - 1];
    if (!name) {
      ctx.err(ctx.name === 'adduser' ? 'fatal: Only one or two names allowed.\n' : 'Usage: useradd [options] LOGIN\n');
      return ctx.name === 'adduser' ? 1 : 2;
    }
    if (ctx.sh.user.uid !== 0) {
      ctx.err(`${ctx.name}: Permission denied.\n${ctx.name}: cannot lock /etc/passwd; try again later.\n`);
      return 1;
    }
    const passwd = ctx.sh.vfs.readFile('/etc/passwd');
    if (typeof passwd !== 'string' && passwd.toString().split('\n').some((l) => l.startsWith(`${name}:`))) {
      ctx.err(`${ctx.name}: user '${name}' already exists\n`);
      return 9;
    }
    const uid = 1001 + (typeof passwd === 'string' ? 0 : passwd.toString().split('\n').filter((l) => /:x:1\d{3}:/.test(l)).length);
    const shell = ctx.args[ctx.args.indexOf('-s') + 1] ?? '/bin/sh';
    const home = `/home/${name}`;
    ctx.sh.vfs.writeFile('/etc/passwd', Buffer.from(`${name}:x:${uid}:${uid}::${home}:${ctx.args.includes('-s') ? shell : ctx.name === 'adduser' ? '/bin/bash' : '/bin/sh'}\n`), { append: true });
    ctx.sh.vfs.writeFile('/etc/group', Buffer.from(`${name}:x:${uid}:\n`), { append: true });
    if (ctx.args.includes('-m') || ctx.name === 'adduser') ctx.sh.vfs.mkdir(home, true);
    const pIdx = ctx.args.indexOf('-p');
    if (pIdx >= 0 && ctx.args[pIdx + 1]) ctx.sh.hooks.passwordChanged?.(name, ctx.args[pIdx + 1]!);
    if (ctx.name === 'adduser') {
      ctx.out(`Adding user \`${name}' ...\nAdding new group \`${name}' (${uid}) ...\nAdding new user \`${name}' (${uid}) with group \`${name} (${uid})' ...\nCreating home directory \`${home}' ...\nCopying files from \`/etc/skel' ...\n`);
      const a = await ctx.readLine('New password: ', false);
      if (a === undefined) return 1;
      await ctx.readLine('Retype new password: ', false);
      ctx.sh.hooks.passwordChanged?.(name, a);
      ctx.out('passwd: password updated successfully\n');
    }
    return 0;
  },
};
