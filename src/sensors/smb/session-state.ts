// Per-connection SMB state shared by the SMB1 and SMB2 handlers: logons, tree connects, open handles.
import type { SparseFile } from '../runtime/sparse-file.js';
import type { RpcPipe } from './rpc/pipe.js';
import type { Share } from './rpc/srvsvc.js';
import type { DirItem } from './directory.js';
import type { ShareEntry } from './share-files.js';

/** Sessions, trees and open handles one connection may hold. */
export const MAX_SESSIONS = 16;
export const MAX_TREES = 64;
export const MAX_OPEN_FILES = 256;
/** Named pipes open at once on one connection (each holds RPC buffers). */
export const MAX_OPEN_PIPES = 8;

export interface Logon {
  id: number;
  challenge: Uint8Array;
  spnego: boolean;
  user?: string;
  domain?: string;
  authenticated: boolean;
  guest: boolean;
  anonymous: boolean;
}

export interface Tree {
  id: number;
  share: Share;
}

export type OpenHandle =
  | { kind: 'pipe'; id: number; pipe: RpcPipe; tree: Tree }
  | DirHandle
  | StoredHandle
  | FileHandle;

/**
 * A directory: the share's root (no entry) or one the source made. A listing is taken when a search
 * starts and handed out from CURSOR, as much as each reply has room for.
 */
export interface DirHandle {
  kind: 'dir';
  id: number;
  name: string;
  tree: Tree;
  entry?: ShareEntry;
  listing?: DirItem[];
  cursor?: number;
  deleteOnClose?: boolean;
}

/** A file the source wrote earlier, opened again: read from the quarantine. A write makes it a FileHandle. */
export interface StoredHandle {
  kind: 'stored';
  id: number;
  name: string;
  tree: Tree;
  entry: ShareEntry;
  deleteOnClose?: boolean;
}

/** A file being written: a SparseFile, so a read costs only the bytes it returns however many pieces the client wrote. */
export interface FileHandle extends SparseFile {
  kind: 'file';
  id: number;
  name: string;
  tree: Tree;
  truncated: boolean;
  /** Set when a write found the source's share of the upload memory full: the file's hash and size then (its bytes are given back). */
  dropped?: { sha256: string; size: number };
  /** Where the share lists it (undefined when the source's index has no room for it). */
  entry?: ShareEntry;
  deleteOnClose?: boolean;
}

/** Allocates small non-zero ids that are not in use. */
export function allocId<T>(map: Map<number, T>, max: number, start = 1, limit = 0xfffe): number | undefined {
  if (map.size >= max) return undefined;
  for (let i = 0; i < limit; i++) {
    const id = ((start + i) % limit) + 1;
    if (!map.has(id)) return id;
  }
  return undefined;
}
