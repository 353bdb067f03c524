// id and whoami and groups: the logged-in user and their groups.
// Groups come from the attacker's /etc/group: the host's admin user is in the installer's groups (sudo
// among them), an account made later in its own and any it was added to (usermod -aG, adduser USER GROUP).
import { groupsOf } from '../accounts.js';
import type { CommandDef } from '../types.js';

export const id: CommandDef = {
  names: ['id'],
  run(ctx) {
    const who = ctx.args.find((a) => !a.startsWith('-'));
    const u = who ? ctx.sh.users.find((x) => x.name === who) ?? (who === 'root' ? { uid: 0, gid: 0, name: 'root' } : undefined) : ctx.sh.user;
    if (!u) {
      ctx.err(`id: '${who}': no such user\n`);
      return 1;
    }
    const groups = groupsOf(ctx.sh.vfs, u);
    const flags = new Set(ctx.args.filter((a) => /^-[ugGnr]+$/.test(a)).flatMap((a) => [...a.slice(1)]));
    const named = flags.has('n');
    if (flags.has('u')) ctx.out(`${named ? u.name : u.uid}\n`);
    else if (flags.has('g')) ctx.out(`${named ? u.name : u.gid}\n`);
    else if (flags.has('G')) ctx.out(`${groups.map(([g, n]) => (named ? n : g)).join(' ')}\n`);
    else ctx.out(`uid=${u.uid}(${u.name}) gid=${u.gid}(${u.name}) groups=${groups.map(([g, n]) => `${g}(${n})`).join(',')}\n`);
    return 0;
  },
};

export const whoami: CommandDef = {
  names: ['whoami'],
  run(ctx) {
    ctx.out(`${ctx.sh.user.name}\n`);
    return 0;
  },
};

export const groups: CommandDef = {
  names: ['groups'],
  run(ctx) {
    const names = ctx.args.filter((a) => !a.startsWith('-'));
    if (names.length === 0) {
      ctx.out(`${groupsOf(ctx.sh.vfs, ctx.sh.user).map(([, n]) => n).join(' ')}\n`);
      return 0;
    }
    let status = 0;
    for (const name of names) {
      const u = ctx.sh.users.find((x) => x.name === name);
      if (!u) {
        ctx.err(`groups: '${name}': no such user\n`);
        status = 1;
      } else ctx.out(`${name} : ${groupsOf(ctx.sh.vfs, u).map(([, n]) => n).join(' ')}\n`);
    }
    return status;
  },
};
