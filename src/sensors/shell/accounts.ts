// Who a login becomes. The host's own accounts (root, the admin user, the daemons') are who they are;
// any other name the auth rules let in gets an account of its own in that attacker's filesystem, as
// `adduser NAME` would have made it: /etc/passwd, group and shadow lines and a home from /etc/skel.
// Before, such a login (`admin`, which the default rules accept) was root: `whoami` answered root to
// `ssh admin@host`. Cowrie also gives an unknown name a user of its own.
import { createHash } from 'node:crypto';
import type { FakeUser, SystemProfile } from './profile.js';
import type { Vfs } from './vfs.js';

/** The names Debian's adduser accepts by default (NAME_REGEX): anything else logs in as root, as before. */
export const LOGIN_NAME = /^[a-z][-a-z0-9_]{0,31}$/;
/** The first uid adduser gives a regular user (FIRST_UID). */
export const FIRST_UID = 1000;

const SALT_CHARS = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The account NAME logs in as, on the attacker's VFS (written as root, whatever VFS's uid). */
export function loginAccount(profile: SystemProfile, vfs: Vfs, name: string, nowMs: number): FakeUser {
  const root = profile.users[0]!;
  if (name === 'root') return root;
  const known = profile.users.find((u) => u.name === name);
  if (known) return known;
  const found = passwdAccounts(vfs).find((u) => u.name === name);
  if (found) return found;
  if (!LOGIN_NAME.test(name)) return root;
  return addAccount(vfs, { name, gecos: ',,,', shell: '/bin/bash', home: 'skel', homeMode: 0o700, nowMs }) as FakeUser;
}

/** How useradd/adduser (or a login) makes an account. */
export interface NewAccount {
  name: string;
  uid?: number;
  gecos?: string;
  shell: string;
  /** 'skel': a home copied from /etc/skel; 'none': none made (useradd without -m). */
  home: 'skel' | 'none';
  /** The home's path (/home/NAME when unset). */
  homePath?: string;
  homeMode?: number;
  /** The shadow password field: a hash given with -p, else a locked '!' (useradd) or a hash for no password. */
  shadow?: string;
  nowMs: number;
}

/**
 * Adds account A to VFS as useradd does (as root, whatever VFS's uid): passwd, group and shadow
 * lines, and a home from /etc/skel owned by the account. An error text when the name is taken.
 */
export function addAccount(vfs: Vfs, a: NewAccount): FakeUser | string {
  return asRoot(vfs, () => {
    const entries = passwdEntries(vfs);
    if (entries.some((f) => f[0] === a.name)) return `user '${a.name}' already exists`;
    const used = new Set(entries.map((f) => Number(f[2])));
    let uid = a.uid ?? FIRST_UID;
    if (a.uid === undefined) while (used.has(uid)) uid++;
    const home = a.homePath ?? `/home/${a.name}`;
    const user: FakeUser = { name: a.name, uid, gid: uid, gecos: a.gecos ?? '', home, shell: a.shell };
    vfs.writeFile('/etc/passwd', Buffer.from(`${a.name}:x:${uid}:${uid}:${user.gecos}:${home}:${a.shell}\n`), { append: true });
    vfs.writeFile('/etc/group', Buffer.from(`${a.name}:x:${uid}:\n`), { append: true });
    vfs.writeFile('/etc/shadow', Buffer.from(`${a.name}:${a.shadow ?? yescryptLooking(a.name)}:${days(a.nowMs)}:0:99999:7:::\n`), { append: true });
    if (a.home === 'skel' && !vfs.mkdir(home, true)) {
      for (const f of ['.bashrc', '.profile', '.bash_logout']) {
        const skel = vfs.readFile(`/etc/skel/${f}`);
        if (Buffer.isBuffer(skel)) vfs.writeFile(`${home}/${f}`, skel);
        vfs.update(`${home}/${f}`, { uid, gid: uid });
      }
      vfs.update(home, { uid, gid: uid, mode: a.homeMode ?? 0o755 });
    }
    return user;
  });
}

