// passwd, chpasswd, useradd, adduser, usermod, userdel: account changes, made in the attacker's
// /etc/passwd, group and shadow as the real tools make them (accounts.ts), and passwords reported to
// the sensor (a password set here is accepted at the next login).
import { addAccount, addToGroups, groupsOf, LOGIN_NAME, missingGroup, removeAccount, removeFromGroups, setShadowPassword } from '../accounts.js';
import type { CommandContext, CommandDef } from '../types.js';
import { lines, parseOpts } from './util.js';

/** Lines chpasswd reads from a terminal at most. */
export const MAX_CHPASSWD_LINES = 100;

function exists(ctx: CommandContext, name: string): boolean {
  return ctx.sh.users.some((u) => u.name === name);
}

/** The refusal useradd, usermod and userdel give a user who is not root; undefined for root. */
function notRoot(ctx: CommandContext): number | undefined {
  if (ctx.sh.user.uid === 0) return undefined;
  ctx.err(`${ctx.name}: Permission denied.\n${ctx.name}: cannot lock /etc/passwd; try again later.\n`);
  return 1;
}

/** Records PASSWORD as USER's new one: the shadow line and the sensor's hook. */
function changed(ctx: CommandContext, user: string, password: string): void {
  setShadowPassword(ctx.sh.vfs, user, { password }, ctx.sh.now());
  ctx.sh.hooks.passwordChanged?.(user, password);
}

export const passwd: CommandDef = {
  names: ['passwd'],
  async run(ctx) {
    const user = ctx.args.find((a) => !a.startsWith('-')) ?? ctx.sh.user.name;
    if (!exists(ctx, user)) {
      ctx.err(`passwd: user '${user}' does not exist\n`);
      return 1;
    }
    if (ctx.args.includes('--stdin') || !ctx.stdinIsTerminal) {
      const pw = lines(ctx.stdin.toString('utf8'))[0];
      if (pw === undefined) {
        ctx.err('passwd: Authentication token manipulation error\npasswd: password unchanged\n');
        return 10;
      }
      changed(ctx, user, pw);
      ctx.out('passwd: password updated successfully\n');
      return 0;
    }
    if (ctx.sh.user.uid !== 0) {
      if (user !== ctx.sh.user.name) {
        ctx.err(`passwd: You may not view or modify password information for ${user}.\n`);
        return 1;
      }
      await ctx.readLine(`Changing password for ${user}.\nCurrent password: `, false);
    }
    const a = await ctx.readLine('New password: ', false);
    if (a === undefined) return 10;
    const b = await ctx.readLine('Retype new password: ', false);
    if (a !== b) {
      ctx.err('Sorry, passwords do not match.\npasswd: Authentication token manipulation error\npasswd: password unchanged\n');
      return 10;
    }
    changed(ctx, user, a);
    ctx.out('passwd: password updated successfully\n');
    return 0;
  },
};

export const chpasswd: CommandDef = {
  names: ['chpasswd'],
  async run(ctx) {
    const o = parseOpts(ctx.args, ['c', 'crypt-method', 's', 'sha-rounds']);
    const encrypted = o.flags.has('e') || o.flags.has('encrypted');
    const input = ctx.stdinIsTerminal ? await collect(ctx) : ctx.stdin.toString('utf8');
    let status = 0;
    const changes: [string, string][] = [];
    lines(input).forEach((l, i) => {
      const c = l.indexOf(':');
      if (c < 0) {
        ctx.err(`chpasswd: line ${i + 1}: missing new password\n`);
        status = 1;
        return;
      }
      const user = l.slice(0, c);
      if (!exists(ctx, user)) {
        ctx.err(`chpasswd: (user ${user}) pam_chauthtok() failed, error:\nAuthentication token manipulation error\nchpasswd: (line ${i + 1}, user ${user}) password not changed\n`);
        status = 1;
        return;
      }
      changes.push([user, l.slice(c + 1)]);
    });
    if (status) {
      ctx.err('chpasswd: error detected, changes ignored\n');
      return status;
    }
    for (const [user, pw] of changes) {
      if (encrypted) setShadowPassword(ctx.sh.vfs, user, { field: pw }, ctx.sh.now());
      else changed(ctx, user, pw);
    }
    return 0;
  },
};

async function collect(ctx: CommandContext): Promise<string> {
  let text = '';
  for (let i = 0; i < MAX_CHPASSWD_LINES; i++) {
    const l = await ctx.readLine('', true);
    if (l === undefined) break;
    text += `${l}\n`;
  }
  return text;
}

