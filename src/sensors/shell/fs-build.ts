// Builds the base filesystem of the fake Debian 12 server from its profile: /etc, /proc, binaries,
// home directories, logs, and the planted honeytokens. Built once per process and shared read-only.
import { BaseFs, type ProcView, type VFile } from './vfs.js';
import { fakeElf } from './elf.js';
import { dmiIdFiles, machineDmi } from './machine.js';
import { loadAt, memoryAt, uptimeSeconds, SeededRandom, type SystemProfile } from './profile.js';
import type { PlantedFile } from './honeytokens.js';
import { ALL_COMMANDS } from './commands/index.js';
import { exeOf, systemProcesses } from './commands/processes.js';
import type { HostFile } from '../runtime/host.js';

/** Emulated programs and where Debian installs them (with plausible sizes). */
export const BINARIES: Record<string, { dir: string; size: number }> = {};
const bin = (dir: string, size: number, ...names: string[]): void => {
  for (const n of names) BINARIES[n] = { dir, size: size + ((n.length * 7919) % 4000) };
};
bin('/usr/bin', 141_000, 'ls', 'cat', 'cp', 'mv', 'rm', 'mkdir', 'rmdir', 'touch', 'chmod', 'chown', 'chgrp', 'head', 'tail', 'wc', 'echo', 'printf', 'pwd', 'uname', 'id', 'whoami', 'base64', 'dd', 'sleep', 'nohup', 'env', 'nproc', 'df', 'date', 'cut', 'sort', 'uniq', 'tr', 'tee', 'true', 'false', 'test', '[', 'ln', 'basename', 'dirname', 'md5sum', 'sha256sum', 'stat', 'yes', 'seq', 'xargs', 'readlink');
bin('/usr/bin', 48_000, 'hostname', 'which', 'uptime', 'free', 'w', 'who', 'last', 'kill', 'pkill', 'ps', 'top', 'lscpu', 'find', 'grep', 'egrep', 'fgrep', 'awk', 'mawk', 'sed', 'tar', 'gzip', 'crontab', 'sudo', 'su', 'passwd', 'chpasswd', 'wget', 'curl', 'scp', 'ssh', 'ping', 'ip', 'ss', 'perl', 'python3', 'apt', 'apt-get', 'dpkg', 'bash', 'sh', 'dash', 'busybox', 'nano', 'vi', 'chattr', 'lsattr', 'killall', 'mount', 'systemctl', 'service', 'file', 'users', 'groups', 'clear', 'history', 'ulimit', 'lsb_release', 'getconf', 'unzip', 'nc', 'netcat', 'openssl', 'shred');
bin('/usr/sbin', 62_000, 'dmidecode', 'useradd', 'userdel', 'usermod', 'adduser', 'ifconfig', 'netstat', 'iptables', 'route', 'reboot', 'shutdown', 'sshd', 'cron', 'arp', 'halt', 'poweroff');
/** Names that are shell syntax or links rather than files of their own. */
const NO_BINARY = new Set([':', 'sh', 'python3', 'python3.11', 'awk', 'nc']);
// Debian 12 merged /usr: these are symlinks there.
const DASH_SIZE = 125_560;

export function cpuinfoText(p: SystemProfile): string {
  const blocks: string[] = [];
  for (let i = 0; i < p.cpu.cores; i++) {
    blocks.push(
      [
        `processor\t: ${i}`,
        `vendor_id\t: ${p.cpu.vendor}`,
        `cpu family\t: ${p.cpu.family}`,
        `model\t\t: ${p.cpu.model}`,
        `model name\t: ${p.cpu.name}`,
        `stepping\t: ${p.cpu.stepping}`,
        `microcode\t: ${p.cpu.microcode}`,
        `cpu MHz\t\t: ${p.cpu.mhz[i]!.toFixed(3)}`,
        `cache size\t: ${p.cpu.cacheKb} KB`,
        `physical id\t: 0`,
        `siblings\t: ${p.cpu.cores}`,
        `core id\t\t: ${i}`,
        `cpu cores\t: ${p.cpu.cores}`,
        `apicid\t\t: ${i}`,
        `initial apicid\t: ${i}`,
        `fpu\t\t: yes`,
        `fpu_exception\t: yes`,
        `cpuid level\t: ${p.cpu.vendor === 'GenuineIntel' ? 22 : 16}`,
        `wp\t\t: yes`,
        `flags\t\t: ${p.cpu.flags}`,
        `bugs\t\t: ${p.cpu.vendor === 'GenuineIntel' ? 'spectre_v1 spectre_v2 spec_store_bypass swapgs taa mmio_stale_data retbleed gds' : 'sysret_ss_attrs null_seg spectre_v1 spectre_v2 spec_store_bypass retbleed smt_rsb srso'}`,
        `bogomips\t: ${p.cpu.bogomips.toFixed(2)}`,
        `clflush size\t: 64`,
        `cache_alignment\t: 64`,
        `address sizes\t: ${p.cpu.vendor === 'GenuineIntel' ? '46 bits physical, 48 bits virtual' : '48 bits physical, 48 bits virtual'}`,
        `power management:`,
        '',
      ].join('\n'),
    );
  }
  return `${blocks.join('\n')}\n`;
}

