// SMB2 (2.0.2 and 2.1) command handlers ([MS-SMB2] 3.3.5): negotiate through logoff, CREATE/READ/WRITE
// on pipes and the writable share, and IOCTL pipe transceive for DCE/RPC.
import { ByteReader, ByteWriter, sliceAt, utf16leToString } from '../../wire/reader.js';
import { encodeSmb2Replies, SMB2, SMB2_ERROR_BODY, type Smb2Reply, type Smb2Request } from './codec/smb2.js';
import { encodeNegTokenInitHint } from './codec/spnego.js';
import { STATUS, type SmbConnectionState } from './connection.js';
import { fileTime } from './identity.js';
import { dirEntrySize, encodeDirEntries, encodeFileInfo, encodeFsInfo, isListedClass, volumeSerial } from './directory.js';
import { sparseBytes } from '../runtime/sparse-file.js';
import type { Logon, OpenHandle } from './session-state.js';
import { isIpc } from './rpc/srvsvc.js';

/** Largest read, write and transact size offered (the NetBIOS frame cap stays above it). */
export const SMB2_MAX_IO = 65536;
/** Dialects read from one NEGOTIATE. */
export const MAX_SMB2_DIALECTS = 64;
/** Longest path read from CREATE or TREE_CONNECT (characters). */
export const MAX_SMB2_PATH = 1024;

const FSCTL_PIPE_TRANSCEIVE = 0x0011c017;
const FSCTL_DFS_GET_REFERRALS = 0x00060194;
const FSCTL_VALIDATE_NEGOTIATE_INFO = 0x00140204;

type Body = { status: number; body: Uint8Array; treeId?: number; sessionId?: bigint };

const fid = (id: number): Uint8Array => new ByteWriter(16).u64le(BigInt(id)).u64le(BigInt(id) ^ 0x5a5a5a5an).finish();

export class Smb2Server {
  private dialect = 0;

  constructor(private readonly st: SmbConnectionState) {}

  /** The reply to an SMB1 NEGOTIATE that listed SMB2 dialects ([MS-SMB2] 3.3.5.3.1). */
  negotiateFromSmb1(wildcard: boolean): Uint8Array {
    const dialect = wildcard && this.st.cfg.identity.dialect > 0x0202 ? 0x02ff : 0x0202;
    if (dialect === 0x0202) this.dialect = 0x0202;
    return encodeSmb2Replies([{ command: SMB2.NEGOTIATE, status: 0, messageId: 0n, credits: 1, treeId: 0, sessionId: 0n, processId: 0xfeff, body: this.negotiateBody(dialect) }]);
  }

  handle(reqs: Smb2Request[]): Uint8Array[] {
    const replies: Smb2Reply[] = [];
    let lastFile: number | undefined;
    let lastSession = 0n;
    let lastTree = 0;
    for (const req of reqs) {
      const h = req.header;
      const related = (h.flags & 0x4) !== 0;
      const sessionId = related && h.sessionId === 0xffffffffffffffffn ? lastSession : h.sessionId;
      const treeId = related && h.treeId === 0xffffffff ? lastTree : h.treeId;
      if (h.command === SMB2.CANCEL) continue;
      let res: Body;
      try {
        res = this.dispatch(req, sessionId, treeId, related ? lastFile : undefined);
      } catch {
        res = { status: STATUS.INVALID_PARAMETER, body: SMB2_ERROR_BODY };
      }
      if (h.command === SMB2.CREATE && res.status === 0) lastFile = new DataView(res.body.buffer, res.body.byteOffset).getUint32(64, true);
      lastSession = res.sessionId ?? sessionId;
      lastTree = res.treeId ?? treeId;
      replies.push({
        command: h.command,
        status: res.status,
        messageId: h.messageId,
        credits: Math.max(1, Math.min(h.credits || 1, 64)),
        treeId: lastTree,
        sessionId: lastSession,
        processId: h.processId,
        related: related && replies.length > 0,
        body: res.body,
      });
    }
    return replies.length ? [encodeSmb2Replies(replies)] : [];
  }

  private error(status: number): Body {
    return { status, body: SMB2_ERROR_BODY };
  }

