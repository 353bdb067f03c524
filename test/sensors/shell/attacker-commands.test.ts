// Commands attackers and bots run on a fresh login, answered as Debian 12's coreutils, findutils,
// procps, bash and libc-bin answer them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attackerShell } from '../../helpers/shell.js';

const shell = (seed = 'cmds', o: { username?: string } = {}): ReturnType<typeof attackerShell> => attackerShell(seed, o);

test('xargs runs its command through the fake shell: default echo, -n, -I, -0, -r, statuses', async () => {
  const s = await shell();
  assert.deepEqual(await s.run("printf \"a 'b c' d\\\\ e\\n\" | xargs -n1 echo"), { out: 'a\nb c\nd e\n', code: 0 });
  assert.deepEqual(await s.run('printf "1\\n2\\n3\\n" | xargs'), { out: '1 2 3\n', code: 0 });
  assert.deepEqual(await s.run("printf 'a b\\nc d\\n' | xargs -I{} echo [{}]"), { out: '[a b]\n[c d]\n', code: 0 });
  assert.deepEqual(await s.run("printf 'a b\\0c\\0' | xargs -0 -n1 echo"), { out: 'a b\nc\n', code: 0 });
  assert.deepEqual(await s.run('printf "" | xargs echo x'), { out: 'x\n', code: 0 });
  assert.deepEqual(await s.run('printf "" | xargs -r echo x'), { out: '', code: 0 });
  assert.deepEqual(await s.run('echo 1 2 3 4 5 | xargs -n 2'), { out: '1 2\n3 4\n5\n', code: 0 });
  assert.deepEqual(await s.run('echo x | xargs xmrig'), { out: 'xargs: xmrig: No such file or directory\n', code: 127 });
  assert.deepEqual(await s.run('echo x | xargs false'), { out: '', code: 123 });
  assert.deepEqual(await s.run("echo \"it's\" | xargs"), { out: 'xargs: unmatched single quote; by default quotes are special to xargs unless you use the -0 option\n', code: 1 });
  // The miner-killer one-liner: the pid found by ps ends up in kill, which fails for a made-up one.
  const r = await s.run("ps aux | grep -v grep | grep cron | awk '{print $2}' | xargs kill -0");
  assert.equal(r.code, 0, r.out);
  assert.deepEqual(await s.run('echo 999999 | xargs kill -9'), { out: "kill: (999999): No such process\n", code: 123 });
  await s.end();
});

test('timeout runs the command in the emulation and answers 124 when the time runs out', async () => {
  const s = await shell();
  assert.deepEqual(await s.run('timeout 0.2 sleep 5; echo $?'), { out: '124\n', code: 0 });
  assert.deepEqual(await s.run('timeout 0.2 sh -c "sleep 5; echo late"; echo $?'), { out: '124\n', code: 0 });
  assert.deepEqual(await s.run('timeout -s KILL 0.2 sleep 5; echo $?'), { out: '137\n', code: 0 });
  assert.deepEqual(await s.run('timeout 5 echo hi; echo $?'), { out: 'hi\n0\n', code: 0 });
  assert.deepEqual(await s.run('timeout 5 sh -c "exit 3"; echo $?'), { out: '3\n', code: 0 });
  assert.deepEqual(await s.run('timeout x sleep 1'), { out: "timeout: invalid time interval ‘x’\nTry 'timeout --help' for more information.\n", code: 125 });
  assert.deepEqual(await s.run('timeout 1 xmrig'), { out: 'timeout: failed to run command ‘xmrig’: No such file or directory\n', code: 127 });
  await s.end();
});

