// arch, getconf and dmesg: small system-information tools, answering from the profile.
import type { CommandDef } from '../types.js';
import { machineDmi } from '../machine.js';
import { uptimeSeconds } from '../profile.js';

export const arch: CommandDef = {
  names: ['arch'],
  run(ctx) {
    ctx.out('x86_64\n');
    return 0;
  },
};

export const getconf: CommandDef = {
  names: ['getconf'],
  run(ctx) {
    const values: Record<string, string> = { LONG_BIT: '64', PAGESIZE: '4096', PAGE_SIZE: '4096', _NPROCESSORS_ONLN: String(ctx.sh.profile.cpu.cores), _NPROCESSORS_CONF: String(ctx.sh.profile.cpu.cores), CLK_TCK: '100', ARG_MAX: '2097152', GNU_LIBC_VERSION: 'glibc 2.36' };
    const v = ctx.args[0] !== undefined ? values[ctx.args[0]] : undefined;
    if (v === undefined) {
      ctx.err(ctx.args[0] ? `getconf: Unrecognized variable '${ctx.args[0]}'\n` : 'Usage: getconf [-v SPEC] VAR\n  or:  getconf [-v SPEC] PATH_VAR PATH\n');
      return 1;
    }
    ctx.out(`${v}\n`);
    return 0;
  },
};

export const dmesg: CommandDef = {
  names: ['dmesg'],
  run(ctx) {
    const p = ctx.sh.profile;
    if (ctx.sh.user.uid !== 0) {
      ctx.err('dmesg: read kernel buffer failed: Operation not permitted\n');
      return 1;
    }
    const t = (s: number): string => `[${s.toFixed(6).padStart(12)}]`;
    const up = uptimeSeconds(p, ctx.sh.now());
    const dmi = machineDmi(p);
    const lines = [
      [0, `Linux version ${p.kernel.release} (debian-kernel@lists.debian.org) (${p.kernel.gccVersion}) ${p.kernel.version}`],
      [0, `Command line: BOOT_IMAGE=/boot/vmlinuz-${p.kernel.release} ro quiet`],
      [0, 'BIOS-provided physical RAM map:'],
      [0, 'Hypervisor detected: KVM'],
      [0.000001, `DMI: ${dmi.sysVendor} ${dmi.productName}, BIOS ${dmi.biosVersion} ${dmi.biosDate}`],
      [0.052117, `smpboot: CPU0: ${p.cpu.name} (family: 0x${p.cpu.family.toString(16)}, model: 0x${p.cpu.model.toString(16)}, stepping: 0x${p.cpu.stepping.toString(16)})`],
      [0.181245, `smp: Brought up 1 node, ${p.cpu.cores} CPUs`],
      [0.512873, `Memory: ${Math.floor(p.memKb * 0.97)}K/${p.memKb + 262_000}K available`],
      [1.204411, `EXT4-fs (${p.disk.device.replace('/dev/', '')}): mounted filesystem with ordered data mode. Quota mode: none.`],
      [2.886102, `virtio_net virtio0 ${p.net.iface}: renamed from eth0`],
      [5.117734, 'systemd[1]: Started ssh.service - OpenBSD Secure Shell server.'],
      [Math.min(up, 86_400) * 0.6 + (p.bootMs % 999_983) / 1e6, 'workqueue: drm_fb_helper_damage_work hogged CPU for >10000us 4 times, consider switching to WQ_UNBOUND'],
    ] as const;
    ctx.out(lines.map(([s, m]) => `${t(s)} ${m}\n`).join(''));
    return 0;
  },
};