export function meminfoText(p: SystemProfile, now = Date.now()): string {
  const m = memoryAt(p, now);
  const kb = (label: string, v: number): string => `${`${label}:`.padEnd(16)}${String(v).padStart(8)} kB`;
  return (
    [
      kb('MemTotal', m.total),
      kb('MemFree', m.free),
      kb('MemAvailable', m.available),
      kb('Buffers', m.buffers),
      kb('Cached', m.cached),
      kb('SwapCached', 0),
      kb('Active', Math.floor(m.used * 1.1)),
      kb('Inactive', Math.floor(m.cached * 0.7)),
      kb('SwapTotal', p.swapKb),
      kb('SwapFree', p.swapKb - m.swapUsed),
      kb('Dirty', 184),
      kb('Writeback', 0),
      kb('AnonPages', Math.floor(m.used * 0.8)),
      kb('Mapped', Math.floor(m.cached * 0.2)),
      kb('Shmem', m.shared),
      kb('Slab', Math.floor(m.total * 0.03)),
      kb('PageTables', Math.floor(m.total * 0.002)),
      kb('CommitLimit', Math.floor(m.total / 2) + p.swapKb),
      kb('Committed_AS', Math.floor(m.used * 1.6)),
      kb('VmallocTotal', 34359738367),
      kb('HugePages_Total', 0).replace(' kB', ''),
      kb('Hugepagesize', 2048),
    ].join('\n') + '\n'
  );
}

export function procVersionText(p: SystemProfile): string {
  return `Linux version ${p.kernel.release} (debian-kernel@lists.debian.org) (${p.kernel.gccVersion}) ${p.kernel.version}\n`;
}

const MOUNTS = (p: SystemProfile): string =>
  [
    'sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0',
    'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0',
    `udev /dev devtmpfs rw,nosuid,relatime,size=${Math.floor(p.memKb / 2)}k,nr_inodes=${Math.floor(p.memKb / 8)},mode=755,inode64 0 0`,
    'devpts /dev/pts devpts rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000 0 0',
    `tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=${Math.floor(p.memKb / 10)}k,mode=755,inode64 0 0`,
    `${p.disk.device} / ext4 rw,relatime,errors=remount-ro 0 0`,
    'securityfs /sys/kernel/security securityfs rw,nosuid,nodev,noexec,relatime 0 0',
    'tmpfs /dev/shm tmpfs rw,nosuid,nodev,inode64 0 0',
    'tmpfs /run/lock tmpfs rw,nosuid,nodev,noexec,relatime,size=5120k,inode64 0 0',
    'cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0',
    'bpf /sys/fs/bpf bpf rw,nosuid,nodev,noexec,relatime,mode=700 0 0',
    'mqueue /dev/mqueue mqueue rw,nosuid,nodev,noexec,relatime 0 0',
    'debugfs /sys/kernel/debug debugfs rw,nosuid,nodev,noexec,relatime 0 0',
    `tmpfs /run/user/0 tmpfs rw,nosuid,nodev,relatime,size=${Math.floor(p.memKb / 10)}k,nr_inodes=${Math.floor(p.memKb / 40)},mode=700,inode64 0 0`,
    '',
  ].join('\n');

