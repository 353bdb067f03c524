// The fake machine's identity, generated once per install from a seed: hostname, users, network,
// hardware, kernel and boot time. Every file and command output reads from this one object, so
// /proc, `free`, `uname`, `ifconfig` and the SSH banner always agree with each other.
import { createHash } from 'node:crypto';
import { daemonAccounts, daemonStartMs, type DaemonAccount, type HostDaemon, type HostDescription, type HostWeb } from '../runtime/host.js';

/** A small deterministic generator: the same seed always gives the same machine. */
export class SeededRandom {
  private state: number;
  constructor(seed: string) {
    this.state = createHash('sha256').update(seed).digest().readUInt32LE(0) || 1;
  }
  /** A float in [0, 1) (mulberry32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }
  hex(bytes: number): string {
    let s = '';
    for (let i = 0; i < bytes; i++) s += this.int(0, 255).toString(16).padStart(2, '0');
    return s;
  }
}

export interface FakeUser {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

export interface CpuModel {
  vendor: string;
  family: number;
  model: number;
  stepping: number;
  name: string;
  baseMhz: number;
  cacheKb: number;
  flags: string;
  microcode: string;
}

export interface SystemProfile {
  seed: string;
  hostname: string;
  domain: string;
  os: { id: 'debian'; version: string; codename: string; pretty: string };
  kernel: { release: string; version: string; gccVersion: string };
  /** The SSH software version as in the banner, e.g. "OpenSSH_9.2p1 Debian-2+deb12u3". */
  sshVersion: string;
  opensslVersion: string;
  cpu: CpuModel & { cores: number; mhz: number[]; bogomips: number };
  memKb: number;
  swapKb: number;
  disk: { device: string; sizeKb: number; usedKb: number };
  net: { iface: string; mac: string; ipv4: string; prefix: number; gateway: string; ipv6LinkLocal: string; rxBytes: number; txBytes: number };
  /** Boot time as ms since the epoch; uptime is always now minus this. */
  bootMs: number;
  /** The daemons the host runs besides the base system (sshd, the database, the web server...): ps, netstat, ss and systemctl show these. */
  daemons: readonly HostDaemon[];
  /** The system accounts those daemons' packages added (daemonAccounts): /etc/passwd's, and the owners ls and stat name. */
  daemonAccounts: readonly DaemonAccount[];
  /** The host's web server, when it runs one (HostDescription.web). */
  web?: HostWeb;
  users: FakeUser[];
  /** The regular (human) user, who also has files in /home. */
  admin: FakeUser;
  timezone: string;
}

const HOST_PREFIXES = ['web', 'app', 'db', 'srv', 'node', 'api', 'mail', 'git', 'build', 'backup', 'prod', 'stage', 'vps', 'cloud', 'ci'];
const HOST_SUFFIXES = ['01', '02', '03', '1', '2', '-eu1', '-fra', '-ams', '-a', '-b', '-prod', '-01'];
const HUMAN_NAMES = ['deploy', 'admin', 'ubuntu', 'devops', 'jenkins', 'oracle', 'backup', 'git', 'ops', 'marco', 'anna', 'lucas', 'sofia', 'tomas', 'elena', 'david', 'julia'];
const DOMAINS = ['localdomain', 'internal', 'lan', 'prod.local', 'corp.lan'];

