// The virtual filesystem: an immutable base tree shared by every session, and a copy-on-write overlay
// per attacker holding what they wrote, deleted or changed, within quotas. Nothing touches the host's disk.
import { posix } from 'node:path';
import { procPidNames, procPidNode, type ProcSource } from './proc-pids.js';

export interface NodeMeta {
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
}
export interface VDir extends NodeMeta {
  kind: 'dir';
  /** The size the filesystem reports: 4096 (an ext4 block) when unset, 0 on /proc and /sys. */
  size?: number;
}
export interface VFile extends NodeMeta {
  kind: 'file';
  /** Fixed content. */
  data?: Buffer;
  /** Content made when read (/proc files, binaries). */
  generate?: (view?: ProcView) => Buffer | string;
  /** Size `ls` shows when the content is generated. */
  size?: number;
  /** The emulated command this file is the binary of. */
  command?: string;
  /** Device or other special file: `ls -l` shows the letter. */
  special?: 'c' | 'b' | 'p' | 's';
  /** A device's major and minor numbers, which `ls -l` shows in place of the size. */
  device?: readonly [number, number];
}
export interface VLink extends NodeMeta {
  kind: 'link';
  target: string;
}
export type VNode = VDir | VFile | VLink;

export type FsError = 'ENOENT' | 'ENOTDIR' | 'EISDIR' | 'EEXIST' | 'EACCES' | 'ENOSPC' | 'ENOTEMPTY' | 'ELOOP' | 'EINVAL' | 'EDQUOT' | 'ENAMETOOLONG';

/** strerror text as glibc prints it. */
export const FS_ERROR_TEXT: Record<FsError, string> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EEXIST: 'File exists',
  EACCES: 'Permission denied',
  ENOSPC: 'No space left on device',
  EDQUOT: 'Disk quota exceeded',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
  EINVAL: 'Invalid argument',
  ENAMETOOLONG: 'File name too long',
};

/** Symlinks followed while resolving one path, as Linux's MAXSYMLINKS. */
export const MAX_SYMLINK_HOPS = 40;
/** Longest path accepted (PATH_MAX); also how long a path may grow while symlinks are followed. */
export const MAX_PATH_CHARS = 4096;
/**
 * Longest symlink target in bytes: Linux refuses PATH_MAX or more (its count includes the NUL)
 * with ENAMETOOLONG. Targets count towards the overlay's byte quota, and a lookup re-reads them at
 * every hop, so an unbounded one made each lookup cost seconds and stayed in the overlay.
 */
export const MAX_SYMLINK_TARGET_BYTES = MAX_PATH_CHARS - 1;

/** What NODE costs in an overlay's byte quota: a file's content, a symlink's target. */
function quotaBytes(node: VNode | null | undefined): number {
  if (!node) return 0;
  if (node.kind === 'file') return node.data?.length ?? 0;
  if (node.kind === 'link') return Buffer.byteLength(node.target);
  return 0;
}

export class BaseFs {
  readonly nodes = new Map<string, VNode>();
  readonly children = new Map<string, Set<string>>();
  constructor() {
    this.nodes.set('/', { kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtimeMs: 0 });
  }
  /** Adds NODE at PATH, creating parent directories with DEFAULTS. */
  add(path: string, node: VNode): void {
    const parent = posix.dirname(path);
    if (!this.nodes.has(parent)) this.add(parent, { kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtimeMs: node.mtimeMs });
    this.nodes.set(path, node);
    let set = this.children.get(parent);
    if (!set) this.children.set(parent, (set = new Set()));
    set.add(posix.basename(path));
  }
}

export interface OverlayQuota {
  maxBytes: number;
  maxEntries: number;
}

/** What one attacker changed: nodes added or replaced, and null for deleted. Serialisable. */
/** A terminal login on the fake host (wtmp and lastlog's record); see logins.ts. */
export interface LoginRecord {
  user: string;
  /** The terminal without /dev/ (pts/0). */
  tty: string;
  /** The address the login came from. */
  from: string;
  startMs: number;
  /** When it ended; unset while it lasts (or when the session was never closed). */
  endMs?: number;
}

/** An attacker's own terminal logins kept in its overlay (the oldest go first). */
export const MAX_KEPT_LOGINS = 10;
/** Longest user, tty and address kept from a saved overlay. */
const MAX_LOGIN_FIELD_CHARS = 64;

