// The server's face: names, GUID, OS strings. Random per install (kept in data_dir so one sensor stays
// the same host across restarts), overridable in config, never Dionaea's fixed values.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

/** Windows versions offered by default: each pairs OS strings with the SMB2 dialect it speaks. */
export const OS_PROFILES = {
  'windows-7': {
    nativeOs: 'Windows 7 Professional 7601 Service Pack 1',
    nativeLanMan: 'Windows 7 Professional 6.1',
    version: [6, 1, 7601],
    dialect: 0x0210,
    smb1: { maxMpx: 50, maxBuffer: 4356, caps: 0x8001e3fc },
  },
  'windows-2008r2': {
    nativeOs: 'Windows Server 2008 R2 Standard 7601 Service Pack 1',
    nativeLanMan: 'Windows Server 2008 R2 Standard 6.1',
    version: [6, 1, 7601],
    dialect: 0x0210,
    smb1: { maxMpx: 50, maxBuffer: 16644, caps: 0x8001f3fc },
  },
  'windows-2008': {
    nativeOs: 'Windows Server (R) 2008 Standard 6002 Service Pack 2',
    nativeLanMan: 'Windows Server (R) 2008 Standard 6.0',
    version: [6, 0, 6002],
    dialect: 0x0202,
    smb1: { maxMpx: 50, maxBuffer: 16644, caps: 0x8001f3fd },
  },
} as const;
export type OsProfileName = keyof typeof OS_PROFILES;

export interface ServerIdentity {
  guid: Uint8Array;
  netbiosName: string;
  workgroup: string;
  dnsDomain: string;
  nativeOs: string;
  nativeLanMan: string;
  version: [number, number, number];
  /** Highest SMB2 dialect answered (0x0202 or 0x0210). */
  dialect: number;
  /** SMB1 negotiate values of this Windows version (what service fingerprints compare). */
  smb1: { maxMpx: number; maxBuffer: number; caps: number };
  /** When the "server" booted (ms since epoch), for ServerStartTime and uptime. */
  bootTime: number;
  /** Minutes west of UTC, as SMB1 ServerTimeZone carries it. */
  timeZoneMinutes: number;
}

const stored = z.object({
  guid: z.string().regex(/^[0-9a-f]{32}$/),
  netbios_name: z.string().min(1).max(15),
  profile: z.enum(Object.keys(OS_PROFILES) as [OsProfileName, ...OsProfileName[]]),
  boot_offset_s: z.number().int().min(0).max(90 * 86400),
});

export interface IdentityOverrides {
  netbios_name?: string | undefined;
  workgroup: string;
  dns_domain?: string | undefined;
  os?: OsProfileName | undefined;
  native_os?: string | undefined;
  native_lanman?: string | undefined;
  server_guid?: string | undefined;
}

const NAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A name in the form Windows setup picks ("WIN-" and 11 random letters and digits). */
export function randomWindowsName(rand: (n: number) => Uint8Array = randomBytes): string {
  return 'WIN-' + Array.from(rand(11), (b) => NAME_CHARS[b % NAME_CHARS.length]).join('');
}

/**
 * Loads the per-install random values from `path`, creating them on first start. BOOT_MS is the
 * host's boot time when the CLI describes one (shared with the other sensors); without it the stored
 * offset before NOW is used.
 */
export function loadIdentity(path: string, o: IdentityOverrides, now = Date.now(), bootMs?: number): ServerIdentity {
  let s: z.infer<typeof stored> | undefined;
  if (existsSync(path)) {
    const parsed = stored.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (parsed.success) s = parsed.data;
  }
  if (!s) {
    const names = Object.keys(OS_PROFILES) as OsProfileName[];
    s = {
      guid: randomBytes(16).toString('hex'),
      netbios_name: randomWindowsName(),
      profile: names[randomBytes(1)[0]! % names.length]!,
      boot_offset_s: 3600 + (randomBytes(4).readUInt32LE() % (20 * 86400)),
    };
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
  }
  const profile = OS_PROFILES[o.os ?? s.profile];
  const netbiosName = (o.netbios_name ?? s.netbios_name).toUpperCase();
  return {
    guid: Uint8Array.from(Buffer.from(o.server_guid ?? s.guid, 'hex')),
    netbiosName,
    workgroup: o.workgroup.toUpperCase(),
    dnsDomain: o.dns_domain ?? '',
    nativeOs: o.native_os ?? profile.nativeOs,
    nativeLanMan: o.native_lanman ?? profile.nativeLanMan,
    version: [...profile.version] as [number, number, number],
    dialect: profile.dialect,
    smb1: { ...profile.smb1 },
    bootTime: bootMs ?? now - s.boot_offset_s * 1000,
    timeZoneMinutes: -Math.round(-new Date(now).getTimezoneOffset()),
  };
}

/** FILETIME (100 ns since 1601) for a JS time. */
export function fileTime(ms: number): bigint {
  return BigInt(Math.round(ms)) * 10_000n + 116_444_736_000_000_000n;
}
