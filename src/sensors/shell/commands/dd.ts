// dd: if= of= bs= count= skip=, with the transfer summary on stderr (what Mirai's loader reads).
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';

function size(v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const m = /^(\d+)([kKMG]?)B?$/.exec(v);
  if (!m) return NaN;
  return Number(m[1]) * ({ k: 1024, K: 1024, M: 1 << 20, G: 1 << 30 }[m[2] ?? ''] ?? 1);
}

/** Biggest amount dd copies in one call (the VFS quotas apply beyond this too). */
export const MAX_DD_BYTES = 16 * 1024 * 1024;

export const dd: CommandDef = {
  names: ['dd'],
  run(ctx) {
    const kv = new Map<string, string>();
    for (const a of ctx.args) {
      const eq = a.indexOf('=');
      if (eq < 0) {
        ctx.err(`dd: unrecognized operand '${a}'\nTry 'dd --help' for more information.\n`);
        return 1;
      }
      kv.set(a.slice(0, eq), a.slice(eq + 1));
    }
    const bs = size(kv.get('bs') ?? kv.get('ibs'), 512);
    const count = kv.has('count') ? Number(kv.get('count')) : Infinity;
    const skip = Number(kv.get('skip') ?? 0);
    if (Number.isNaN(bs) || Number.isNaN(count) || bs <= 0) {
      ctx.err(`dd: invalid number: '${kv.get('bs') ?? kv.get('count')}'\n`);
      return 1;
    }
    let input: Buffer;
    const inf = kv.get('if');
    if (inf !== undefined) {
      const d = ctx.sh.vfs.readFile(ctx.sh.resolve(inf));
      if (typeof d === 'string') {
        ctx.err(`dd: failed to open '${inf}': ${FS_ERROR_TEXT[d]}\n`);
        return 1;
      }
      input = d;
    } else input = ctx.stdin;
    const start = Math.min(input.length, skip * bs);
    const want = Math.min(MAX_DD_BYTES, count === Infinity ? input.length - start : count * bs);
    const data = input.subarray(start, start + want);
    const full = Math.floor(data.length / bs);
    const partial = data.length % bs ? 1 : 0;
    const of = kv.get('of');
    if (of !== undefined) {
      const path = ctx.sh.resolve(of);
      const e = ctx.sh.vfs.writeFile(path, data);
      if (e) {
        ctx.err(`dd: failed to open '${of}': ${FS_ERROR_TEXT[e]}\n`);
        return 1;
      }
      if (data.length) ctx.sh.hooks.fileWritten?.(path, data, 'dd');
    } else ctx.out(data);
    const secs = 0.0000412 + data.length / 1.9e9;
    const rate = data.length / secs;
    const rateText = rate > 1e9 ? `${(rate / 1e9).toFixed(1)} GB/s` : rate > 1e6 ? `${(rate / 1e6).toFixed(1)} MB/s` : `${(rate / 1e3).toFixed(1)} kB/s`;
    ctx.err(`${full}+${partial} records in\n${full}+${partial} records out\n${data.length} bytes${data.length >= 1000 ? ` (${data.length >= 1e6 ? `${(data.length / 1e6).toFixed(1)} MB` : `${(data.length / 1e3).toFixed(1)} kB`}, ${data.length >= 1 << 20 ? `${(data.length / (1 << 20)).toFixed(1)} MiB` : `${(data.length / 1024).toFixed(1)} KiB`})` : ''} copied, ${secs.toFixed(6).replace(/0+$/, '')} s, ${rateText}\n`);
    return 0;
  },
};
