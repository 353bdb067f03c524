// xp_msver: the server's version resource and host facts, as SQL Server 2019 on Windows Server 2019
// lists them (Index, Name, Internal_Value, Character_Value).
import type { ServerVersion } from './tds-codec.js';

/** The host the decoy's SQL Server claims: Windows Server 2019 (10.0.17763) on four x64 processors with 16 GB. */
const WINDOWS = { major: 10, minor: 0, build: 17763 };
const PROCESSORS = 4;
const MEMORY_MB = 16383;

/** xp_msver's rows for a server of version V. */
export function xpMsverRows(v: ServerVersion): (string | number | null)[][] {
  const version = `${v.major}.${v.minor}.${v.build}.${v.revision}`;
  const year = v.major >= 16 ? 2022 : v.major === 15 ? 2019 : v.major === 14 ? 2017 : v.major === 13 ? 2016 : 2014;
  const fileVersion = `${year}.${String(v.major * 10).padStart(4, '0')}.${v.build}.${String(v.revision).padStart(2, '0')} ((SQLServer${year}-CU).230727-1811)`;
  return [
    [1, 'ProductName', null, 'Microsoft SQL Server'],
    [2, 'ProductVersion', v.major * 65536 + v.minor, version],
    [3, 'Language', 1033, 'English (United States)'],
    [4, 'Platform', null, 'NT x64'],
    [5, 'Comments', null, 'SQL'],
    [6, 'CompanyName', null, 'Microsoft Corporation'],
    [7, 'FileDescription', null, 'SQL Server Windows NT - 64 Bit'],
    [8, 'FileVersion', null, fileVersion],
    [9, 'InternalName', null, 'SQLSERVR'],
    [10, 'LegalCopyright', null, 'Microsoft Corp. All rights reserved.'],
    [11, 'LegalTrademarks', null, 'Microsoft SQL Server is a registered trademark of Microsoft Corporation.'],
    [12, 'OriginalFilename', null, 'SQLSERVR.EXE'],
    [13, 'PrivateBuild', null, null],
    [14, 'SpecialBuild', ((v.build & 0x7fff) << 16) | (v.revision & 0xffff), null],
    [15, 'WindowsVersion', ((WINDOWS.build & 0x7fff) << 16) | (WINDOWS.minor << 8) | WINDOWS.major, `${WINDOWS.major}.${WINDOWS.minor} (${WINDOWS.build})`],
    [16, 'ProcessorCount', PROCESSORS, String(PROCESSORS)],
    [17, 'ProcessorActiveMask', null, ((1 << PROCESSORS) - 1).toString(16).padStart(8, '0')],
    [18, 'ProcessorType', 8664, 'NA'],
    [19, 'PhysicalMemory', MEMORY_MB, `${MEMORY_MB} (${MEMORY_MB * 1048576})`],
    [20, 'Product ID', null, null],
  ];
}
