// One SMB connection's protocol logic, without the socket: frames in, reply frames out, findings to hooks.
// SMB1 and SMB2 handlers share the logon, tree and handle operations defined here.
import { decodeNtlm, encodeNtlmChallenge, isNtlmssp, ntlmHashLine, type NtlmMessage } from './codec/ntlmssp.js';
import { decodeSpnego, encodeNegTokenResp, NEG_STATE } from './codec/spnego.js';
import { fileTime, type ServerIdentity } from './identity.js';
import { RpcPipe, type RpcHooks } from './rpc/pipe.js';
import { PIPE_NAMES } from './rpc/interfaces.js';
import { isIpc, type Share } from './rpc/srvsvc.js';
import { createHash } from 'node:crypto';
import type { ByteAccount } from '../runtime/framed-input.js';
import { emptySparseFile, sparseBytes, withinSparseAllowance, writeSparse } from '../runtime/sparse-file.js';
import { allocId, MAX_OPEN_FILES, MAX_OPEN_PIPES, MAX_SESSIONS, MAX_TREES, type DirHandle, type FileHandle, type Logon, type OpenHandle, type StoredHandle, type Tree } from './session-state.js';
import { baseName, matchesPattern, MAX_STORED_READ, ShareIndex, type ShareChange, type ShareEntry, type SourceView } from './share-files.js';
import { allocationSize, directoryTime, dotEntries, type DirItem, type FileInfo } from './directory.js';
import type { AuthResult } from './auth.js';

export const STATUS = {
  SUCCESS: 0,
  BUFFER_OVERFLOW: 0x80000005,
  NOT_IMPLEMENTED: 0xc0000002,
  INVALID_HANDLE: 0xc0000008,
  INVALID_PARAMETER: 0xc000000d,
  NO_SUCH_FILE: 0xc000000f,
  END_OF_FILE: 0xc0000011,
  MORE_PROCESSING_REQUIRED: 0xc0000016,
  ACCESS_DENIED: 0xc0000022,
  DISK_FULL: 0xc000007f,
  OBJECT_NAME_INVALID: 0xc0000033,
  OBJECT_NAME_NOT_FOUND: 0xc0000034,
  OBJECT_NAME_COLLISION: 0xc0000035,
  OBJECT_PATH_NOT_FOUND: 0xc000003a,
  LOGON_FAILURE: 0xc000006d,
  NONE_MAPPED: 0xc0000073,
  INSUFFICIENT_RESOURCES: 0xc000009a,
  FILE_IS_A_DIRECTORY: 0xc00000ba,
  NOT_SUPPORTED: 0xc00000bb,
  BAD_NETWORK_NAME: 0xc00000cc,
  REQUEST_NOT_ACCEPTED: 0xc00000d0,
  PIPE_EMPTY: 0xc00000d9,
  NOT_A_DIRECTORY: 0xc0000103,
  INVALID_INFO_CLASS: 0xc0000003,
  NO_MORE_FILES: 0x80000006,
  INSUFF_SERVER_RESOURCES: 0xc0000205,
  USER_SESSION_DELETED: 0xc0000203,
  NETWORK_NAME_DELETED: 0xc00000c9,
  FS_DRIVER_REQUIRED: 0xc000019c,
  SMB_BAD_COMMAND: 0x00160002,
  SMB_BAD_TID: 0x00050002,
  SMB_BAD_UID: 0x005b0002,
  NOT_FOUND: 0xc0000225,
  DIRECTORY_NOT_EMPTY: 0xc0000101,
} as const;

/** CreateDisposition values ([MS-SMB2] 2.2.13, [MS-CIFS] 2.2.4.64). */
export const DISPOSITION = { SUPERSEDE: 0, OPEN: 1, CREATE: 2, OPEN_IF: 3, OVERWRITE: 4, OVERWRITE_IF: 5 } as const;
/** CreateOptions bits read. */
const OPTION = { DIRECTORY: 0x1, NON_DIRECTORY: 0x40, DELETE_ON_CLOSE: 0x1000 } as const;

const CHANGE_STATUS: Record<ShareChange, number> = {
  ok: 0,
  not_found: STATUS.OBJECT_NAME_NOT_FOUND,
  exists: STATUS.OBJECT_NAME_COLLISION,
  not_empty: STATUS.DIRECTORY_NOT_EMPTY,
  full: STATUS.DISK_FULL,
  invalid: STATUS.OBJECT_NAME_INVALID,
};

