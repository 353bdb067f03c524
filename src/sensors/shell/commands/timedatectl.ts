// timedatectl: the clock as systemd 252 reports it on a UTC server synchronised by systemd-timesyncd.
import type { CommandDef } from '../types.js';
import { dateTime, dayName } from './util.js';

function stamp(ms: number): string {
  return `${dayName(new Date(ms).getUTCDay())} ${dateTime(ms)}`;
}

export const timedatectl: CommandDef = {
  names: ['timedatectl'],
  run(ctx) {
    const sub = ctx.args.find((a) => !a.startsWith('-')) ?? 'status';
    if (sub !== 'status') {
      if (['set-time', 'set-timezone', 'set-local-rtc', 'set-ntp'].includes(sub)) return 0;
      if (sub === 'list-timezones') {
        ctx.out('Etc/UTC\nUTC\n');
        return 0;
      }
      ctx.err(`Unknown command verb ${sub}.\n`);
      return 1;
    }
    const now = ctx.sh.now();
    ctx.out(
      `               Local time: ${stamp(now)} UTC\n           Universal time: ${stamp(now)} UTC\n                 RTC time: ${stamp(now)}\n                Time zone: ${ctx.sh.profile.timezone} (UTC, +0000)\nSystem clock synchronized: yes\n              NTP service: active\n          RTC in local TZ: no\n`,
    );
    return 0;
  },
};
