// The fake machine: generated per seed, consistent across files and commands, free of the known
// Cowrie/Kippo tells, persistent per attacker, and bounded by quotas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testShell } from '../../helpers/shell.js';
import { heldBy, MiB } from '../../helpers/heap.js';

test('two seeds give two machines; one seed gives the same machine', async () => {
  const a = testShell({ shell: { seed: 'alpha' } });
  const b = testShell({ shell: { seed: 'bravo' } });
  const a2 = testShell({ shell: { seed: 'alpha' } });
  const facts = async (t: ReturnType<typeof testShell>): Promise<string> => {
    const s = t.open();
    const r = await s.run("hostname; cat /sys/class/net/*/address 2>/dev/null; ip link | grep ether; nproc; grep MemTotal /proc/meminfo; grep 'model name' /proc/cpuinfo | head -1");
    await s.end();
    return r.out;
  };
  const [fa, fb, fa2] = [await facts(a), await facts(b), await facts(a2)];
  assert.equal(fa, fa2);
  assert.notEqual(fa, fb);
});

test('hardware, memory, kernel and names agree across /proc, commands and the SSH banner', async () => {
  for (const seed of ['s1', 's2', 's3', 's4', 's5', 's6']) {
    const t = testShell({ shell: { seed } });
    const s = t.open();
    const p = t.env.profile;
    const num = async (cmd: string): Promise<number> => Number((await s.run(cmd)).out.trim());
    const cores = await num('nproc');
    assert.equal(await num('grep -c processor /proc/cpuinfo'), cores);
    assert.equal(await num("lscpu | grep '^CPU(s):' | awk '{print $2}'"), cores);
    const memKb = await num("grep MemTotal /proc/meminfo | awk '{print $2}'");
    assert.equal(await num("free | grep Mem | awk '{print $2}'"), memKb);
    assert.equal(await num("free -m | grep Mem | awk '{print $2}'"), Math.floor(memKb / 1024));
    const uname = (await s.run('uname -a')).out;
    assert.ok(uname.includes(` ${p.hostname} `) && uname.includes(p.kernel.release));
    assert.ok((await s.run('cat /proc/version')).out.includes(p.kernel.release));
    assert.equal((await s.run('hostname')).out, `${p.hostname}\n`);
    assert.equal((await s.run('cat /etc/hostname')).out, `${p.hostname}\n`);
    assert.match((await s.run('ssh -V')).out, /^OpenSSH_9\.2p1 Debian-2\+deb12u3, OpenSSL /);
    const ifc = (await s.run('ifconfig')).out;
    const ipa = (await s.run('ip addr')).out;
    for (const x of [p.net.ipv4, p.net.mac]) assert.ok(ifc.includes(x) && ipa.includes(x), x);
    // A KVM guest throughout: lscpu's hypervisor, the QEMU guest agent in ps, and a KVM (QEMU or OpenStack) MAC.
    assert.match((await s.run('lscpu')).out, /Hypervisor vendor:\s+KVM/);
    assert.match((await s.run('ps aux')).out, /\/usr\/sbin\/qemu-ga/);
    assert.match(p.net.mac, /^(52:54:00|fa:16:3e):/, `seed ${seed}`);
    const mhz = (await s.run("grep 'cpu MHz' /proc/cpuinfo")).out.trim().split('\n');
    assert.equal(mhz.length, cores);
    const upProc = Number((await s.run('cat /proc/uptime')).out.split(' ')[0]);
    const upCmd = (await s.run('uptime -p')).out;
    assert.ok(upProc > 3 * 86400 && /^up \d+ (week|day)/.test(upCmd), upCmd);
    await s.end();
  }
});

test('none of the known Cowrie/Kippo tells appear in the default system', async () => {
  const t = testShell({ shell: { seed: 'tells' } });
  const s = t.open();
  const dump = (await s.run('cat /etc/passwd /etc/group /etc/hostname /etc/hosts /proc/cpuinfo /proc/meminfo; ls -la /home /root /tmp; ps aux; w; last; free; uname -a; ifconfig; df -h')).out;
  for (const tell of ['svr04', 'svr03', 'phil', 'richard', '2133.305', 'Jun22', 'Jun23', '@LocalHost', 'Cowrie', 'cowrie', 'kippo', 'honeypot']) {
    assert.ok(!dump.includes(tell), `found ${tell}`);
  }
  // ping never answers with made-up addresses: names fail to resolve, and the line is the system's.
  const ping = await s.run('ping -c 1 google.com');
  assert.match(ping.out, /Temporary failure in name resolution/);
  assert.doesNotMatch(ping.out, /\d+\.\d+\.\d+\.\d+/);
  // Unknown commands answer like bash and say so.
  const r = await s.run('xmrig --donate-level 1');
  assert.deepEqual([r.code, r.out], [127, 'bash: line 1: xmrig: command not found\n']);
  await s.end();
});

