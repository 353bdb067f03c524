// The FTP decoy's file tree: a few directories and files (with registered honeytokens), path
// resolution confined to the tree, and directory listings as vsftpd 3.0.3 writes them (ls.c).
import { createHash } from 'node:crypto';
import type { HoneytokenRegistry } from '../runtime/honeytokens.js';
import { ALNUM } from '../runtime/honeytokens.js';
import { filterMatches } from './command.js';
import { daemonAccounts, type HostFile } from '../runtime/host.js';

/** Longest path argument resolved. */
export const MAX_PATH_CHARS = 1024;
/** Path components followed. */
export const MAX_PATH_DEPTH = 64;
/**
 * The ftp account's ids without a host description: those the fake shell's /etc/passwd gives the
 * vsftpd package's ftp user (see daemonAccounts). vsftpd lists ids as numbers (text_userdb_names=NO).
 */
const FTP_ACCOUNT: Readonly<Owner> = (() => {
  const a = daemonAccounts([{ kind: 'vsftpd' }])[0]!;
  return { uid: a.uid, gid: a.gid };
})();
/** A local (named) user's ids: the first account Debian's installer makes. */
export const LOCAL_UID = 1000;
export const LOCAL_GID = 1000;
/** vsftpd's date rule: older than this (or in the future) shows the year, not the time. */
export const RECENT_SECONDS = 60 * 60 * 24 * 182;

export interface FakeFile {
  kind: 'file';
  content: Buffer;
  mtime: Date;
}
export interface FakeDir {
  kind: 'dir';
  entries: Map<string, FakeNode>;
  mtime: Date;
  /** Set when the ftp account owns it, so anonymous uploads (anon_upload_enable) may create files in it. */
  owner?: Owner;
}
export interface Owner {
  uid: number;
  gid: number;
}
export type FakeNode = FakeFile | FakeDir;

const dir = (mtime: Date, entries: [string, FakeNode][] = [], owner?: Owner): FakeDir => ({ kind: 'dir', entries: new Map(entries), mtime, ...(owner ? { owner } : {}) });
const file = (mtime: Date, content: string | Buffer): FakeFile => ({ kind: 'file', content: Buffer.isBuffer(content) ? content : Buffer.from(content), mtime });

/** Deterministic bytes that look like a firmware image. */
function pseudoBinary(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let i = 0; i < size; i += 32) {
    block.copy(out, i, 0, Math.min(32, size - i));
    block = createHash('sha256').update(block).digest();
  }
  out.write('HDR0', 0, 'latin1');
  return out;
}

/** Builds the tree, registering the credentials it contains; FTP owns the upload directory. */
export function buildFakeTree(reg: HoneytokenRegistry, hostName: string, ftp: Owner = FTP_ACCOUNT): FakeDir {
  const t = (d: string): Date => new Date(`${d}T09:14:00Z`);
  const svcPassword = reg.derive('ftp:svc-password', ALNUM, 14);
  reg.plant({ service: 'ftp', kind: 'device', username: 'admin', secret: svcPassword, host: 'core-rtr-01', location: '/backup/router-config.txt' });
  reg.plant({ service: 'ftp', kind: 'ssh', username: 'svc_backup', secret: svcPassword, location: '/backup/users.csv' });
  const vpnPassword = reg.plant({ service: 'ftp', kind: 'device', username: 'isakmp', secret: reg.derive('ftp:vpn-password', ALNUM, 12), host: 'core-rtr-01', location: '/backup/router-config.txt' });
  return dir(t('2023-06-01'), [
    ['pub', dir(t('2023-11-20'), [
      ['README', file(t('2023-06-01'), `Welcome to the ${hostName} FTP archive.\r\nFirmware images are in /pub/firmware. Uploads go to /upload.\r\n`)],
      ['firmware', dir(t('2024-01-15'), [['fw-3.2.1.bin', file(t('2024-01-15'), pseudoBinary('fw-3.2.1', 65536))]])],
    ])],
    ['upload', dir(t('2024-02-02'), [], ftp)],
    ['backup', dir(t('2024-02-10'), [
      ['router-config.txt', file(t('2024-02-10'), `! backup of core router, do not share\r\nhostname core-rtr-01\r\nusername admin privilege 15 secret ${svcPassword}\r\nsnmp-server community ${vpnPassword.toLowerCase()} RO\r\ncrypto isakmp key ${vpnPassword} address 0.0.0.0 0.0.0.0\r\n`)],
      ['users.csv', file(t('2024-02-10'), `login,full_name,password\r\nsvc_backup,Backup Service,${svcPassword}\r\n`)],
    ])],
  ]);
}