/** Login records read back from a saved overlay: only well-formed ones, at most MAX_KEPT_LOGINS. */
function loginsFromJSON(v: unknown): LoginRecord[] {
  if (!Array.isArray(v)) return [];
  const out: LoginRecord[] = [];
  const text = (x: unknown): string | undefined => (typeof x === 'string' && x.length <= MAX_LOGIN_FIELD_CHARS ? x : undefined);
  for (const item of v.slice(-MAX_KEPT_LOGINS)) {
    if (!item || typeof item !== 'object') continue;
    const m = item as Record<string, unknown>;
    const user = text(m.user);
    const tty = text(m.tty);
    const from = text(m.from);
    // A saved overlay's sessions have all ended (it is saved when the last one does).
    if (user === undefined || tty === undefined || from === undefined || !Number.isSafeInteger(m.startMs) || !Number.isSafeInteger(m.endMs)) continue;
    out.push({ user, tty, from, startMs: m.startMs as number, endMs: m.endMs as number });
  }
  return out;
}

export class Overlay {
  readonly nodes = new Map<string, VNode | null>();
  readonly added = new Map<string, Set<string>>();
  bytes = 0;
  entries = 0;
  dirty = false;
  /** The attacker's own terminal logins, oldest first (see logins.ts). */
  logins: LoginRecord[] = [];
  constructor(readonly createdMs: number = Date.now()) {}

  /** Records a terminal login (keeping the newest MAX_KEPT_LOGINS); returns it to be ended later. */
  noteLogin(r: LoginRecord): LoginRecord {
    this.logins.push(r);
    if (this.logins.length > MAX_KEPT_LOGINS) this.logins.splice(0, this.logins.length - MAX_KEPT_LOGINS);
    this.dirty = true;
    return r;
  }

  toJSON(): unknown {
    const out: unknown[] = [];
    for (const [p, n] of this.nodes) {
      if (n === null) out.push([p, null]);
      else if (n.kind === 'file') out.push([p, { ...n, data: (n.data ?? Buffer.alloc(0)).toString('base64'), generate: undefined }]);
      else out.push([p, n]);
    }
    return { createdMs: this.createdMs, nodes: out, logins: this.logins };
  }

  static fromJSON(v: unknown, quota: OverlayQuota): Overlay | undefined {
    if (!v || typeof v !== 'object') return undefined;
    const o = v as { createdMs?: unknown; nodes?: unknown; logins?: unknown };
    if (typeof o.createdMs !== 'number' || !Array.isArray(o.nodes)) return undefined;
    const ov = new Overlay(o.createdMs);
    ov.logins = loginsFromJSON(o.logins);
    for (const item of o.nodes.slice(0, quota.maxEntries * 4)) {
      if (!Array.isArray(item) || typeof item[0] !== 'string') continue;
      const [p, n] = item as [string, unknown];
      if (n === null) {
        ov.set(p, null);
        continue;
      }
      if (!n || typeof n !== 'object') continue;
      const m = n as Record<string, unknown>;
      const meta = { mode: Number(m.mode) & 0o7777, uid: Number(m.uid) | 0, gid: Number(m.gid) | 0, mtimeMs: Number(m.mtimeMs) || 0 };
      if (m.kind === 'dir') ov.set(p, { kind: 'dir', ...meta });
      else if (m.kind === 'link' && typeof m.target === 'string') {
        // Overlays saved before targets were capped may hold longer ones: drop those.
        if (Buffer.byteLength(m.target) <= MAX_SYMLINK_TARGET_BYTES) ov.set(p, { kind: 'link', ...meta, target: m.target });
      } else if (m.kind === 'file' && typeof m.data === 'string') {
        const f: VFile = { kind: 'file', ...meta, data: Buffer.from(m.data, 'base64') };
        if (typeof m.command === 'string') f.command = m.command;
        ov.set(p, f);
      }
    }
    ov.dirty = false;
    return ov;
  }

  set(path: string, node: VNode | null): void {
    const old = this.nodes.get(path);
    this.bytes -= quotaBytes(old);
    if (old === undefined) this.entries++;
    this.nodes.set(path, node);
    this.bytes += quotaBytes(node);
    if (node) {
      const parent = posix.dirname(path);
      let set = this.added.get(parent);
      if (!set) this.added.set(parent, (set = new Set()));
      set.add(posix.basename(path));
    }
    this.dirty = true;
  }
}

