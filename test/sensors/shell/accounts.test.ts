// A login name the host has no account for gets one of its own (as adduser makes it), in that
// attacker's view: whoami, id, $HOME, the prompt and /etc/passwd agree; root and the host's own
// accounts are unchanged, and a name Linux could not have is root as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testShell } from '../../helpers/shell.js';

test('`ssh admin@host` is admin, not root: a home of its own, passwd/group/shadow lines, no write to /etc', async () => {
  const t = testShell({ shell: { seed: 'acct1' } });
  const adminUid = t.env.profile.admin.uid;
  const s = t.open('198.51.100.70', { username: 'admin' });
  const r = await s.run('whoami; id; echo $HOME; cd; pwd; grep ^admin: /etc/passwd /etc/group; ls -ld /home/admin; ls -a /home/admin; touch /etc/x; echo "exit=$?"');
  const uid = adminUid === 1000 ? 1001 : 1000;
  assert.equal(
    r.out,
    `admin\nuid=${uid}(admin) gid=${uid}(admin) groups=${uid}(admin)\n/home/admin\n/home/admin\n` +
      `/etc/passwd:admin:x:${uid}:${uid}:,,,:/home/admin:/bin/bash\n/etc/group:admin:x:${uid}:\n` +
      r.out.split('\n')[6] + '\n' +
      '.\n..\n.bash_logout\n.bashrc\n.profile\n' +
      "touch: cannot touch '/etc/x': Permission denied\nexit=1\n",
  );
  assert.match(r.out.split('\n')[6]!, /^drwx------ +\d+ admin +admin +\d+ .* \/home\/admin$/);
  assert.equal((await s.run('stat -c "%U %G %a" /home/admin')).out, 'admin admin 700\n');
  // Not in the sudo group: sudo asks (here from stdin, -S) and refuses; without a terminal it cannot ask at all.
  const su = await s.run('sudo -S id; echo "exit=$?"; sudo id; echo "exit=$?"', 'hunter2\n');
  assert.equal(su.out, '[sudo] password for admin: admin is not in the sudoers file.\nexit=1\nsudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper\nsudo: a password is required\nexit=1\n');
  await s.end();
  // The next login from that address is the same account; root still sees it in passwd and shadow.
  const again = t.open('198.51.100.70', { username: 'admin' });
  assert.equal((await again.run('id -u')).out, `${uid}\n`);
  await again.end();
  const root = t.open('198.51.100.70');
  const shadow = await root.run('whoami; grep ^admin: /etc/shadow');
  assert.match(shadow.out, /^root\nadmin:\$y\$j9T\$[./0-9A-Za-z]{22}\$[./0-9A-Za-z]{43}:\d+:0:99999:7:::\n$/);
  await root.end();
  // Another attacker's machine has no such account until it logs in so.
  const other = t.open('198.51.100.71');
  assert.equal((await other.run('grep -c ^admin: /etc/passwd; echo')).out, '0\n\n');
  await other.end();
});

test("the host's own user and a name Linux could not have", async () => {
  const t = testShell({ shell: { seed: 'acct2' } });
  const admin = t.env.profile.admin;
  const own = t.open('198.51.100.72', { username: admin.name });
  assert.equal((await own.run('id -un; echo $HOME')).out, `${admin.name}\n${admin.home}\n`);
  await own.end();
  const odd = t.open('198.51.100.73', { username: 'Admin!' });
  assert.equal((await odd.run('whoami')).out, 'root\n');
  await odd.end();
});

test('ls lists one name a line unless its output is a terminal: an exec channel, a pipe or $(...) get lines, a pty columns', async () => {
  const t = testShell({ shell: { seed: 'acct3' } });
  const exec = t.open('198.51.100.74');
  const lines = (await exec.run('ls /')).out.split('\n');
  assert.ok(lines.length > 15 && lines.every((l) => !l.includes(' ')), lines.join('|'));
  await exec.end();
  const pty = t.open('198.51.100.74', { pty: true });
  const cols = (await pty.run('ls /')).out.split('\n').filter(Boolean);
  assert.ok(cols.length < 6 && cols[0]!.includes('  '), cols.join('|'));
  assert.equal((await pty.run('ls / | head -2')).out.replace(/\r/g, ''), 'bin\nboot\n');
  assert.equal((await pty.run('echo "$(ls / | wc -l)" $(ls -d /bin /boot)')).out.replace(/\r/g, '').trim().split(' ')[1], '/bin');
  await pty.end();
});
