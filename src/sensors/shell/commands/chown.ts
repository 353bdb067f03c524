// chown and chgrp: user[:group] by name or number.
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';

const KNOWN: Record<string, number> = { root: 0, daemon: 1, bin: 2, sys: 3, 'www-data': 33, backup: 34, nobody: 65534, nogroup: 65534, mysql: 102, sshd: 101 };

export const chown: CommandDef = {
  names: ['chown', 'chgrp'],
  run(ctx) {
    const args = ctx.args.filter((a) => !/^-[Rvcfh]+$/.test(a));
    const [spec, ...files] = args;
    if (spec === undefined || files.length === 0) {
      ctx.err(`${ctx.name}: missing operand\nTry '${ctx.name} --help' for more information.\n`);
      return 1;
    }
    const lookup = (n: string): number | undefined => (/^\d+$/.test(n) ? Number(n) : (KNOWN[n] ?? ctx.sh.users.find((u) => u.name === n)?.uid));
    const [u, g] = ctx.name === 'chgrp' ? [undefined, spec] : spec.split(/[:.]/);
    const uid = u ? lookup(u) : undefined;
    const gid = g ? lookup(g) : undefined;
    if ((u && uid === undefined) || (g && gid === undefined)) {
      ctx.err(`${ctx.name}: invalid ${u && uid === undefined ? 'user' : 'group'}: '${spec}'\n`);
      return 1;
    }
    let status = 0;
    for (const f of files) {
      const e = ctx.sh.vfs.update(ctx.sh.resolve(f), { ...(uid !== undefined ? { uid } : {}), ...(gid !== undefined ? { gid } : {}) });
      if (e) {
        ctx.err(e === 'ENOENT' ? `${ctx.name}: cannot access '${f}': ${FS_ERROR_TEXT[e]}\n` : `${ctx.name}: changing ownership of '${f}': Operation not permitted\n`);
        status = 1;
      }
    }
    return status;
  },
};
