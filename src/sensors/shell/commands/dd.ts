// dd: if= of= bs= ibs= count= skip= status=, with the transfer summary on stderr (what Mirai's
// loader reads). /dev/zero and /dev/urandom give full blocks without end; a file written past the
// session's quota fails as a full disk does (ENOSPC after what fitted).
import { randomBytes } from 'node:crypto';
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';

/** Bytes per unit of dd's size suffixes (coreutils: c w b kB K MB M GB G, and xM as M). */
const UNITS: Record<string, number> = { '': 1, c: 1, w: 2, b: 512, kB: 1000, K: 1024, k: 1024, KiB: 1024, MB: 1e6, M: 1 << 20, MiB: 1 << 20, xM: 1 << 20, GB: 1e9, G: 1 << 30, GiB: 1 << 30 };

function size(v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const m = /^(\d+)([a-zA-Z]*)$/.exec(v);
  const unit = m ? UNITS[m[2]!] : undefined;
  return m && unit !== undefined ? Number(m[1]) * unit : NaN;
}

/** Biggest amount dd copies in one call (the VFS quotas apply beyond this too). */
export const MAX_DD_BYTES = 16 * 1024 * 1024;

/** BYTES in the largest of UNITS (powers of BASE) it reaches: one decimal below 10, whole above, as coreutils rounds. */
function scaled(bytes: number, base: number, units: string[]): string {
  let v = bytes / base;
  let i = 0;
  while (v >= base && i < units.length - 1) {
    v /= base;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** The summary dd prints: records in and out, bytes, time and rate. */
function summary(recIn: string, recOut: string, bytes: number): string {
  const secs = 0.0000412 + bytes / 1.9e9;
  const rate = bytes / secs;
  const rateText = rate > 1e9 ? `${(rate / 1e9).toFixed(1)} GB/s` : rate > 1e6 ? `${(rate / 1e6).toFixed(1)} MB/s` : `${(rate / 1e3).toFixed(1)} kB/s`;
  const sizes = bytes >= 1000 ? ` (${scaled(bytes, 1000, ['kB', 'MB', 'GB', 'TB'])}, ${scaled(bytes, 1024, ['KiB', 'MiB', 'GiB', 'TiB'])})` : '';
  return `${recIn} records in\n${recOut} records out\n${bytes} bytes${sizes} copied, ${secs.toFixed(6).replace(/0+$/, '')} s, ${rateText}\n`;
}

const records = (bytes: number, bs: number): string => `${Math.floor(bytes / bs)}+${bytes % bs ? 1 : 0}`;

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
    const count = kv.has('count') ? size(kv.get('count'), 0) : Infinity;
    const skip = size(kv.get('skip'), 0);
    for (const [k, v] of [['bs', bs], ['count', count], ['skip', skip]] as const) {
      if (Number.isNaN(v) || v < 0 || (k === 'bs' && v === 0)) {
        ctx.err(`dd: invalid number: ‘${kv.get(k) ?? kv.get('ibs')}’\n`);
        return 1;
      }
    }
    const quiet = kv.get('status') === 'none';
    // The source: a device that never runs dry, or the bytes of a file or stdin.
    const inf = kv.get('if');
    const path = inf !== undefined ? ctx.sh.resolve(inf) : undefined;
    const device = path === '/dev/zero' ? 'zero' : path === '/dev/urandom' || path === '/dev/random' ? 'random' : undefined;
    let input: Buffer | undefined;
    if (path !== undefined && !device) {
      const d = ctx.sh.vfs.readFile(path);
      if (typeof d === 'string') {
        ctx.err(`dd: failed to open '${inf}': ${FS_ERROR_TEXT[d]}\n`);
        return 1;
      }
      input = d;
    } else if (path === undefined) input = ctx.stdin;
    const start = input ? Math.min(input.length, skip * bs) : 0;
    const available = input ? input.length - start : Infinity;
    const want = Math.min(MAX_DD_BYTES, available, count * bs);
    const read = (n: number): Buffer => (input ? input.subarray(start, start + n) : device === 'zero' ? Buffer.alloc(n) : randomBytes(n));
    const of = kv.get('of');
    if (of === undefined) {
      ctx.out(read(want));
      if (!quiet) ctx.err(summary(records(want, bs), records(want, bs), want));
      return 0;
    }
    const out = ctx.sh.resolve(of);
    const vfs = ctx.sh.vfs;
    const st = vfs.stat(out);
    const sink = typeof st !== 'string' && st.node.kind === 'file' && st.node.special === 'c';
    // Room left in the session's quota (what the file held already is given back when it is replaced).
    const held = vfs.overlay.nodes.get(typeof st === 'string' ? out : st.path);
    const room = sink ? Infinity : Math.max(0, vfs.quota.maxBytes - vfs.overlay.bytes + (held?.kind === 'file' ? (held.data?.length ?? 0) : 0));
    // A device swallows what it is given without holding it: nothing to allocate, the count is the size.
    const asked = input ? want : sink && count !== Infinity ? count * bs : Math.min(count * bs, available);
    const fits = sink ? asked : Math.min(want, room);
    const data = sink ? Buffer.alloc(0) : read(fits);
    const e = vfs.writeFile(out, data);
    if (e) {
      ctx.err(`dd: failed to open '${of}': ${FS_ERROR_TEXT[e]}\n`);
      return 1;
    }
    if (data.length) ctx.sh.hooks.fileWritten?.(out, data, 'dd');
    if (asked > fits) {
      // The disk filled: the block that did not fit was read, what fitted of it written.
      ctx.err(`dd: error writing '${of}': ${FS_ERROR_TEXT.ENOSPC}\n`);
      if (!quiet) ctx.err(summary(`${Math.floor(fits / bs) + 1}+0`, records(fits, bs), fits));
      return 1;
    }
    if (!quiet) ctx.err(summary(records(fits, bs), records(fits, bs), fits));
    return 0;
  },
};
