// An SFTP server over the attacker's view of the fake filesystem (ssh2 does the protocol). Uploads
// land in the virtual filesystem and in quarantine with a file.upload event; reads, listings,
// stat, mkdir, remove and rename work as on a real server. Handles and upload sizes are capped.
import { posix } from 'node:path';
import ssh2 from 'ssh2';
import type { SFTPWrapper } from 'ssh2';
import type { ShellSession } from '../shell/session.js';
import { sizeOf, type VNode } from '../shell/vfs.js';
import { emptySparseFile, sparseBytes, withinSparseAllowance, writeSparse, type SparseFile } from '../runtime/sparse-file.js';
import { modeString, lsTime, userName, groupName } from '../shell/commands/util.js';

const { STATUS_CODE, OPEN_MODE } = ssh2.utils.sftp;

/** Open handles one SFTP session may hold. */
export const MAX_SFTP_HANDLES = 64;
/** Largest single upload kept (beyond it the file is cut and reported truncated). */
export const MAX_SFTP_UPLOAD_BYTES = 64 * 1024 * 1024;
/**
 * What all of one session's open uploads may hold together, counted by how far each file reaches
 * (gaps included): MAX_SFTP_HANDLES uploads of MAX_SFTP_UPLOAD_BYTES each would be 4 GiB.
 */
export const MAX_SFTP_SESSION_UPLOAD_BYTES = 64 * 1024 * 1024;

type Handle =
  | { kind: 'write'; path: string; file: SparseFile; truncated: boolean }
  | { kind: 'read'; path: string; data: Buffer }
  | { kind: 'dir'; path: string; names: string[] | undefined };

function attrsOf(n: VNode): { mode: number; uid: number; gid: number; size: number; atime: number; mtime: number } {
  const type = n.kind === 'dir' ? 0o040000 : n.kind === 'link' ? 0o120000 : 0o100000;
  const t = Math.floor(n.mtimeMs / 1000);
  return { mode: type | n.mode, uid: n.uid, gid: n.gid, size: sizeOf(n), atime: t, mtime: t };
}

export interface SftpUpload {
  path: string;
  data: Buffer;
  truncated: boolean;
}

