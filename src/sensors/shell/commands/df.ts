// df: the root disk from the profile plus the usual tmpfs mounts (-h -k -T).
import type { CommandDef } from '../types.js';
import { humanSize } from './util.js';

export const df: CommandDef = {
  names: ['df'],
  run(ctx) {
    const p = ctx.sh.profile;
    const human = ctx.args.some((a) => /^-[a-zA-Z]*h/.test(a) || a === '--human-readable');
    const typed = ctx.args.some((a) => /^-[a-zA-Z]*T/.test(a));
    const rows: [string, string, number, number][] = [
      ['udev', 'devtmpfs', Math.floor(p.memKb / 2), 0],
      ['tmpfs', 'tmpfs', Math.floor(p.memKb / 10), 600 + (p.cpu.cores * 37)],
      [p.disk.device, 'ext4', p.disk.sizeKb, p.disk.usedKb],
      ['tmpfs', 'tmpfs', Math.floor(p.memKb / 2), 0],
      ['tmpfs', 'tmpfs', 5120, 0],
      ['tmpfs', 'tmpfs', Math.floor(p.memKb / 10), 0],
    ];
    const mounts = ['/dev', '/run', '/', '/dev/shm', '/run/lock', '/run/user/0'];
    const fmt = (kb: number): string => (human ? humanSize(kb * 1024) : String(kb));
    const lines = [[`Filesystem`, ...(typed ? ['Type'] : []), human ? 'Size' : '1K-blocks', 'Used', human ? 'Avail' : 'Available', 'Use%', 'Mounted on']];
    rows.forEach(([fs, type, size, used], i) => {
      const avail = Math.max(0, size - used - (fs.startsWith('/dev/') ? Math.floor(size * 0.05) : 0));
      lines.push([fs, ...(typed ? [type] : []), fmt(size), fmt(used), fmt(avail), `${size ? Math.ceil((used / (used + avail)) * 100) : 0}%`, mounts[i]!]);
    });
    // GNU df's minimum column widths (its field_data table): Filesystem 14, Type 4, numbers 5, Use% 4.
    const minWidths = [14, ...(typed ? [4] : []), 5, 5, 5, 4, 0];
    const widths = lines[0]!.map((_, c) => Math.max(minWidths[c]!, ...lines.map((l) => l[c]!.length)));
    ctx.out(lines.map((l) => l.map((cell, c) => (c === 0 || c === l.length - 1 || (typed && c === 1) ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' ').trimEnd()).join('\n') + '\n');
    return 0;
  },
};
