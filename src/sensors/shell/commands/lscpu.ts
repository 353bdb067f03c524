// lscpu: the CPU the profile describes, agreeing with /proc/cpuinfo and nproc.
import type { CommandDef } from '../types.js';

export const lscpu: CommandDef = {
  names: ['lscpu'],
  run(ctx) {
    const c = ctx.sh.profile.cpu;
    const intel = c.vendor === 'GenuineIntel';
    const rows: [string, string][] = [
      ['Architecture:', 'x86_64'],
      ['  CPU op-mode(s):', '32-bit, 64-bit'],
      ['  Address sizes:', intel ? '46 bits physical, 48 bits virtual' : '48 bits physical, 48 bits virtual'],
      ['  Byte Order:', 'Little Endian'],
      ['CPU(s):', String(c.cores)],
      ['  On-line CPU(s) list:', `0-${c.cores - 1}`],
      ['Vendor ID:', c.vendor],
      ['  Model name:', c.name],
      ['    CPU family:', String(c.family)],
      ['    Model:', String(c.model)],
      ['    Thread(s) per core:', '1'],
      ['    Core(s) per socket:', String(c.cores)],
      ['    Socket(s):', '1'],
      ['    Stepping:', String(c.stepping)],
      ['    BogoMIPS:', c.bogomips.toFixed(2)],
      ['    Flags:', c.flags],
      ['Virtualization features:', ''],
      ['  Hypervisor vendor:', 'KVM'],
      ['  Virtualization type:', 'full'],
      ['Caches (sum of all):', ''],
      ['  L1d:', `${c.cores * 32} KiB (${c.cores} instances)`],
      ['  L1i:', `${c.cores * 32} KiB (${c.cores} instances)`],
      ['  L2:', `${c.cores * (intel ? 1 : 0.5)} MiB (${c.cores} instances)`],
      ['  L3:', `${intel ? Math.round(c.cacheKb / 1024) : 16} MiB (1 instance)`],
      ['NUMA:', ''],
      ['  NUMA node(s):', '1'],
      ['  NUMA node0 CPU(s):', `0-${c.cores - 1}`],
    ];
    ctx.out(rows.map(([k, v]) => (v ? `${k.padEnd(33)} ${v}` : k)).join('\n') + '\n');
    return 0;
  },
};
