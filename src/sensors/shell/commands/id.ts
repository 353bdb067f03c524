// id and whoami and groups: the logged-in user and their groups.
import type { CommandDef } from '../types.js';

/** UID's groups: the host's admin user is in the installer's groups (sudo among them), any other user only in its own. */
function groupsOf(uid: number, name: string, adminUid: number): [number, string][] {
  if (uid === 0) return [[0, 'root']];
  if (uid !== adminUid) return [[uid, name]];
  return [[uid, name], [4, 'adm'], [24, 'cdrom'], [27, 'sudo'], [30, 'dip'], [46, 'plugdev'], [100, 'users']];
}

export const id: CommandDef = {
  names: ['id'],
  run(ctx) {
    const who = ctx.args.find((a) => !a.startsWith('-'));
    const u = who ? ctx.sh.users.find((x) => x.name === who) ?? (who === 'root' ? { uid: 0, gid: 0, name: 'root' } : undefined) : ctx.sh.user;
    if (!u) {
      ctx.err(`id: '${who}': no such user\n`);
      return 1;
    }
    const groups = groupsOf(u.uid, u.name, ctx.sh.profile.admin.uid);
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
    ctx.out(`${groupsOf(ctx.sh.user.uid, ctx.sh.user.name, ctx.sh.profile.admin.uid).map(([, n]) => n).join(' ')}\n`);
    return 0;
  },
};