  private dispatch(req: Smb2Request, sessionId: bigint, treeId: number, relatedFile: number | undefined): Body {
    const c = req.header.command;
    if (c === SMB2.NEGOTIATE) return this.negotiate(req);
    if (c === SMB2.SESSION_SETUP) return this.sessionSetup(req, sessionId);
    if (c === SMB2.ECHO) return { status: 0, body: Uint8Array.of(4, 0, 0, 0) };
    const logon = this.st.logons.get(Number(sessionId & 0xffffn));
    if (!logon?.authenticated || BigInt(logon.id) !== sessionId) return this.error(STATUS.USER_SESSION_DELETED);
    if (c === SMB2.LOGOFF) {
      this.st.logons.delete(logon.id);
      return { status: 0, body: Uint8Array.of(4, 0, 0, 0) };
    }
    if (c === SMB2.TREE_CONNECT) return this.treeConnect(req, logon);
    const tree = this.st.trees.get(treeId);
    if (!tree) return this.error(STATUS.NETWORK_NAME_DELETED);
    switch (c) {
      case SMB2.TREE_DISCONNECT:
        this.st.disconnectTree(treeId);
        return { status: 0, body: Uint8Array.of(4, 0, 0, 0) };
      case SMB2.CREATE:
        return this.create(req, tree.id);
      case SMB2.CLOSE:
      case SMB2.READ:
      case SMB2.WRITE:
      case SMB2.IOCTL:
      case SMB2.QUERY_INFO:
      case SMB2.QUERY_DIRECTORY:
      case SMB2.FLUSH:
      case SMB2.SET_INFO:
        return this.onHandle(req, relatedFile);
      default:
        return this.error(c > SMB2.OPLOCK_BREAK ? STATUS.INVALID_PARAMETER : STATUS.NOT_SUPPORTED);
    }
  }

  /**
   * NEGOTIATE response ([MS-SMB2] 2.2.4): StructureSize 65, SecurityMode, DialectRevision,
   * NegotiateContextCount, ServerGuid, Capabilities, MaxTransact/Read/WriteSize, SystemTime,
   * ServerStartTime, SecurityBufferOffset/Length, NegotiateContextOffset, then the SPNEGO hint.
   */
  private negotiateBody(dialect: number): Uint8Array {
    const id = this.st.cfg.identity;
    const blob = encodeNegTokenInitHint();
    const w = new ByteWriter(512);
    w.u16le(65).u16le(0x0001).u16le(dialect).u16le(0).bytes(id.guid);
    w.u32le(dialect >= 0x0210 ? 0x3 : 0x1).u32le(SMB2_MAX_IO).u32le(SMB2_MAX_IO).u32le(SMB2_MAX_IO);
    w.u64le(fileTime(this.st.cfg.now())).u64le(fileTime(id.bootTime));
    w.u16le(128).u16le(blob.length).u32le(0).bytes(blob);
    return w.finish();
  }

  /** NEGOTIATE request: StructureSize 36, DialectCount, SecurityMode, Reserved, Capabilities, ClientGuid, ..., Dialects. */
  private negotiate(req: Smb2Request): Body {
    const r = new ByteReader(req.body);
    r.advance(2);
    const count = r.u16le() ?? 0;
    if (!r.seek(36)) return this.error(STATUS.INVALID_PARAMETER);
    const offered: number[] = [];
    for (let i = 0; i < Math.min(count, MAX_SMB2_DIALECTS); i++) {
      const d = r.u16le();
      if (d === undefined) break;
      offered.push(d);
    }
    const max = this.st.cfg.identity.dialect;
    const pick = offered.includes(max) ? max : offered.includes(0x0202) ? 0x0202 : undefined;
    if (pick === undefined) return this.error(STATUS.NOT_SUPPORTED);
    this.dialect = pick;
    return { status: 0, body: this.negotiateBody(pick) };
  }

  /** SESSION_SETUP request: StructureSize 25, Flags, SecurityMode, Capabilities, Channel, SecurityBufferOffset (12), Length (14). */
  private sessionSetup(req: Smb2Request, sessionId: bigint): Body {
    const r = new ByteReader(req.body, 12);
    const off = r.u16le();
    const len = r.u16le();
    const blob = off === undefined || len === undefined ? undefined : sliceAt(req.raw, off, len);
    if (!blob) return this.error(STATUS.INVALID_PARAMETER);
    let logon = sessionId ? this.st.logons.get(Number(sessionId & 0xffffn)) : undefined;
    if (!logon || logon.authenticated) logon = this.st.newLogon(true);
    if (!logon) return this.error(STATUS.INSUFFICIENT_RESOURCES);
    const res = this.st.securityExchange(logon, blob);
    if (res.status !== 0 && res.status !== STATUS.MORE_PROCESSING_REQUIRED) return { ...this.error(res.status), sessionId: BigInt(logon.id) };
    const flags = res.status === 0 ? (logon.anonymous ? 0x0002 : logon.guest ? 0x0001 : 0) : 0;
    const w = new ByteWriter(1024).u16le(9).u16le(flags).u16le(72).u16le(res.blob.length).bytes(res.blob);
    return { status: res.status, body: w.finish(), sessionId: BigInt(logon.id) };
  }