/** Options of useradd and usermod that take a value. */
const ACCOUNT_VALUES = ['c', 'comment', 'd', 'home-dir', 'home', 'e', 'expiredate', 'f', 'inactive', 'g', 'gid', 'G', 'groups', 'k', 'skel', 'K', 'key', 'p', 'password', 's', 'shell', 'u', 'uid', 'l', 'login', 'b', 'base-dir', 'R', 'root', 'Z'];

function value(o: ReturnType<typeof parseOpts>, short: string, long: string): string | undefined {
  return o.values.get(short) ?? o.values.get(long);
}

export const useradd: CommandDef = {
  names: ['useradd'],
  run(ctx) {
    const o = parseOpts(ctx.args, ACCOUNT_VALUES);
    const name = o.rest[o.rest.length - 1];
    if (!name || o.rest.length > 1) {
      ctx.err('Usage: useradd [options] LOGIN\n       useradd -D\n       useradd -D [options]\n');
      return 2;
    }
    const refused = notRoot(ctx);
    if (refused !== undefined) return refused;
    if (!LOGIN_NAME.test(name)) {
      ctx.err(`useradd: invalid user name '${name}': use --badname to ignore\n`);
      return 3;
    }
    const groups = (value(o, 'G', 'groups') ?? '').split(',').filter(Boolean);
    const unknown = missingGroup(ctx.sh.vfs, groups);
    if (unknown !== undefined) {
      ctx.err(`useradd: group '${unknown}' does not exist\n`);
      return 6;
    }
    const uid = value(o, 'u', 'uid');
    const made = addAccount(ctx.sh.vfs, {
      name,
      ...(uid !== undefined && /^\d+$/.test(uid) ? { uid: Number(uid) } : {}),
      gecos: value(o, 'c', 'comment') ?? '',
      // Debian 12's /etc/default/useradd: SHELL=/bin/sh; a home only with -m (CREATE_HOME is unset).
      shell: value(o, 's', 'shell') ?? '/bin/sh',
      home: o.flags.has('m') || o.flags.has('create-home') ? 'skel' : 'none',
      homePath: value(o, 'd', 'home-dir') ?? `/home/${name}`,
      shadow: value(o, 'p', 'password') ?? '!',
      nowMs: ctx.sh.now(),
    });
    if (typeof made === 'string') {
      ctx.err(`useradd: ${made}\n`);
      return 9;
    }
    if (groups.length > 0) addToGroups(ctx.sh.vfs, name, groups);
    return 0;
  },
};

/** adduser 3.134 (Debian 12): a new user with a home, asking for a password and the finger details; or `adduser USER GROUP`. */
export const adduser: CommandDef = {
  names: ['adduser'],
  async run(ctx) {
    const o = parseOpts(ctx.args, ['gecos', 'home', 'shell', 'uid', 'gid', 'ingroup', 'conf', 'comment', 'firstuid', 'lastuid']);
    if (o.rest.length === 0 || o.rest.length > 2) {
      ctx.err('adduser: Only one or two names allowed.\n');
      return 1;
    }
    if (ctx.sh.user.uid !== 0) {
      ctx.err('adduser: Only root may add a user or group to the system.\n');
      return 1;
    }
    const [name, group] = o.rest as [string, string | undefined];
    if (group !== undefined) {
      if (!exists(ctx, name)) {
        ctx.err(`adduser: The user \`${name}' does not exist.\n`);
        return 1;
      }
      const user = ctx.sh.users.find((u) => u.name === name)!;
      if (groupsOf(ctx.sh.vfs, user).some(([, g]) => g === group)) {
        ctx.err(`adduser: The user \`${name}' is already a member of \`${group}'.\n`);
        return 0;
      }
      if (addToGroups(ctx.sh.vfs, name, [group]) !== undefined) {
        ctx.err(`adduser: The group \`${group}' does not exist.\n`);
        return 1;
      }
      ctx.out(`Adding user \`${name}' to group \`${group}' ...\nDone.\n`);
      return 0;
    }
    if (!LOGIN_NAME.test(name)) {
      // adduser 3.134's messages, with the indentation its Perl source puts in them.
      ctx.err(
        /^[-a-zA-Z0-9_.@]+\$?$/.test(name) && !name.startsWith('-')
          ? 'adduser: Please enter a username matching the regular expression\n            configured via the NAME_REGEX configuration variable.  Use the\n            `--allow-bad-names\' option to relax this check or reconfigure\n            NAME_REGEX in configuration.\n'
          : 'adduser: To avoid problems, the username should consist only of\n            letters, digits, underscores, periods, at signs and dashes, and\n            not start with a dash (as defined by IEEE Std 1003.1-2001). For\n            compatibility with Samba machine accounts, $ is also supported\n            at the end of the username.  (Use the `--allow-all-names\' option\n            to bypass this restriction.)\n',
      );
      return 1;
    }
    if (exists(ctx, name)) {
      ctx.err(`adduser: The user \`${name}' already exists.\n`);
      return 1;
    }
    const gecos = o.values.get('gecos') ?? o.values.get('comment');
    const made = addAccount(ctx.sh.vfs, { name, gecos: gecos ?? '', shell: o.values.get('shell') ?? '/bin/bash', home: 'skel', homePath: o.values.get('home') ?? `/home/${name}`, homeMode: 0o700, shadow: '!', nowMs: ctx.sh.now() });
    if (typeof made === 'string') return 1;
    const id = made.uid;
    ctx.out(`Adding user \`${name}' ...\nAdding new group \`${name}' (${id}) ...\nAdding new user \`${name}' (${id}) with group \`${name} (${id})' ...\nCreating home directory \`${made.home}' ...\nCopying files from \`/etc/skel' ...\n`);
    if (!o.flags.has('disabled-password') && !o.flags.has('disabled-login')) {
      const a = await ctx.readLine('New password: ', false);
      const b = a === undefined ? undefined : await ctx.readLine('Retype new password: ', false);
      if (a === undefined || a !== b) {
        ctx.err(a === undefined ? 'passwd: Authentication token manipulation error\npasswd: password unchanged\n' : 'Sorry, passwords do not match.\npasswd: Authentication token manipulation error\npasswd: password unchanged\n');
        return 1;
      }
      changed(ctx, name, a);
      ctx.out('passwd: password updated successfully\n');
    }
    if (gecos === undefined) {
      ctx.out(`Changing the user information for ${name}\nEnter the new value, or press ENTER for the default\n`);
      for (const field of ['Full Name', 'Room Number', 'Work Phone', 'Home Phone', 'Other']) if ((await ctx.readLine(`\t${field} []: `, true)) === undefined) break;
      await ctx.readLine('Is the information correct? [Y/n] ', true);
    }
    // Debian 12 adds no extra groups unless ADD_EXTRA_GROUPS is set (it is not by default).
    return 0;
  },
};