/** Removes account NAME's passwd, shadow and own group lines, and its name from other groups (userdel); false when there is none. */
export function removeAccount(vfs: Vfs, name: string): FakeUser | undefined {
  return asRoot(vfs, () => {
    const user = passwdAccounts(vfs).find((u) => u.name === name);
    if (!user) return undefined;
    rewrite(vfs, '/etc/passwd', (f) => (f[0] === name ? undefined : f));
    rewrite(vfs, '/etc/shadow', (f) => (f[0] === name ? undefined : f));
    rewrite(vfs, '/etc/group', (f) => (f[0] === name ? undefined : f.length >= 4 ? [...f.slice(0, 3), memberList(f[3]!).filter((m) => m !== name).join(',')] : f));
    return user;
  });
}

/** Sets NAME's password field in /etc/shadow: FIELD as given (a hash from useradd -p or usermod -p), or a new hash-looking one for PASSWORD. */
export function setShadowPassword(vfs: Vfs, name: string, change: { field: string } | { password: string }, nowMs: number): void {
  const field = 'field' in change ? change.field : yescryptLooking(`${name}\0${change.password}\0${nowMs}`);
  asRoot(vfs, () => rewrite(vfs, '/etc/shadow', (f) => (f[0] === name && f.length >= 3 ? [f[0], field, String(days(nowMs)), ...f.slice(3)] : f)));
}

/** Adds NAME to each of GROUPS in /etc/group (usermod -aG); the first group that does not exist, if any. */
export function addToGroups(vfs: Vfs, name: string, groups: readonly string[]): string | undefined {
  const missing = missingGroup(vfs, groups);
  if (missing !== undefined) return missing;
  return asRoot(vfs, () => {
    rewrite(vfs, '/etc/group', (f) => (groups.includes(f[0]!) && f.length >= 4 && !memberList(f[3]!).includes(name) ? [...f.slice(0, 3), [...memberList(f[3]!), name].join(',')] : f));
    return undefined;
  });
}

/** The first of GROUPS that /etc/group does not have, if any. */
export function missingGroup(vfs: Vfs, groups: readonly string[]): string | undefined {
  const entries = groupEntries(vfs);
  return groups.find((g) => !entries.some((e) => e.name === g));
}

/** Takes NAME out of each of GROUPS in /etc/group (usermod -G without -a). */
export function removeFromGroups(vfs: Vfs, name: string, groups: readonly string[]): void {
  if (groups.length === 0) return;
  asRoot(vfs, () => rewrite(vfs, '/etc/group', (f) => (groups.includes(f[0]!) && f.length >= 4 ? [...f.slice(0, 3), memberList(f[3]!).filter((m) => m !== name).join(',')] : f)));
}

/** USER's groups as id lists them: the primary one first, then every /etc/group line naming USER. */
export function groupsOf(vfs: Vfs, user: { name: string; gid: number }): [number, string][] {
  const groups = groupEntries(vfs);
  const out: [number, string][] = [[user.gid, groups.find((g) => g.gid === user.gid)?.name ?? String(user.gid)]];
  for (const g of groups) if (g.gid !== user.gid && g.members.includes(user.name)) out.push([g.gid, g.name]);
  return out;
}

const parsedGroups = new WeakMap<Buffer, { name: string; gid: number; members: string[] }[]>();

/** The lines of VFS's /etc/group, read as root (parsed once per version of the file: id, groups, sudo and ls read it often). */
function groupEntries(vfs: Vfs): { name: string; gid: number; members: string[] }[] {
  const b = asRoot(vfs, () => vfs.readFile('/etc/group'));
  if (!Buffer.isBuffer(b)) return [];
  let groups = parsedGroups.get(b);
  if (!groups) {
    groups = [];
    for (const l of b.toString('latin1').split('\n')) {
      const f = l.split(':');
      const gid = Number(f[2]);
      if (f.length >= 3 && f[2] !== '' && Number.isSafeInteger(gid)) groups.push({ name: f[0]!, gid, members: memberList(f[3] ?? '') });
    }
    parsedGroups.set(b, groups);
  }
  return groups;
}