  /** TREE_CONNECT request: StructureSize 9, Reserved, PathOffset (4), PathLength (6). */
  private treeConnect(req: Smb2Request, logon: Logon): Body {
    const r = new ByteReader(req.body, 4);
    const off = r.u16le();
    const len = r.u16le();
    const raw = off === undefined || len === undefined ? undefined : sliceAt(req.raw, off, len);
    if (!raw) return this.error(STATUS.INVALID_PARAMETER);
    const t = this.st.connectTree(utf16leToString(raw, MAX_SMB2_PATH), logon);
    if ('status' in t) return this.error(t.status);
    const ipc = isIpc(t.share);
    const w = new ByteWriter(16).u16le(16).u8(ipc ? 2 : 1).u8(0).u32le(ipc ? 0x30 : 0).u32le(0).u32le(ipc || t.share.writable ? 0x001f01ff : 0x001200a9);
    return { status: 0, body: w.finish(), treeId: t.id };
  }

  /** CREATE request: CreateDisposition (36), CreateOptions (40), NameOffset (44), NameLength (46). */
  private create(req: Smb2Request, treeId: number): Body {
    const tree = this.st.trees.get(treeId)!;
    const r = new ByteReader(req.body, 36);
    const disposition = r.u32le();
    const options = r.u32le();
    const off = r.u16le();
    const len = r.u16le();
    if (disposition === undefined || options === undefined || off === undefined || len === undefined) return this.error(STATUS.INVALID_PARAMETER);
    const raw = len === 0 ? new Uint8Array(0) : sliceAt(req.raw, off, len);
    if (!raw) return this.error(STATUS.INVALID_PARAMETER);
    const opened = this.st.open(tree, utf16leToString(raw, MAX_SMB2_PATH), disposition, options);
    if ('status' in opened) return this.error(opened.status);
    return { status: 0, body: this.createBody(opened) };
  }

  /**
   * CREATE response ([MS-SMB2] 2.2.14): StructureSize 89, OplockLevel, Flags, CreateAction, four times,
   * AllocationSize, EndOfFile, FileAttributes, Reserved2, FileId (at 64), create contexts (none).
   */
  private createBody(h: OpenHandle): Uint8Array {
    // The four times to Reserved2 are FileNetworkOpenInformation's layout ([MS-FSCC] 2.4.29).
    const w = new ByteWriter(96).u16le(89).u8(0).u8(0).u32le(h.kind === 'file' ? 2 : 1);
    w.bytes(encodeFileInfo(34, this.st.attributes(h))!);
    w.bytes(fid(h.id)).u32le(0).u32le(0);
    return w.finish();
  }

  private handleAt(body: Uint8Array, at: number, related: number | undefined): OpenHandle | undefined {
    const r = new ByteReader(body, at);
    const persistent = r.u64le();
    const volatile = r.u64le();
    if (persistent === undefined || volatile === undefined) return undefined;
    const id = persistent === 0xffffffffffffffffn && related !== undefined ? related : Number(persistent & 0xffffn);
    return this.st.handles.get(id);
  }

  private onHandle(req: Smb2Request, related: number | undefined): Body {
    const c = req.header.command;
    const at = c === SMB2.CLOSE ? 8 : c === SMB2.READ ? 16 : c === SMB2.WRITE ? 16 : c === SMB2.IOCTL ? 8 : c === SMB2.QUERY_INFO ? 24 : c === SMB2.QUERY_DIRECTORY ? 8 : c === SMB2.SET_INFO ? 16 : 8;
    const h = this.handleAt(req.body, at, related);
    if (!h) return this.error(STATUS.INVALID_HANDLE);
    switch (c) {
      case SMB2.CLOSE: {
        this.st.closeHandle(h.id);
        const w = new ByteWriter(64).u16le(60).u16le(0).u32le(0).zeros(56);
        return { status: 0, body: w.finish() };
      }
      case SMB2.FLUSH:
        return { status: 0, body: Uint8Array.of(4, 0, 0, 0) };
      case SMB2.WRITE:
        return this.write(req, h);
      case SMB2.READ:
        return this.read(req, h);
      case SMB2.IOCTL:
        return this.ioctl(req, h);
      case SMB2.QUERY_INFO:
        return this.queryInfo(req, h);
      case SMB2.QUERY_DIRECTORY:
        return this.queryDirectory(req, h);
      case SMB2.SET_INFO:
        return this.setInfo(req, h);
      default:
        return this.error(STATUS.NOT_SUPPORTED);
    }
  }