test("an attacker's files persist for that address across sessions, not for others", async () => {
  const t = testShell({ shell: { seed: 'persist' } });
  const s1 = t.open('198.51.100.20');
  await s1.run('echo marker-123 > /tmp/.x; mkdir -p /root/.cache/k; cp /tmp/.x /root/.cache/k/y; rm /etc/motd');
  await s1.end();
  const s2 = t.open('198.51.100.20');
  assert.equal((await s2.run('cat /tmp/.x /root/.cache/k/y')).out, 'marker-123\nmarker-123\n');
  assert.equal((await s2.run('cat /etc/motd')).code, 1);
  await s2.end();
  const other = t.open('198.51.100.21');
  const r = await other.run('cat /tmp/.x; grep -c Debian /etc/motd');
  assert.equal(r.out, 'cat: /tmp/.x: No such file or directory\n2\n');
  await other.end();
});

test('an IPv6 attacker is one attacker across its /64: its files, its quota and the passwords it set follow it from address to address', async () => {
  const t = testShell({ shell: { seed: 'persist6', quota_bytes: 64 * 1024, quota_entries: 50 } });
  const s1 = t.open('2001:db8:40:1::10');
  await s1.run("echo marker-6 > /tmp/.y; echo 'root:Rotated-Pw-6' | chpasswd");
  await s1.end();
  const s2 = t.open('2001:db8:40:1:8000::77');
  assert.equal((await s2.run('cat /tmp/.y')).out, 'marker-6\n');
  await s2.end();
  assert.equal(t.env.acceptsChangedPassword('2001:db8:40:1::9999', 'root', 'Rotated-Pw-6'), true);
  assert.equal(t.env.acceptsChangedPassword('2001:db8:40:2::10', 'root', 'Rotated-Pw-6'), false);
  const other = t.open('2001:db8:40:2::10');
  assert.equal((await other.run('cat /tmp/.y')).code, 1);
  await other.end();
});

test('a password set from a 4 MiB stdin is remembered as a copy of its own, not a view into the stdin', async () => {
  const t = testShell({ shell: { seed: 'pw-copy' } });
  const s = t.open('198.51.100.30');
  // Sixteen users' passwords are each the first line of 4 Mi characters: without copies they keep 64 MiB.
  const held = await heldBy(async () => {
    for (let i = 0; i < 16; i++) assert.equal((await s.run(`useradd user${i}; passwd --stdin user${i}`, `Rotated-Password-${i}\n${'y'.repeat(4 * MiB)}`)).code, 0);
  });
  await s.end();
  assert.ok(held < 8 * MiB, `${(held / MiB).toFixed(1)} MiB held by 16 remembered passwords`);
  assert.equal(t.env.acceptsChangedPassword('198.51.100.30', 'user7', 'Rotated-Password-7'), true);
});

test('per-attacker quotas hold against a writer that never stops', async () => {
  const t = testShell({ shell: { seed: 'quota', quota_bytes: 64 * 1024, quota_entries: 50 } });
  const s = t.open('198.51.100.30');
  // Lines of 1 KB, so the quota is reached within 70 passes: with 63-byte lines it took 1,000, and on
  // a loaded machine the line's work budget (MAX_LINE_WORK_MS) could stop the loop first ("Killed").
  const r1 = await s.run(`x=${'A'.repeat(1000)}; i=0; while true; do echo $x >> /tmp/fill; i=$((i+1)); done`);
  assert.match(r1.out, /No space left on device/);
  const r2 = await s.run('for i in $(seq 1 200); do touch /tmp/f$i; done; ls /tmp | wc -l');
  assert.match(r2.out, /No space left on device/);
  const size = Number((await s.run('wc -c < /tmp/fill')).out.trim());
  assert.ok(size <= 64 * 1024 && size > 60 * 1024, `file is ${size} bytes`);
  assert.ok(s.session.shell.vfs.overlay.bytes <= 64 * 1024);
  assert.ok(s.session.shell.vfs.overlay.entries <= 50);
  await s.end();
});

