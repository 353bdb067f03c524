// Per-connection SMB state shared by the SMB1 and SMB2 handlers: logons, tree connects, open handles.
import type { RpcPipe } from './rpc/pipe.js';
import type { Share } from './rpc/srvsvc.js';

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
  | { kind: 'dir'; id: number; name: string; tree: Tree; listed?: boolean }
  | FileHandle;

/**
 * A file being written. Its bytes live in one buffer (`data`, of which the first `size` are the file)
 * that writes update in place, so a read costs only the bytes it returns however many pieces the
 * client wrote; gaps between writes stay zero.
 */
export interface FileHandle {
  kind: 'file';
  id: number;
  name: string;
  tree: Tree;
  data: Uint8Array;
  size: number;
  truncated: boolean;
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

/** The file as written so far (a view of its buffer, not a copy). */
export function fileBytes(h: FileHandle): Uint8Array {
  return h.data.subarray(0, h.size);
}

/**
 * Puts PART at OFFSET, growing the buffer to at most CAPACITY bytes. The buffer doubles, so a file
 * written in small pieces is copied a few times in all rather than once per piece; the caller has
 * checked that OFFSET + PART fits in CAPACITY.
 */
export function writeFileBytes(h: FileHandle, offset: number, part: Uint8Array, capacity: number): void {
  const end = offset + part.length;
  if (end > h.data.length) {
    const next = new Uint8Array(Math.min(capacity, Math.max(end, 2 * h.data.length)));
    next.set(h.data.subarray(0, h.size));
    h.data = next;
  }
  h.data.set(part, offset);
  h.size = Math.max(h.size, end);
}
