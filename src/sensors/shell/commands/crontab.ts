// crontab: -l lists, -r removes, FILE or - installs (kept per attacker in /var/spool/cron/crontabs).
import type { CommandDef } from '../types.js';

export const crontab: CommandDef = {
  names: ['crontab'],
  run(ctx) {
    const sh = ctx.sh;
    const path = `/var/spool/cron/crontabs/${sh.user.name}`;
    const existing = sh.vfs.readFile(path);
    if (ctx.args.includes('-l')) {
      if (typeof existing === 'string') {
        ctx.err(`no crontab for ${sh.user.name}\n`);
        return 1;
      }
      ctx.out(existing);
      return 0;
    }
    if (ctx.args.includes('-r')) {
      if (typeof existing === 'string') {
        ctx.err(`no crontab for ${sh.user.name}\n`);
        return 1;
      }
      sh.vfs.remove(path, false);
      return 0;
    }
    if (ctx.args.includes('-e')) {
      ctx.err('no crontab for root - using an empty one\nNo modification made\n'.replace('root', sh.user.name));
      return 0;
    }
    const file = ctx.args.find((a) => !a.startsWith('-')) ?? '-';
    let data: Buffer;
    if (file === '-' || ctx.args.includes('-')) data = ctx.stdin;
    else {
      const d = sh.vfs.readFile(sh.resolve(file));
      if (typeof d === 'string') {
        ctx.err(`${file}: No such file or directory\n`);
        return 1;
      }
      data = d;
    }
    const text = data.toString('utf8');
    if (text.length && !text.endsWith('\n')) {
      ctx.err(`new crontab file is missing newline before EOF, can't install.\n`);
      return 1;
    }
    const bad = text.split('\n').find((l) => l.trim() && !l.trim().startsWith('#') && !/^(@\w+|\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s+\S/.test(l.trim()) && !/^\w+=/.test(l.trim()));
    if (bad !== undefined) {
      ctx.err(`"-":1: bad minute\nerrors in crontab file, can't install.\n`);
      return 1;
    }
    const e = sh.vfs.writeFile(path, data, { mode: 0o600 });
    if (!e && data.length) sh.hooks.fileWritten?.(path, data, 'crontab');
    return e ? 1 : 0;
  },
};
