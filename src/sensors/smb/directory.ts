// The shares' directory listings ("." and "..", and what the source made), file and volume information,
// in the classes SMB2 QUERY_DIRECTORY / QUERY_INFO ([MS-FSCC] 2.4, 2.5) and SMB1 TRANS2 FIND_FIRST2 /
// QUERY_FILE_INFORMATION / QUERY_FS_INFORMATION ([MS-CIFS] 2.2.8.1-2.2.8.3) ask for.
import { ByteWriter } from '../../wire/reader.js';
import { fileTime } from './identity.js';

/** FileInformationClass values answered, by the fixed size before the name. */
const FIXED: Record<number, number> = { 1: 64, 2: 68, 3: 94, 12: 12, 37: 104, 38: 80 };

/** SMB1 find levels mapped to the SMB2 class with the same layout. */
export const SMB1_FIND_LEVELS: Record<number, number> = { 0x101: 1, 0x102: 2, 0x104: 3, 0x103: 12, 0x105: 37, 0x106: 38 };

export function isListedClass(cls: number): boolean {
  return cls in FIXED;
}

/** One name in a listing: "." and "..", or a file or directory a source made. Times are FILETIMEs. */
export interface DirItem {
  name: string;
  dir: boolean;
  size: number;
  created: bigint;
  written: bigint;
  /** The file id the classes with one (37, 38) report. */
  id: number;
}

/** Bytes on disk a file of SIZE takes, in the volume's 4 KiB clusters. */
export function allocationSize(size: number): bigint {
  return BigInt(Math.ceil(size / 4096) * 4096);
}

/** Bytes ITEM takes in class CLS, with the padding that aligns the next one. */
export function dirEntrySize(cls: number, item: DirItem, align = 8): number {
  const n = (FIXED[cls] ?? 0) + 2 * item.name.length;
  return Math.ceil(n / align) * align;
}

/** NAME in UTF-16, or for an SMB1 client that did not ask for Unicode in 8-bit characters ("?" for the others). */
export function encodeName(name: string, unicode = true): Uint8Array {
  return unicode ? Buffer.from(name, 'utf16le') : Buffer.from(name.replace(/[^\x00-\xff]/g, '?'), 'latin1');
}

/** Entries for ITEMS in class CLS, each ALIGN-aligned, chained by NextEntryOffset; names as encodeName. */
export function encodeDirEntries(cls: number, items: DirItem[], align = 8, unicode = true): Uint8Array {
  const w = new ByteWriter(4096);
  items.forEach((item, i) => {
    const start = w.length;
    const nameBytes = encodeName(item.name, unicode);
    w.u32le(0).u32le(0);
    if (cls === 12) w.u32le(nameBytes.length);
    else {
      const size = BigInt(item.size);
      w.u64le(item.created).u64le(item.written).u64le(item.written).u64le(item.written);
      w.u64le(size).u64le(allocationSize(item.size)).u32le(item.dir ? 0x10 : 0x20).u32le(nameBytes.length);
      if (cls !== 1) w.u32le(0);
      if (cls === 3 || cls === 37) w.u8(0).u8(0).zeros(24);
      if (cls === 37) w.u16le(0).u64le(BigInt(item.id));
      if (cls === 38) w.u64le(BigInt(item.id));
    }
    w.bytes(nameBytes);
    if (i < items.length - 1) {
      w.align(align, start);
      w.patchU32le(start, w.length - start);
    }
  });
  return w.finish();
}

/** "." and ".." at TIME, as every directory lists them first (fresh objects, the caller's to change). */
export function dotEntries(time: bigint): DirItem[] {
  const dot = (name: string, id: number): DirItem => ({ name, dir: true, size: 0, created: time, written: time, id });
  return [dot('.', 1), dot('..', 2)];
}

/** What a file information class reports of an open file or directory. Times are FILETIMEs. */
export interface FileInfo {
  created: bigint;
  written: bigint;
  size: number;
  allocation: bigint;
  attributes: number;
  dir: boolean;
  deletePending: boolean;
  /** The file id (FileInternalInformation). */
  id: number;
  /** The path as FileNameInformation gives it, from the share's root with a leading "\". */
  name: string;
}

/** SMB_QUERY_FILE_ALL_INFO: Basic, Standard, EaSize, then the name; unlike FileAllInformation. */
export const SMB1_QUERY_FILE_ALL_INFO = 0x107;
/**
 * SMB1 QUERY_FILE/PATH_INFORMATION levels ([MS-CIFS] 2.2.8.3) answered with the FSCC class of the same
 * layout, and SMB_QUERY_FILE_ALL_INFO, which has none, as itself (encodeFileInfo knows it).
 */
const SMB1_INFO_LEVELS: Record<number, number> = { 0x101: 4, 0x102: 5, 0x103: 7, [SMB1_QUERY_FILE_ALL_INFO]: SMB1_QUERY_FILE_ALL_INFO };

/** The FSCC class an SMB1 information level asks for (a native one, or pass-through 1000 + class). */
export function smb1InfoClass(level: number): number | undefined {
  if (level >= 1000 && level < 1100) return level - 1000;
  return SMB1_INFO_LEVELS[level];
}

/**
 * FileInformationClass CLS ([MS-FSCC] 2.4) of F, or undefined when not answered: Basic (4), Standard
 * (5), Internal (6), Ea (7), Access (8), Position (14), Mode (16), Alignment (17), All (18),
 * NetworkOpen (34), AttributeTag (35); or SMB1's SMB_QUERY_FILE_ALL_INFO.
 */
export function encodeFileInfo(cls: number, f: FileInfo, unicode = true): Uint8Array | undefined {
  const w = new ByteWriter(256);
  const size = BigInt(f.size);
  const name = encodeName(f.name, unicode);
  const basic = (): void => void w.u64le(f.created).u64le(f.written).u64le(f.written).u64le(f.written).u32le(f.attributes).u32le(0);
  const standard = (): void => void w.u64le(f.allocation).u64le(size).u32le(1).u8(f.deletePending ? 1 : 0).u8(f.dir ? 1 : 0).u16le(0);
  if (cls === 4) basic();
  else if (cls === 5) standard();
  else if (cls === 6) w.u64le(BigInt(f.id));
  else if (cls === 7 || cls === 16 || cls === 17) w.u32le(0);
  else if (cls === 8) w.u32le(0x001f01ff);
  else if (cls === 14) w.u64le(0n);
  else if (cls === 18) {
    basic();
    standard();
    w.u64le(BigInt(f.id)).u32le(0).u32le(0x001f01ff).u64le(0n).u32le(0).u32le(0).u32le(name.length).bytes(name);
  } else if (cls === SMB1_QUERY_FILE_ALL_INFO) {
    basic();
    standard();
    w.u32le(0).u32le(name.length).bytes(name);
  } else if (cls === 34) w.u64le(f.created).u64le(f.written).u64le(f.written).u64le(f.written).u64le(f.allocation).u64le(size).u32le(f.attributes).u32le(0);
  else if (cls === 35) w.u32le(f.attributes).u32le(0);
  else return undefined;
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
