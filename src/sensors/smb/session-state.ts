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
  | { kind: 'file'; id: number; name: string; tree: Tree; chunks: Map<number, Uint8Array>; size: number; written: number; truncated: boolean };

/** Allocates small non-zero ids that are not in use. */
export function allocId<T>(map: Map<number, T>, max: number, start = 1, limit = 0xfffe): number | undefined {
  if (map.size >= max) return undefined;
  for (let i = 0; i < limit; i++) {
    const id = ((start + i) % limit) + 1;
    if (!map.has(id)) return id;
  }
  return undefined;
}

/** The file's bytes in offset order (gaps stay zero), bounded by what was accepted. */
export function assemble(h: Extract<OpenHandle, { kind: 'file' }>): Uint8Array {
  const out = new Uint8Array(h.size);
  for (const [off, c] of h.chunks) out.set(c.subarray(0, Math.max(0, Math.min(c.length, h.size - off))), off);
  return out;
}
