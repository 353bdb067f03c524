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
  const passwd = text(vfs, '/etc/passwd');
  const entries = passwd.split('\n').map((l) => l.split(':'));
  const found = entries.find((f) => f[0] === name && f.length === 7 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!));
  if (found) return { name, uid: Number(found[2]), gid: Number(found[3]), gecos: found[4]!, home: found[5]!, shell: found[6]! };
  if (!LOGIN_NAME.test(name)) return root;
  const used = new Set(entries.map((f) => Number(f[2])));
  let uid = FIRST_UID;
  while (used.has(uid)) uid++;
  const user: FakeUser = { name, uid, gid: uid, gecos: ',,,', home: `/home/${name}`, shell: '/bin/bash' };
  const asRoot = vfs.uid;
  vfs.uid = 0;
  try {
    vfs.writeFile('/etc/passwd', Buffer.from(`${name}:x:${uid}:${uid}:${user.gecos}:${user.home}:${user.shell}\n`), { append: true });
    vfs.writeFile('/etc/group', Buffer.from(`${name}:x:${uid}:\n`), { append: true });
    vfs.writeFile('/etc/shadow', Buffer.from(`${name}:${yescryptLooking(name)}:${Math.floor(nowMs / 86_400_000)}:0:99999:7:::\n`), { append: true });
    if (!vfs.mkdir(user.home, true)) {
      for (const f of ['.bashrc', '.profile', '.bash_logout']) {
        const skel = vfs.readFile(`/etc/skel/${f}`);
        if (Buffer.isBuffer(skel)) vfs.writeFile(`${user.home}/${f}`, skel);
        vfs.update(`${user.home}/${f}`, { uid, gid: uid });
      }
      // Debian 12's adduser makes homes 0700 (DIR_MODE).
      vfs.update(user.home, { uid, gid: uid, mode: 0o700 });
    }
  } finally {
    vfs.uid = asRoot;
  }
  return user;
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
