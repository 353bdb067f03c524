// stat: GNU coreutils 9.1's default report (and -c with the common % sequences) for the fake files.
import { createHash } from 'node:crypto';
import type { CommandDef, ShellApi } from '../types.js';
import { FS_ERROR_TEXT, sizeOf, type VNode } from '../vfs.js';
import { dateTime, groupName, linkCount, modeString, parseOpts, userName } from './util.js';

/** Longest -c format stat expands. */
const MAX_FORMAT_CHARS = 1024;

/** The filesystem PATH lives on, as stat's Device field: major,minor. */
function deviceOf(sh: ShellApi, path: string): string {
  if (path === '/proc' || path.startsWith('/proc/')) return '0,21';
  if (path === '/sys' || path.startsWith('/sys/')) return '0,20';
  if (path === '/dev' || path.startsWith('/dev/')) return path.startsWith('/dev/pts') ? '0,24' : '0,5';
  if (path === '/run' || path.startsWith('/run/')) return '0,25';
  return sh.profile.disk.device.includes('vd') ? '254,1' : '8,1';
}

/** A stable inode per path (the root directory's is 2, as on ext4). */
function inodeOf(sh: ShellApi, path: string): number {
  if (path === '/') return 2;
  const h = createHash('sha256').update(`${sh.profile.seed}:${path}`).digest().readUInt32LE(0);
  return path.startsWith('/proc') || path.startsWith('/sys') || path.startsWith('/dev') ? 1 + (h % 40_000) : 12 + (h % 2_600_000);
}

/** A stat time: the node's second, with nanoseconds fixed per path (the fake clock keeps ms only). */
function timeText(ms: number, path: string): string {
  const ns = String(createHash('sha256').update(path).digest().readUInt32LE(4) % 1_000_000_000).padStart(9, '0');
  return `${dateTime(ms)}.${ns} +0000`;
}

function typeText(n: VNode, size: number): string {
  if (n.kind === 'dir') return 'directory';
  if (n.kind === 'link') return 'symbolic link';
  if (n.special === 'c') return 'character special file';
  return size === 0 ? 'regular empty file' : 'regular file';
}

export const stat: CommandDef = {
  names: ['stat'],
  run(ctx) {
    const sh = ctx.sh;
    const o = parseOpts(ctx.args, ['c', 'format', 'printf']);
    const format = (o.values.get('c') ?? o.values.get('format'))?.slice(0, MAX_FORMAT_CHARS);
    const follow = o.flags.has('L') || o.flags.has('dereference');
    if (!o.rest.length) {
      ctx.err("stat: missing operand\nTry 'stat --help' for more information.\n");
      return 1;
    }
    let status = 0;
    for (const name of o.rest) {
      const path = sh.resolve(name);
      const st = sh.vfs.stat(path, follow);
      if (typeof st === 'string') {
        ctx.err(`stat: cannot statx '${name}': ${FS_ERROR_TEXT[st]}\n`);
        status = 1;
        continue;
      }
      const n = st.node;
      const size = n.kind === 'file' && n.generate && !n.data && !n.command ? 0 : sizeOf(n);
      const blocks = n.kind === 'link' ? 0 : Math.ceil(size / 4096) * 8;
      const links = linkCount(sh.vfs, st.path, n);
      const mode = (n.mode & 0o7777).toString(8).padStart(4, '0');
      const perm = modeString(n).slice(0, 10);
      const user = userName(n.uid, sh);
      const group = groupName(n.gid, sh);
      const when = timeText(n.mtimeMs, st.path);
      if (format !== undefined) {
        const fields: Record<string, string> = { n: name, N: n.kind === 'link' ? `'${name}' -> '${n.target}'` : `'${name}'`, s: String(size), b: String(blocks), F: typeText(n, size), a: (n.mode & 0o7777).toString(8), A: perm, u: String(n.uid), U: user, g: String(n.gid), G: group, h: String(links), i: String(inodeOf(sh, st.path)), y: when, Y: String(Math.floor(n.mtimeMs / 1000)), x: when, X: String(Math.floor(n.mtimeMs / 1000)), z: when, Z: String(Math.floor(n.mtimeMs / 1000)), '%': '%' };
        ctx.out(`${format.replace(/%(.)/g, (m, c: string) => fields[c] ?? m)}\n`);
        continue;
      }
      const device = n.kind === 'file' && n.device ? ` Device type: ${n.device[0]},${n.device[1]}` : '';
      ctx.out(
        `  File: ${n.kind === 'link' ? `${name} -> ${n.target}` : name}\n` +
          `  Size: ${String(size).padEnd(10)}\tBlocks: ${String(blocks).padEnd(10)} IO Block: ${n.kind === 'file' && n.special ? '4096  ' : path.startsWith('/proc') ? '1024  ' : '4096  '} ${typeText(n, size)}\n` +
          `Device: ${deviceOf(sh, st.path)}\tInode: ${String(inodeOf(sh, st.path)).padEnd(10)}  Links: ${device ? String(links).padEnd(5) : links}${device}\n` +
          `Access: (${mode}/${perm})  Uid: (${String(n.uid).padStart(5)}/${user.padStart(8)})   Gid: (${String(n.gid).padStart(5)}/${group.padStart(8)})\n` +
          `Access: ${when}\nModify: ${when}\nChange: ${when}\n Birth: ${when}\n`,
      );
    }
    return status;
  },
};
