// The empty share's directory listings ("." and "..") and volume information, in the classes SMB2
// QUERY_DIRECTORY / QUERY_INFO ([MS-FSCC] 2.4, 2.5) and SMB1 TRANS2 FIND_FIRST2 / QUERY_FS_INFORMATION
// ([MS-CIFS] 2.2.8.1, 2.2.8.2) ask for.
import { ByteWriter } from '../../wire/reader.js';
import { fileTime } from './identity.js';

/** FileInformationClass values answered, by the fixed size before the name. */
const FIXED: Record<number, number> = { 1: 64, 2: 68, 3: 94, 12: 12, 37: 104, 38: 80 };

/** SMB1 find levels mapped to the SMB2 class with the same layout. */
export const SMB1_FIND_LEVELS: Record<number, number> = { 0x101: 1, 0x102: 2, 0x104: 3, 0x103: 12, 0x105: 37, 0x106: 38 };

export function isListedClass(cls: number): boolean {
  return cls in FIXED;
}

/** Entries for NAMES (directories) in class CLS, each 8-aligned, chained by NextEntryOffset. */
export function encodeDirEntries(cls: number, names: string[], time: bigint, align = 8): Uint8Array {
  const w = new ByteWriter(4096);
  names.forEach((name, i) => {
    const start = w.length;
    const nameBytes = Buffer.from(name, 'utf16le');
    w.u32le(0).u32le(0);
    if (cls === 12) w.u32le(nameBytes.length);
    else {
      w.u64le(time).u64le(time).u64le(time).u64le(time).u64le(0n).u64le(0n).u32le(0x10).u32le(nameBytes.length);
      if (cls !== 1) w.u32le(0);
      if (cls === 3 || cls === 37) w.u8(0).u8(0).zeros(24);
      if (cls === 37) w.u16le(0).u64le(BigInt(i + 1));
      if (cls === 38) w.u64le(BigInt(i + 1));
    }
    w.bytes(nameBytes);
    if (i < names.length - 1) {
      w.align(align, start);
      w.patchU32le(start, w.length - start);
    }
  });
  return w.finish();
}

/**
 * FileFsInformationClass CLS ([MS-FSCC] 2.5), or undefined when not answered. The volume (4 KiB
 * clusters, 40-240 GiB, 20-80 % free) is sized from the per-install serial, so installs differ.
 */
export function encodeFsInfo(cls: number, created: bigint, serial: number): Uint8Array | undefined {
  const TOTAL_UNITS = BigInt(10_485_760 + (serial % 52_428_800));
  const FREE_UNITS = (TOTAL_UNITS * BigInt(20 + ((serial >>> 8) % 61))) / 100n;
  const w = new ByteWriter(128);
  if (cls === 1) w.u64le(created).u32le(serial).u32le(0).u8(0).u8(0); // FileFsVolumeInformation, no label
  else if (cls === 3) w.u64le(TOTAL_UNITS).u64le(FREE_UNITS).u32le(8).u32le(512); // FileFsSizeInformation
  else if (cls === 5) w.u32le(0x000700ff).u32le(255).u32le(8).bytes(Buffer.from('NTFS', 'utf16le')); // FileFsAttributeInformation
  else if (cls === 7) w.u64le(TOTAL_UNITS).u64le(FREE_UNITS).u64le(FREE_UNITS).u32le(8).u32le(512); // FileFsFullSizeInformation
  else if (cls === 4) w.u32le(7).u32le(0x20); // FileFsDeviceInformation: disk, device is mounted
  else return undefined;
  return w.finish();
}

/** SMB1 QUERY_FS levels: the native ones and the pass-through (1000 + class) ones. */
export function smb1FsClass(level: number): number | undefined {
  if (level >= 1000 && level < 1100) return level - 1000;
  return ({ 0x102: 1, 0x103: 3, 0x104: 4, 0x105: 5 } as Record<number, number>)[level];
}

/**
 * The times the share's directories carry: when the volume was created (the server's boot time, as
 * encodeFsInfo reports it), the same in every reply. The clock's "now" would make a directory
 * nobody writes to change every second, and two listings differ.
 */
export function directoryTime(identity: { bootTime: number }): bigint {
  return fileTime(identity.bootTime);
}

/** A volume serial number derived from the per-install server GUID (stable, not a fixed value). */
export function volumeSerial(guid: Uint8Array): number {
  return ((guid[0]! << 24) | (guid[5]! << 16) | (guid[10]! << 8) | guid[15]!) >>> 0;
}