test('written files are quarantined once at the end of the session with file.download events', async () => {
  const t = testShell({ shell: { seed: 'capture' } });
  const s = t.open('198.51.100.40');
  await s.run("echo -ne '\\x7f\\x45\\x4c\\x46\\x02' > /tmp/.d; for i in 1 2 3; do echo -ne '\\x41' >> /tmp/.d; done; echo payload | base64 | base64 -d > /tmp/p");
  await s.end();
  const dl = t.events.filter((e) => e.type === 'file.download');
  assert.equal(dl.length, 2);
  const d = dl.find((e) => (e.payload as { path?: string }).path === '/tmp/.d')!.payload as { sha256: string; size: number; outcome: string };
  assert.equal(d.size, 8);
  assert.equal(d.outcome, 'stored');
  assert.ok(t.env.quarantine.has(d.sha256));
});

test('dropper-style scripts run: case on the architecture, functions, while read, here-documents', async () => {
  const t = testShell({ shell: { seed: 'scripts' } });
  const s = t.open();
  const script = [
    '#!/bin/sh',
    'pick() { case "$1" in x86_64|amd64) echo x86;; arm*|aarch64) echo arm;; mips*) echo mips;; *) echo unknown;; esac; }',
    'ARCH=$(pick $(uname -m))',
    'cat > /tmp/list <<EOF',
    'one $ARCH',
    'two',
    'EOF',
    'n=0; while read a b; do n=$((n+1)); echo "$n:$a:$b"; done < /tmp/list',
    'for f in /tmp/list /nonexistent; do [ -f "$f" ] && echo "have $f" || echo "no $f"; done',
  ].join('\n');
  await s.run(`cat > /tmp/d.sh <<'END'\n${script}\nEND`);
  const r = await s.run('sh /tmp/d.sh; chmod +x /tmp/d.sh; /tmp/d.sh | tail -1');
  assert.equal(r.out, '1:one:x86\n2:two:\nhave /tmp/list\nno /nonexistent\nno /nonexistent\n');
  await s.end();
});

test('systemctl lists the same units bare, with list-units (and --type=service) and in list-unit-files', async () => {
  const t = testShell({ shell: { seed: 'units' } });
  const s = t.open();
  const names = (out: string): string[] => [...out.matchAll(/^\s*([\w.-]+)\.service\s/gm)].map((m) => m[1]!);
  const bare = await s.run('systemctl');
  const listed = await s.run('systemctl list-units --type=service');
  const files = await s.run('systemctl list-unit-files');
  await s.end();
  assert.ok(names(bare.out).includes('cron') && names(bare.out).includes('ssh'), bare.out);
  assert.deepEqual(names(listed.out), names(bare.out));
  assert.deepEqual(names(files.out), names(bare.out));
  assert.match(listed.out, new RegExp(`^${names(bare.out).length} loaded units listed\\.`, 'm'));
  assert.match(files.out, /^ssh\.service\s+enabled\s+enabled$/m);
});

test('the environment is what sshd or login gives: SSH_* only over SSH, TERM and SSH_TTY only with a pty', async () => {
  const t = testShell({ shell: { seed: 'env' } });
  const vars = async (o: { pty?: boolean; protocol?: 'ssh' | 'telnet' }): Promise<string> => {
    const s = t.open('198.51.100.7', o);
    const r = (await s.run('env | grep -E "^(SSH_|TERM=)" | sort')).out.replace(/\r/g, '');
    await s.end();
    return r;
  };
  const ip = t.env.profile.net.ipv4;
  assert.equal(await vars({}), `SSH_CLIENT=198.51.100.7 40000 22\nSSH_CONNECTION=198.51.100.7 40000 ${ip} 22\n`);
  assert.equal(await vars({ pty: true }), `SSH_CLIENT=198.51.100.7 40000 22\nSSH_CONNECTION=198.51.100.7 40000 ${ip} 22\nSSH_TTY=/dev/pts/0\nTERM=xterm-256color\n`);
  assert.equal(await vars({ pty: true, protocol: 'telnet' }), 'TERM=xterm-256color\n');
});

