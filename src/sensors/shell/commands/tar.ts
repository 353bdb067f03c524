// tar: create (-c), list (-t) and extract (-x) ustar archives in the virtual filesystem, gzip (-z) too.
import { gunzipSync, gzipSync } from 'node:zlib';
import { posix } from 'node:path';
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';

/** Most bytes one archive may expand to, and most members, so a zip bomb cannot fill memory. */
export const MAX_TAR_BYTES = 32 * 1024 * 1024;
export const MAX_TAR_MEMBERS = 2000;

interface Member {
  name: string;
  type: 'file' | 'dir' | 'link';
  mode: number;
  data: Buffer;
  target: string;
}

function readTar(buf: Buffer): Member[] | string {
  const out: Member[] = [];
  let off = 0;
  while (off + 512 <= buf.length && out.length < MAX_TAR_MEMBERS) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, n: number): string => h.subarray(a, a + n).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(str(124, 12).trim() || '0', 8);
    if (!Number.isFinite(size) || size < 0 || !str(257, 5).startsWith('ustar') && str(257, 5) !== '') return 'This does not look like a tar archive';
    const prefix = str(345, 155);
    const name = (prefix ? `${prefix}/` : '') + str(0, 100);
    const flag = String.fromCharCode(h[156] ?? 48);
    const data = buf.subarray(off + 512, off + 512 + size);
    out.push({ name, type: flag === '5' ? 'dir' : flag === '2' ? 'link' : 'file', mode: parseInt(str(100, 8).trim() || '644', 8) & 0o7777, data, target: str(157, 100) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

function header(name: string, size: number, mode: number, type: '0' | '5', mtime: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 99), 0, 'latin1');
  h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  h.write(`${Math.floor(mtime / 1000).toString(8).padStart(11, '0')}\0`, 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(type, 156, 'latin1');
  h.write('ustar\x0000', 257, 'latin1');
  h.write('root', 265, 'latin1');
  h.write('root', 297, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

export const tar: CommandDef = {
  names: ['tar'],
  run(ctx) {
    const args = [...ctx.args];
    let flags = '';
    if (args[0] && !args[0].startsWith('-') && /^[ctxzvfjpC]+$/.test(args[0])) flags = args.shift()!;
    let file: string | undefined;
    let dir: string | undefined;
    const rest: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a.startsWith('--')) {
        if (a === '--file') file = args[++i];
        else if (a.startsWith('--file=')) file = a.slice(7);
        else if (a === '--directory') dir = args[++i];
        continue;
      }
      if (a.startsWith('-') && a !== '-') {
        flags += beforeFileOrDir(a.slice(1));
        if (a.slice(1).includes('f')) file = a.slice(a.indexOf('f') + 1) || args[++i];
        else if (a === '-C') dir = args[++i];
        continue;
      }
      rest.push(a);
    }
    if (flags.includes('f') && file === undefined) file = rest.shift();
    const mode = ['c', 'x', 't'].filter((m) => flags.includes(m));
    if (mode.length !== 1) {
      ctx.err("tar: You must specify one of the '-Acdtrux', '--delete' or '--test-label' options\nTry 'tar --help' or 'tar --usage' for more information.\n");
      return 2;
    }
    const verbose = flags.includes('v');
    const gz = flags.includes('z');
    if (mode[0] === 'c') {
      if (rest.length === 0) {
        ctx.err('tar: Cowardly refusing to create an empty archive\nTry \'tar --help\' or \'tar --usage\' for more information.\n');
        return 2;
      }
      const parts: Buffer[] = [];
      let total = 0;
      const add = (shown: string, path: string, depth: number): void => {
        const st = ctx.sh.vfs.stat(path);
        if (typeof st === 'string') {
          ctx.err(`tar: ${shown}: Cannot stat: ${FS_ERROR_TEXT[st]}\n`);
          return;
        }
        if (verbose) ctx.out(`${shown}${st.node.kind === 'dir' ? '/' : ''}\n`);
        if (st.node.kind === 'dir') {
          parts.push(header(`${shown.replace(/\/$/, '')}/`, 0, st.node.mode, '5', st.node.mtimeMs));
          const kids = ctx.sh.vfs.list(st.path);
          if (typeof kids !== 'string' && depth < 16) for (const k of kids) add(`${shown.replace(/\/$/, '')}/${k}`, `${st.path}/${k}`, depth + 1);
          return;
        }
        const d = ctx.sh.vfs.readFile(st.path);
        if (typeof d === 'string' || total + d.length > MAX_TAR_BYTES) return;
        total += d.length;
        parts.push(header(shown, d.length, st.node.mode, '0', st.node.mtimeMs), d, Buffer.alloc((512 - (d.length % 512)) % 512));
      };
      for (const r of rest) add(r.replace(/^\//, ''), ctx.sh.resolve(r), 0);
      parts.push(Buffer.alloc(1024));
      let archive = Buffer.concat(parts);
      if (gz) archive = gzipSync(archive);
      if (file === undefined || file === '-') ctx.out(archive);
      else {
        const e = ctx.sh.vfs.writeFile(ctx.sh.resolve(file), archive);
        if (e) {
          ctx.err(`tar: ${file}: Cannot open: ${FS_ERROR_TEXT[e]}\n`);
          return 2;
        }
      }
      return 0;
    }
    let raw: Buffer;
    if (file === undefined || file === '-') raw = ctx.stdin;
    else {
      const d = ctx.sh.vfs.readFile(ctx.sh.resolve(file));
      if (typeof d === 'string') {
        ctx.err(`tar: ${file}: Cannot open: ${FS_ERROR_TEXT[d]}\ntar: Error is not recoverable: exiting now\n`);
        return 2;
      }
      raw = d;
    }
    if (raw[0] === 0x1f && raw[1] === 0x8b) {
      try {
        raw = gunzipSync(raw, { maxOutputLength: MAX_TAR_BYTES });
      } catch {
        ctx.err('\ngzip: stdin: unexpected end of file\ntar: Child returned status 1\ntar: Error is not recoverable: exiting now\n');
        return 2;
      }
    }
    const members = readTar(raw);
    if (typeof members === 'string') {
      ctx.err(`tar: ${members}\ntar: Exiting with failure status due to previous errors\n`);
      return 2;
    }
    const base = dir ? ctx.sh.resolve(dir) : ctx.sh.cwd;
    for (const m of members) {
      if (mode[0] === 't') {
        ctx.out(verbose ? `${m.type === 'dir' ? 'd' : '-'}rw-r--r-- root/root ${String(m.data.length).padStart(8)} 2024-01-01 00:00 ${m.name}\n` : `${m.name}\n`);
        continue;
      }
      if (verbose) ctx.out(`${m.name}\n`);
      const path = ctx.sh.vfs.resolve(base, m.name.replace(/^\/+/, ''));
      if (m.type === 'dir') ctx.sh.vfs.mkdir(path, true);
      else if (m.type === 'link') ctx.sh.vfs.symlink(m.target, path);
      else {
        ctx.sh.vfs.mkdir(posix.dirname(path), true);
        const e = ctx.sh.vfs.writeFile(path, Buffer.from(m.data), { mode: m.mode });
        if (e) {
          ctx.err(`tar: ${m.name}: Cannot open: ${FS_ERROR_TEXT[e]}\n`);
          return 2;
        }
        if (m.data.length) ctx.sh.hooks.fileWritten?.(path, Buffer.from(m.data), 'tar');
      }
    }
    return 0;
  },
};

/** Grouped flags up to the first f or C (whose value follows): a search, as /[fC].*$/ was quadratic. */
function beforeFileOrDir(flags: string): string {
  const at = flags.search(/[fC]/);
  return at < 0 ? flags : flags.slice(0, at);
}
