// systemd-detect-virt (systemd 252) and dmidecode (3.4): the fake host is a KVM guest whose firmware
// tables say what machine.ts says (lscpu, dmesg and /sys/class/dmi/id agree).
import type { CommandContext, CommandDef } from '../types.js';
import { machineDmi, type MachineDmi } from '../machine.js';

const SYSTEMD_VERSION = 'systemd 252 (252.22-1~deb12u1)\n+PAM +AUDIT +SELINUX +APPARMOR +IMA +SMACK +SECCOMP +GCRYPT -GNUTLS +OPENSSL +ACL +BLKID +CURL +ELFUTILS +FIDO2 +IDN2 -IDN +IPTC +KMOD +LIBCRYPTSETUP +LIBFDISK +PCRE2 -PWQUALITY +P11KIT +QRENCODE +TPM2 +BZIP2 +LZ4 +XZ +ZLIB +ZSTD -BPF_FRAMEWORK -XKBCOMMON +UTMP +SYSVINIT default-hierarchy=unified\n';

export const systemdDetectVirt: CommandDef = {
  names: ['systemd-detect-virt'],
  run(ctx) {
    let quiet = false;
    let ask: 'any' | 'vm' | 'container' | 'none' = 'any';
    for (const a of ctx.args) {
      if (a === '--version') return ctx.out(SYSTEMD_VERSION), 0;
      if (a === '-q' || a === '--quiet') quiet = true;
      else if (a === '-v' || a === '--vm') ask = 'vm';
      else if (a === '-c' || a === '--container' || a === '--cvm') ask = 'container';
      else if (a === '-r' || a === '--chroot' || a === '--private-users') ask = 'none';
      else if (a === '--list') return ctx.out('none\nkvm\namazon\nqemu\nbochs\nxen\numl\nvmware\noracle\nmicrosoft\nzvm\nparallels\nbhyve\nqnx\nacrn\npowervm\napple\nsre\ngoogle\nvm-other\nsystemd-nspawn\nlxc-libvirt\nlxc\nopenvz\ndocker\npodman\nrkt\nwsl\nproot\npouch\ncontainer-other\n'), 0;
      else if (a.startsWith('--')) return ctx.err(`systemd-detect-virt: unrecognized option '${a}'\n`), 1;
      else if (a.startsWith('-')) return ctx.err(`systemd-detect-virt: invalid option -- '${a[1]}'\n`), 1;
      else return ctx.err('systemd-detect-virt takes no arguments.\n'), 1;
    }
    if (ask === 'none') return 1;
    const found = ask === 'container' ? 'none' : 'kvm';
    if (!quiet) ctx.out(`${found}\n`);
    return found === 'none' ? 1 : 0;
  },
};

/** `dmidecode -s` keywords and what they read. */
const STRINGS: Record<string, (m: MachineDmi) => string | undefined> = {
  'bios-vendor': (m) => m.biosVendor,
  'bios-version': (m) => m.biosVersion,
  'bios-release-date': (m) => m.biosDate,
  'bios-revision': () => '0.0',
  'system-manufacturer': (m) => m.sysVendor,
  'system-product-name': (m) => m.productName,
  'system-version': (m) => m.productVersion,
  'system-serial-number': (m) => m.productSerial || 'Not Specified',
  'system-uuid': (m) => m.productUuid,
  'system-sku-number': () => 'Not Specified',
  'system-family': (m) => m.productFamily || 'Not Specified',
  'baseboard-manufacturer': () => undefined,
  'baseboard-product-name': () => undefined,
  'baseboard-version': () => undefined,
  'baseboard-serial-number': () => undefined,
  'baseboard-asset-tag': () => undefined,
  'chassis-manufacturer': (m) => m.chassisVendor,
  'chassis-type': () => 'Other',
  'chassis-version': (m) => m.chassisVersion,
  'chassis-serial-number': () => 'Not Specified',
  'chassis-asset-tag': () => 'Not Specified',
  'processor-family': () => 'Other',
  'processor-manufacturer': (m) => m.chassisVendor,
  'processor-version': (m) => m.chassisVersion,
  'processor-frequency': () => '2000 MHz',
};

const spec = (v: string): string => v || 'Not Specified';