test("$$ is the shell's pid in ps and $PPID its sshd's; an exec's $0 and diagnostics are bash -c's", async () => {
  const t = testShell({ shell: { seed: 'pids' } });
  const s = t.open();
  const [self, parent, ...ps] = (await s.run('echo $$; echo $PPID; ps -ef')).out.trim().split('\n');
  const shell = ps.find((l) => / bash -c echo/.test(l))!.trim().split(/\s+/);
  assert.deepEqual([shell[1], shell[2]], [self, parent]);
  assert.match(ps.find((l) => l.trim().split(/\s+/)[1] === parent)!, /sshd: root@notty$/);
  assert.equal((await s.run('sleep 1 & echo $$')).out.trim().split('\n').pop(), self, 'a background job does not change $$');
  assert.deepEqual((await s.run('echo $0; cd /nonexistent')).out, 'bash\nbash: line 1: cd: /nonexistent: No such file or directory\n');
  assert.equal((await s.run('/no/such')).out, 'bash: line 1: /no/such: No such file or directory\n');
  await s.end();
});

test('df, ls -l /dev, ps, dmesg and ss agree with each other and print as the real tools do', async () => {
  for (const seed of ['d1', 'd2', 'd3', 'd4']) {
    const t = testShell({ shell: { seed } });
    const s = t.open();
    const disk = t.env.profile.disk.device.replace('/dev/', '');
    // GNU df: "Available" unless -h, and its minimum widths (Filesystem 14, numbers 5).
    const df = (await s.run('df')).out.split('\n');
    assert.match(df[0]!, /^Filesystem\s+1K-blocks\s+Used Available Use% Mounted on$/);
    const dfh = (await s.run('df -h')).out.split('\n');
    assert.equal(dfh[0], 'Filesystem      Size  Used Avail Use% Mounted on');
    assert.match(dfh[1]!, /^udev {11}[ \d.]{4}[KMGT] /, 'Size right-aligned in columns 16-20');
    assert.match((await s.run('ps aux')).out, new RegExp(`\\[jbd2/${disk}-8\\]`));
    assert.match((await s.run('mount')).out, new RegExp(`^/dev/${disk} on / type ext4`, 'm'));
    const dev = (await s.run('ls -l /dev')).out;
    const major = disk.startsWith('vd') ? 254 : 8;
    for (const [name, nums] of [['null', '1, 3'], ['zero', '1, 5'], ['urandom', '1, 9'], ['ptmx', '5, 2'], [disk, `${major}, 1`]] as const) {
      assert.match(dev, new RegExp(`${nums.replace(' ', '\\s+')} .* ${name}$`, 'm'), `${seed} ${name}`);
    }
    // Every ss/netstat program is one ps shows.
    const comms = new Set((await s.run('ps -e')).out.split('\n').slice(1).map((l) => l.trim().split(/\s+/)[3]));
    for (const m of (await s.run('ss -tulnp')).out.matchAll(/users:\(\("([^"]+)"/g)) assert.ok(comms.has(m[1]!), `${seed}: ss lists ${m[1]}`);
    assert.doesNotMatch((await s.run('dmesg')).out, /\[\s*\d+\.000000\] workqueue/);
    await s.end();
  }
});

test("the Last login line is the user's previous login, as last lists it, in sshd's or login's format", async () => {
  const t = testShell({ shell: { seed: 'lastlog' } });
  const ip = '198.51.100.7';
  // The first login: root's latest login on the host, which last also lists.
  const first = t.open(ip, { pty: true });
  const banner = first.login().replace(/\r/g, '');
  const m = /^Last login: (\w{3} \w{3} [ \d]\d \d\d:\d\d):\d\d (\d{4}) from (\S+)$/m.exec(banner);
  assert.ok(m, banner);
  const rows = (await first.run('last')).out.replace(/\r/g, '').split('\n');
  assert.match(rows[0]!, new RegExp(`^root +pts/0 +${ip.replace(/\./g, '\\.')} .* still logged in$`), 'this login is in wtmp');
  const before = rows.find((r) => r.startsWith('root ') && !r.includes(ip))!;
  assert.ok(before.includes(` ${m[3]} `) && before.includes(` ${m[1]} - `), `${before} vs ${m[0]}`);
  await first.end();
  // The next, over telnet: this attacker's own login just before, in pam_lastlog's format.
  const second = t.open(ip, { pty: true, protocol: 'telnet' });
  const again = second.login().replace(/\r/g, '');
  assert.match(again, new RegExp(`^Last login: \\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d UTC \\d{4} from ${ip.replace(/\./g, '\\.')} on pts/0$`, 'm'));
  const rows2 = (await second.run('last')).out.replace(/\r/g, '').split('\n');
  assert.match(rows2[0]!, /^root +pts\/1 .* still logged in$/);
  assert.match(rows2[1]!, new RegExp(`^root +pts/0 +${ip.replace(/\./g, '\\.')} .* - \\d\\d:\\d\\d  \\(00:00\\)$`));
  await second.end();
  // An exec request is no login: last does not list it, and the next login still greets with the telnet one.
  const exec = t.open(ip);
  assert.doesNotMatch((await exec.run('last')).out, /still logged in/);
  await exec.end();
  const third = t.open(ip, { pty: true });
  assert.match(third.login(), new RegExp(`^Last login: \\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4} from ${ip.replace(/\./g, '\\.')}\\r?$`, 'm'));
  await third.end();
});

test('an exec request has no terminal: ps shows sshd @notty and bash -c with tty ?, and w, who and users leave it out', async () => {
  const t = testShell({ shell: { seed: 'notty' } });
  const s = t.open();
  const [self, ...ps] = (await s.run('echo $$; ps -ef')).out.trim().split('\n');
  const shell = ps.find((l) => l.trim().split(/\s+/)[1] === self)!;
  assert.match(shell, /^root +\d+ +\d+ +0 \d\d:\d\d \? +00:00:00 bash -c echo \$\$; ps -ef$/);
  const parent = shell.trim().split(/\s+/)[2];
  assert.match(ps.find((l) => l.trim().split(/\s+/)[1] === parent)!, / \? +00:00:00 sshd: root@notty$/);
  assert.match(ps.at(-1)!, new RegExp(`^root +\\d+ +${self} +0 \\d\\d:\\d\\d \\? +00:00:00 ps -ef$`), 'ps itself, under the shell');
  assert.doesNotMatch((await s.run('ps -ef; ps aux')).out, /pts\/|-bash|R\+/);
  const w = (await s.run('w')).out.split('\n');
  assert.match(w[0]!, /,  0 user,  load average/);
  assert.deepEqual(w.slice(2), ['']);
  assert.equal((await s.run('who; users')).out, '');
  await s.end();
  const pty = t.open('203.0.113.9', { pty: true });
  const rows = (await pty.run('ps -ef; w -h')).out.replace(/\r/g, '');
  assert.match(rows, /pts\/0 +00:00:00 -bash$/m);
  assert.match(rows, /sshd: root@pts\/0$/m);
  assert.match(rows, /^root +pts\/0 +203\.0\.113\.9 /m);
  await pty.end();
});

test("ps memory figures are not round, differ per host and stay put; /proc/loadavg's last pid is ps's", async () => {
  const figures = async (seed: string): Promise<string[]> => {
    const t = testShell({ shell: { seed } });
    const s = t.open();
    const rows = (await s.run('ps aux')).out.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    const again = (await s.run('ps aux')).out.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    assert.deepEqual(again.slice(0, -1).map((r) => r.slice(4, 6)), rows.slice(0, -1).map((r) => r.slice(4, 6)), 'the same on every call');
    const mem = rows.flatMap((r) => [Number(r[4]), Number(r[5])]).filter((n) => n > 0);
    assert.ok(mem.every((n) => n % 4 === 0), 'whole pages');
    assert.ok(mem.filter((n) => n % 100 === 0).length <= 3, `round figures: ${mem.join(' ')}`);
    // The newest pid in /proc/loadavg is the reader's own, above every pid ps showed.
    const [loadavg, psOut] = (await s.run('cat /proc/loadavg; ps -e')).out.split('\n');
    const last = Number(loadavg!.split(' ')[4]);
    const pids = (await s.run('ps -e')).out.trim().split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[0]));
    assert.ok(psOut !== undefined && last > Math.max(...pids.slice(0, -1)) - 200 && last < Math.max(...pids), `${last} vs ${pids.slice(-3).join(' ')}`);
    await s.end();
    return rows.slice(0, 20).map((r) => `${r[4]} ${r[5]}`);
  };
  assert.notDeepEqual(await figures('m1'), await figures('m2'));
});