/** Whether USER may run sudo: root, a member of group sudo, or named (or a group of theirs) in /etc/sudoers or /etc/sudoers.d. */
export function maySudo(vfs: Vfs, user: { name: string; uid: number; gid: number }): boolean {
  if (user.uid === 0) return true;
  const groups = groupsOf(vfs, user).map(([, n]) => n);
  if (groups.includes('sudo')) return true;
  return asRoot(vfs, () => {
    const files = ['/etc/sudoers', ...((): string[] => {
      const l = vfs.list('/etc/sudoers.d');
      return typeof l === 'string' ? [] : l.filter((n) => !n.includes('.') && !n.endsWith('~')).map((n) => `/etc/sudoers.d/${n}`);
    })()];
    return files.some((f) =>
      readLines(vfs, f).some((l) => {
        const who = l.trim().split(/\s+/)[0] ?? '';
        return who === user.name || (who.startsWith('%') && groups.includes(who.slice(1)));
      }),
    );
  });
}

const parsed = new WeakMap<Buffer, FakeUser[]>();

/** The accounts in VFS's /etc/passwd, read as root (parsed once per version of the file). */
export function passwdAccounts(vfs: Vfs): FakeUser[] {
  const b = asRoot(vfs, () => vfs.readFile('/etc/passwd'));
  if (!Buffer.isBuffer(b)) return [];
  let users = parsed.get(b);
  if (!users) {
    users = [];
    for (const f of b.toString('latin1').split('\n').map((l) => l.split(':'))) {
      if (f.length === 7 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!)) users.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), gecos: f[4]!, home: f[5]!, shell: f[6]! });
    }
    parsed.set(b, users);
  }
  return users;
}

function passwdEntries(vfs: Vfs): string[][] {
  return text(vfs, '/etc/passwd').split('\n').map((l) => l.split(':'));
}

function memberList(field: string): string[] {
  return field.split(',').filter(Boolean);
}

function days(nowMs: number): number {
  return Math.floor(nowMs / 86_400_000);
}

/** Rewrites the colon-separated lines of PATH through EDIT (undefined drops a line); a file that is not there stays so. */
function rewrite(vfs: Vfs, path: string, edit: (fields: string[]) => string[] | undefined): void {
  const b = vfs.readFile(path);
  if (!Buffer.isBuffer(b)) return;
  const out: string[] = [];
  for (const l of b.toString('latin1').split('\n')) {
    if (l === '') continue;
    const f = edit(l.split(':'));
    if (f) out.push(f.join(':'));
  }
  vfs.writeFile(path, Buffer.from(`${out.join('\n')}\n`, 'latin1'));
}

/** The non-empty lines of account file PATH (/etc/passwd, group, shadow...), read as root. */
export function accountFileLines(vfs: Vfs, path: string): string[] {
  return asRoot(vfs, () => readLines(vfs, path));
}

function readLines(vfs: Vfs, path: string): string[] {
  return text(vfs, path).split('\n').filter(Boolean);
}

/** FN run with VFS as root (the account files are root's), VFS's own uid put back after. */
function asRoot<T>(vfs: Vfs, fn: () => T): T {
  const was = vfs.uid;
  vfs.uid = 0;
  try {
    return fn();
  } finally {
    vfs.uid = was;
  }
}

function text(vfs: Vfs, path: string): string {
  const b = vfs.readFile(path);
  return Buffer.isBuffer(b) ? b.toString('latin1') : '';
}

/** A yescrypt hash's shape ($y$j9T$salt$hash), the same for a name every time; it matches no password. */
function yescryptLooking(name: string): string {
  const bytes = createHash('sha512').update(`apiary-account:${name}`).digest();
  const chars = (from: number, n: number): string => Array.from({ length: n }, (_, i) => SALT_CHARS[bytes[(from + i) % bytes.length]! & 63]!).join('');
  return `$y$j9T$${chars(0, 22)}$${chars(22, 43)}`;
}
