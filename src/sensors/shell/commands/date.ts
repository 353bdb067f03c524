// date: now in the default format, +FORMAT with the common % fields, -u, +%s.
import type { CommandDef } from '../types.js';
import { dateString, dayName, monthName, pad2 } from './util.js';

export const date: CommandDef = {
  names: ['date'],
  run(ctx) {
    const now = ctx.sh.now();
    const fmt = ctx.args.find((a) => a.startsWith('+'));
    if (!fmt) {
      ctx.out(`${dateString(now)}\n`);
      return 0;
    }
    const d = new Date(now);
    const map: Record<string, string> = {
      Y: String(d.getUTCFullYear()), m: pad2(d.getUTCMonth() + 1), d: pad2(d.getUTCDate()), H: pad2(d.getUTCHours()), M: pad2(d.getUTCMinutes()), S: pad2(d.getUTCSeconds()),
      s: String(Math.floor(now / 1000)), a: dayName(d.getUTCDay()), b: monthName(d.getUTCMonth()), y: pad2(d.getUTCFullYear() % 100), Z: 'UTC', z: '+0000', j: String(Math.floor((now - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1).padStart(3, '0'),
      F: `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`, T: `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`, N: String((now % 1000) * 1_000_000).padStart(9, '0'), '%': '%', n: '\n', t: '\t',
    };
    ctx.out(`${fmt.slice(1).replace(/%(.)/g, (m, c: string) => map[c] ?? m)}\n`);
    return 0;
  },
};