test('/proc/self describes the command reading it, and /etc/localtime is a link to the UTC zone file', async () => {
  const t = testShell({ shell: { seed: 'procself' } });
  const s = t.open();
  const out = (await s.run('echo $$; grep -E "^(Name|Pid|PPid|Uid):" /proc/self/status; cat /proc/self/cmdline | tr "\\0" " "; echo; ls -l /etc/localtime; head -c 5 /usr/share/zoneinfo/Etc/UTC')).out.split('\n');
  const [self, name, pid, ppid, uid, cmdline, link, tzif] = out;
  assert.equal(name, 'Name:\tgrep');
  assert.equal(ppid, `PPid:\t${self}`);
  assert.ok(Number(pid!.split('\t')[1]) > Number(self));
  assert.equal(uid, 'Uid:\t0\t0\t0\t0');
  assert.equal(cmdline, 'cat /proc/self/cmdline ');
  assert.match(link!, /^lrwxrwxrwx 1 root root 27 .* \/etc\/localtime -> \/usr\/share\/zoneinfo\/Etc\/UTC$/);
  assert.equal(tzif, 'TZif2');
  await s.end();
});

test('tty, locale, timedatectl and sshd -V answer as the real ones on Debian 12', async () => {
  const t = testShell({ shell: { seed: 'cmds' } });
  const s = t.open();
  assert.deepEqual(await s.run('tty'), { out: 'not a tty\n', code: 1 });
  const locale = (await s.run('locale')).out.split('\n');
  assert.deepEqual(locale.slice(0, 3), ['LANG=C.UTF-8', 'LANGUAGE=', 'LC_CTYPE="C.UTF-8"']);
  assert.equal(locale.length, 16, 'LANG, LANGUAGE, 12 categories, LC_ALL');
  assert.match((await s.run('LANG=en_US.UTF-8 locale 2>&1 >/dev/null')).out, /^locale: Cannot set LC_CTYPE to default locale: No such file or directory$/m);
  assert.match((await s.run('timedatectl')).out, /^ {16}Time zone: Etc\/UTC \(UTC, \+0000\)\nSystem clock synchronized: yes$/m);
  // OpenSSH's sshd -V prints SSH_VERSION, not the banner's release; a relative sshd cannot re-exec.
  assert.deepEqual(await s.run('sshd -V'), { out: 'OpenSSH_9.2, OpenSSL 3.0.15 3 Sep 2024\n', code: 0 });
  assert.deepEqual(await s.run('/usr/sbin/sshd -V'), { out: 'OpenSSH_9.2, OpenSSL 3.0.15 3 Sep 2024\n', code: 0 });
  assert.deepEqual(await s.run('sshd'), { out: 'sshd re-exec requires execution with an absolute path\n', code: 255 });
  assert.match((await s.run('/usr/sbin/sshd -x')).out, /^unknown option -- x\nOpenSSH_9\.2p1 Debian-2\+deb12u3, OpenSSL 3\.0\.15 3 Sep 2024\nusage: sshd \[-46DdeiqTtV\]/);
  await s.end();
});

