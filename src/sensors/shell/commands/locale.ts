// locale: the locale settings from LANG, LC_* and LC_ALL, as glibc's locale prints them; -a lists
// the locales a Debian 12 server without the locales package has.
import type { CommandDef } from '../types.js';

const CATEGORIES = ['LC_CTYPE', 'LC_NUMERIC', 'LC_TIME', 'LC_COLLATE', 'LC_MONETARY', 'LC_MESSAGES', 'LC_PAPER', 'LC_NAME', 'LC_ADDRESS', 'LC_TELEPHONE', 'LC_MEASUREMENT', 'LC_IDENTIFICATION'];
const INSTALLED = new Set(['C', 'POSIX', 'C.UTF-8', 'C.utf8']);

export const locale: CommandDef = {
  names: ['locale'],
  run(ctx) {
    const env = ctx.sh.env;
    if (ctx.args.includes('-a') || ctx.args.includes('--all-locales')) {
      ctx.out('C\nC.utf8\nPOSIX\n');
      return 0;
    }
    const all = env.get('LC_ALL') ?? '';
    const lang = env.get('LANG') ?? '';
    const value = (c: string): string => all || env.get(c) || lang || 'POSIX';
    // glibc cannot load a locale that is not installed (an SSH client's LANG=en_US.UTF-8): it says so and goes on.
    if (!INSTALLED.has(value('LC_CTYPE'))) ctx.err('locale: Cannot set LC_CTYPE to default locale: No such file or directory\n');
    if (!INSTALLED.has(value('LC_MESSAGES'))) ctx.err('locale: Cannot set LC_MESSAGES to default locale: No such file or directory\n');
    if (CATEGORIES.some((c) => !INSTALLED.has(value(c)))) ctx.err('locale: Cannot set LC_ALL to default locale: No such file or directory\n');
    // A category set on its own prints bare; one that follows LANG or LC_ALL prints quoted.
    const rows = [`LANG=${lang}`, `LANGUAGE=${env.get('LANGUAGE') ?? ''}`, ...CATEGORIES.map((c) => (!all && env.get(c) ? `${c}=${env.get(c)}` : `${c}="${value(c)}"`)), `LC_ALL=${all}`];
    ctx.out(`${rows.join('\n')}\n`);
    return 0;
  },
};
