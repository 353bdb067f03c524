// The server's face: names, GUID, OS strings. Random per install (kept in data_dir so one sensor stays
// the same host across restarts), overridable in config, never Dionaea's fixed values.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeDataFile } from '../runtime/data-file.js';

export interface OsProfile {
  nativeOs: string;
  nativeLanMan: string;
  /** Major, minor, build: NTLMSSP VERSION, NetrServerGetInfo and NetrWkstaGetInfo. */
  version: readonly [number, number, number];
  /** Highest SMB2 dialect answered (0x0202 or 0x0210). */
  dialect: number;
  /** A Server edition or a client one: srvsvc's server type (SV_TYPE_SERVER_NT) and user limit follow it. */
  edition: 'server' | 'workstation';
  smb1: { maxMpx: number; maxBuffer: number; caps: number };
  /** Whether the build predates KB958644, so srvsvc's path calls behave as the unpatched code does. */
  ms08067: 'vulnerable' | 'patched';
  /** Picked at random for an install whose config names no `os`. */
  offered: boolean;
}

/** Windows Server 2008 as released (build 6001) in one edition; the editions differ only in name. */
function server2008Sp1(edition: string): OsProfile {
  return {
    nativeOs: `Windows Server (R) 2008 ${edition} 6001 Service Pack 1`,
    nativeLanMan: `Windows Server (R) 2008 ${edition} 6.0`,
    version: [6, 0, 6001],
    dialect: 0x0202,
    edition: 'server',
    // A server's MaxMpx and buffer, and CAP_DFS as in its SMB2 negotiate: without it nmap -sV's
    // SMBProgNeg line for these values reads "Windows Server 2008 R2", against every other field.
    smb1: { maxMpx: 50, maxBuffer: 16644, caps: 0x8001f3fd },
    ms08067: 'vulnerable',
    offered: true,
  };
}

/**
 * The Windows versions the sensor can present, each with the values that name it on the wire. An
 * install that names no `os` gets one marked `offered`: a build both MS08-067 (fixed by KB958644,
 * October 2008) and MS17-010 (March 2017) hit that still speaks SMB2, which smbclient needs, so that
 * no scan shows a vulnerability the version never had. Only Windows Server 2008 as released (build
 * 6001, which Windows itself calls Service Pack 1, SMB 2.0.2 only) fits: 2008 SP2 and Windows 7 /
 * 2008 R2 shipped with the MS08-067 fix, XP and 2003 speak SMB1 only. The later builds stay
 * available to name in the config; on them the MS08-067 check is answered as patched Windows does.
 */
export const OS_PROFILES = {
  'windows-2008-sp1': server2008Sp1('Standard'),
  'windows-2008-sp1-enterprise': server2008Sp1('Enterprise'),
  'windows-7': {
    nativeOs: 'Windows 7 Professional 7601 Service Pack 1',
    nativeLanMan: 'Windows 7 Professional 6.1',
    version: [6, 1, 7601],
    dialect: 0x0210,
    edition: 'workstation',
    smb1: { maxMpx: 50, maxBuffer: 4356, caps: 0x8001e3fc },
    ms08067: 'patched',
    offered: false,
  },
  'windows-2008r2': {
    nativeOs: 'Windows Server 2008 R2 Standard 7601 Service Pack 1',
    nativeLanMan: 'Windows Server 2008 R2 Standard 6.1',
    version: [6, 1, 7601],
    dialect: 0x0210,
    edition: 'server',
    smb1: { maxMpx: 50, maxBuffer: 16644, caps: 0x8001f3fc },
    ms08067: 'patched',
    offered: false,
  },
  'windows-2008': {
    nativeOs: 'Windows Server (R) 2008 Standard 6002 Service Pack 2',
    nativeLanMan: 'Windows Server (R) 2008 Standard 6.0',
    version: [6, 0, 6002],
    dialect: 0x0202,
    edition: 'server',
    smb1: { maxMpx: 50, maxBuffer: 16644, caps: 0x8001f3fd },
    ms08067: 'patched',
    offered: false,
  },
} as const satisfies Record<string, OsProfile>;
export type OsProfileName = keyof typeof OS_PROFILES;

/** The profiles an install without `os` chooses from. */
export const OFFERED_PROFILES = (Object.keys(OS_PROFILES) as OsProfileName[]).filter((n) => OS_PROFILES[n].offered);

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
  edition: 'server' | 'workstation';
  /** SMB1 negotiate values of this Windows version (what service fingerprints compare). */
  smb1: { maxMpx: number; maxBuffer: number; caps: number };
  /** How NetprPathCanonicalize / NetprPathCompare answer MS08-067's paths (see OsProfile). */
  ms08067: 'vulnerable' | 'patched';
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
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      // Cut short by a crash while it was written, or not JSON: made again below, as an invalid one is.
    }
    const parsed = stored.safeParse(json);
    if (parsed.success) s = parsed.data;
  }
  // A file from an earlier version may hold a profile no longer offered (one MS08-067 cannot hit):
  // that install gets an offered one and keeps its name, GUID and boot time.
  if (!s || !OFFERED_PROFILES.includes(s.profile)) {
    s = {
      guid: s?.guid ?? randomBytes(16).toString('hex'),
      netbios_name: s?.netbios_name ?? randomWindowsName(),
      profile: OFFERED_PROFILES[randomBytes(1)[0]! % OFFERED_PROFILES.length]!,
      boot_offset_s: s?.boot_offset_s ?? 3600 + (randomBytes(4).readUInt32LE() % (20 * 86400)),
    };
    writeDataFile(path, JSON.stringify(s, null, 2) + '\n');
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
    edition: profile.edition,
    smb1: { ...profile.smb1 },
    ms08067: profile.ms08067,
    bootTime: bootMs ?? now - s.boot_offset_s * 1000,
    timeZoneMinutes: -Math.round(-new Date(now).getTimezoneOffset()),
  };
}

/** FILETIME (100 ns since 1601) for a JS time. */
export function fileTime(ms: number): bigint {
  return BigInt(Math.round(ms)) * 10_000n + 116_444_736_000_000_000n;
}