export interface SmbHooks extends RpcHooks {
  auth(p: AuthResult): void;
  /**
   * A file written to a share was closed (or the connection ended with it open). DROPPED: it was not
   * kept, a write having found the source's share of the upload memory full (data is then empty).
   */
  upload(p: {
    share: string;
    name: string;
    data: Uint8Array;
    truncated: boolean;
    dropped?: { sha256: string; size: number };
    /** Told where the quarantine kept the bytes (undefined: it did not), so the share can serve them back. */
    kept?: (f: { sha256: string; size: number } | undefined) => void;
  }): void;
  /** Up to LENGTH bytes at OFFSET of the quarantined file SHA256 (at most MAX_STORED_READ); undefined when it cannot be read. */
  readStored?(sha256: string, offset: number, length: number): Uint8Array | undefined;
  /** An exploit step was recognised; `payload` is kept in quarantine and searched for shellcode. */
  exploitStep(p: { name: string; cve: string; detail: string; payload?: Uint8Array; analyse: boolean }): void;
  /** Decides a logon: the user, domain and whether it is anonymous. */
  allowLogon(user: string, anonymous: boolean): { ok: boolean; guest: boolean };
  /** Whether a DoublePulsar ping is answered as "installed" for this client. */
  backdoorInstalled(): boolean;
}

export interface SmbConfig {
  identity: ServerIdentity;
  shares: readonly Share[];
  maxUploadBytes: number;
  /**
   * The client's source's account in the sensors' upload memory (capture.ts UPLOAD_MEMORY): open files,
   * DoublePulsar uploads and RPC request stubs being assembled are charged to it.
   */
  uploadMemory: ByteAccount;
  /** What the client's source wrote to the shares, shared with its other connections; a private index when absent. */
  files?: SourceView;
  random(n: number): Uint8Array;
  now(): number;
}

export class SmbConnectionState {
  readonly logons = new Map<number, Logon>();
  readonly trees = new Map<number, Tree>();
  readonly handles = new Map<number, OpenHandle>();
  readonly files: SourceView;
  /** The SMB1 negotiate challenge for non-extended-security logons. */
  negotiateChallenge: Uint8Array;
  private nextLogon = 0x800;
  /**
   * Bytes held for files not yet closed, across the connection: each file's size, gaps included (they
   * are held as zeros). A file's buffer may be up to twice its size while it grows.
   */
  private bufferedUploadBytes = 0;
  private nextHandle: number;
  private readonly assocGroup: number;

  constructor(
    readonly cfg: SmbConfig,
    readonly hooks: SmbHooks,
  ) {
    this.negotiateChallenge = cfg.random(8);
    this.files = cfg.files ?? new ShareIndex().of('');
    const r = cfg.random(4);
    this.nextHandle = ((r[0]! << 8) | r[1]!) % 0x4000;
    this.assocGroup = 0x1000 + (((r[2]! << 8) | r[3]!) & 0x7fff);
  }

  /** A new logon (SMB1 UID or SMB2 session) with a fresh challenge. */
  newLogon(spnego: boolean): Logon | undefined {
    const id = allocId(this.logons, MAX_SESSIONS, this.nextLogon);
    if (id === undefined) return undefined;
    this.nextLogon = id + 1;
    const l: Logon = { id, challenge: this.cfg.random(8), spnego, authenticated: false, guest: false, anonymous: false };
    this.logons.set(id, l);
    return l;
  }

  challengeMessage(logon: Logon, clientFlags: number): Uint8Array {
    const id = this.cfg.identity;
    return encodeNtlmChallenge({
      challenge: logon.challenge,
      clientFlags,
      // A workgroup machine names itself as its own domain; a domain member names the domain.
      netbiosDomain: id.dnsDomain ? id.workgroup : id.netbiosName,
      targetType: id.dnsDomain ? 'domain' : 'server',
      netbiosComputer: id.netbiosName,
      dnsDomain: id.dnsDomain || id.netbiosName,
      dnsComputer: id.dnsDomain ? `${id.netbiosName}.${id.dnsDomain}` : id.netbiosName,
      ...(id.dnsDomain ? { dnsTree: id.dnsDomain } : {}),
      timestamp: fileTime(this.cfg.now()),
      version: id.version,
    });
  }