export interface StatResult {
  path: string;
  node: VNode;
}

/** One session's view: base plus the attacker's overlay. Every method returns an FsError instead of throwing. */
/** What one session's /proc shows: its processes (/proc/PID), the one reading (/proc/self) and the newest pid. */
export interface ProcView extends ProcSource {
  /** The last pid handed out on the machine (/proc/loadavg's fifth field). */
  lastPid(): number;
  /** The process reading /proc/self: the command running, or the shell itself. */
  selfPid(): number;
}

export class Vfs {
  /** Set by the session's shell, so /proc/self and /proc/loadavg describe it. */
  proc: ProcView | undefined;

  constructor(
    readonly base: BaseFs,
    readonly overlay: Overlay,
    readonly quota: OverlayQuota,
    public uid = 0,
    readonly now: () => number = Date.now,
  ) {}

  /** Absolute, normalised form of PATH seen from CWD (no symlinks followed). */
  resolve(cwd: string, path: string): string {
    const joined = path.startsWith('/') ? path : `${cwd}/${path}`;
    const n = posix.normalize(joined.slice(0, MAX_PATH_CHARS));
    return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
  }

  private raw(path: string): VNode | undefined {
    if (this.proc && path.startsWith('/proc/')) {
      const n = procPidNode(path, this.proc);
      if (n !== undefined) return n ?? undefined;
      if (path === '/proc/self') return { kind: 'link', target: String(this.proc.selfPid()), mode: 0o777, uid: 0, gid: 0, mtimeMs: this.proc.machine.bootMs };
    }
    const o = this.overlay.nodes.get(path);
    if (o !== undefined) return o ?? undefined;
    return this.base.nodes.get(path);
  }

  /** Follows symlinks in every component; returns the real path, or an error. */
  realpath(path: string, followLast = true): string | FsError {
    let parts = path.split('/').filter(Boolean);
    let cur = '/';
    let hops = 0;
    for (let i = 0; i < parts.length; i++) {
      const next = cur === '/' ? `/${parts[i]}` : `${cur}/${parts[i]}`;
      const node = this.raw(next);
      if (!node) {
        if (i === parts.length - 1) return next;
        return 'ENOENT';
      }
      if (node.kind === 'link' && (followLast || i < parts.length - 1)) {
        if (++hops > MAX_SYMLINK_HOPS) return 'ELOOP';
        const target = node.target.startsWith('/') ? node.target : `${cur}/${node.target}`;
        const rest = parts.slice(i + 1).join('/');
        const joined = rest ? `${target}/${rest}` : target;
        // Each hop splices a target in front of the rest: past PATH_MAX the path is refused
        // rather than re-normalised ever longer at every hop.
        if (joined.length > MAX_PATH_CHARS) return 'ENAMETOOLONG';
        parts = posix.normalize(`/${joined}`).split('/').filter(Boolean);
        cur = '/';
        i = -1;
        continue;
      }
      if (i < parts.length - 1 && node.kind !== 'dir') return 'ENOTDIR';
      cur = next;
    }
    return cur;
  }

  stat(path: string, follow = true): StatResult | FsError {
    const real = this.realpath(path, follow);
    if (real.startsWith('/')) {
      const node = this.raw(real);
      return node ? { path: real, node } : 'ENOENT';
    }
    return real as FsError;
  }

  exists(path: string): boolean {
    return typeof this.stat(path) !== 'string';
  }

  isDir(path: string): boolean {
    const s = this.stat(path);
    return typeof s !== 'string' && s.node.kind === 'dir';
  }

  list(path: string): string[] | FsError {
    const s = this.stat(path);
    if (typeof s === 'string') return s;
    if (s.node.kind !== 'dir') return 'ENOTDIR';
    const names = new Set<string>([...(this.base.children.get(s.path) ?? []), ...(this.overlay.added.get(s.path) ?? []), ...((this.proc && procPidNames(s.path, this.proc)) ?? [])]);
    const prefix = s.path === '/' ? '/' : `${s.path}/`;
    return [...names].filter((n) => this.raw(prefix + n) !== undefined).sort();
  }

  readFile(path: string): Buffer | FsError {
    const s = this.stat(path);
    if (typeof s === 'string') return s;
    if (s.node.kind === 'dir') return 'EISDIR';
    if (s.node.kind !== 'file') return 'EINVAL';
    if (!this.canRead(s.node)) return 'EACCES';
    return contentOf(s.node, this.proc);
  }