const CPUS: CpuModel[] = [
  { vendor: 'GenuineIntel', family: 6, model: 85, stepping: 7, name: 'Intel(R) Xeon(R) Gold 6230R CPU @ 2.10GHz', baseMhz: 2100, cacheKb: 36608, microcode: '0x5003604', flags: 'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ss ht syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology cpuid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch cpuid_fault invpcid_single ssbd ibrs ibpb stibp ibrs_enhanced fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid avx512f avx512dq rdseed adx smap clflushopt clwb avx512cd avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves arat avx512_vnni md_clear arch_capabilities' },
  { vendor: 'GenuineIntel', family: 6, model: 79, stepping: 1, name: 'Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz', baseMhz: 2400, cacheKb: 35840, microcode: '0xb000040', flags: 'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ss ht syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology cpuid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch cpuid_fault invpcid_single pti ssbd ibrs ibpb stibp fsgsbase tsc_adjust bmi1 hle avx2 smep bmi2 erms invpcid rtm rdseed adx smap xsaveopt arat md_clear arch_capabilities' },
  { vendor: 'AuthenticAMD', family: 23, model: 49, stepping: 0, name: 'AMD EPYC 7282 16-Core Processor', baseMhz: 2800, cacheKb: 512, microcode: '0x830107a', flags: 'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm rep_good nopl cpuid extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm cmp_legacy cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext perfctr_core ssbd ibrs ibpb stibp vmmcall fsgsbase tsc_adjust bmi1 avx2 smep bmi2 rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 clzero xsaveerptr wbnoinvd arat umip rdpid arch_capabilities' },
  { vendor: 'AuthenticAMD', family: 25, model: 1, stepping: 1, name: 'AMD EPYC 7543 32-Core Processor', baseMhz: 2800, cacheKb: 512, microcode: '0xa0011d1', flags: 'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm rep_good nopl cpuid extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm cmp_legacy cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext invpcid_single ssbd ibrs ibpb stibp vmmcall fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves clzero xsaveerptr wbnoinvd arat umip pku ospke vaes vpclmulqdq rdpid fsrm arch_capabilities' },
  { vendor: 'GenuineIntel', family: 6, model: 106, stepping: 6, name: 'Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz', baseMhz: 2400, cacheKb: 24576, microcode: '0xd0003a5', flags: 'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ss ht syscall nx pdpe1gb rdtscp lm constant_tsc arch_perfmon rep_good nopl xtopology cpuid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pdcm pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch cpuid_fault invpcid_single ssbd ibrs ibpb stibp ibrs_enhanced fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid avx512f avx512dq rdseed adx smap avx512ifma clflushopt clwb avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves wbnoinvd arat avx512vbmi umip pku ospke avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg avx512_vpopcntdq rdpid fsrm md_clear arch_capabilities' },
];