  /** Completes a logon from an NTLM AUTHENTICATE (or non-extended LM/NT responses), recording it. */
  finishLogon(logon: Logon, auth: Extract<NtlmMessage, { type: 3 }>, challenge: Uint8Array): boolean {
    const anonymous = auth.user === '' && auth.ntResponse.length <= 1 && auth.lmResponse.length <= 1;
    const decision = this.hooks.allowLogon(auth.user, anonymous);
    const hash = anonymous ? undefined : ntlmHashLine(auth, challenge);
    this.hooks.auth({ user: auth.user, domain: auth.domain, workstation: auth.workstation, hash, anonymous, success: decision.ok });
    logon.user = auth.user;
    logon.domain = auth.domain;
    logon.authenticated = decision.ok;
    logon.guest = decision.ok && decision.guest && !anonymous;
    logon.anonymous = anonymous;
    if (!decision.ok) this.logons.delete(logon.id);
    return decision.ok;
  }

  /**
   * Runs one security blob through NTLMSSP (raw or in SPNEGO). Returns the status and the blob to
   * send back, in the same wrapping the client used.
   */
  securityExchange(logon: Logon, blob: Uint8Array): { status: number; blob: Uint8Array } {
    let token: Uint8Array | undefined;
    let spnego = false;
    if (isNtlmssp(blob)) token = blob;
    else {
      const sp = decodeSpnego(blob);
      spnego = true;
      token = sp?.mechToken;
      if (!sp || !token || !isNtlmssp(token)) {
        this.logons.delete(logon.id);
        return { status: STATUS.LOGON_FAILURE, blob: sp ? encodeNegTokenResp(NEG_STATE.REJECT) : new Uint8Array(0) };
      }
    }
    logon.spnego = spnego;
    const msg = decodeNtlm(token);
    if (msg?.type === 1) {
      logon.challenge = this.cfg.random(8);
      const ch = this.challengeMessage(logon, msg.flags);
      return { status: STATUS.MORE_PROCESSING_REQUIRED, blob: spnego ? encodeNegTokenResp(NEG_STATE.ACCEPT_INCOMPLETE, ch, true) : ch };
    }
    if (msg?.type === 3) {
      const ok = this.finishLogon(logon, msg, logon.challenge);
      if (!ok) return { status: STATUS.LOGON_FAILURE, blob: spnego ? encodeNegTokenResp(NEG_STATE.REJECT) : new Uint8Array(0) };
      return { status: STATUS.SUCCESS, blob: spnego ? encodeNegTokenResp(NEG_STATE.ACCEPT_COMPLETED) : new Uint8Array(0) };
    }
    this.logons.delete(logon.id);
    return { status: STATUS.LOGON_FAILURE, blob: new Uint8Array(0) };
  }

  /** TREE CONNECT to `\\server\share`; undefined when the share does not exist. */
  connectTree(path: string, logon: Logon | undefined): Tree | { status: number } {
    const name = path.slice(path.lastIndexOf('\\') + 1).toLowerCase();
    const share = this.cfg.shares.find((s) => s.name.toLowerCase() === name);
    if (!share) return { status: STATUS.BAD_NETWORK_NAME };
    // Administrative shares refuse the anonymous and guest accounts, as Windows does.
    const admin = (share.type & 0x80000000) !== 0 && !isIpc(share);
    if (admin && (!logon || logon.anonymous || (logon.user ?? '').toLowerCase() === 'guest')) return { status: STATUS.ACCESS_DENIED };
    const id = allocId(this.trees, MAX_TREES, 1);
    if (id === undefined) return { status: STATUS.INSUFFICIENT_RESOURCES };
    const t = { id, share };
    this.trees.set(id, t);
    return t;
  }

  disconnectTree(id: number): boolean {
    const t = this.trees.get(id);
    if (!t) return false;
    for (const h of this.handles.values()) if (h.tree === t) this.closeHandle(h.id);
    this.trees.delete(id);
    return true;
  }