export const usermod: CommandDef = {
  names: ['usermod'],
  run(ctx) {
    const o = parseOpts(ctx.args, ACCOUNT_VALUES);
    const name = o.rest[0];
    if (!name || o.rest.length > 1) {
      ctx.err('Usage: usermod [options] LOGIN\n');
      return 2;
    }
    const refused = notRoot(ctx);
    if (refused !== undefined) return refused;
    const user = ctx.sh.users.find((u) => u.name === name);
    if (!user) {
      ctx.err(`usermod: user '${name}' does not exist\n`);
      return 6;
    }
    const groups = value(o, 'G', 'groups');
    if (groups !== undefined) {
      const want = groups.split(',').filter(Boolean);
      const missing = addToGroups(ctx.sh.vfs, name, want);
      if (missing !== undefined) {
        ctx.err(`usermod: group '${missing}' does not exist\n`);
        return 6;
      }
      if (!o.flags.has('a') && !o.flags.has('append')) {
        // -G without -a: exactly these supplementary groups.
        removeFromGroups(ctx.sh.vfs, name, groupsOf(ctx.sh.vfs, user).slice(1).map(([, g]) => g).filter((g) => !want.includes(g)));
      }
    }
    const pw = value(o, 'p', 'password');
    if (pw !== undefined) setShadowPassword(ctx.sh.vfs, name, { field: pw }, ctx.sh.now());
    return 0;
  },
};

export const userdel: CommandDef = {
  names: ['userdel'],
  run(ctx) {
    const o = parseOpts(ctx.args, ['R', 'root', 'P', 'prefix']);
    const name = o.rest[0];
    if (!name || o.rest.length > 1) {
      ctx.err('Usage: userdel [options] LOGIN\n');
      return 2;
    }
    const refused = notRoot(ctx);
    if (refused !== undefined) return refused;
    if (name === ctx.sh.user.name || name === 'root') {
      ctx.err(`userdel: user ${name} is currently used by process ${name === 'root' ? 1 : (ctx.sh.running?.pid ?? 1)}\n`);
      return 8;
    }
    const gone = removeAccount(ctx.sh.vfs, name);
    if (!gone) {
      ctx.err(`userdel: user '${name}' does not exist\n`);
      return 6;
    }
    if (o.flags.has('r') || o.flags.has('remove')) {
      ctx.err(`userdel: ${name} mail spool (/var/mail/${name}) not found\n`);
      ctx.sh.vfs.remove(gone.home, true, true);
    }
    return 0;
  },
};