/** Resolves ARG against CWD (both absolute within the tree). Returns the normalised path, never above "/". */
export function resolvePath(cwd: string, arg: string): string | undefined {
  const a = arg.slice(0, MAX_PATH_CHARS);
  const parts = (a.startsWith('/') ? a : `${cwd}/${a}`).split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
    if (out.length > MAX_PATH_DEPTH) return undefined;
  }
  return `/${out.join('/')}`;
}

export function lookup(root: FakeDir, path: string): FakeNode | undefined {
  let node: FakeNode = root;
  for (const p of path.split('/').filter(Boolean)) {
    if (node.kind !== 'dir') return undefined;
    const next: FakeNode | undefined = node.entries.get(p);
    if (!next) return undefined;
    node = next;
  }
  return node;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** What a listing line shows of an entry (vsftpd's build_dir_line takes these from lstat()). */
export interface EntryStat {
  kind: 'file' | 'dir';
  /** "drwxr-xr-x", "-rw-------", ... */
  mode: string;
  links: number;
  uid: number;
  gid: number;
  size: number;
  mtime: Date;
}

/**
 * The stat of a tree node: directories are 755 with 2 + subdirectories links; files 644, root's.
 * MTIME, when given, replaces the node's (a directory a session has created files in).
 */
export function statOf(node: FakeNode, mtime?: Date): EntryStat {
  if (node.kind === 'file') return { kind: 'file', mode: '-rw-r--r--', links: 1, uid: 0, gid: 0, size: node.content.length, mtime: node.mtime };
  let subdirs = 0;
  for (const e of node.entries.values()) if (e.kind === 'dir') subdirs++;
  return { kind: 'dir', mode: 'drwxr-xr-x', links: 2 + subdirs, uid: node.owner?.uid ?? 0, gid: node.owner?.gid ?? 0, size: 4096, mtime: mtime ?? node.mtime };
}

/** Every node of ROOT as files at AT on the host ("" for paths below the FTP root), parents first, with the ids and modes its listings show. */
export function treeEntries(root: FakeDir, at = ''): HostFile[] {
  const out: HostFile[] = [];
  const walk = (node: FakeNode, path: string): void => {
    if (node.kind === 'file') {
      out.push({ path, kind: 'file', mode: 0o644, uid: 0, gid: 0, mtimeMs: node.mtime.getTime(), data: node.content });
      return;
    }
    out.push({ path, kind: 'dir', mode: 0o755, uid: node.owner?.uid ?? 0, gid: node.owner?.gid ?? 0, mtimeMs: node.mtime.getTime() });
    for (const [name, child] of node.entries) walk(child, `${path}/${name}`);
  };
  walk(root, at);
  return out;
}

/** vsftpd's listing date: "%b %d %H:%M" within half a year, else "%b %d  %Y" (the day zero-padded). */
export function listDate(m: Date, now: Date): string {
  const age = Math.floor(now.getTime() / 1000) - Math.floor(m.getTime() / 1000);
  const day = `${MONTHS[m.getUTCMonth()]} ${String(m.getUTCDate()).padStart(2, '0')}`;
  if (age < 0 || age > RECENT_SECONDS) return `${day}  ${m.getUTCFullYear()}`;
  return `${day} ${String(m.getUTCHours()).padStart(2, '0')}:${String(m.getUTCMinutes()).padStart(2, '0')}`;
}

/** One `ls -l` line as vsftpd writes it: links padded to 4, ids left-aligned in 8, size right-aligned in 8. */
export function listLine(name: string, st: EntryStat, now: Date): string {
  return `${st.mode} ${String(st.links).padStart(4, ' ')} ${String(st.uid).padEnd(8, ' ')} ${String(st.gid).padEnd(8, ' ')} ${String(st.size).padStart(8, ' ')} ${listDate(st.mtime, now)} ${name}`;
}

/** "~" and "~/x" are the home directory, "/" for every login here (vsftpd's resolve_tilde; "~/x" keeps its "//"). */
export function resolveTilde(arg: string): string {
  return arg.startsWith('~') && (arg.length === 1 || arg[1] === '/') ? `/${arg.slice(1)}` : arg;
}

export interface Listing {
  /** False when the directory to list could not be opened ("226 Transfer done (but failed to open directory)."). */
  opened: boolean;
  lines: string[];
}

/**
 * LIST, NLST and STAT-with-argument as vsftpd's handle_dir_common and vsf_ls_populate_dir_list do
 * them. ARG is "[-options] [filter]" (options only first: "ls -a .." lists, "ls .. -a" filters on
 * ".. -a"); a filter naming a directory lists it, one with a "/" splits into directory and pattern.
 * Options: a (dot entries), l (long lines for NLST), r, t (newest first), F (NLST marks directories).
 * NLST names carry the directory as given ("pub/README"). EXTRA holds files this session added,
 * by absolute path, and DIR_MTIMES the directories it changed so.
 */
export function listDirectory(
  root: FakeDir,
  cwd: string,
  arg: string,
  opts: { longLines: boolean; statCommand: boolean; now: Date; extra?: ReadonlyMap<string, EntryStat>; dirMtimes?: ReadonlyMap<string, Date> },
): Listing {
  let options = '';
  let filter = '';
  let dirName = '.';
  if (arg.startsWith('-')) {
    const sp = arg.indexOf(' ');
    options = sp < 0 ? arg.slice(1) : arg.slice(1, sp);
    filter = sp < 0 ? '' : arg.slice(sp + 1);
  } else filter = arg;
  if (filter !== '') {
    filter = resolveTilde(filter);
    const asDir = resolvePath(cwd, filter);
    if (asDir !== undefined && lookup(root, asDir)?.kind === 'dir') {
      dirName = filter;
      filter = '';
    } else if (filter.includes('/')) {
      const cut = filter.lastIndexOf('/');
      dirName = filter.slice(0, cut) || '/';
      filter = filter.slice(cut + 1);
    }
  }
  if (opts.statCommand) options += 'a';
  const dirPath = resolvePath(cwd, dirName);
  const node = dirPath === undefined ? undefined : lookup(root, dirPath);
  if (dirPath === undefined || node?.kind !== 'dir') return { opened: false, lines: [] };
  const all = options.includes('a');
  const long = opts.longLines || options.includes('l');
  const byTime = options.includes('t');
  const reverse = options.includes('r') !== byTime;
  const mark = options.includes('F');
  const parentPath = resolvePath(dirPath, '..') ?? '/';
  const parent = lookup(root, parentPath);
  const prefixPath = dirPath === '/' ? '/' : `${dirPath}/`;
  const changed = (path: string): Date | undefined => opts.dirMtimes?.get(path);
  const entries: [string, EntryStat][] = [];
  if (all) {
    entries.push(['.', statOf(node, changed(dirPath))]);
    entries.push(['..', parent?.kind === 'dir' ? statOf(parent, changed(parentPath)) : statOf(node, changed(dirPath))]);
  }
  for (const [name, child] of node.entries) entries.push([name, statOf(child, changed(`${prefixPath}${name}`))]);
  for (const [path, st] of opts.extra ?? []) {
    if (path.startsWith(prefixPath) && !path.slice(prefixPath.length).includes('/') && !node.entries.has(path.slice(prefixPath.length))) entries.push([path.slice(prefixPath.length), st]);
  }
  const base = dirName === '.' ? '' : dirName.endsWith('/') ? dirName : `${dirName}/`;
  const shown = entries.filter(([name]) => (all || !name.startsWith('.')) && (filter === '' || filter === '*' || filterMatches(name, filter)));
  const key = ([name, st]: [string, EntryStat]): string => (byTime ? String(Math.floor(st.mtime.getTime() / 1000)).padStart(16, '0') : name);
  shown.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  if (reverse) shown.reverse();
  const lines = shown.map(([name, st]) => (long ? listLine(name, st, opts.now) : `${base}${name}${mark && st.kind === 'dir' ? '/' : ''}`));
  return { opened: true, lines };
}

/** MDTM's YYYYMMDDHHMMSS (RFC 3659 3). */
export function mdtm(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
