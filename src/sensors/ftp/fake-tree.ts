// The FTP decoy's file tree: a few directories and files (with registered honeytokens), path
// resolution confined to the tree, and directory listings in vsftpd's format.
import { createHash } from 'node:crypto';
import type { HoneytokenRegistry } from '../runtime/honeytokens.js';
import { ALNUM } from '../runtime/honeytokens.js';

/** Longest path argument resolved. */
export const MAX_PATH_CHARS = 1024;
/** Path components followed. */
export const MAX_PATH_DEPTH = 64;

export interface FakeFile {
  kind: 'file';
  content: Buffer;
  mtime: Date;
}
export interface FakeDir {
  kind: 'dir';
  entries: Map<string, FakeNode>;
  mtime: Date;
}
export type FakeNode = FakeFile | FakeDir;

const dir = (mtime: Date, entries: [string, FakeNode][] = []): FakeDir => ({ kind: 'dir', entries: new Map(entries), mtime });
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

/** Builds the tree, registering the credentials it contains. */
export function buildFakeTree(reg: HoneytokenRegistry, hostName: string): FakeDir {
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
    ['upload', dir(t('2024-02-02'))],
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

/** One `ls -l` line as vsftpd writes it. */
export function listLine(name: string, node: FakeNode, now = new Date()): string {
  const size = node.kind === 'dir' ? 4096 : node.content.length;
  const m = node.mtime;
  const recent = now.getTime() - m.getTime() < 182 * 86_400_000;
  const when = `${MONTHS[m.getUTCMonth()]} ${String(m.getUTCDate()).padStart(2, ' ')} ${recent ? `${String(m.getUTCHours()).padStart(2, '0')}:${String(m.getUTCMinutes()).padStart(2, '0')}` : ` ${m.getUTCFullYear()}`}`;
  const mode = node.kind === 'dir' ? 'drwxr-xr-x' : '-rw-r--r--';
  const links = node.kind === 'dir' ? 2 : 1;
  return `${mode}    ${links} ftp      ftp      ${String(size).padStart(8, ' ')} ${when} ${name}`;
}

/** MDTM's YYYYMMDDHHMMSS (RFC 3659 3). */
export function mdtm(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
