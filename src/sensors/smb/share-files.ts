// What each source wrote to the shares: its files and directories, so that it finds them again (listed,
// opened, read) as on a real server, while no other source sees them. A worm that copies itself to a
// share and then looks for its copy, or a person who lists after an upload, would notice a share that
// forgets. Keyed by source (an address, or an IPv6 /64, as every per-source limit counts), bounded in
// sources, entries and name length. Pure: the bytes are in the quarantine, found by SHA-256.
import { sourceKey } from '../../events/source-key.js';
import { RecentMap } from '../runtime/recent-map.js';

/** Sources whose files are kept; the least recently used go first (about half at once, see RecentMap). */
export const MAX_FILE_SOURCES = 512;
/** Files and directories one source may have across all shares; past it new ones are not listed. */
export const MAX_ENTRIES_PER_SOURCE = 64;
/** Characters of a path kept, as Windows' MAX_PATH; a longer one is not listed. */
export const MAX_SHARE_PATH = 260;
/** Bytes of a file read back from the quarantine for one request (an SMB2 read's largest). */
export const MAX_STORED_READ = 65536;
/** Characters of one path component (NTFS's limit). */
export const MAX_NAME_CHARS = 255;

export interface ShareEntry {
  /** The path under its share as the client last spelled it (case kept), components joined by "\". */
  path: string;
  dir: boolean;
  size: number;
  /** Milliseconds since 1970, from the sensor's clock. */
  created: number;
  written: number;
  /** A number unique within the source, reported as the file id in the listing classes that carry one. */
  id: number;
  /** The bytes while the quarantine is storing them (the same buffer it holds, not a copy). */
  pending?: Uint8Array;
  /** The quarantined copy, once stored. */
  sha256?: string;
}

interface SourceFiles {
  /** Share name (lower case) -> path key (lower case) -> entry. */
  shares: Map<string, Map<string, ShareEntry>>;
  count: number;
  nextId: number;
}

export type ShareChange = 'ok' | 'not_found' | 'exists' | 'not_empty' | 'full' | 'invalid';

