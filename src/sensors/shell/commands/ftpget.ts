// ftpget (BusyBox): ftpget [-u USER -p PASS -P PORT] HOST LOCAL_FILE REMOTE_FILE through the fetch policy.
import type { CommandDef } from '../types.js';
import { FAIL_DELAY_MS, fetchVia, parseTarget, save } from './net-common.js';

export const ftpget: CommandDef = {
  names: ['ftpget'],
  async run(ctx) {
    let user = 'anonymous';
    let pass = 'busybox@';
    let port: string | undefined;
    const pos: string[] = [];
    for (let i = 0; i < ctx.args.length; i++) {
      const a = ctx.args[i]!;
      if (a === '-u') user = ctx.args[++i] ?? user;
      else if (a === '-p') pass = ctx.args[++i] ?? pass;
      else if (a === '-P') port = ctx.args[++i];
      else if (!a.startsWith('-')) pos.push(a);
    }
    const [host, local, remote0] = pos;
    const remote = remote0 ?? local;
    if (!host || !local || !remote) {
      ctx.err('BusyBox v1.35.0 (Debian 1:1.35.0-4+b3) multi-call binary.\n\nUsage: ftpget [OPTIONS] HOST [LOCAL_FILE] REMOTE_FILE\n\nDownload a file via FTP\n\n\t-c\tContinue previous transfer\n\t-v\tVerbose\n\t-u USER\tUsername\n\t-p PASS\tPassword\n\t-P PORT\tPort\n');
      return 1;
    }
    const t = parseTarget(`ftp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@${host}${port ? `:${port}` : ''}/${remote.replace(/^\//, '')}`);
    if (!t) {
      ctx.err(`ftpget: bad address '${host}'\n`);
      return 1;
    }
    const r = await fetchVia(ctx, 'ftpget', t, local);
    if (!r.ok) {
      await ctx.sh.sleep(FAIL_DELAY_MS);
      ctx.err(`ftpget: can't connect to remote host (${host}): Connection timed out\n`);
      return 1;
    }
    const e = save(ctx, local, r.data, 'ftpget');
    if (e) {
      ctx.err(`${e}\n`);
      return 1;
    }
    return 0;
  },
};