/** Debian 12 kernels and their build strings, as `uname -v` prints them. */
const KERNELS = [
  { release: '6.1.0-26-amd64', version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1 (2024-09-30)' },
  { release: '6.1.0-27-amd64', version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01)' },
  { release: '6.1.0-28-amd64', version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)' },
  { release: '6.1.0-29-amd64', version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.123-1 (2025-01-02)' },
  { release: '6.1.0-31-amd64', version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.128-1 (2025-02-07)' },
];

export interface ProfileOptions {
  seed: string;
  /** Overrides the generated hostname. */
  hostname?: string;
  sshVersion: string;
  /**
   * The host the other sensors describe too (boot time, daemons), built by the CLI from the config.
   * Without it the boot time is drawn from the seed (days to weeks before now) and sshd is the only daemon.
   */
  host?: HostDescription;
  /** The clock, for tests. */
  now?: () => number;
}

/** The daemons of a shell with no host description: sshd on port 22, as Debian installs it. */
function sshdOnly(bootMs: number): HostDaemon[] {
  return [{ kind: 'sshd', startMs: daemonStartMs(bootMs, 'sshd'), sockets: [{ proto: 'tcp', address: '0.0.0.0', port: 22 }, { proto: 'tcp', address: '::', port: 22 }] }];
}

function macFrom(rng: SeededRandom): string {
  // A KVM guest's (lscpu and dmesg say KVM, ps shows qemu-ga): QEMU/libvirt's 52:54:00 or OpenStack's
  // fa:16:3e, as a rented server shows. A VMware or Xen OUI beside them gave the machine away.
  const oui = rng.pick(['52:54:00', 'fa:16:3e']);
  return `${oui}:${rng.hex(1)}:${rng.hex(1)}:${rng.hex(1)}`;
}

function linkLocalFromMac(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  b[0] = b[0]! ^ 0x02;
  const eui = [b[0], b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]].map((x) => x!);
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push(((eui[i]! << 8) | eui[i + 1]!).toString(16));
  return `fe80::${groups.join(':')}`;
}

export function generateProfile(opts: ProfileOptions): SystemProfile {
  const rng = new SeededRandom(`apiary-shell:${opts.seed}`);
  const now = (opts.now ?? Date.now)();
  const hostname = opts.hostname ?? `${rng.pick(HOST_PREFIXES)}${rng.pick(HOST_SUFFIXES)}`;
  const base = rng.pick(CPUS);
  const cores = rng.pick([2, 2, 4, 4, 4, 8, 8, 16]);
  // Virtual CPUs report the host clock with a small per-core jitter, never one fixed figure.
  const mhz = Array.from({ length: cores }, () => base.baseMhz + rng.int(-3, 3) + rng.int(0, 999) / 1000);
  const bogomips = Math.round(base.baseMhz * 2 * 100 + rng.int(-40, 40)) / 100;
  const memGb = Math.min(cores * rng.pick([2, 4, 4, 8]), 64);
  const memKb = memGb * 1024 * 1024 - rng.int(180_000, 260_000);
  const diskGb = rng.pick([40, 50, 80, 100, 160, 200, 320]);
  const sizeKb = diskGb * 1024 * 1024 - rng.int(1_500_000, 2_600_000);
  const kernel = rng.pick(KERNELS);
  const humanA = rng.pick(HUMAN_NAMES);
  const mac = macFrom(rng);
  const net = rng.pick(['10', '172', '192']);
  const ipv4 = net === '10' ? `10.${rng.int(0, 254)}.${rng.int(0, 254)}.${rng.int(10, 250)}` : net === '172' ? `172.${rng.int(16, 31)}.${rng.int(0, 254)}.${rng.int(10, 250)}` : `192.168.${rng.int(0, 254)}.${rng.int(10, 250)}`;
  const prefix = net === '192' ? 24 : rng.pick([16, 20, 24]);
  const octets = ipv4.split('.');
  const gateway = `${octets[0]}.${octets[1]}.${octets[2]}.1`;
  const uptimeS = rng.int(3 * 86400, 140 * 86400);
  const bootMs = opts.host?.bootMs ?? now - uptimeS * 1000;
  const admin: FakeUser = { name: humanA, uid: 1000, gid: 1000, gecos: `${humanA},,,`, home: `/home/${humanA}`, shell: '/bin/bash' };
  const users: FakeUser[] = [
    { name: 'root', uid: 0, gid: 0, gecos: 'root', home: '/root', shell: '/bin/bash' },
    admin,
  ];
  const daemons = opts.host?.daemons ?? sshdOnly(bootMs);
  return {
    seed: opts.seed,
    hostname,
    domain: rng.pick(DOMAINS),
    os: { id: 'debian', version: '12', codename: 'bookworm', pretty: 'Debian GNU/Linux 12 (bookworm)' },
    kernel: { ...kernel, gccVersion: 'gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40' },
    sshVersion: opts.sshVersion,
    opensslVersion: 'OpenSSL 3.0.15 3 Sep 2024',
    cpu: { ...base, cores, mhz, bogomips },
    memKb,
    swapKb: rng.pick([0, 0, 1_048_572, 2_097_148]),
    disk: { device: rng.pick(['/dev/vda1', '/dev/sda1']), sizeKb, usedKb: Math.round(sizeKb * (0.12 + rng.next() * 0.5)) },
    net: { iface: rng.pick(['eth0', 'ens3', 'ens18', 'enp1s0']), mac, ipv4, prefix, gateway, ipv6LinkLocal: linkLocalFromMac(mac), rxBytes: rng.int(1e9, 9e10), txBytes: rng.int(1e8, 2e10) },
    bootMs,
    daemons,
    daemonAccounts: daemonAccounts(daemons),
    ...(opts.host?.web ? { web: opts.host.web } : {}),
    users,
    admin,
    timezone: 'Etc/UTC',
  };
}

/** Seconds the fake machine has been up at NOW. */
export function uptimeSeconds(p: SystemProfile, now = Date.now()): number {
  return Math.max(1, Math.floor((now - p.bootMs) / 1000));
}

/** Memory figures at NOW (kB), drifting a little over time so repeated `free` calls are not identical. */
export function memoryAt(p: SystemProfile, now = Date.now()): { total: number; free: number; available: number; buffers: number; cached: number; used: number; shared: number; swapUsed: number } {
  const total = p.memKb;
  const wobble = Math.floor((Math.sin(now / 60_000) + 1) * total * 0.005);
  const used = Math.floor(total * 0.18) + wobble;
  const buffers = Math.floor(total * 0.02);
  const cached = Math.floor(total * 0.31) - wobble;
  const shared = Math.floor(total * 0.004);
  const free = total - used - buffers - cached;
  return { total, free, available: free + cached + buffers - shared, buffers, cached, used, shared, swapUsed: p.swapKb ? Math.floor(p.swapKb * 0.01) : 0 };
}

/** Load averages that move slowly with time. */
export function loadAt(now = Date.now()): [number, number, number] {
  const b = (Math.sin(now / 300_000) + 1) * 0.04;
  return [b + 0.01, b * 0.8 + 0.02, b * 0.6 + 0.01].map((x) => Math.round(x * 100) / 100) as [number, number, number];
}