test('od dumps as GNU od does, and stat reports as coreutils 9.1 does', async () => {
  const t = testShell({ shell: { seed: 'od' } });
  const s = t.open();
  // Bytes "hello\tw\0\x80rld\n" then 56 'A' and '!': expected output from GNU od 9.1 on the same bytes.
  const file = 'aGVsbG8JdwCAcmxkCkFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBIQ==';
  await s.run(`echo ${file} | base64 -d > /tmp/od.in`);
  assert.equal((await s.run('od -c /tmp/od.in')).out, '0000000   h   e   l   l   o  \\t   w  \\0 200   r   l   d  \\n   A   A   A\n0000020   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A   A\n*\n0000100   A   A   A   A   A   !\n0000106\n');
  assert.equal((await s.run('od /tmp/od.in | head -1')).out, '0000000 062550 066154 004557 000167 071200 062154 040412 040501\n');
  assert.equal((await s.run('od -An -tx1 -N5 /tmp/od.in; od -Ax -x -N3 /tmp/od.in')).out, ' 68 65 6c 6c 6f\n000000 6568 006c\n000003\n');
  assert.equal((await s.run('od -tx2 -c -N4 /tmp/od.in')).out, '0000000    6568    6c6c\n          h   e   l   l\n0000004\n');
  assert.deepEqual(await s.run('od -z /tmp/od.in'), { out: "od: invalid option -- 'z'\nTry 'od --help' for more information.\n", code: 1 });
  const st = (await s.run('stat /dev/null /tmp/od.in')).out.split('\n');
  assert.match(st[2]!, /^Device: 0,5\tInode: \d+ +Links: 1     Device type: 1,3$/);
  assert.match(st[9]!, /^ {2}Size: 70 {8}\tBlocks: 8 {10}IO Block: 4096   regular file$/);
  assert.match(st[13]!, /^Modify: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} \+0000$/);
  await s.end();
});