/** PATH's components without empty ones, or undefined when it is not a name a share keeps. */
function components(path: string): string[] | undefined {
  if (path.length > MAX_SHARE_PATH) return undefined;
  const parts = path.split(/[\\/]/).filter((p) => p !== '');
  if (parts.some((p) => p === '.' || p === '..' || p.length > MAX_NAME_CHARS || /[\0-\x1f:*?"<>|]/.test(p))) return undefined;
  return parts;
}

const keyOf = (parts: string[]): string => parts.join('\\').toLowerCase();
const parentKey = (key: string): string => key.slice(0, Math.max(0, key.lastIndexOf('\\')));

/** The name of PATH's last component. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('\\') + 1);
}

/** The per-sensor index: one SourceView per connection, each looking up its source at every call. */
export class ShareIndex {
  private readonly sources: RecentMap<SourceFiles>;

  constructor(readonly limits = { sources: MAX_FILE_SOURCES, entries: MAX_ENTRIES_PER_SOURCE }) {
    this.sources = new RecentMap(limits.sources);
  }

  /** Sources held. */
  get size(): number {
    return this.sources.size;
  }

  /** What the source of ADDRESS sees and changes. */
  of(address: string): SourceView {
    return new SourceView(this, sourceKey(address));
  }

  /** KEY's files; made when CREATE and none are held. */
  files(key: string, create: true): SourceFiles;
  files(key: string, create: false): SourceFiles | undefined;
  files(key: string, create: boolean): SourceFiles | undefined {
    let f = this.sources.get(key);
    if (!f && create) {
      f = { shares: new Map(), count: 0, nextId: 1 };
      this.sources.set(key, f);
    }
    return f;
  }
}

/** One source's files as its connections see them. */
export class SourceView {
  constructor(
    private readonly index: ShareIndex,
    private readonly key: string,
  ) {}

  private share(share: string, create: boolean): Map<string, ShareEntry> | undefined {
    const f = create ? this.index.files(this.key, true) : this.index.files(this.key, false);
    if (!f) return undefined;
    let m = f.shares.get(share.toLowerCase());
    if (!m && create) f.shares.set(share.toLowerCase(), (m = new Map()));
    return m;
  }

  /** The entry at PATH on SHARE, if this source made it. */
  find(share: string, path: string): ShareEntry | undefined {
    const parts = components(path);
    return parts && parts.length ? this.share(share, false)?.get(keyOf(parts)) : undefined;
  }

  /** Whether PATH is the share's root or a directory this source made. */
  isDirectory(share: string, path: string): boolean {
    const parts = components(path);
    if (!parts) return false;
    return parts.length === 0 || this.share(share, false)?.get(keyOf(parts))?.dir === true;
  }

  /** The entries directly in directory DIR of SHARE (DIR '' is the root), in the order they were made. */
  list(share: string, dir: string): ShareEntry[] {
    const parts = components(dir);
    const m = parts && this.share(share, false);
    if (!parts || !m) return [];
    const key = keyOf(parts);
    return [...m.entries()].filter(([k]) => k !== '' && parentKey(k) === key).map(([, e]) => e);
  }

  /**
   * Makes a file or directory at PATH, or for a file takes over the one there (an overwrite keeps its
   * creation time); its parent need not exist. Undefined when PATH is invalid, is a directory, or the
   * source has no room left.
   */
  add(share: string, path: string, dir: boolean, now: number): ShareEntry | undefined {
    const parts = components(path);
    if (!parts?.length) return undefined;
    const key = keyOf(parts);
    const m = this.share(share, true)!;
    const f = this.index.files(this.key, true);
    const old = m.get(key);
    if (old) {
      if (old.dir || dir) return undefined;
      const e: ShareEntry = { path: parts.join('\\'), dir, size: 0, created: old.created, written: now, id: old.id };
      m.set(key, e);
      return e;
    }
    if (f.count >= this.index.limits.entries) return undefined;
    const e: ShareEntry = { path: parts.join('\\'), dir, size: 0, created: now, written: now, id: f.nextId++ };
    m.set(key, e);
    f.count++;
    return e;
  }

  /** Whether anything lies under directory DIR of SHARE (at any depth: a path's parents need not exist). */
  holds(share: string, dir: ShareEntry): boolean {
    const under = dir.path.toLowerCase() + '\\';
    return [...(this.share(share, false)?.keys() ?? [])].some((k) => k.startsWith(under));
  }

  /** Removes ENTRY (if it is still the one at its path); a directory must be empty. */
  remove(share: string, entry: ShareEntry): ShareChange {
    const m = this.share(share, false);
    const key = entry.path.toLowerCase();
    if (!m || m.get(key) !== entry) return 'not_found';
    if (entry.dir && this.holds(share, entry)) return 'not_empty';
    m.delete(key);
    this.index.files(this.key, false)!.count--;
    return 'ok';
  }

  /** Moves ENTRY to path TO (with what a directory holds); REPLACE lets it take the place of a file. */
  rename(share: string, entry: ShareEntry, to: string, replace: boolean): ShareChange {
    const m = this.share(share, false);
    const parts = components(to);
    const from = entry.path.toLowerCase();
    if (!m || m.get(from) !== entry) return 'not_found';
    if (!parts?.length) return 'invalid';
    const target = keyOf(parts);
    if (target === from) {
      entry.path = parts.join('\\');
      return 'ok';
    }
    if (target.startsWith(from + '\\')) return 'invalid';
    const there = m.get(target);
    if (there && (!replace || there.dir || entry.dir)) return 'exists';
    const moved = [...m.entries()].filter(([k]) => k === from || k.startsWith(from + '\\'));
    // Every moved path must still fit; a directory's children grow by the difference in length.
    if (moved.some(([, e]) => e.path.length - entry.path.length + parts.join('\\').length > MAX_SHARE_PATH)) return 'invalid';
    if (there) {
      m.delete(target);
      this.index.files(this.key, false)!.count--;
    }
    const prefix = parts.join('\\');
    const cut = entry.path.length;
    for (const [k, e] of moved) {
      m.delete(k);
      e.path = prefix + e.path.slice(cut);
      m.set(e.path.toLowerCase(), e);
    }
    return 'ok';
  }
}

/**
 * Whether NAME matches the search PATTERN as Windows matches it (case-insensitive; "*" and "?", and
 * the DOS forms "<", ">" and '"' taken as "*", "?" and "."). "*" and "*.*" match every name. A
 * linear walk with one backtrack point, so no pattern costs more than name times pattern length.
 */
export function matchesPattern(name: string, pattern: string): boolean {
  if (pattern === '' || pattern === '*' || pattern === '*.*' || pattern === '<.<') return true;
  const n = name.toLowerCase();
  const p = pattern.toLowerCase().replace(/</g, '*').replace(/>/g, '?').replace(/"/g, '.');
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (i < n.length) {
    if (j < p.length && (p[j] === '?' || p[j] === n[i])) {
      i++;
      j++;
    } else if (j < p.length && p[j] === '*') {
      star = j++;
      mark = i;
    } else if (star >= 0) {
      j = star + 1;
      i = ++mark;
    } else return false;
  }
  while (j < p.length && p[j] === '*') j++;
  return j === p.length;
}