  private canRead(n: VNode): boolean {
    if (this.uid === 0) return true;
    return n.uid === this.uid ? (n.mode & 0o400) !== 0 : (n.mode & 0o004) !== 0;
  }

  private canWriteDir(dirPath: string): FsError | undefined {
    const d = this.stat(dirPath);
    if (typeof d === 'string') return d;
    if (d.node.kind !== 'dir') return 'ENOTDIR';
    if (this.uid === 0) return undefined;
    const ok = d.node.uid === this.uid ? (d.node.mode & 0o200) !== 0 : (d.node.mode & 0o002) !== 0;
    return ok ? undefined : 'EACCES';
  }

  private fits(extraBytes: number, extraEntries: number): FsError | undefined {
    if (this.overlay.bytes + extraBytes > this.quota.maxBytes) return 'ENOSPC';
    if (this.overlay.entries + extraEntries > this.quota.maxEntries) return 'ENOSPC';
    return undefined;
  }

  /** Writes (or appends to) a regular file, creating it with MODE. */
  writeFile(path: string, data: Buffer, opts: { append?: boolean; mode?: number } = {}): FsError | undefined {
    const real = this.realpath(path);
    if (!real.startsWith('/')) return real as FsError;
    const existing = this.raw(real);
    if (existing?.kind === 'dir') return 'EISDIR';
    if (existing && existing.kind === 'file' && (existing.special === 'c' || existing.generate)) {
      // /dev/null and friends swallow writes; /proc files refuse them as the kernel does.
      return real.startsWith('/dev/') ? undefined : 'EACCES';
    }
    const perm = this.canWriteDir(posix.dirname(real));
    if (perm) return perm;
    const prev = opts.append && existing?.kind === 'file' ? contentOf(existing) : Buffer.alloc(0);
    const oldOverlayBytes = (() => {
      const o = this.overlay.nodes.get(real);
      return o && o.kind === 'file' ? (o.data?.length ?? 0) : 0;
    })();
    // Check the quota before building the new content, so appending to a full file costs nothing.
    const full = this.fits(prev.length + data.length - oldOverlayBytes, this.overlay.nodes.has(real) ? 0 : 1);
    if (full) return full;
    const content = prev.length ? Buffer.concat([prev, data]) : data;
    const meta = existing && existing.kind === 'file' ? existing : { mode: opts.mode ?? 0o644, uid: this.uid, gid: this.uid };
    this.overlay.set(real, { kind: 'file', mode: meta.mode, uid: meta.uid, gid: meta.gid, mtimeMs: this.now(), data: content });
    return undefined;
  }

  mkdir(path: string, parents = false): FsError | undefined {
    const abs = this.resolve('/', path);
    if (this.raw(abs)) return parents && this.isDir(abs) ? undefined : 'EEXIST';
    const parent = posix.dirname(abs);
    if (!this.exists(parent)) {
      if (!parents) return 'ENOENT';
      const e = this.mkdir(parent, true);
      if (e) return e;
    }
    const perm = this.canWriteDir(parent);
    if (perm) return perm;
    const full = this.fits(0, 1);
    if (full) return full;
    const real = this.realpath(parent);
    if (!real.startsWith('/')) return real as FsError;
    this.overlay.set(real === '/' ? `/${posix.basename(abs)}` : `${real}/${posix.basename(abs)}`, { kind: 'dir', mode: 0o755, uid: this.uid, gid: this.uid, mtimeMs: this.now() });
    return undefined;
  }

  /** Removes PATH (a directory only when RECURSIVE, or when empty with DIR_OK). */
  remove(path: string, recursive: boolean, dirOk = false): FsError | undefined {
    const real = this.realpath(path, false);
    if (!real.startsWith('/')) return real as FsError;
    const node = this.raw(real);
    if (!node) return 'ENOENT';
    const perm = this.canWriteDir(posix.dirname(real));
    if (perm) return perm;
    if (node.kind === 'dir') {
      const kids = this.list(real);
      if (typeof kids === 'string') return kids;
      if (!recursive) {
        if (!dirOk) return 'EISDIR';
        if (kids.length) return 'ENOTEMPTY';
      }
      for (const k of kids) {
        const e = this.remove(real === '/' ? `/${k}` : `${real}/${k}`, true);
        if (e) return e;
      }
    }
    if (this.overlay.entries + 1 > this.quota.maxEntries && !this.overlay.nodes.has(real)) return 'ENOSPC';
    if (this.base.nodes.has(real)) this.overlay.set(real, null);
    else {
      this.overlay.bytes -= quotaBytes(this.overlay.nodes.get(real));
      this.overlay.nodes.delete(real);
      this.overlay.entries = Math.max(0, this.overlay.entries - 1);
      this.overlay.added.get(posix.dirname(real))?.delete(posix.basename(real));
      this.overlay.dirty = true;
    }
    return undefined;
  }

