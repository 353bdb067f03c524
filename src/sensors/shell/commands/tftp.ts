// tftp (BusyBox style: -g -r REMOTE -l LOCAL HOST [PORT]; or tftp HOST -c get FILE) through the fetch policy.
import type { CommandDef } from '../types.js';
import { FAIL_DELAY_MS, fetchVia, parseTarget, save } from './net-common.js';

export const tftp: CommandDef = {
  names: ['tftp'],
  async run(ctx) {
    let remote: string | undefined;
    let local: string | undefined;
    let get = false;
    const pos: string[] = [];
    for (let i = 0; i < ctx.args.length; i++) {
      const a = ctx.args[i]!;
      if (a === '-r') remote = ctx.args[++i];
      else if (a === '-l') local = ctx.args[++i];
      else if (a === '-g') get = true;
      else if (a === '-p') get = false;
      else if (a === '-c') {
        get = ctx.args[i + 1] === 'get';
        remote = ctx.args[i + 2];
        local = ctx.args[i + 3];
        i += 3;
      } else if (/^-[a-z]+$/.test(a)) {
        if (a.includes('g')) get = true;
        if (a.endsWith('r')) remote = ctx.args[++i];
        else if (a.endsWith('l')) local = ctx.args[++i];
      } else pos.push(a);
    }
    const host = pos[0];
    if (!host || !remote || !get) {
      ctx.err('BusyBox v1.35.0 (Debian 1:1.35.0-4+b3) multi-call binary.\n\nUsage: tftp [OPTIONS] HOST [PORT]\n\nTransfer a file from/to tftp server\n\n\t-l FILE\tLocal FILE\n\t-r FILE\tRemote FILE\n\t-g\tGet file\n\t-p\tPut file\n\t-b SIZE\tTransfer blocks in bytes\n');
      return 1;
    }
    const t = parseTarget(`tftp://${host}${pos[1] ? `:${pos[1]}` : ''}/${remote.replace(/^\//, '')}`);
    if (!t) {
      ctx.err(`tftp: bad address '${host}'\n`);
      return 1;
    }
    const name = local ?? remote.split('/').pop() ?? remote;
    const r = await fetchVia(ctx, 'tftp', t, name);
    if (!r.ok) {
      await ctx.sh.sleep(FAIL_DELAY_MS);
      ctx.err(r.error === 'resolve' || r.error === 'disabled' ? (/^[\d.]+$/.test(host) ? 'tftp: timeout\n' : `tftp: bad address '${host}'\n`) : `tftp: ${r.error === 'http' ? 'server error: (1) File not found' : 'timeout'}\n`);
      return 1;
    }
    const e = save(ctx, name, r.data, 'tftp');
    if (e) {
      ctx.err(`${e}\n`);
      return 1;
    }
    return 0;
  },
};