  /** WRITE request: DataOffset (2), Length (4), Offset (8), FileId (16). */
  private write(req: Smb2Request, h: OpenHandle): Body {
    const r = new ByteReader(req.body, 2);
    const off = r.u16le();
    const len = r.u32le();
    const offset = r.u64le();
    if (off === undefined || len === undefined || offset === undefined || len > SMB2_MAX_IO) return this.error(STATUS.INVALID_PARAMETER);
    const data = sliceAt(req.raw, off, len);
    if (!data || offset > BigInt(Number.MAX_SAFE_INTEGER)) return this.error(STATUS.INVALID_PARAMETER);
    if (h.kind === 'dir') return this.error(STATUS.FILE_IS_A_DIRECTORY);
    const n = this.st.write(h, Number(offset), data);
    if (typeof n !== 'number') return this.error(n.status);
    return { status: 0, body: new ByteWriter(16).u16le(17).u16le(0).u32le(n).u32le(0).u16le(0).u16le(0).finish() };
  }

  private readBody(data: Uint8Array): Uint8Array {
    return new ByteWriter(data.length + 16).u16le(17).u8(80).u8(0).u32le(data.length).u32le(0).u32le(0).bytes(data).finish();
  }

  /** READ request: Padding, Flags, Length (4), Offset (8), FileId (16). */
  private read(req: Smb2Request, h: OpenHandle): Body {
    const r = new ByteReader(req.body, 4);
    const len = Math.min(r.u32le() ?? 0, SMB2_MAX_IO);
    const offset = Number(r.u64le() ?? 0n);
    if (h.kind === 'pipe') {
      const got = h.pipe.read(len);
      if (got.data.length === 0) return this.error(STATUS.PIPE_EMPTY);
      return { status: got.more ? STATUS.BUFFER_OVERFLOW : 0, body: this.readBody(got.data) };
    }
    if (h.kind === 'dir') return this.error(STATUS.INVALID_PARAMETER);
    if (h.kind === 'stored') {
      const got = this.st.readStored(h, offset, len);
      return 'status' in got ? this.error(got.status) : { status: 0, body: this.readBody(got) };
    }
    if (offset >= h.size) return this.error(STATUS.END_OF_FILE);
    return { status: 0, body: this.readBody(sparseBytes(h).subarray(offset, offset + len)) };
  }

  /** IOCTL request: CtlCode (4), FileId (8), InputOffset (24), InputCount (28), ..., MaxOutputResponse (44). */
  private ioctl(req: Smb2Request, h: OpenHandle): Body {
    const r = new ByteReader(req.body, 4);
    const code = r.u32le()!;
    r.seek(24);
    const inOff = r.u32le();
    const inLen = r.u32le();
    r.seek(44);
    const maxOut = r.u32le() ?? 0;
    if (code === FSCTL_DFS_GET_REFERRALS) return this.error(STATUS.NOT_FOUND);
    if (code === FSCTL_VALIDATE_NEGOTIATE_INFO) return this.error(STATUS.NOT_SUPPORTED);
    if (code !== FSCTL_PIPE_TRANSCEIVE) return this.error(STATUS.NOT_SUPPORTED);
    if (h.kind !== 'pipe') return this.error(STATUS.INVALID_HANDLE);
    const input = inOff === undefined || inLen === undefined ? undefined : sliceAt(req.raw, inOff, inLen);
    if (!input) return this.error(STATUS.INVALID_PARAMETER);
    h.pipe.write(input);
    const got = h.pipe.read(Math.min(maxOut, SMB2_MAX_IO));
    const w = new ByteWriter(got.data.length + 64).u16le(49).u16le(0).u32le(code).bytes(fid(h.id));
    w.u32le(112).u32le(0).u32le(112).u32le(got.data.length).u32le(0).u32le(0).bytes(got.data);
    return { status: got.more ? STATUS.BUFFER_OVERFLOW : 0, body: w.finish() };
  }