  /**
   * Opens NAME on TREE with CreateDisposition DISPOSITION and CreateOptions OPTIONS: a pipe on IPC$, on
   * a disk share the root, a file or directory the source made, or a new file (captured when closed)
   * or directory. A name the source did not make opens only as a new file, as before the share kept
   * files, so no upload is refused that was taken then.
   */
  open(tree: Tree, rawName: string, disposition: number, options: number): OpenHandle | { status: number } {
    const name = rawName.replace(/^[\\/]+/, '').replace(/\//g, '\\');
    const id = allocId(this.handles, MAX_OPEN_FILES, this.nextHandle);
    if (id === undefined) return { status: STATUS.INSUFFICIENT_RESOURCES };
    this.nextHandle = id + 1;
    let h: OpenHandle;
    const share = tree.share.name;
    const wantDir = (options & OPTION.DIRECTORY) !== 0;
    const existing = isIpc(tree.share) || name === '' ? undefined : this.files.find(share, name);
    if (isIpc(tree.share)) {
      const pipeName = name.toLowerCase().replace(/^pipe\\/, '');
      if (!PIPE_NAMES.has(pipeName)) return { status: STATUS.OBJECT_NAME_NOT_FOUND };
      if ([...this.handles.values()].filter((x) => x.kind === 'pipe').length >= MAX_OPEN_PIPES) return { status: STATUS.INSUFFICIENT_RESOURCES };
      const ctx = { identity: this.cfg.identity, shares: this.cfg.shares, now: this.cfg.now };
      const secondary = pipeName === 'epmapper' ? '135' : `\\PIPE\\${pipeName === 'browser' ? 'browser' : pipeName}`;
      h = { kind: 'pipe', id, tree, pipe: new RpcPipe(pipeName, secondary, ctx, this.hooks, this.assocGroup, this.cfg.uploadMemory) };
    } else if (name === '') {
      h = { kind: 'dir', id, name, tree };
    } else if (existing) {
      if (disposition === DISPOSITION.CREATE) return { status: STATUS.OBJECT_NAME_COLLISION };
      if (existing.dir && (options & OPTION.NON_DIRECTORY) !== 0) return { status: STATUS.FILE_IS_A_DIRECTORY };
      if (!existing.dir && wantDir) return { status: STATUS.NOT_A_DIRECTORY };
      if (existing.dir) h = { kind: 'dir', id, name, tree, entry: existing };
      else if (disposition === DISPOSITION.OPEN) h = { kind: 'stored', id, name, tree, entry: existing };
      else h = this.newFile(id, name, tree);
    } else if (wantDir) {
      if (disposition === DISPOSITION.OPEN || disposition === DISPOSITION.OVERWRITE) return { status: STATUS.OBJECT_NAME_NOT_FOUND };
      if (!tree.share.writable) return { status: STATUS.ACCESS_DENIED };
      const entry = this.files.add(share, name, true, this.cfg.now());
      // A directory that cannot be kept would vanish at once: refused as a full disk refuses it.
      if (!entry) return { status: STATUS.DISK_FULL };
      h = { kind: 'dir', id, name, tree, entry };
    } else {
      if (disposition === DISPOSITION.OPEN) return { status: STATUS.OBJECT_NAME_NOT_FOUND };
      if (!tree.share.writable) return { status: STATUS.ACCESS_DENIED };
      h = this.newFile(id, name, tree);
    }
    if ((options & OPTION.DELETE_ON_CLOSE) !== 0 && h.kind !== 'pipe') h.deleteOnClose = true;
    this.handles.set(id, h);
    return h;
  }

  /** A file being written, listed at once (empty until closed) when the source has room for it. */
  private newFile(id: number, name: string, tree: Tree): FileHandle {
    const entry = this.files.add(tree.share.name, name, false, this.cfg.now());
    return { kind: 'file', id, name, tree, ...emptySparseFile(), truncated: false, ...(entry ? { entry } : {}) };
  }

  /**
   * The names in directory DIR of TREE (one the source made, or the root when undefined) that match
   * PATTERN, "." and ".." first (when they match).
   */
  listing(tree: Tree, dir: ShareEntry | undefined, pattern: string): DirItem[] {
    const dots = dotEntries(dir ? fileTime(dir.written) : directoryTime(this.cfg.identity));
    if (dir) dots[0]!.created = fileTime(dir.created);
    const own = this.files.list(tree.share.name, dir?.path ?? '').map(
      (e): DirItem => ({ name: baseName(e.path), dir: e.dir, size: e.size, created: fileTime(e.created), written: fileTime(e.written), id: 0x10000 + e.id }),
    );
    return [...dots, ...own].filter((i) => matchesPattern(i.name, pattern));
  }

  /** What CREATE and the information classes report of H. */
  attributes(h: OpenHandle): FileInfo {
    if (h.kind === 'pipe') return { created: 0n, written: 0n, size: 0, allocation: 4096n, attributes: 0x80, dir: false, deletePending: false, id: 0, name: `\\${h.pipe.name}` };
    const e = h.entry;
    const now = h.kind === 'dir' ? directoryTime(this.cfg.identity) : fileTime(this.cfg.now());
    const size = h.kind === 'file' ? h.size : h.kind === 'stored' ? h.entry.size : 0;
    return {
      created: e ? fileTime(e.created) : now,
      written: e ? fileTime(e.written) : now,
      size,
      allocation: allocationSize(size),
      attributes: h.kind === 'dir' ? 0x10 : 0x20,
      dir: h.kind === 'dir',
      deletePending: h.deleteOnClose === true,
      id: e ? 0x10000 + e.id : 0,
      name: `\\${e?.path ?? h.name}`,
    };
  }

  /** Up to LENGTH bytes at OFFSET of a file the source wrote earlier: while being stored from memory, then from the quarantine. */
  readStored(h: StoredHandle, offset: number, length: number): Uint8Array | { status: number } {
    const e = h.entry;
    if (offset >= e.size) return { status: STATUS.END_OF_FILE };
    const n = Math.min(length, MAX_STORED_READ, e.size - offset);
    if (e.pending) return e.pending.subarray(offset, offset + n);
    const got = e.sha256 ? this.hooks.readStored?.(e.sha256, offset, n) : undefined;
    // Not kept (the quarantine was full) or gone: refused, rather than bytes that are not the file's.
    return got ?? { status: STATUS.ACCESS_DENIED };
  }

  /** Marks H to be deleted when closed (SET_INFO FileDispositionInformation, DELETE_ON_CLOSE). */
  setDeletePending(h: OpenHandle, pending: boolean): number {
    if (h.kind === 'pipe' || (h.kind === 'dir' && !h.entry)) return STATUS.ACCESS_DENIED;
    if (pending && h.kind === 'dir' && h.entry && this.files.holds(h.tree.share.name, h.entry)) return STATUS.DIRECTORY_NOT_EMPTY;
    h.deleteOnClose = pending;
    return STATUS.SUCCESS;
  }

  /** Renames what H is open on to TO (a path under the same share). */
  rename(h: OpenHandle, to: string, replace: boolean): number {
    if (h.kind === 'pipe' || !h.entry) return h.kind === 'file' ? STATUS.SUCCESS : STATUS.ACCESS_DENIED;
    return CHANGE_STATUS[this.files.rename(h.tree.share.name, h.entry, to.replace(/^[\\/]+/, ''), replace)];
  }

  /** Deletes PATH (SMB1 DELETE, DELETE_DIRECTORY): a file, or an empty directory, the source made. */
  deletePath(tree: Tree, path: string, dir: boolean): number {
    const e = this.files.find(tree.share.name, path);
    if (!e) return STATUS.OBJECT_NAME_NOT_FOUND;
    if (e.dir !== dir) return dir ? STATUS.NOT_A_DIRECTORY : STATUS.FILE_IS_A_DIRECTORY;
    return CHANGE_STATUS[this.files.remove(tree.share.name, e)];
  }

  /** Makes directory PATH (SMB1 CREATE_DIRECTORY; the caller has checked the share takes writes). */
  makeDirectory(tree: Tree, path: string): number {
    if (this.files.find(tree.share.name, path)) return STATUS.OBJECT_NAME_COLLISION;
    return this.files.add(tree.share.name, path, true, this.cfg.now()) ? STATUS.SUCCESS : STATUS.DISK_FULL;
  }

  /**
   * Writes to a file or pipe; returns the count accepted (all of it: extra bytes are dropped and
   * noted), or STATUS_DISK_FULL when the file cannot grow within the source's upload memory.
   */
  write(h: OpenHandle, offset: number, data: Uint8Array): number | { status: number } {
    if (h.kind === 'pipe') h.pipe.write(data);
    else if (h.kind === 'file') return this.writeFile(h, offset, data);
    else if (h.kind === 'stored') return this.writeFile(this.reopenForWrite(h), offset, data);
    return data.length;
  }

  /**
   * Keeps what fits of a file write. One budget covers all files open on the connection, so many
   * open files cannot multiply it; it counts how far each file reaches, so a far offset costs what
   * it makes the sensor hold. The growth is also charged to the source's share of the upload memory
   * all sensors share: past it the write is answered as a full disk answers it, and the file is dropped.
   */
  private writeFile(h: FileHandle, offset: number, data: Uint8Array): number | { status: number } {
    if (h.dropped) return { status: STATUS.DISK_FULL };
    // Zero bytes store nothing: such a write must not extend the file, or offsets alone would grow it.
    if (data.length === 0) return 0;
    // How far this file may reach: the upload limit, and no more growth than the budget has left.
    const reach = Math.min(this.cfg.maxUploadBytes, h.size + this.cfg.maxUploadBytes - this.bufferedUploadBytes);
    const end = Math.min(offset + data.length, reach);
    if (end < offset + data.length) h.truncated = true;
    if (end <= offset) return data.length;
    if (!withinSparseAllowance(h, offset, end - offset)) {
      h.truncated = true;
      return data.length;
    }
    const growth = Math.max(0, end - h.size);
    if (!this.cfg.uploadMemory.take(growth)) {
      this.dropFile(h);
      return { status: STATUS.DISK_FULL };
    }
    writeSparse(h, offset, data.subarray(0, end - offset), reach);
    this.bufferedUploadBytes += growth;
    return data.length;
  }

  /**
   * A write to a file opened to read: from here it is captured as a new file of what is written (its
   * earlier bytes are in the quarantine already), under the same handle.
   */
  private reopenForWrite(h: StoredHandle): FileHandle {
    const f: FileHandle = { ...this.newFile(h.id, h.name, h.tree), ...(h.deleteOnClose ? { deleteOnClose: true } : {}) };
    this.handles.set(h.id, f);
    return f;
  }

  /** Stops keeping file H: its hash as written so far is noted and its bytes given back. */
  private dropFile(h: FileHandle): void {
    h.dropped = { sha256: createHash('sha256').update(sparseBytes(h)).digest('hex'), size: h.size };
    this.release(h);
    h.data = new Uint8Array(0);
    h.size = 0;
  }

  /** Gives back what file H holds, to the connection's budget and the upload memory. */
  private release(h: FileHandle): void {
    this.bufferedUploadBytes -= h.size;
    this.cfg.uploadMemory.give(h.size);
  }

  closeHandle(id: number): boolean {
    const h = this.handles.get(id);
    if (!h) return false;
    this.handles.delete(id);
    if (h.kind === 'pipe') {
      h.pipe.dispose();
      return true;
    }
    if (h.deleteOnClose && h.entry) this.files.remove(h.tree.share.name, h.entry);
    if (h.kind !== 'file') return true;
    const entry = h.entry;
    if (entry) {
      entry.size = h.dropped ? h.dropped.size : h.size;
      entry.written = this.cfg.now();
    }
    // Served from memory until the quarantine has the bytes (the buffer it holds meanwhile), then from there.
    const data = sparseBytes(h);
    if (entry && !h.dropped && data.length > 0) entry.pending = data;
    const kept = (f: { sha256: string; size: number } | undefined): void => {
      if (!entry || entry.pending !== data) return;
      delete entry.pending;
      if (f) entry.sha256 = f.sha256;
      if (f && f.size < entry.size) entry.size = f.size;
    };
    // The bytes are given back to the upload memory at once: from here the quarantine holds them, within
    // its own bound on stores in progress (MAX_PENDING_STORE_BYTES). It counts the file's size; the
    // view keeps the whole buffer, which doubling may have made up to twice that.
    if (h.dropped) this.hooks.upload({ share: h.tree.share.name, name: h.name, data: new Uint8Array(0), truncated: h.truncated, dropped: h.dropped });
    else if (h.size > 0 || h.truncated) this.hooks.upload({ share: h.tree.share.name, name: h.name, data, truncated: h.truncated, kept });
    this.release(h);
    return true;
  }

  /** Ends the connection: files still open are captured as they are. */
  dispose(): void {
    for (const id of [...this.handles.keys()]) this.closeHandle(id);
  }
}