/** The records dmidecode prints, by SMBIOS type. */
function records(m: MachineDmi): Map<number, string> {
  return new Map([
    [0, `Handle 0x0000, DMI type 0, 24 bytes\nBIOS Information\n\tVendor: ${m.biosVendor}\n\tVersion: ${m.biosVersion}\n\tRelease Date: ${m.biosDate}\n\tAddress: 0xE8000\n\tRuntime Size: 96 kB\n\tROM Size: 64 kB\n\tCharacteristics:\n\t\tBIOS characteristics not supported\n\t\tTargeted content distribution is supported\n\tBIOS Revision: 0.0\n\n`],
    [1, `Handle 0x0100, DMI type 1, 27 bytes\nSystem Information\n\tManufacturer: ${m.sysVendor}\n\tProduct Name: ${m.productName}\n\tVersion: ${spec(m.productVersion)}\n\tSerial Number: ${spec(m.productSerial)}\n\tUUID: ${m.productUuid}\n\tWake-up Type: Power Switch\n\tSKU Number: Not Specified\n\tFamily: ${spec(m.productFamily)}\n\n`],
    [3, `Handle 0x0300, DMI type 3, 22 bytes\nChassis Information\n\tManufacturer: ${m.chassisVendor}\n\tType: Other\n\tLock: Not Present\n\tVersion: ${m.chassisVersion}\n\tSerial Number: Not Specified\n\tAsset Tag: Not Specified\n\tBoot-up State: Safe\n\tPower Supply State: Safe\n\tThermal State: Safe\n\tSecurity Status: Unknown\n\tOEM Information: 0x00000000\n\tHeight: Unspecified\n\tNumber Of Power Cords: Unspecified\n\tContained Elements: 0\n\tSKU Number: Not Specified\n\n`],
    [32, 'Handle 0x2000, DMI type 32, 11 bytes\nSystem Boot Information\n\tStatus: No errors detected\n\n'],
    [127, 'Handle 0x7F00, DMI type 127, 4 bytes\nEnd Of Table\n\n'],
  ]);
}

/** -t keywords and the types they stand for. */
const TYPE_KEYWORDS: Record<string, number[]> = { bios: [0, 13], system: [1, 12, 15, 23, 32], baseboard: [2, 10, 41], chassis: [3], processor: [4], memory: [5, 6, 16, 17], cache: [7], connector: [8], slot: [9] };

function denied(ctx: CommandContext, quiet: boolean): number {
  if (!quiet) ctx.out('# dmidecode 3.4\n');
  ctx.err(`/sys/firmware/dmi/tables/smbios_entry_point: Permission denied\n${quiet ? '' : 'Scanning /dev/mem for entry point.\n'}/dev/mem: Permission denied\n`);
  return 1;
}

export const dmidecode: CommandDef = {
  names: ['dmidecode'],
  run(ctx) {
    const m = machineDmi(ctx.sh.profile);
    let keyword: string | undefined;
    let types: number[] | undefined;
    let quiet = false;
    for (let i = 0; i < ctx.args.length; i++) {
      const a = ctx.args[i]!;
      if (a === '--version' || a === '-V') return ctx.out('3.4\n'), 0;
      if (a === '-q' || a === '--quiet') quiet = true;
      else if (a === '-s' || a === '--string' || a.startsWith('--string=')) {
        keyword = a.startsWith('--string=') ? a.slice(9) : (ctx.args[++i] ?? '');
        if (!(keyword in STRINGS)) {
          ctx.err(`Invalid string keyword: ${keyword}\nValid string keywords are:\n${Object.keys(STRINGS).map((k) => `  ${k}\n`).join('')}`);
          return 2;
        }
      } else if (a === '-t' || a === '--type' || a.startsWith('--type=')) {
        const v = a.startsWith('--type=') ? a.slice(7) : (ctx.args[++i] ?? '');
        const t = TYPE_KEYWORDS[v] ?? (/^\d+(,\d+)*$/.test(v) ? v.split(',').map(Number) : undefined);
        if (!t) {
          ctx.err(`Invalid type keyword: ${v}\nValid type keywords are:\n${Object.keys(TYPE_KEYWORDS).map((k) => `  ${k}\n`).join('')}`);
          return 2;
        }
        types = [...(types ?? []), ...t];
      } else {
        ctx.err(`dmidecode: invalid option -- '${a.replace(/^-+/, '')[0] ?? ''}'\n`);
        return 2;
      }
    }
    if (ctx.sh.user.uid !== 0) return denied(ctx, quiet || keyword !== undefined);
    if (keyword !== undefined) {
      const v = STRINGS[keyword]!(m);
      if (v !== undefined) ctx.out(`${v}\n`);
      return 0;
    }
    const recs = records(m);
    let out = quiet ? '' : `# dmidecode 3.4\nGetting SMBIOS data from sysfs.\nSMBIOS ${m.smbiosVersion} present.\n${types ? '' : `${recs.size} structures occupying ${[...recs.values()].join('').length >> 1} bytes.\nTable at 0x000F5A00.\n`}\n`;
    for (const [t, text] of recs) if ((types ? types.includes(t) : true) && !(t === 127 && types)) out += text;
    ctx.out(out);
    return 0;
  },
};