export function passwdText(p: SystemProfile): string {
  const sys = [
    'root:x:0:0:root:/root:/bin/bash',
    'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
    'bin:x:2:2:bin:/bin:/usr/sbin/nologin',
    'sys:x:3:3:sys:/dev:/usr/sbin/nologin',
    'sync:x:4:65534:sync:/bin:/bin/sync',
    'games:x:5:60:games:/usr/games:/usr/sbin/nologin',
    'man:x:6:12:man:/var/cache/man:/usr/sbin/nologin',
    'lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin',
    'mail:x:8:8:mail:/var/mail:/usr/sbin/nologin',
    'news:x:9:9:news:/var/spool/news:/usr/sbin/nologin',
    'uucp:x:10:10:uucp:/var/spool/uucp:/usr/sbin/nologin',
    'proxy:x:13:13:proxy:/bin:/usr/sbin/nologin',
    'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin',
    'backup:x:34:34:backup:/var/backups:/usr/sbin/nologin',
    'list:x:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin',
    'irc:x:39:39:ircd:/run/ircd:/usr/sbin/nologin',
    '_apt:x:42:65534::/nonexistent:/usr/sbin/nologin',
    'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
    'systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin',
    'systemd-timesync:x:997:997:systemd Time Synchronization:/:/usr/sbin/nologin',
    'messagebus:x:100:107::/nonexistent:/usr/sbin/nologin',
    'sshd:x:101:65534::/run/sshd:/usr/sbin/nologin',
    'mysql:x:102:110:MySQL Server,,,:/nonexistent:/bin/false',
    ...daemonLines(p).map((a) => a.passwd),
  ];
  const humans = p.users.filter((u) => u.uid >= 1000).map((u) => `${u.name}:x:${u.uid}:${u.gid}:${u.gecos}:${u.home}:${u.shell}`);
  return `${[...sys, ...humans].join('\n')}\n`;
}

/** The system accounts the packages of the host's daemons add (see daemonAccounts). */
function daemonLines(p: SystemProfile): { passwd: string; group: string }[] {
  return p.daemonAccounts.map((a) => ({ passwd: `${a.name}:x:${a.uid}:${a.gid}:${a.gecos}:${a.home}:/usr/sbin/nologin`, group: `${a.name}:x:${a.gid}:` }));
}

export function groupText(p: SystemProfile): string {
  const admin = p.admin.name;
  const lines = [
    'root:x:0:', 'daemon:x:1:', 'bin:x:2:', 'sys:x:3:', `adm:x:4:${admin}`, 'tty:x:5:', 'disk:x:6:', 'lp:x:7:', 'mail:x:8:', 'news:x:9:', 'uucp:x:10:', 'man:x:12:', 'proxy:x:13:', 'kmem:x:15:', `dialout:x:20:`, 'fax:x:21:', 'voice:x:22:', `cdrom:x:24:${admin}`, 'floppy:x:25:', 'tape:x:26:', `sudo:x:27:${admin}`, 'audio:x:29:', `dip:x:30:${admin}`, 'www-data:x:33:', 'backup:x:34:', 'operator:x:37:', 'list:x:38:', 'irc:x:39:', 'src:x:40:', 'shadow:x:42:', 'utmp:x:43:', 'video:x:44:', 'sasl:x:45:', `plugdev:x:46:${admin}`, 'staff:x:50:', 'games:x:60:', `users:x:100:${admin}`, 'nogroup:x:65534:', 'systemd-journal:x:999:', 'systemd-network:x:998:', 'systemd-timesync:x:997:', 'messagebus:x:107:', 'ssh:x:108:', 'mysql:x:110:',
    ...daemonLines(p).map((a) => a.group),
    ...p.users.filter((u) => u.uid >= 1000).map((u) => `${u.name}:x:${u.gid}:`),
  ];
  return `${lines.join('\n')}\n`;
}

function shadowText(p: SystemProfile, rng: SeededRandom): string {
  // yescrypt strings as Debian 12 writes them: $y$j9T$<22-char salt>$<43-char hash>, crypt base64 alphabet.
  const b64 = (n: number): string => Buffer.from(rng.hex(n), 'hex').toString('base64').replace(/\+/g, '.').replace(/=+$/, '');
  const hash = (): string => `$y$j9T$${b64(17).slice(0, 22)}$${b64(33).slice(0, 43)}`;
  const days = Math.floor(p.bootMs / 86_400_000) - rng.int(30, 400);
  return passwdText(p)
    .trim()
    .split('\n')
    .map((l) => {
      const name = l.split(':')[0]!;
      const human = name === 'root' || p.users.some((u) => u.name === name && u.uid >= 1000);
      return `${name}:${human ? hash() : name === 'root' ? '*' : '*'}:${days}:0:99999:7:::`;
    })
    .join('\n')
    .concat('\n');
}