  /** Copies a file or (RECURSIVE) a tree. */
  copy(from: string, to: string, recursive: boolean): FsError | undefined {
    const s = this.stat(from);
    if (typeof s === 'string') return s;
    let dest = to;
    if (this.isDir(to)) dest = `${this.resolve('/', to)}/${posix.basename(s.path)}`;
    if (s.node.kind === 'dir') {
      if (!recursive) return 'EISDIR';
      if (dest === s.path || dest.startsWith(`${s.path}/`)) return 'EINVAL';
      const e = this.mkdir(dest);
      if (e && e !== 'EEXIST') return e;
      const kids = this.list(s.path);
      if (typeof kids === 'string') return kids;
      for (const k of kids) {
        const e2 = this.copy(`${s.path}/${k}`, `${dest}/${k}`, true);
        if (e2) return e2;
      }
      return undefined;
    }
    const data = this.readFile(s.path);
    if (typeof data === 'string') return data;
    const e = this.writeFile(dest, data, { mode: s.node.mode });
    if (e) return e;
    if (s.node.kind === 'file' && s.node.command) {
      const made = this.stat(dest);
      if (typeof made !== 'string' && made.node.kind === 'file') made.node.command = s.node.command;
    }
    return undefined;
  }

  rename(from: string, to: string): FsError | undefined {
    const s = this.stat(from, false);
    if (typeof s === 'string') return s;
    let dest = this.resolve('/', to);
    if (this.isDir(dest)) dest = `${dest === '/' ? '' : dest}/${posix.basename(s.path)}`;
    if (dest === s.path) return undefined;
    if (s.node.kind === 'link') {
      const perm = this.canWriteDir(posix.dirname(dest));
      if (perm) return perm;
      this.overlay.set(dest, { ...s.node });
    } else {
      const e = this.copy(s.path, dest, true);
      if (e) return e;
    }
    return this.remove(s.path, true);
  }

  symlink(target: string, path: string): FsError | undefined {
    const bytes = Buffer.byteLength(target);
    if (bytes > MAX_SYMLINK_TARGET_BYTES) return 'ENAMETOOLONG';
    if (this.raw(path)) return 'EEXIST';
    const perm = this.canWriteDir(posix.dirname(path));
    if (perm) return perm;
    const full = this.fits(bytes, 1);
    if (full) return full;
    this.overlay.set(path, { kind: 'link', target, mode: 0o777, uid: this.uid, gid: this.uid, mtimeMs: this.now() });
    return undefined;
  }

  /** Changes metadata by copying the node into the overlay. */
  update(path: string, change: Partial<NodeMeta>): FsError | undefined {
    const s = this.stat(path);
    if (typeof s === 'string') return s;
    if (this.uid !== 0 && s.node.uid !== this.uid) return 'EACCES';
    if (!this.overlay.nodes.has(s.path)) {
      const full = this.fits(s.node.kind === 'file' ? contentOf(s.node).length : 0, 1);
      if (full) return full;
    }
    const copy = { ...s.node, ...change } as VNode;
    if (copy.kind === 'file' && copy.generate && !copy.command && !copy.special) {
      copy.data = contentOf(copy);
      delete copy.generate;
    }
    this.overlay.set(s.path, copy);
    return undefined;
  }
}

export function contentOf(f: VFile, view?: ProcView): Buffer {
  if (f.data) return f.data;
  if (f.generate) {
    const g = f.generate(view);
    return typeof g === 'string' ? Buffer.from(g) : g;
  }
  return Buffer.alloc(0);
}

export function sizeOf(n: VNode): number {
  if (n.kind === 'dir') return n.size ?? 4096;
  if (n.kind === 'link') return n.target.length;
  if (n.special) return 0;
  if (n.data) return n.data.length;
  if (n.size !== undefined) return n.size;
  return contentOf(n).length;
}