test('a directory has 2 links and one per subdirectory; /proc and /sys are size 0 from boot', async () => {
  const t = testShell({ shell: { seed: 'links' } });
  const s = t.open();
  await s.run('mkdir -p /tmp/a/b /tmp/a/c; touch /tmp/a/f');
  assert.match((await s.run('ls -ld /tmp/a')).out, /^drwxr-xr-x 4 root root 4096 /);
  assert.match((await s.run('stat -c %h /tmp/a/b')).out, /^2$/m);
  const boot = new Date(t.env.profile.bootMs);
  const day = `${boot.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' })} ${String(boot.getUTCDate()).padStart(2)}`;
  for (const d of ['/proc', '/sys']) assert.match((await s.run(`ls -ld ${d}`)).out, new RegExp(`^dr-xr-xr-x +\\d+ root root 0 ${day} `), d);
  await s.end();
});

test("the FTP root the FTP sensor lists is the shell's /srv/ftp, owned by the ftp account /etc/passwd names", async () => {
  const { buildFakeTree, listDirectory, treeEntries } = await import('../../../src/sensors/ftp/fake-tree.js');
  const { openHoneytokenRegistry } = await import('../../../src/sensors/runtime/honeytokens.js');
  const { daemonAccounts } = await import('../../../src/sensors/runtime/host.js');
  const daemons = [{ kind: 'sshd' as const, startMs: 0, sockets: [{ proto: 'tcp' as const, address: '0.0.0.0', port: 22 }] }, { kind: 'vsftpd' as const, startMs: 0, sockets: [{ proto: 'tcp' as const, address: '0.0.0.0', port: 21 }] }];
  const account = daemonAccounts(daemons).find((a) => a.kind === 'vsftpd')!;
  const probe = testShell();
  const tree = buildFakeTree(openHoneytokenRegistry(probe.dir), 'files.localdomain', account);
  const t = testShell({ shell: { seed: 'ftp' }, host: { bootMs: Date.now() - 86_400_000 * 9, daemons }, hostFiles: treeEntries(tree).map((e) => ({ ...e, path: `/srv/ftp${e.path}` })) });
  const s = t.open();
  const passwd = (await s.run('grep ^ftp: /etc/passwd; grep ^ftp: /etc/group')).out;
  assert.equal(passwd, `ftp:x:${account.uid}:${account.gid}:ftp daemon,,,:/srv/ftp:/usr/sbin/nologin\nftp:x:${account.gid}:\n`);
  // Names, owners (numeric as vsftpd lists them), sizes and dates agree entry by entry.
  const now = new Date();
  const ftp = listDirectory(tree, '/', '', { longLines: true, statCommand: false, now }).lines.map((l) => l.split(/\s+/));
  const shell = (await s.run('ls -ln /srv/ftp')).out.trim().split('\n').slice(1).map((l) => l.split(/\s+/));
  assert.deepEqual(shell.map((r) => [r[0], r[1], r[2], r[3], r[4], r.at(-1)]), ftp.map((r) => [r[0], r[1], r[2], r[3], r[4], r.at(-1)]));
  assert.match((await s.run('ls -l /srv/ftp')).out, /^drwxr-xr-x 2 ftp +ftp +4096 .* upload$/m);
  assert.equal((await s.run('cat /srv/ftp/pub/README')).out.replace(/\r/g, ''), 'Welcome to the files.localdomain FTP archive.\nFirmware images are in /pub/firmware. Uploads go to /upload.\n');
  await s.end();
});