const BASH_LOGOUT = '# ~/.bash_logout: executed by bash(1) when login shell exits.\n\nif [ "$SHLVL" = 1 ]; then\n    [ -x /usr/bin/clear_console ] && /usr/bin/clear_console -q\nfi\n';

const BASHRC = `# ~/.bashrc: executed by bash(1) for non-login shells.

# Note: PS1 and umask are already set in /etc/profile. You should not
# need this unless you want different defaults for root.
# PS1='\${debian_chroot:+($debian_chroot)}\\h:\\w\\$ '
# umask 022

# You may uncomment the following lines if you want \`ls' to be colorized:
# export LS_OPTIONS='--color=auto'
# eval "$(dircolors)"
# alias ls='ls $LS_OPTIONS'
# alias ll='ls $LS_OPTIONS -l'
# alias l='ls $LS_OPTIONS -lA'
#
# Some more alias to avoid making mistakes:
# alias rm='rm -i'
# alias cp='cp -i'
# alias mv='mv -i'
`;

const PROFILE = `# ~/.profile: executed by Bourne-compatible login shells.

if [ "$BASH" ]; then
  if [ -f ~/.bashrc ]; then
    . ~/.bashrc
  fi
fi

mesg n 2> /dev/null || true
`;

export interface BuildResult {
  base: BaseFs;
  /** Lines already in root's history (real admin work plus honeytoken lines). */
  rootHistory: string[];
}

