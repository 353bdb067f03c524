// What attackers do to keep a way in, as a Debian 12 server answers it: useradd/adduser make an
// account (passwd, group, shadow, a home from /etc/skel owned by it), chpasswd and passwd set its
// password (a hash in /etc/shadow), usermod -aG sudo makes it a sudoer, userdel takes it away; and
// su, sudo -i and an interactive bash are shells inside the login's that exit leaves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testShell } from '../../helpers/shell.js';

test('useradd, chpasswd, usermod -aG sudo and userdel change the accounts as shadow-utils does', async () => {
  const t = testShell({ shell: { seed: 'acct-changes' } });
  const s = t.open('198.51.100.80');
  const made = await s.run('useradd -m -s /bin/bash backdoor && echo backdoor:S3cret! | chpasswd && id backdoor; grep ^backdoor: /etc/passwd /etc/group; stat -c "%U %G %a" /home/backdoor; ls -A /home/backdoor');
  assert.match(made.out, /^uid=(\d+)\(backdoor\) gid=\1\(backdoor\) groups=\1\(backdoor\)\n\/etc\/passwd:backdoor:x:\1:\1::\/home\/backdoor:\/bin\/bash\n\/etc\/group:backdoor:x:\1:\nbackdoor backdoor 755\n\.bash_logout\n\.bashrc\n\.profile\n$/);
  assert.match((await s.run('grep ^backdoor: /etc/shadow')).out, /^backdoor:\$y\$j9T\$[./0-9A-Za-z]{22}\$[./0-9A-Za-z]{43}:\d+:0:99999:7:::\n$/, 'chpasswd wrote a hash');
  assert.equal(t.env.acceptsChangedPassword('198.51.100.80', 'backdoor', 'S3cret!'), true, 'the password works for the next login');
  assert.equal((await s.run('useradd backdoor; echo $?')).out, "useradd: user 'backdoor' already exists\n9\n");
  assert.equal((await s.run('useradd -G wheel other; echo $?; grep -c ^other: /etc/passwd')).out, "useradd: group 'wheel' does not exist\n6\n0\n");
  assert.equal((await s.run("useradd -p '$1$abc$xyz' x2; grep ^x2: /etc/shadow | cut -d: -f2; grep -c ^x2 /etc/passwd; ls /home/x2")).out, "$1$abc$xyz\n1\nls: cannot access '/home/x2': No such file or directory\n", 'no home without -m');
  const sudo = await s.run('usermod -aG sudo backdoor; id backdoor; groups backdoor; grep ^sudo: /etc/group; usermod -aG nosuch backdoor; echo $?');
  assert.match(sudo.out, /^uid=(\d+)\(backdoor\) gid=\1\(backdoor\) groups=\1\(backdoor\),27\(sudo\)\nbackdoor : backdoor sudo\nsudo:x:27:\w+,backdoor\nusermod: group 'nosuch' does not exist\n6\n$/);
  assert.equal((await s.run('su backdoor -c "whoami; sudo -S whoami" <<< pw')).out, 'backdoor\n[sudo] password for backdoor: root\n', 'a sudoer now');
  assert.equal((await s.run('userdel -r backdoor; echo $?; id backdoor; ls /home/backdoor; grep -c backdoor /etc/group')).out, "userdel: backdoor mail spool (/var/mail/backdoor) not found\n0\nid: 'backdoor': no such user\nls: cannot access '/home/backdoor': No such file or directory\n0\n");
  await s.end();
});

test('adduser asks for the password and the finger details, as adduser 3.134 does', async () => {
  const t = testShell({ shell: { seed: 'acct-adduser' } });
  const s = t.open('198.51.100.81', { pty: true });
  s.login();
  let out = '';
  for (const keys of ['adduser bob\r', 'pw1\r', 'pw1\r', '\r', '\r', '\r', '\r', '\r', '\r']) out += (await s.type(keys)).toString();
  assert.match(out, /Adding user `bob' \.\.\.\r\nAdding new group `bob' \((\d+)\) \.\.\.\r\nAdding new user `bob' \(\1\) with group `bob \(\1\)' \.\.\.\r\nCreating home directory `\/home\/bob' \.\.\.\r\nCopying files from `\/etc\/skel' \.\.\.\r\nNew password: \r\nRetype new password: \r\npasswd: password updated successfully\r\nChanging the user information for bob\r\nEnter the new value, or press ENTER for the default\r\n\tFull Name \[\]: \r\n\tRoom Number \[\]: \r\n\tWork Phone \[\]: \r\n\tHome Phone \[\]: \r\n\tOther \[\]: \r\nIs the information correct\? \[Y\/n\] \r\n/);
  assert.equal(t.env.acceptsChangedPassword('198.51.100.81', 'bob', 'pw1'), true);
  assert.match((await s.type('stat -c "%U %a" /home/bob; adduser bob sudo\r')).toString(), /bob 700\r\nAdding user `bob' to group `sudo' \.\.\.\r\nDone\.\r\n/);
  await s.end();
});

test('su, sudo -i and bash at the prompt are shells inside the login: exit and Ctrl-D come back', async () => {
  const t = testShell({ shell: { seed: 'acct-su' } });
  const s = t.open('198.51.100.82', { pty: true });
  s.login();
  await s.type('useradd -m -s /bin/bash bd\r');
  assert.match((await s.type('su - bd\r')).toString(), /\r\nbd@[\w.-]+:~\$ $/);
  assert.equal((await s.type('whoami; pwd; cat /etc/shadow\r')).toString().split('\r\n').slice(1, 4).join('\n'), 'bd\n/home/bd\ncat: /etc/shadow: Permission denied');
  assert.match((await s.type('exit\r')).toString(), /^exit\r\nlogout\r\nroot@[\w.-]+:~# $/, 'a login shell says logout');
  assert.match((await s.type('whoami\r')).toString(), /^whoami\r\nroot\r\n/);
  await s.type('bash\r');
  assert.equal((await s.type('echo $SHLVL\r')).toString().split('\r\n')[1], '2');
  assert.match((await s.type('\x04')).toString(), /^exit\r\nroot@/, 'Ctrl-D leaves the inner bash, not the session');
  assert.equal((await s.type('echo $SHLVL\r')).toString().split('\r\n')[1], '1');
  await s.type('usermod -aG sudo bd\r');
  await s.type('su bd\r');
  await s.type('sudo -i\r');
  assert.match((await s.type('pw\r')).toString(), /root@[\w.-]+:~# $/, 'sudo -i: a root login shell');
  await s.type('exit\r');
  assert.match((await s.type('whoami\r')).toString(), /^whoami\r\nbd\r\n/);
  await s.type('exit\r');
  assert.match((await s.type('whoami\r')).toString(), /^whoami\r\nroot\r\n/);
  assert.equal(s.session.shell.exitCode, undefined, 'the session goes on');
  await s.end();
});