export function serveSftp(sftp: SFTPWrapper, session: ShellSession, onUpload: (u: SftpUpload) => void): void {
  const sh = session.shell;
  const vfs = sh.vfs;
  const handles = new Map<number, Handle>();
  /** Bytes the open uploads reach in all (see MAX_SFTP_SESSION_UPLOAD_BYTES). */
  let uploading = 0;
  let nextHandle = 1;
  const abs = (p: string): string => vfs.resolve(sh.user.home, p || '.');
  const newHandle = (h: Handle): Buffer | undefined => {
    if (handles.size >= MAX_SFTP_HANDLES) return undefined;
    const id = nextHandle++;
    handles.set(id, h);
    const b = Buffer.alloc(4);
    b.writeUInt32BE(id);
    return b;
  };
  const get = (b: Buffer): [number, Handle | undefined] => {
    if (b.length !== 4) return [0, undefined];
    const id = b.readUInt32BE(0);
    return [id, handles.get(id)];
  };
  const fail = (id: number, e: string): void => {
    sftp.status(id, e === 'ENOENT' || e === 'ENOTDIR' ? STATUS_CODE.NO_SUCH_FILE : e === 'EACCES' ? STATUS_CODE.PERMISSION_DENIED : STATUS_CODE.FAILURE, e === 'ENOENT' ? 'No such file' : e === 'EACCES' ? 'Permission denied' : 'Failure');
  };
  const longname = (name: string, n: VNode): string => `${modeString(n)}    1 ${userName(n.uid, sh).padEnd(8)} ${groupName(n.gid, sh).padEnd(8)} ${String(sizeOf(n)).padStart(8)} ${lsTime(n.mtimeMs, sh.now())} ${name}`;

  sftp.on('REALPATH', (id: number, p: string) => {
    const path = abs(p);
    sftp.name(id, [{ filename: path, longname: path, attrs: {} as never }]);
  });
  const statLike = (follow: boolean) => (id: number, p: string) => {
    const st = vfs.stat(abs(p), follow);
    if (typeof st === 'string') return fail(id, st);
    sftp.attrs(id, attrsOf(st.node) as never);
  };
  sftp.on('STAT', statLike(true));
  sftp.on('LSTAT', statLike(false));
  sftp.on('FSTAT', (id: number, hb: Buffer) => {
    const [, h] = get(hb);
    if (!h) return sftp.status(id, STATUS_CODE.FAILURE);
    if (h.kind === 'write') return sftp.attrs(id, { mode: 0o100644, uid: sh.user.uid, gid: sh.user.gid, size: h.file.size, atime: 0, mtime: Math.floor(sh.now() / 1000) } as never);
    statLike(true)(id, h.path);
  });
  sftp.on('OPEN', (id: number, filename: string, flags: number) => {
    const path = abs(filename);
    if (flags & OPEN_MODE.WRITE) {
      const probe = vfs.writeFile(path, Buffer.alloc(0), { append: !(flags & OPEN_MODE.TRUNC) });
      if (probe) return fail(id, probe);
      const h = newHandle({ kind: 'write', path, file: emptySparseFile(), truncated: false });
      return h ? sftp.handle(id, h) : sftp.status(id, STATUS_CODE.FAILURE);
    }
    const data = vfs.readFile(path);
    if (typeof data === 'string') return fail(id, data);
    const h = newHandle({ kind: 'read', path, data });
    return h ? sftp.handle(id, h) : sftp.status(id, STATUS_CODE.FAILURE);
  });
  sftp.on('WRITE', (id: number, hb: Buffer, offset: number, data: Buffer) => {
    const [, h] = get(hb);
    if (!h || h.kind !== 'write') return sftp.status(id, STATUS_CODE.FAILURE);
    // How far this file may reach: the upload limit, and no more growth than the session has left.
    // (Each write used to be kept as its own piece: 30,000 writes at distinct offsets held 983 MB.)
    const reach = Math.min(MAX_SFTP_UPLOAD_BYTES, h.file.size + MAX_SFTP_SESSION_UPLOAD_BYTES - uploading);
    if (offset + data.length > reach || !withinSparseAllowance(h.file, offset, data.length)) {
      h.truncated = true;
      return sftp.status(id, STATUS_CODE.OK);
    }
    const before = h.file.size;
    writeSparse(h.file, offset, data, reach);
    uploading += h.file.size - before;
    sftp.status(id, STATUS_CODE.OK);
  });
  sftp.on('READ', (id: number, hb: Buffer, offset: number, length: number) => {
    const [, h] = get(hb);
    if (!h || h.kind !== 'read') return sftp.status(id, STATUS_CODE.FAILURE);
    if (offset >= h.data.length) return sftp.status(id, STATUS_CODE.EOF);
    sftp.data(id, h.data.subarray(offset, offset + Math.min(length, 256 * 1024)));
  });
  sftp.on('CLOSE', (id: number, hb: Buffer) => {
    const [hid, h] = get(hb);
    if (!h) return sftp.status(id, STATUS_CODE.FAILURE);
    handles.delete(hid);
    if (h.kind === 'write') {
      uploading -= h.file.size;
      const buf = Buffer.from(sparseBytes(h.file));
      const e = vfs.writeFile(h.path, buf);
      onUpload({ path: h.path, data: buf, truncated: h.truncated });
      if (e) return fail(id, e === 'ENOSPC' ? 'ENOSPC' : e);
    }
    sftp.status(id, STATUS_CODE.OK);
  });
  sftp.on('OPENDIR', (id: number, p: string) => {
    const path = abs(p);
    const list = vfs.list(path);
    if (typeof list === 'string') return fail(id, list);
    const h = newHandle({ kind: 'dir', path, names: ['.', '..', ...list] });
    return h ? sftp.handle(id, h) : sftp.status(id, STATUS_CODE.FAILURE);
  });
  sftp.on('READDIR', (id: number, hb: Buffer) => {
    const [, h] = get(hb);
    if (!h || h.kind !== 'dir') return sftp.status(id, STATUS_CODE.FAILURE);
    if (!h.names || h.names.length === 0) return sftp.status(id, STATUS_CODE.EOF);
    const batch = h.names.splice(0, 100);
    const entries = batch.flatMap((n) => {
      const st = vfs.stat(n === '.' ? h.path : n === '..' ? posix.dirname(h.path) : `${h.path === '/' ? '' : h.path}/${n}`, false);
      return typeof st === 'string' ? [] : [{ filename: n, longname: longname(n, st.node), attrs: attrsOf(st.node) as never }];
    });
    sftp.name(id, entries);
  });
  sftp.on('MKDIR', (id: number, p: string) => {
    const e = vfs.mkdir(abs(p));
    e ? fail(id, e) : sftp.status(id, STATUS_CODE.OK);
  });
  sftp.on('RMDIR', (id: number, p: string) => {
    const e = vfs.remove(abs(p), false, true);
    e ? fail(id, e) : sftp.status(id, STATUS_CODE.OK);
  });
  sftp.on('REMOVE', (id: number, p: string) => {
    const e = vfs.remove(abs(p), false);
    e ? fail(id, e) : sftp.status(id, STATUS_CODE.OK);
  });
  sftp.on('RENAME', (id: number, a: string, b: string) => {
    const e = vfs.rename(abs(a), abs(b));
    e ? fail(id, e) : sftp.status(id, STATUS_CODE.OK);
  });
  const setstat = (id: number, path: string, attrs: { mode?: number }): void => {
    if (attrs.mode !== undefined) vfs.update(path, { mode: attrs.mode & 0o7777 });
    sftp.status(id, STATUS_CODE.OK);
  };
  sftp.on('SETSTAT', (id: number, p: string, attrs: { mode?: number }) => setstat(id, abs(p), attrs));
  sftp.on('FSETSTAT', (id: number, hb: Buffer, attrs: { mode?: number }) => {
    const [, h] = get(hb);
    if (!h) return sftp.status(id, STATUS_CODE.FAILURE);
    if (h.kind === 'write') return sftp.status(id, STATUS_CODE.OK);
    setstat(id, h.path, attrs);
  });
  sftp.on('READLINK', (id: number, p: string) => {
    const st = vfs.stat(abs(p), false);
    if (typeof st === 'string') return fail(id, st);
    if (st.node.kind !== 'link') return sftp.status(id, STATUS_CODE.FAILURE);
    sftp.name(id, [{ filename: st.node.target, longname: st.node.target, attrs: {} as never }]);
  });
  sftp.on('SYMLINK', (id: number, link: string, target: string) => {
    const e = vfs.symlink(target, abs(link));
    e ? fail(id, e) : sftp.status(id, STATUS_CODE.OK);
  });
}