export function buildBaseFs(p: SystemProfile, planted: { files: PlantedFile[]; history: string[] }, hostFiles: readonly HostFile[] = []): BuildResult {
  const fs = new BaseFs();
  const rng = new SeededRandom(`fs:${p.seed}`);
  const installMs = p.bootMs - rng.int(60, 500) * 86_400_000;
  const t = (daysAfterInstall: number): number => installMs + daysAfterInstall * 86_400_000 + rng.int(0, 86_399) * 1000;
  const dir = (path: string, mode = 0o755, uid = 0, mtimeMs = t(0)): void => fs.add(path, { kind: 'dir', mode, uid, gid: uid, mtimeMs });
  const file = (path: string, content: string | Buffer, mode = 0o644, uid = 0, mtimeMs = t(0)): void =>
    fs.add(path, { kind: 'file', mode, uid, gid: uid, mtimeMs, data: Buffer.isBuffer(content) ? content : Buffer.from(content) });
  const gen = (path: string, make: (view?: ProcView) => string, mode = 0o444): void => fs.add(path, { kind: 'file', mode, uid: 0, gid: 0, mtimeMs: p.bootMs, generate: make, size: 0 });
  const link = (path: string, target: string): void => fs.add(path, { kind: 'link', target, mode: 0o777, uid: 0, gid: 0, mtimeMs: installMs });
  fs.nodes.set('/', { kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtimeMs: installMs });

  for (const d of ['/usr', '/usr/bin', '/usr/sbin', '/usr/lib', '/usr/local', '/usr/local/bin', '/usr/local/sbin', '/usr/share', '/etc', '/etc/ssh', '/etc/network', '/etc/cron.d', '/etc/cron.daily', '/etc/apt', '/etc/default', '/etc/init.d', '/etc/systemd', '/etc/systemd/system', '/var', '/var/lib', '/var/cache', '/var/spool', '/var/spool/cron', '/var/mail', '/var/backups', '/var/www', '/var/www/html', '/opt', '/srv', '/mnt', '/media', '/boot', '/home', '/run', '/sys', '/dev/pts', '/usr/lib/x86_64-linux-gnu'])
    dir(d);
  dir('/var/log', 0o755);
  dir('/tmp', 0o1777);
  dir('/var/tmp', 0o1777);
  dir('/dev/shm', 0o1777);
  dir('/run/lock', 0o1777);
  dir('/var/spool/cron/crontabs', 0o1730);
  dir('/root', 0o700);
  dir('/root/.ssh', 0o700);
  dir('/proc', 0o555);
  dir('/proc/net', 0o555);
  dir('/proc/sys', 0o555);
  dir('/proc/sys/kernel', 0o555);
  link('/bin', 'usr/bin');
  link('/sbin', 'usr/sbin');
  link('/lib', 'usr/lib');
  link('/lib64', 'usr/lib64');
  dir('/usr/lib64');
  link('/usr/lib64/ld-linux-x86-64.so.2', '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
  link('/vmlinuz', `boot/vmlinuz-${p.kernel.release}`);
  link('/initrd.img', `boot/initrd.img-${p.kernel.release}`);
  file(`/boot/vmlinuz-${p.kernel.release}`, Buffer.alloc(0), 0o644);
  file(`/boot/config-${p.kernel.release}`, `#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 ${p.kernel.release.split('-')[0]} Kernel Configuration\n#\nCONFIG_64BIT=y\nCONFIG_X86_64=y\n`);

  // Every other emulated command gets a binary too, so `which`, `ls -l $(which x)` and /usr/bin/x agree.
  const extra: Record<string, { dir: string; size: number }> = {};
  for (const c of ALL_COMMANDS) for (const n of c.names) if (!BINARIES[n] && !NO_BINARY.has(n)) extra[n] = { dir: '/usr/bin', size: 30_000 + ((n.length * 104_729) % 90_000) };
  for (const [name, b] of [...Object.entries(BINARIES), ...Object.entries(extra)]) {
    const f: VFile = { kind: 'file', mode: name === 'sudo' ? 0o4755 : name === 'passwd' || name === 'su' ? 0o4755 : 0o755, uid: 0, gid: 0, mtimeMs: t(0), command: name, size: b.size, generate: () => fakeElf(name, b.size) };
    fs.add(`${b.dir}/${name}`, f);
  }
  fs.add('/usr/bin/dash', { kind: 'file', mode: 0o755, uid: 0, gid: 0, mtimeMs: t(0), command: 'sh', size: DASH_SIZE, generate: () => fakeElf('dash', DASH_SIZE) });
  link('/usr/bin/sh', 'dash');
  // The programs the process table runs, where /proc/PID/exe says they are (sshd and cron are commands above).
  for (const proc of systemProcesses(p)) {
    if (proc.cmd.startsWith('[')) continue;
    const path = exeOf(proc.cmd.split(' ')[0]!);
    if (fs.nodes.has(path)) continue;
    const name = path.slice(path.lastIndexOf('/') + 1);
    const size = 40_000 + ((name.length * 104_729) % 200_000);
    fs.add(path, { kind: 'file', mode: 0o755, uid: 0, gid: 0, mtimeMs: t(0), size, generate: () => fakeElf(name, size) });
  }
  link('/usr/sbin/init', '/lib/systemd/systemd');
  link('/usr/bin/python3', 'python3.11');
  fs.add('/usr/bin/python3.11', { kind: 'file', mode: 0o755, uid: 0, gid: 0, mtimeMs: t(0), command: 'python3', size: 6_831_736, generate: () => fakeElf('python3.11', 8192) });
  link('/usr/bin/awk', '/etc/alternatives/awk');
  link('/etc/alternatives/awk', '/usr/bin/mawk');
  link('/usr/bin/nc', '/etc/alternatives/nc');
  link('/etc/alternatives/nc', '/bin/nc.openbsd');
  fs.add('/usr/bin/nc.openbsd', { kind: 'file', mode: 0o755, uid: 0, gid: 0, mtimeMs: t(0), command: 'nc', size: 39_080, generate: () => fakeElf('nc', 39_080) });

  // /dev
  // Numbers and owners as devtmpfs and udev leave them on Debian 12.
  const devices = [['null', 1, 3, 0o666, 0], ['zero', 1, 5, 0o666, 0], ['random', 1, 8, 0o666, 0], ['urandom', 1, 9, 0o666, 0], ['tty', 5, 0, 0o666, 5], ['console', 5, 1, 0o600, 0], ['ptmx', 5, 2, 0o666, 5]] as const;
  for (const [name, major, minor, mode, gid] of devices) {
    fs.add(`/dev/${name}`, { kind: 'file', mode, uid: 0, gid, mtimeMs: p.bootMs, special: 'c', device: [major, minor], generate: () => (name === 'zero' ? Buffer.alloc(512) : name === 'urandom' || name === 'random' ? Buffer.from(rng.hex(256), 'hex') : Buffer.alloc(0)) });
  }
  // virtio-blk disks (vda) get a dynamic major, 254 on a KVM guest; SCSI disks (sda) major 8.
  const diskMajor = p.disk.device.startsWith('/dev/vd') ? 254 : 8;
  fs.add(p.disk.device.replace(/1$/, ''), { kind: 'file', mode: 0o660, uid: 0, gid: 6, mtimeMs: p.bootMs, special: 'b', device: [diskMajor, 0] });
  fs.add(p.disk.device, { kind: 'file', mode: 0o660, uid: 0, gid: 6, mtimeMs: p.bootMs, special: 'b', device: [diskMajor, 1] });

  // /etc
  const fqdn = `${p.hostname}.${p.domain}`;
  file('/etc/hostname', `${p.hostname}\n`);
  file('/etc/hosts', `127.0.0.1\tlocalhost\n127.0.1.1\t${fqdn}\t${p.hostname}\n\n# The following lines are desirable for IPv6 capable hosts\n::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n`);
  file('/etc/os-release', `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL="https://www.debian.org/"\nSUPPORT_URL="https://www.debian.org/support"\nBUG_REPORT_URL="https://bugs.debian.org/"\n`);
  link('/usr/lib/os-release', '../../etc/os-release');
  file('/etc/debian_version', '12.8\n');
  file('/etc/issue', 'Debian GNU/Linux 12 \\n \\l\n\n');
  file('/etc/issue.net', 'Debian GNU/Linux 12\n');
  file('/etc/motd', '\nThe programs included with the Debian GNU/Linux system are free software;\nthe exact distribution terms for each program are described in the\nindividual files in /usr/share/doc/*/copyright.\n\nDebian GNU/Linux comes with ABSOLUTELY NO WARRANTY, to the extent\npermitted by applicable law.\n');
  file('/etc/passwd', passwdText(p));
  file('/etc/group', groupText(p));
  file('/etc/shadow', shadowText(p, rng), 0o640);
  file('/etc/shells', '# /etc/shells: valid login shells\n/bin/sh\n/usr/bin/sh\n/bin/bash\n/usr/bin/bash\n/bin/rbash\n/usr/bin/rbash\n/usr/bin/dash\n');
  file('/etc/resolv.conf', `domain ${p.domain}\nsearch ${p.domain}\nnameserver ${p.net.gateway}\n`);
  file('/etc/timezone', `${p.timezone}\n`);
  // tzdata's zone file for UTC (a TZif2 header, the UTC abbreviation and the POSIX TZ footer).
  for (const d of ['/usr/share/zoneinfo', '/usr/share/zoneinfo/Etc']) dir(d);
  file('/usr/share/zoneinfo/Etc/UTC', Buffer.from(UTC_TZIF_BASE64, 'base64'));
  link('/etc/localtime', `/usr/share/zoneinfo/${p.timezone}`);
  file('/etc/fstab', `# /etc/fstab: static file system information.\n#\n# <file system> <mount point>   <type>  <options>       <dump>  <pass>\nUUID=${rng.hex(4)}-${rng.hex(2)}-${rng.hex(2)}-${rng.hex(2)}-${rng.hex(6)} /               ext4    errors=remount-ro 0       1\n${p.swapKb ? `/swapfile none swap sw 0 0\n` : ''}`);
  file('/etc/crontab', `# /etc/crontab: system-wide crontab\nSHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin\n\n# Example of job definition:\n# .---------------- minute (0 - 59)\n# |  .------------- hour (0 - 23)\n# |  |  .---------- day of month (1 - 31)\n# |  |  |  .------- month (1 - 12) OR jan,feb,mar,apr ...\n# |  |  |  |  .---- day of week (0 - 6) (Sunday=0 or 7) OR sun,mon,tue,wed,thu,fri,sat\n# |  |  |  |  |\n# *  *  *  *  * user-name command to be executed\n17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly\n25 6\t* * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }\n47 6\t* * 7\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.weekly; }\n52 6\t1 * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.monthly; }\n#\n`);
  file('/etc/ssh/sshd_config', `Include /etc/ssh/sshd_config.d/*.conf\n\n#Port 22\n#PermitRootLogin prohibit-password\nPermitRootLogin yes\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\nUsePAM yes\nX11Forwarding yes\nPrintMotd no\nAcceptEnv LANG LC_*\nSubsystem\tsftp\t/usr/lib/openssh/sftp-server\n`);
  file('/etc/network/interfaces', `# This file describes the network interfaces available on your system\n# and how to activate them. For more information, see interfaces(5).\n\nsource /etc/network/interfaces.d/*\n\n# The loopback network interface\nauto lo\niface lo inet loopback\n\n# The primary network interface\nallow-hotplug ${p.net.iface}\niface ${p.net.iface} inet static\n\taddress ${p.net.ipv4}/${p.net.prefix}\n\tgateway ${p.net.gateway}\n`);
  file('/etc/apt/sources.list', 'deb http://deb.debian.org/debian bookworm main contrib non-free-firmware\ndeb http://deb.debian.org/debian bookworm-updates main contrib non-free-firmware\ndeb http://security.debian.org/debian-security bookworm-security main contrib non-free-firmware\n');
  file('/etc/profile', `# /etc/profile: system-wide .profile file for the Bourne shell (sh(1))\n\nif [ "$(id -u)" -eq 0 ]; then\n  PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\nelse\n  PATH="/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"\nfi\nexport PATH\n`);
  file('/etc/sudoers', `Defaults\tenv_reset\nDefaults\tmail_badpass\nDefaults\tsecure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n\nroot\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\n\n@includedir /etc/sudoers.d\n`, 0o440);

  // /proc: generated on every read, from the profile and the clock.
  gen('/proc/cpuinfo', () => cpuinfoText(p));
  gen('/proc/meminfo', () => meminfoText(p));
  gen('/proc/version', () => procVersionText(p));
  gen('/proc/uptime', () => {
    const up = (Date.now() - p.bootMs) / 1000;
    return `${up.toFixed(2)} ${(up * p.cpu.cores * 0.97).toFixed(2)}\n`;
  });
  // The last field is the newest pid: the reading session's own (cat's), from the pids ps shows.
  gen('/proc/loadavg', (view) => `${loadAt().map((x) => x.toFixed(2)).join(' ')} 1/${140 + p.cpu.cores * 4} ${view?.lastPid() ?? 3000 + (uptimeSeconds(p) % 40000)}\n`);
  gen('/proc/mounts', () => MOUNTS(p));
  link('/etc/mtab', '../proc/self/mounts');
  // Each session's /proc/self leads to its own reader's /proc/PID (vfs.ts); this one is for a view without a session.
  link('/proc/self', '1');
  gen('/proc/cmdline', () => `BOOT_IMAGE=/boot/vmlinuz-${p.kernel.release} root=UUID=${rng.hex(4)}-${rng.hex(2)} ro quiet\n`);
  gen('/proc/sys/kernel/hostname', () => `${p.hostname}\n`);
  gen('/proc/sys/kernel/ostype', () => 'Linux\n');
  gen('/proc/sys/kernel/osrelease', () => `${p.kernel.release}\n`);
  // The firmware's tables as the kernel exports them (machine.ts): what virt-what and bots read.
  for (const d of ['/sys/class', '/sys/class/dmi', '/sys/devices', '/sys/devices/virtual', '/sys/devices/virtual/dmi', '/sys/devices/virtual/dmi/id']) if (!fs.nodes.has(d)) dir(d, 0o755, 0, p.bootMs);
  link('/sys/class/dmi/id', '../../devices/virtual/dmi/id');
  for (const [name, value, mode] of dmiIdFiles(machineDmi(p))) gen(`/sys/devices/virtual/dmi/id/${name}`, () => `${value}\n`, mode);
  gen('/proc/net/dev', () => {
    const up = uptimeSeconds(p);
    const rx = p.net.rxBytes + up * 900;
    const tx = p.net.txBytes + up * 400;
    return `Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo: ${up * 120} ${up} 0 0 0 0 0 0 ${up * 120} ${up} 0 0 0 0 0 0\n${p.net.iface.padStart(6)}: ${rx} ${Math.floor(rx / 800)} 0 0 0 0 0 0 ${tx} ${Math.floor(tx / 600)} 0 0 0 0 0 0\n`;
  });

  // Homes
  const hist = planted.history;
  // The service root last looked at is the host's web server, when it runs one (nginx in the history of an Apache host gave it away).
  const web = p.daemons.find((d) => d.kind === 'apache2' || d.kind === 'nginx')?.kind ?? 'ssh';
  const rootHistory = ['apt update', 'apt upgrade -y', `systemctl status ${web}`, 'df -h', 'free -m', ...hist.slice(0, 1), 'journalctl -u ssh --since today', 'tail -f /var/log/auth.log', ...hist.slice(1), 'ls -la /var/www', 'exit'];
  // What adduser copies into a new home (src/sensors/shell/accounts.ts reads it too).
  file('/etc/skel/.bashrc', BASHRC, 0o644, 0, installMs);
  file('/etc/skel/.profile', PROFILE, 0o644, 0, installMs);
  file('/etc/skel/.bash_logout', BASH_LOGOUT, 0o644, 0, installMs);
  file('/root/.bashrc', BASHRC, 0o644, 0, installMs);
  file('/root/.profile', PROFILE, 0o644, 0, installMs);
  file('/root/.bash_history', `${rootHistory.join('\n')}\n`, 0o600, 0, t(30));
  file('/root/.ssh/authorized_keys', '', 0o600, 0, t(1));
  for (const u of p.users.filter((x) => x.uid >= 1000)) {
    dir(u.home, 0o755, u.uid, t(1));
    file(`${u.home}/.bashrc`, BASHRC, 0o644, u.uid, t(1));
    file(`${u.home}/.profile`, PROFILE, 0o644, u.uid, t(1));
    file(`${u.home}/.bash_logout`, BASH_LOGOUT, 0o644, u.uid, t(1));
    file(`${u.home}/.bash_history`, 'sudo -i\nls\nexit\n', 0o600, u.uid, t(20));
  }
  for (const f of planted.files) file(f.path, f.content, f.mode, f.uid, t(rng.int(10, 50)));
  if (!planted.files.some((f) => f.path === '/var/www/html/index.html')) {
    // The web server's own page where the host has one (Debian's default, as the HTTP sensor serves it, its Last-Modified the file's time), owned by root as the package installs it.
    if (p.web?.index) file('/var/www/html/index.html', p.web.index.html, 0o644, 0, p.web.index.mtimeMs);
    else file('/var/www/html/index.html', '<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body><h1>It works!</h1></body></html>\n', 0o644, 33, t(2));
  }

  // Logs
  const day = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
  file('/var/log/dpkg.log', `${day(installMs)} startup archives unpack\n${day(installMs + 3600_000)} install openssh-server:amd64 <none> 1:9.2p1-2+deb12u3\n${day(installMs + 3700_000)} status installed openssh-server:amd64 1:9.2p1-2+deb12u3\n`);
  file('/var/log/auth.log', '', 0o640);
  file('/var/log/syslog', '', 0o640);
  file('/var/log/wtmp', Buffer.alloc(0), 0o664);
  file('/var/log/lastlog', Buffer.alloc(0), 0o664);
  dir('/var/log/apt');
  dir('/var/log/journal', 0o2755);
  file('/var/log/apt/history.log', '');
  dir('/var/lib/dpkg');
  dir('/var/lib/mysql', 0o700, 102);
  dir('/usr/share/doc');
  for (const f of hostFiles) {
    const meta = { mode: f.mode & 0o7777, uid: f.uid, gid: f.gid, mtimeMs: f.mtimeMs };
    fs.add(f.path, f.kind === 'dir' ? { kind: 'dir', ...meta } : { kind: 'file', ...meta, data: f.data ?? Buffer.alloc(0) });
  }
  // proc and sysfs are made at boot and report no size, where ext4 reports a block.
  for (const [path, n] of fs.nodes) if (n.kind === 'dir' && /^\/(proc|sys)(\/|$)/.test(path)) fs.nodes.set(path, { ...n, mode: 0o555, size: 0, mtimeMs: p.bootMs });
  return { base: fs, rootHistory };
}

/** /usr/share/zoneinfo/Etc/UTC from Debian's tzdata (114 bytes). */
const UTC_TZIF_BASE64 = 'VFppZjIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAAAAQAAAAAAABVVEMAVFppZjIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAAAAQAAAAAAABVVEMAClVUQzAK';