test('sed takes line numbers, ranges, $, regex ranges, q, and the other common commands as GNU sed does', async () => {
  const s = await shell();
  const n = '1\n2\n3\n4\n5\n6\n';
  const sed = async (script: string): Promise<string> => (await s.run(`sed ${script}`, n)).out;
  assert.deepEqual(await s.run('sed -n 3,5p /etc/passwd | wc -l'), { out: '3\n', code: 0 });
  assert.equal(await sed('-n 3,5p'), '3\n4\n5\n');
  assert.equal(await sed("'2,4d'"), '1\n5\n6\n');
  assert.equal(await sed("-n '/2/,/4/p'"), '2\n3\n4\n');
  assert.equal(await sed("-n '$p'"), '6\n');
  assert.equal(await sed('3q'), '1\n2\n3\n');
  assert.deepEqual(await s.run('sed 2q5', n), { out: '1\n2\n', code: 5 });
  assert.equal(await sed("-n '4,2p'"), '4\n');
  assert.equal(await sed("-n '2,+2p'"), '2\n3\n4\n');
  assert.equal(await sed("-n '5,$p'"), '5\n6\n');
  assert.equal(await sed("'1~2d'"), '2\n4\n6\n');
  assert.equal(await sed("'2!d'"), '2\n');
  assert.equal(await sed("-n '2{p;p}'"), '2\n2\n');
  assert.equal(await sed("'1a hello' | head -3"), '1\nhello\n2\n');
  assert.equal(await sed("'2,3c\\changed'"), '1\nchanged\n4\n5\n6\n');
  assert.equal(await sed("-n '0,/3/p'"), '1\n2\n3\n');
  assert.equal(await sed("'=' | head -4"), '1\n1\n2\n2\n');
  assert.equal(await sed("-n '$='"), '6\n');
  assert.equal((await s.run("sed 's/b/$1&\\n\\&/'", 'abc\n')).out, 'a$1b\n&c\n');
  assert.equal((await s.run("sed 's/a/X/2'", 'aaa\n')).out, 'aXa\n');
  assert.equal((await s.run("sed -e 's/a/A/' -e 's/b/B/'", 'a b\n')).out, 'A B\n');
  assert.equal((await s.run("sed ':a;N;$!ba;s/\\n/,/g'", n)).out, '1,2,3,4,5,6\n');
  assert.deepEqual(await s.run("sed 'x3'", n), { out: 'sed: -e expression #1, char 2: extra characters after command\n', code: 1 });
  assert.deepEqual(await s.run("sed 's/a/b'", n), { out: "sed: -e expression #1, char 5: unterminated `s' command\n", code: 1 });
  assert.deepEqual(await s.run("sed 's/a/b/z'", n), { out: "sed: -e expression #1, char 7: unknown option to `s'\n", code: 1 });
  assert.deepEqual(await s.run("sed '3,5'", n), { out: 'sed: -e expression #1, char 3: missing command\n', code: 1 });
  assert.deepEqual(await s.run("sed -n '/x'", n), { out: 'sed: -e expression #1, char 2: unterminated address regex\n', code: 1 });
  assert.deepEqual(await s.run("sed '0p'", n), { out: 'sed: -e expression #1, char 2: invalid usage of line address 0\n', code: 1 });
  assert.deepEqual(await s.run('sed 1d /nonexist'), { out: "sed: can't read /nonexist: No such file or directory\n", code: 2 });
  // -i edits each file as a stream of its own; q there keeps only what came before.
  assert.deepEqual(await s.run("printf 'a\\nb\\n' > /tmp/f1; cp /tmp/f1 /tmp/f2; sed -i '$d' /tmp/f1 /tmp/f2; cat /tmp/f1 /tmp/f2"), { out: 'a\na\n', code: 0 });
  assert.deepEqual(await s.run("sed -i '/^root/s/bash/sh/' /etc/passwd; head -1 /etc/passwd"), { out: 'root:x:0:0:root:/root:/bin/sh\n', code: 0 });
  // A loop with b runs into the step bound rather than holding the session.
  assert.deepEqual(await s.run("sed ':a;ba'", 'x\n'), { out: "sed: couldn't re-allocate memory\n", code: 4 });
  await s.end();
});

test('/proc has a directory per process ps shows, with cmdline, comm, status, cgroup, exe and environ', async () => {
  const s = await shell();
  const words = (text: string): string[] => text.trim().split(/\s+/).filter(Boolean);
  const ps = words((await s.run("ps -e | awk 'NR>1 && $4 != \"ps\" {print $1}'")).out);
  const proc = words((await s.run("ls /proc | grep '^[0-9]'")).out);
  // Every process ps lists (but ps itself) has its directory, and so does ls, reading it: nothing else.
  assert.ok(ps.length > 10);
  assert.deepEqual(proc.filter((p) => !ps.includes(p)).length, 1);
  assert.deepEqual(ps.filter((p) => !proc.includes(p)), []);
  assert.deepEqual(await s.run('cat /proc/1/cgroup /proc/1/comm; readlink /proc/1/exe'), { out: '0::/init.scope\nsystemd\n/usr/lib/systemd/systemd\n', code: 0 });
  const sshd = (await s.run("ps aux | grep 'sshd -D' | grep -v grep | awk '{print $2}'")).out.trim();
  assert.equal((await s.run(`cat /proc/${sshd}/cgroup`)).out, '0::/system.slice/ssh.service\n');
  assert.match((await s.run('cat /proc/$$/cgroup')).out, /^0::\/user\.slice\/user-0\.slice\/session-\d+\.scope\n$/);
  assert.equal((await s.run('cat /proc/$$/cmdline | tr "\\0" " "')).out, 'bash -c cat /proc/$$/cmdline | tr "\\0" " " ');
  assert.equal((await s.run('cat /proc/self/cmdline | tr "\\0" " "')).out, 'cat /proc/self/cmdline ');
  assert.match((await s.run('ls -l /proc/self')).out, /^lrwxrwxrwx 1 root root \d+ .* \/proc\/self -> \d+\n$/);
  // Kernel threads have an empty cmdline and no exe; every other process's exe leads to its program.
  assert.deepEqual(await s.run('wc -c < /proc/2/cmdline; ls /proc/2/exe'), { out: "0\nls: cannot access '/proc/2/exe': No such file or directory\n", code: 2 });
  assert.deepEqual(await s.run('for e in /proc/[0-9]*/exe; do [ -e "$(readlink $e)" ] || echo missing $e; done'), { out: '', code: 0 });
  assert.match((await s.run('cat /proc/$$/environ | tr "\\0" "\\n" | grep ^HOME=')).out, /^HOME=\/root\n$/);
  await s.end();
  // Another user's process environment is not readable.
  const u = await shell('cmds', { username: 'lucas' });
  assert.deepEqual(await u.run('cat /proc/1/environ'), { out: 'cat: /proc/1/environ: Permission denied\n', code: 1 });
  await u.end();
});

