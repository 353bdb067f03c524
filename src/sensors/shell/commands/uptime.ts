// uptime: time since the profile's boot, and slowly moving load averages.
import type { CommandDef } from '../types.js';
import { loadAt, uptimeSeconds } from '../profile.js';
import { hhmm, pad2, uptimeText } from './util.js';
import { usersText, utmpCount } from './who.js';

export const uptime: CommandDef = {
  names: ['uptime'],
  run(ctx) {
    const now = ctx.sh.now();
    const up = uptimeSeconds(ctx.sh.profile, now);
    if (ctx.args.includes('-p')) {
      const d = Math.floor(up / 86400);
      const h = Math.floor((up % 86400) / 3600);
      const m = Math.floor((up % 3600) / 60);
      const weeks = Math.floor(d / 7);
      const parts = [weeks ? `${weeks} week${weeks > 1 ? 's' : ''}` : '', d % 7 ? `${d % 7} day${d % 7 > 1 ? 's' : ''}` : '', h ? `${h} hour${h > 1 ? 's' : ''}` : '', m ? `${m} minute${m > 1 ? 's' : ''}` : ''].filter(Boolean);
      ctx.out(`up ${parts.join(', ')}\n`);
      return 0;
    }
    if (ctx.args.includes('-s')) {
      const d = new Date(ctx.sh.profile.bootMs);
      ctx.out(`${d.toISOString().slice(0, 10)} ${hhmm(d.getTime())}:${pad2(d.getUTCSeconds())}\n`);
      return 0;
    }
    ctx.out(` ${hhmm(now)}:${pad2(new Date(now).getUTCSeconds())} ${uptimeText(up)},  ${usersText(utmpCount(ctx.sh))},  load average: ${loadAt(now).map((x) => x.toFixed(2)).join(', ')}\n`);
    return 0;
  },
};
