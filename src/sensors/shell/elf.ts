// Stand-in ELF binaries: a valid x86-64 header (what `dd bs=52 count=1` and `file`-style checks read)
// followed by deterministic filler, so `cat /bin/echo` looks like a real Debian amd64 binary.
import { createHash } from 'node:crypto';

export const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** EM_* machine numbers attackers' droppers check for. */
export const ELF_MACHINES: Record<number, string> = { 0x03: 'x86', 0x08: 'mips', 0x14: 'ppc', 0x28: 'arm', 0x2b: 'sparc', 0x3e: 'x86_64', 0xb7: 'aarch64', 0xf3: 'riscv', 0x2a: 'sh4', 0x04: 'm68k' };

/** An ELF64 little-endian x86-64 PIE header and program header table, then filler up to SIZE bytes. */
export function fakeElf(name: string, size: number): Buffer {
  const buf = Buffer.alloc(Math.max(size, 120));
  ELF_MAGIC.copy(buf, 0);
  buf[4] = 2; // ELFCLASS64
  buf[5] = 1; // little endian
  buf[6] = 1; // EV_CURRENT
  buf[7] = 0; // SYSV ABI
  buf.writeUInt16LE(3, 16); // ET_DYN (PIE)
  buf.writeUInt16LE(0x3e, 18); // EM_X86_64
  buf.writeUInt32LE(1, 20);
  buf.writeBigUInt64LE(0x6ab0n + BigInt(size % 4096), 24); // entry
  buf.writeBigUInt64LE(64n, 32); // phoff
  buf.writeBigUInt64LE(BigInt(Math.max(size - 2048, 0)), 40); // shoff
  buf.writeUInt16LE(64, 52); // ehsize
  buf.writeUInt16LE(56, 54); // phentsize
  buf.writeUInt16LE(13, 56); // phnum
  buf.writeUInt16LE(64, 58); // shentsize
  buf.writeUInt16LE(31, 60); // shnum
  buf.writeUInt16LE(30, 62); // shstrndx
  // Filler that compresses like code rather than zeros: a hash chain seeded by the name.
  let block = createHash('sha256').update(name).digest();
  for (let off = 120; off < buf.length; off += 32) {
    block.copy(buf, off, 0, Math.min(32, buf.length - off));
    if ((off & 0x3ff) === 0x3f8) block = createHash('sha256').update(block).digest();
  }
  buf.write('/lib64/ld-linux-x86-64.so.2\0', 0x318 < buf.length - 40 ? 0x318 : 120, 'latin1');
  return buf;
}

/** The machine an ELF header names, or undefined when DATA is not ELF. */
export function elfMachine(data: Buffer): { machine: number; name: string; bits: 32 | 64 } | undefined {
  if (data.length < 20 || !data.subarray(0, 4).equals(ELF_MAGIC)) return undefined;
  const le = data[5] !== 2;
  const machine = le ? data.readUInt16LE(18) : data.readUInt16BE(18);
  return { machine, name: ELF_MACHINES[machine] ?? `machine ${machine}`, bits: data[4] === 2 ? 64 : 32 };
}