test('readlink and realpath resolve links as coreutils does', async () => {
  const s = await shell();
  assert.deepEqual(await s.run('readlink /bin; readlink -f /bin/sh; readlink -f /proc/self/exe; realpath /sbin/init'), { out: 'usr/bin\n/usr/bin/dash\n/usr/bin/readlink\n/usr/lib/systemd/systemd\n', code: 0 });
  assert.deepEqual(await s.run('readlink /etc; echo $?; readlink -e /nonexist; echo $?; readlink -f /nonexist/x; echo $?'), { out: '1\n1\n1\n', code: 0 });
  assert.deepEqual(await s.run('readlink -m /a/../b/./c; readlink -f /tmp/new; readlink -v /etc'), { out: '/b/c\n/tmp/new\nreadlink: /etc: Invalid argument\n', code: 1 });
  assert.deepEqual(await s.run('realpath /x/y'), { out: 'realpath: /x/y: No such file or directory\n', code: 1 });
  assert.deepEqual(await s.run('readlink'), { out: "readlink: missing operand\nTry 'readlink --help' for more information.\n", code: 1 });
  await s.end();
});

test("awk patterns join tests with &&, || and !, as in ps | awk 'NR>1 && $4 != \"ps\"'", async () => {
  const s = await shell();
  const input = '1 a\n2 b\n3 c\n';
  assert.equal((await s.run("awk 'NR>1 && $2 != \"c\" {print $1}'", input)).out, '2\n');
  assert.equal((await s.run("awk 'NR==1 || /c/'", input)).out, '1 a\n3 c\n');
  assert.equal((await s.run("awk '!($2 ~ /a|c/)'", input)).out, '2 b\n');
  await s.end();
});

test('command -v and type look up every name; bash -c has no aliases', async () => {
  const s = await shell();
  assert.deepEqual(await s.run('command -v curl wget nosuch ls cd; echo $?'), { out: '/usr/bin/curl\n/usr/bin/wget\n/usr/bin/ls\ncd\n0\n', code: 0 });
  assert.deepEqual(await s.run('command -v nosuch; echo $?'), { out: '1\n', code: 0 });
  assert.deepEqual(await s.run('type ls nosuch'), { out: 'ls is /usr/bin/ls\n-bash: type: nosuch: not found\n', code: 1 });
  assert.deepEqual(await s.run('which ls nosuch cat'), { out: '/usr/bin/ls\n/usr/bin/cat\n', code: 1 });
  await s.end();
});

test("printf takes \\NNN, \\xHH and \\uHHHH in the format and %b's octal; arithmetic takes BASE#NUM", async () => {
  const s = await shell();
  assert.deepEqual(await s.run("printf '\\101\\x41\\u00e9\\n'"), { out: 'AAé\n', code: 0 });
  assert.deepEqual(await s.run("printf '%b\\n' '\\101|\\0101|\\x41'"), { out: 'A|A|A\n', code: 0 });
  assert.deepEqual(await s.run('echo $((16#ff)) $((2#101)) $((36#z)) $((64#_)) $((0x10)) $((010))'), { out: '255 5 35 63 16 8\n', code: 0 });
  assert.match((await s.run('echo $((2#2))')).out, /2#2: value too great for base \(error token is "2#2"\)\n$/);
  await s.end();
});