  /**
   * QUERY_DIRECTORY request: FileInformationClass (2), Flags (3), FileIndex (4), FileId (8),
   * FileNameOffset (24), FileNameLength (26), OutputBufferLength (28). A search (the first call, or
   * one with RESTART_SCANS or REOPEN) takes the names matching the pattern: "." and "..", then what
   * the source made there. Each reply carries as many as fit (one with RETURN_SINGLE_ENTRY), then
   * STATUS_NO_MORE_FILES; a search that matches nothing answers STATUS_NO_SUCH_FILE, as Windows does.
   */
  private queryDirectory(req: Smb2Request, h: OpenHandle): Body {
    if (h.kind !== 'dir') return this.error(STATUS.INVALID_PARAMETER);
    const r = new ByteReader(req.body, 24);
    const nameOff = r.u16le() ?? 0;
    const nameLen = r.u16le() ?? 0;
    const room = Math.min(r.u32le() ?? 0, SMB2_MAX_IO);
    const cls = req.body[2] ?? 0;
    const flags = req.body[3] ?? 0;
    if (!isListedClass(cls)) return this.error(STATUS.INVALID_INFO_CLASS);
    if (flags & 0x11 || !h.listing) {
      const pattern = nameLen ? utf16leToString(sliceAt(req.raw, nameOff, nameLen) ?? new Uint8Array(0), MAX_SMB2_PATH) : '*';
      h.listing = this.st.listing(h.tree, h.entry, pattern);
      h.cursor = 0;
      if (h.listing.length === 0) return this.error(STATUS.NO_SUCH_FILE);
    }
    const items = [];
    let used = 0;
    for (let i = h.cursor ?? 0; i < h.listing.length; i++) {
      const size = dirEntrySize(cls, h.listing[i]!);
      if (used + size > room && items.length > 0) break;
      items.push(h.listing[i]!);
      used += size;
      if (flags & 0x02) break;
    }
    if (items.length === 0) return this.error(STATUS.NO_MORE_FILES);
    if (used > room) return this.error(STATUS.BUFFER_OVERFLOW);
    h.cursor = (h.cursor ?? 0) + items.length;
    const out = encodeDirEntries(cls, items);
    return { status: 0, body: new ByteWriter(out.length + 8).u16le(9).u16le(72).u32le(out.length).bytes(out).finish() };
  }

  /**
   * SET_INFO request: InfoType (2), FileInfoClass (3), BufferLength (4), BufferOffset (8), FileId (16).
   * FileDispositionInformation (13) deletes on close; FileRenameInformation (10: ReplaceIfExists,
   * Reserved, RootDirectory (8), FileNameLength (4), FileName) renames; other file classes are taken
   * and ignored, as before.
   */
  private setInfo(req: Smb2Request, h: OpenHandle): Body {
    const r = new ByteReader(req.body, 4);
    const len = r.u32le() ?? 0;
    const off = r.u16le() ?? 0;
    const buf = sliceAt(req.raw, off, len) ?? new Uint8Array(0);
    const done = (status: number): Body => (status === 0 ? { status: 0, body: Uint8Array.of(2, 0) } : this.error(status));
    if (req.body[2] === 1 && req.body[3] === 13 && buf.length >= 1) return done(this.st.setDeletePending(h, buf[0] !== 0));
    if (req.body[2] === 1 && req.body[3] === 10 && buf.length >= 20) {
      const to = sliceAt(buf, 20, new ByteReader(buf, 16).u32le()!);
      return done(to ? this.st.rename(h, utf16leToString(to, MAX_SMB2_PATH), buf[0] !== 0) : STATUS.INVALID_PARAMETER);
    }
    return h.kind === 'file' || h.kind === 'stored' ? done(0) : this.error(STATUS.ACCESS_DENIED);
  }

  /** QUERY_INFO request: InfoType (2), FileInfoClass (3), OutputBufferLength (4). File classes as encodeFileInfo, volume classes as encodeFsInfo. */
  private queryInfo(req: Smb2Request, h: OpenHandle): Body {
    const infoType = req.body[2];
    const cls = req.body[3] ?? 0;
    const id = this.st.cfg.identity;
    const out = infoType === 1 ? encodeFileInfo(cls, this.st.attributes(h)) : infoType === 2 ? encodeFsInfo(cls, fileTime(id.bootTime), volumeSerial(id.guid)) : undefined;
    if (!out) return this.error(STATUS.NOT_SUPPORTED);
    return { status: 0, body: new ByteWriter(out.length + 8).u16le(9).u16le(72).u32le(out.length).bytes(out).finish() };
  }
}
