// SMB1 (NT LM 0.12) command handlers: negotiate through logoff, named-pipe transactions, and the
// MS17-010 surface (the FID 0 PeekNamedPipe check, EternalBlue's mismatched secondaries, DoublePulsar).
import { ByteReader, ByteWriter, copyBytes, latin1ToString, sliceAt, utf16leToString } from '../../wire/reader.js';
import { encodeSmb1Reply, FLAGS2, SMB1, smbString, words, type Smb1Block, type Smb1Header, type Smb1Message, type Smb1ReplyBlock } from './codec/smb1.js';
import { encodeNegTokenInitHint } from './codec/spnego.js';
import { STATUS, type SmbConnectionState } from './connection.js';
import { fileTime } from './identity.js';
import { isIpc } from './rpc/srvsvc.js';
import { sparseBytes } from '../runtime/sparse-file.js';
import { encodeDirEntries, encodeFileInfo, encodeFsInfo, SMB1_FIND_LEVELS, smb1FsClass, smb1InfoClass, volumeSerial } from './directory.js';
import type { OpenHandle } from './session-state.js';

/** Longest name or path string read from an SMB1 message (characters). */
export const MAX_SMB1_STRING = 1024;
/** Dialect strings read from a NEGOTIATE. */
export const MAX_DIALECTS = 64;
/** Bytes collected for one multi-part transaction (EternalBlue sends about 70 KiB). */
export const MAX_TRANS_BYTES = 512 * 1024;
/**
 * Secondaries kept for one transaction. EternalBlue sends about 20; the cap stops tiny secondaries
 * from costing far more in per-part overhead than the bytes they carry.
 */
export const MAX_TRANS_PARTS = 1024;
/** Bytes collected from one DoublePulsar upload. */
export const MAX_DOUBLEPULSAR_BYTES = 8 * 1024 * 1024;
/** Chunks kept for one DoublePulsar upload (in the 4 KiB chunks uploaders commonly send, 2048 fill the byte cap). */
export const MAX_DOUBLEPULSAR_PARTS = 4096;

const DP_OPCODE = { PING: 0x23, EXEC: 0xc8, KILL: 0x77 } as const;

export interface Smb1Outcome {
  replies: Uint8Array[];
  /** The client asked for SMB2 in its SMB1 negotiate: answer with an SMB2 negotiate instead. */
  switchToSmb2?: { wildcard: boolean };
}

interface PendingTrans {
  command: number;
  mid: number;
  function: number;
  data: Uint8Array[];
  size: number;
  total: number;
}

/** XOR key a DoublePulsar client derives from the signature seed in the ping reply. */
export function doublePulsarKey(seed: number): number {
  const s = seed >>> 0;
  const x = ((2 * s) ^ ((((s & 0xff00) | (s << 16)) << 8) | (((s >>> 16) | (s & 0xff0000)) >>> 8))) >>> 0;
  return x;
}

export function xor4(data: Uint8Array, key: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ ((key >>> (8 * (i & 3))) & 0xff);
  return out;
}

export class Smb1Server {
  private readonly pendingTrans = new Map<number, PendingTrans>();
  private eternalBlueSeen = false;
  private dpSeed: number;
  private dpUpload: { total: number; parts: Map<number, Uint8Array>; got: number } | undefined;
  private unicode = true;

  constructor(private readonly st: SmbConnectionState) {
    const r = st.cfg.random(4);
    this.dpSeed = (r[0]! | (r[1]! << 8) | (r[2]! << 16) | (r[3]! << 24)) >>> 0;
  }

  handle(msg: Smb1Message): Smb1Outcome {
    const h = msg.header;
    this.unicode = (h.flags2 & FLAGS2.UNICODE) !== 0;
    const first = msg.blocks[0]!;
    if (h.command === SMB1.NEGOTIATE) return this.negotiate(h, first);
    const out: Smb1ReplyBlock[] = [];
    let status: number = STATUS.SUCCESS;
    let uid = h.uid;
    let tid = h.tid;
    let mid = h.mid;
    let signature: Uint8Array | undefined;
    for (const b of msg.blocks) {
      const r = this.dispatch(msg, { ...h, uid, tid }, b);
      if (r === 'none') return { replies: [] };
      out.push(...r.blocks);
      if (r.uid !== undefined) uid = r.uid;
      if (r.tid !== undefined) tid = r.tid;
      if (r.mid !== undefined) mid = r.mid;
      if (r.signature) signature = r.signature;
      status = r.status;
      // An error ends the chain, or more-processing (which must come alone).
      if (status !== STATUS.SUCCESS && !(status === STATUS.BUFFER_OVERFLOW)) break;
    }
    if (out.length === 0) out.push({ command: first.command, words: new Uint8Array(0), bytes: new Uint8Array(0) });
    return { replies: [encodeSmb1Reply(h, { status, uid, tid, mid, ...(signature ? { signature } : {}) }, out)] };
  }

  private err(command: number, status: number): { status: number; blocks: Smb1ReplyBlock[] } {
    return { status, blocks: [{ command, words: new Uint8Array(0), bytes: new Uint8Array(0) }] };
  }

  private dispatch(
    msg: Smb1Message,
    h: Smb1Header,
    b: Smb1Block,
  ): { status: number; blocks: Smb1ReplyBlock[]; uid?: number; tid?: number; mid?: number; signature?: Uint8Array } | 'none' {
    switch (b.command) {
      case SMB1.SESSION_SETUP_ANDX:
        return this.sessionSetup(h, b);
      case SMB1.LOGOFF_ANDX:
        this.st.logons.delete(h.uid);
        return { status: 0, blocks: [{ command: b.command, words: words(() => {}, true), bytes: new Uint8Array(0) }] };
      case SMB1.TREE_CONNECT_ANDX:
        return this.treeConnect(h, b);
      case SMB1.TREE_DISCONNECT:
        return this.st.disconnectTree(h.tid) ? this.err(b.command, 0) : this.err(b.command, STATUS.SMB_BAD_TID);
      case SMB1.NT_CREATE_ANDX:
        return this.ntCreate(h, b);
      case SMB1.WRITE_ANDX:
        return this.writeAndx(msg, b);
      case SMB1.READ_ANDX:
        return this.readAndx(b);
      case SMB1.CLOSE: {
        const fid = b.words.length >= 2 ? b.words[0]! | (b.words[1]! << 8) : -1;
        return this.err(b.command, this.st.closeHandle(fid) ? 0 : STATUS.INVALID_HANDLE);
      }
      case SMB1.DELETE:
      case SMB1.DELETE_DIRECTORY:
      case SMB1.CREATE_DIRECTORY:
        return this.pathCommand(h, b);
      case SMB1.ECHO:
        return { status: 0, blocks: [{ command: b.command, words: words((w) => w.u16le(1)), bytes: b.bytes.subarray(0, 4096) }] };
      case SMB1.TRANSACTION:
        return this.transaction(msg, h, b);
      case SMB1.TRANSACTION2:
        return this.transaction2(msg, h, b);
      case SMB1.NT_TRANSACT:
        return this.ntTransact(msg, h, b);
      case SMB1.TRANSACTION_SECONDARY:
      case SMB1.TRANSACTION2_SECONDARY:
      case SMB1.NT_TRANSACT_SECONDARY:
        this.secondary(msg, h, b);
        return 'none';
      default:
        return this.err(b.command, STATUS.SMB_BAD_COMMAND);
    }
  }

  /** NEGOTIATE ([MS-CIFS] 2.2.4.52): dialect strings each prefixed with 0x02. */
  private negotiate(h: Smb1Header, b: Smb1Block): Smb1Outcome {
    const dialects: string[] = [];
    const r = new ByteReader(b.bytes);
    while (r.remaining > 0 && dialects.length < MAX_DIALECTS) {
      if (r.u8() !== 0x02) break;
      const start = r.offset;
      let end = start;
      while (end < b.bytes.length && b.bytes[end] !== 0) end++;
      dialects.push(latin1ToString(b.bytes.subarray(start, end), 64));
      r.seek(Math.min(b.bytes.length, end + 1));
    }
    if (dialects.includes('SMB 2.???') || dialects.includes('SMB 2.002')) return { replies: [], switchToSmb2: { wildcard: dialects.includes('SMB 2.???') } };
    const index = dialects.indexOf('NT LM 0.12');
    if (index < 0) return { replies: [encodeSmb1Reply(h, { status: 0 }, [{ command: SMB1.NEGOTIATE, words: words((w) => w.u16le(0xffff)), bytes: new Uint8Array(0) }])] };
    const id = this.st.cfg.identity;
    const ext = (h.flags2 & FLAGS2.EXTENDED_SECURITY) !== 0;
    const params = words((w) => {
      w.u16le(index).u8(0x03).u16le(id.smb1.maxMpx).u16le(1).u32le(id.smb1.maxBuffer).u32le(65536).u32le(0);
      w.u32le(ext ? id.smb1.caps : id.smb1.caps & 0x7fffffff);
      w.u64le(fileTime(this.st.cfg.now()));
      w.u16le(id.timeZoneMinutes & 0xffff);
      w.u8(ext ? 0 : 8);
    });
    let data: Uint8Array;
    if (ext) data = Buffer.concat([id.guid, encodeNegTokenInitHint()]);
    else {
      // Windows writes both names in UTF-16 without an alignment pad, whatever the client's flags.
      data = Buffer.concat([this.st.negotiateChallenge, Buffer.from(`${id.workgroup}\0${id.netbiosName}\0`, 'utf16le')]);
    }
    // Windows echoes the client's Unicode and extended-security bits and answers with Flags 0x88.
    const flags2 = (h.flags2 & (FLAGS2.EXTENDED_SECURITY | FLAGS2.UNICODE)) | FLAGS2.NT_STATUS | FLAGS2.LONG_NAMES;
    return { replies: [encodeSmb1Reply(h, { status: 0, flags2, flags: 0x88 }, [{ command: SMB1.NEGOTIATE, words: params, bytes: data }])] };
  }

  /** Reads a string at `at` (offset inside the message's data bytes), aligned for Unicode from the header. */
  private str(b: Smb1Block, at: number, unicode = this.unicode): { text: string; next: number } {
    if (unicode) {
      if ((b.bytesOffset + at) % 2 === 1) at++;
      let end = at;
      while (end + 1 < b.bytes.length && (b.bytes[end] !== 0 || b.bytes[end + 1] !== 0)) end += 2;
      return { text: utf16leToString(b.bytes.subarray(at, Math.min(end, b.bytes.length)), MAX_SMB1_STRING), next: end + 2 };
    }
    let end = at;
    while (end < b.bytes.length && b.bytes[end] !== 0) end++;
    return { text: latin1ToString(b.bytes.subarray(at, end), MAX_SMB1_STRING), next: end + 1 };
  }

  /** A name in TRANS2 parameters (up to its NUL), in the character set the client asked for. */
  private paramString(raw: Uint8Array): string {
    return this.unicode ? utf16leToString(raw, MAX_SMB1_STRING) : latin1ToString(raw, MAX_SMB1_STRING);
  }

  /** SESSION_SETUP_ANDX: WordCount 12 carries a security blob (extended security), 13 carries LM/NT responses. */
  private sessionSetup(h: Smb1Header, b: Smb1Block): { status: number; blocks: Smb1ReplyBlock[]; uid?: number } {
    const id = this.st.cfg.identity;
    const r = new ByteReader(b.words, 4);
    if (b.words.length === 24) {
      r.advance(10);
      const blobLen = r.u16le()!;
      const blob = b.bytes.subarray(0, Math.min(blobLen, b.bytes.length));
      let logon = this.st.logons.get(h.uid);
      if (!logon || logon.authenticated) logon = this.st.newLogon(false);
      if (!logon) return this.err(b.command, STATUS.INSUFFICIENT_RESOURCES);
      const res = this.st.securityExchange(logon, blob);
      const uid = logon.id;
      const guest = this.st.logons.get(uid)?.guest ?? false;
      const params = words((w) => w.u16le(guest ? 1 : 0).u16le(res.blob.length), true);
      const strAt = 32 + 1 + params.length + 2 + res.blob.length;
      const os = smbString(id.nativeOs, this.unicode, strAt);
      const lanman = smbString(id.nativeLanMan, this.unicode, strAt + os.length);
      const dom = smbString(id.workgroup, this.unicode, strAt + os.length + lanman.length);
      if (res.status !== STATUS.SUCCESS && res.status !== STATUS.MORE_PROCESSING_REQUIRED) return { ...this.err(b.command, res.status), uid: 0 };
      return { status: res.status, uid, blocks: [{ command: b.command, words: params, bytes: Buffer.concat([res.blob, os, lanman, dom]) }] };
    }
    if (b.words.length === 26) {
      r.advance(10);
      const lmLen = r.u16le()!;
      const ntLen = r.u16le()!;
      const lm = sliceAt(b.bytes, 0, lmLen) ?? new Uint8Array(0);
      const nt = sliceAt(b.bytes, lmLen, ntLen) ?? new Uint8Array(0);
      const user = this.str(b, lmLen + ntLen);
      const domain = this.str(b, user.next);
      const logon = this.st.newLogon(false);
      if (!logon) return this.err(b.command, STATUS.INSUFFICIENT_RESOURCES);
      const ok = this.st.finishLogon(logon, { type: 3, flags: 0, lmResponse: lm, ntResponse: nt, user: user.text, domain: domain.text, workstation: '' }, this.st.negotiateChallenge);
      if (!ok) return { ...this.err(b.command, STATUS.LOGON_FAILURE), uid: 0 };
      const params = words((w) => w.u16le(logon.guest ? 1 : 0), true);
      const strAt = 32 + 1 + params.length + 2;
      const os = smbString(id.nativeOs, this.unicode, strAt);
      const lanman = smbString(id.nativeLanMan, this.unicode, strAt + os.length);
      const dom = smbString(id.workgroup, this.unicode, strAt + os.length + lanman.length);
      return { status: 0, uid: logon.id, blocks: [{ command: b.command, words: params, bytes: Buffer.concat([os, lanman, dom]) }] };
    }
    return this.err(b.command, STATUS.INVALID_PARAMETER);
  }

  private requireLogon(uid: number): boolean {
    return this.st.logons.get(uid)?.authenticated === true;
  }

  /** TREE_CONNECT_ANDX: Flags, PasswordLength; data: password, path, service (always OEM). */
  private treeConnect(h: Smb1Header, b: Smb1Block): { status: number; blocks: Smb1ReplyBlock[]; tid?: number } {
    if (b.words.length < 8) return this.err(b.command, STATUS.INVALID_PARAMETER);
    if (!this.requireLogon(h.uid)) return this.err(b.command, STATUS.SMB_BAD_UID);
    const flags = b.words[4]! | (b.words[5]! << 8);
    const pwLen = b.words[6]! | (b.words[7]! << 8);
    const path = this.str(b, pwLen);
    const t = this.st.connectTree(path.text, this.st.logons.get(h.uid));
    if ('status' in t) return this.err(b.command, t.status);
    const ipc = isIpc(t.share);
    const extended = (flags & 0x0008) !== 0;
    const params = words((w) => {
      w.u16le(0x0001);
      if (extended) w.u32le(0x001f01ff).u32le(ipc ? 0x001f01ff : 0x001200a9);
    }, true);
    const service = new TextEncoder().encode(ipc ? 'IPC\0' : 'A:\0');
    const fs = smbString(ipc ? '' : 'NTFS', this.unicode, 32 + 1 + params.length + 2 + service.length);
    return { status: 0, tid: t.id, blocks: [{ command: b.command, words: params, bytes: Buffer.concat([service, fs]) }] };
  }

  private tree(tid: number) {
    return this.st.trees.get(tid);
  }

  /**
   * DELETE ([MS-CIFS] 2.2.4.7: SearchAttributes; BufferFormat 0x04, FileName), CREATE_DIRECTORY and
   * DELETE_DIRECTORY (2.2.4.1, 2.2.4.2: BufferFormat 0x04, DirectoryName): on what the source made.
   */
  private pathCommand(h: Smb1Header, b: Smb1Block): { status: number; blocks: Smb1ReplyBlock[] } {
    const tree = this.tree(h.tid);
    if (!tree) return this.err(b.command, STATUS.SMB_BAD_TID);
    if (!tree.share.writable || isIpc(tree.share)) return this.err(b.command, STATUS.ACCESS_DENIED);
    const path = this.str(b, 1).text.replace(/^[\\/]+/, '');
    if (b.command === SMB1.CREATE_DIRECTORY) return this.err(b.command, this.st.makeDirectory(tree, path));
    return this.err(b.command, this.st.deletePath(tree, path, b.command === SMB1.DELETE_DIRECTORY));
  }

  /** NT_CREATE_ANDX ([MS-CIFS] 2.2.4.64): NameLength at 5, CreateDisposition at 35, CreateOptions at 39. */
  private ntCreate(h: Smb1Header, b: Smb1Block): { status: number; blocks: Smb1ReplyBlock[] } {
    if (b.words.length < 48) return this.err(b.command, STATUS.INVALID_PARAMETER);
    const tree = this.tree(h.tid);
    if (!tree) return this.err(b.command, STATUS.SMB_BAD_TID);
    const r = new ByteReader(b.words);
    r.seek(35);
    const disposition = r.u32le()!;
    const options = r.u32le()!;
    const name = this.str(b, 0).text;
    const opened = this.st.open(tree, name, disposition, options);
    if ('status' in opened) return this.err(b.command, opened.status);
    const isPipe = opened.kind === 'pipe';
    const a = this.st.attributes(opened);
    // OplockLevel, FID, CreateDisposition (the action taken), four times, attributes, AllocationSize, EndOfFile, FileType, DeviceState, Directory.
    const params = words((w) => {
      w.u8(0).u16le(opened.id).u32le(opened.kind === 'file' ? 2 : 1);
      w.u64le(a.created).u64le(a.written).u64le(a.written).u64le(a.written);
      w.u32le(a.attributes).u64le(a.allocation).u64le(BigInt(a.size));
      w.u16le(isPipe ? 2 : 0).u16le(isPipe ? 0x05ff : 0).u8(opened.kind === 'dir' ? 1 : 0);
    }, true);
    return { status: 0, blocks: [{ command: b.command, words: params, bytes: new Uint8Array(0) }] };
  }

  /** WRITE_ANDX: FID at 4, Offset at 6, DataLengthHigh at 18, DataLength at 20, DataOffset at 22 (from the header). */
  private writeAndx(msg: Smb1Message, b: Smb1Block): { status: number; blocks: Smb1ReplyBlock[] } {
    if (b.words.length < 24) return this.err(b.command, STATUS.INVALID_PARAMETER);
    const r = new ByteReader(b.words, 4);
    const fid = r.u16le()!;
    const offset = r.u32le()!;
    r.advance(8);
    const lenHigh = r.u16le()!;
    const len = r.u16le()! + (lenHigh << 16);
    const dataOffset = r.u16le()!;
    const h = this.st.handles.get(fid);
    if (!h) return this.err(b.command, STATUS.INVALID_HANDLE);
    const data = sliceAt(msg.raw, dataOffset, len);
    if (!data) return this.err(b.command, STATUS.INVALID_PARAMETER);
    if (h.kind === 'dir') return this.err(b.command, STATUS.FILE_IS_A_DIRECTORY);
    const n = this.st.write(h, offset, data);
    if (typeof n !== 'number') return this.err(b.command, n.status);
    return { status: 0, blocks: [{ command: b.command, words: words((w) => w.u16le(n & 0xffff).u16le(0xffff).u16le(n >>> 16).u16le(0), true), bytes: new Uint8Array(0) }] };
  }

  /** READ_ANDX: FID at 4, Offset at 6, MaxCount at 10, MaxCountHigh at 14. Data follows one pad byte. */
  private readAndx(b: Smb1Block): { status: number; blocks: Smb1ReplyBlock[] } {
    if (b.words.length < 20) return this.err(b.command, STATUS.INVALID_PARAMETER);
    const r = new ByteReader(b.words, 4);
    const fid = r.u16le()!;
    const offset = r.u32le()!;
    const maxLow = r.u16le()!;
    r.advance(2);
    const maxHigh = r.u32le()!;
    const max = Math.min(65535, maxLow + (maxHigh !== 0xffffffff ? (maxHigh & 0xffff) << 16 : 0));
    const h = this.st.handles.get(fid);
    if (!h) return this.err(b.command, STATUS.INVALID_HANDLE);
    let data: Uint8Array;
    let status: number = STATUS.SUCCESS;
    if (h.kind === 'pipe') {
      const got = h.pipe.read(max);
      data = got.data;
      if (got.more) status = STATUS.BUFFER_OVERFLOW;
    } else if (h.kind === 'file' && offset < h.size) {
      data = sparseBytes(h).subarray(offset, offset + max);
    } else if (h.kind === 'stored') {
      const got = this.st.readStored(h, offset, max);
      if ('status' in got) return this.err(b.command, got.status);
      data = got;
    } else return this.err(b.command, h.kind === 'dir' ? STATUS.FILE_IS_A_DIRECTORY : STATUS.END_OF_FILE);
    const build = (bytesOffset: number): Uint8Array =>
      words((w) => w.u16le(0xffff).u16le(0).u16le(0).u16le(data.length & 0xffff).u16le(bytesOffset + 1).u16le(data.length >>> 16).zeros(8), true);
    return { status, blocks: [{ command: b.command, words: build(0), finalize: build, bytes: Buffer.concat([Uint8Array.of(0), data]) }] };
  }

  /** A transaction response: parameters then data, each 4-aligned from the header. */
  private transReply(command: number, params: Uint8Array, data: Uint8Array, setup: number[] = []): Smb1ReplyBlock {
    const layout = (bytesOffset: number): { pOff: number; dOff: number } => {
      const pOff = (bytesOffset + 3) & ~3;
      const dOff = (pOff + params.length + 3) & ~3;
      return { pOff, dOff };
    };
    const build = (bytesOffset: number): Uint8Array => {
      const { pOff, dOff } = layout(bytesOffset);
      return words((w) => {
        w.u16le(params.length).u16le(data.length).u16le(0);
        w.u16le(params.length).u16le(pOff).u16le(0);
        w.u16le(data.length).u16le(data.length ? dOff : 0).u16le(0);
        w.u8(setup.length).u8(0);
        for (const s of setup) w.u16le(s);
      });
    };
    const words0 = build(0);
    // The data bytes depend on where they start; the standalone layout is 32 + 1 + words + 2.
    const start = 32 + 1 + words0.length + 2;
    const { pOff, dOff } = layout(start);
    const bytes = new ByteWriter(params.length + data.length + 16);
    bytes.zeros(pOff - start).bytes(params).zeros(dOff - pOff - params.length).bytes(data);
    return { command, words: words0, finalize: build, bytes: bytes.finish() };
  }

  /**
   * TRANSACTION: TotalParameterCount, TotalDataCount, MaxParameterCount, MaxDataCount (6), ...,
   * ParameterCount (18), ParameterOffset (20), DataCount (22), DataOffset (24), SetupCount (26), Setup (28).
   */
  private transaction(msg: Smb1Message, h: Smb1Header, b: Smb1Block): { status: number; blocks: Smb1ReplyBlock[] } | 'none' {
    if (b.words.length < 28) return this.err(b.command, STATUS.INVALID_PARAMETER);
    const r = new ByteReader(b.words);
    const totalData = (r.advance(2), r.u16le()!);
    r.advance(2);
    const maxData = r.u16le()!;
    r.seek(22);
    const dataCount = r.u16le()!;
    const dataOffset = r.u16le()!;
    const setupCount = r.u8()!;
    r.advance(1);
    const setup: number[] = [];
    for (let i = 0; i < setupCount; i++) setup.push(r.u16le() ?? 0);
    const data = sliceAt(msg.raw, dataOffset, dataCount) ?? new Uint8Array(0);
    const sub = setup[0];
    if (sub === 0x23 && (setup[1] ?? 0) === 0 && isIpc(this.tree(h.tid)?.share)) {
      // PeekNamedPipe on FID 0: an unpatched srv.sys answers STATUS_INSUFF_SERVER_RESOURCES.
      this.st.hooks.exploitStep({ name: 'MS17-010', cve: 'CVE-2017-0144', detail: 'PeekNamedPipe on FID 0 (vulnerability check)', analyse: false });
      return this.err(b.command, STATUS.INSUFF_SERVER_RESOURCES);
    }
    if (totalData > dataCount) {
      this.startPending(h, b.command, 0, data, totalData);
      return { status: 0, blocks: [{ command: b.command, words: new Uint8Array(0), bytes: new Uint8Array(0) }] };
    }
    if (sub === 0x26) {
      const fid = setup[1] ?? 0;
      const hd = this.st.handles.get(fid);
      if (!hd || hd.kind !== 'pipe') return this.err(b.command, STATUS.INVALID_HANDLE);
      hd.pipe.write(data);
      const got = hd.pipe.read(Math.min(maxData, 65535));
      return { status: got.more ? STATUS.BUFFER_OVERFLOW : 0, blocks: [this.transReply(b.command, new Uint8Array(0), got.data)] };
    }
    return this.err(b.command, STATUS.NOT_SUPPORTED);
  }

  private startPending(h: Smb1Header, command: number, fn: number, data: Uint8Array, total: number): void {
    if (this.pendingTrans.size >= 4) this.pendingTrans.clear();
    this.pendingTrans.set(h.mid, { command, mid: h.mid, function: fn, data: [copyBytes(data)], size: data.length, total: Math.min(total, MAX_TRANS_BYTES) });
  }

  /** TRANSACTION2: same layout as TRANSACTION; Setup[0] is the subcommand. 0x0E SESSION_SETUP is DoublePulsar's channel. */
  private transaction2(msg: Smb1Message, h: Smb1Header, b: Smb1Block): { status: number; blocks: Smb1ReplyBlock[]; mid?: number; signature?: Uint8Array } {
    if (b.words.length < 28) return this.err(b.command, STATUS.INVALID_PARAMETER);
    const r = new ByteReader(b.words);
    r.seek(12);
    const timeout = r.u32le()!;
    r.seek(18);
    const paramCount = r.u16le()!;
    const paramOffset = r.u16le()!;
    const dataCount = r.u16le()!;
    const dataOffset = r.u16le()!;
    const setupCount = r.u8()!;
    r.advance(1);
    const sub = setupCount > 0 ? r.u16le() : undefined;
    if (sub === 0x01) return this.findFirst(h, b.command, sliceAt(msg.raw, paramOffset, paramCount) ?? new Uint8Array(0));
    if (sub === 0x05 || sub === 0x07) return this.queryFileInfo(h, b.command, sub, sliceAt(msg.raw, paramOffset, paramCount) ?? new Uint8Array(0));
    if (sub === 0x03) {
      // QUERY_FS_INFORMATION: InformationLevel (2).
      const p = sliceAt(msg.raw, paramOffset, paramCount);
      const cls = p && p.length >= 2 ? smb1FsClass(p[0]! | (p[1]! << 8)) : undefined;
      const id = this.st.cfg.identity;
      const info = cls === undefined ? undefined : encodeFsInfo(cls, fileTime(id.bootTime), volumeSerial(id.guid));
      return info ? { status: 0, blocks: [this.transReply(b.command, new Uint8Array(0), info)] } : this.err(b.command, STATUS.NOT_SUPPORTED);
    }
    if (sub !== 0x0e) return this.err(b.command, sub === 0x10 ? STATUS.NOT_FOUND : STATUS.NOT_SUPPORTED);
    const opcode = (timeout + (timeout >>> 8) + (timeout >>> 16) + (timeout >>> 24)) & 0xff;
    const params = sliceAt(msg.raw, paramOffset, paramCount) ?? new Uint8Array(0);
    const data = sliceAt(msg.raw, dataOffset, dataCount) ?? new Uint8Array(0);
    const sig = new Uint8Array(8);
    new DataView(sig.buffer).setUint32(0, this.dpSeed, true);
    // An infected host answers with MID + 0x10 and the key seed in the signature; a clean unpatched
    // one just says STATUS_NOT_IMPLEMENTED. Which one this sensor plays is the operator's choice.
    const installed = this.st.hooks.backdoorInstalled();
    const blocks = [{ command: b.command, words: new Uint8Array(0), bytes: new Uint8Array(0) }];
    const reply = installed ? { status: STATUS.NOT_IMPLEMENTED, blocks, mid: (h.mid + 0x10) & 0xffff, signature: sig } : { status: STATUS.NOT_IMPLEMENTED, blocks };
    if (opcode === DP_OPCODE.PING) {
      const detail = `DoublePulsar backdoor ping (answered as ${installed ? 'installed' : 'not installed'})`;
      this.st.hooks.exploitStep({ name: 'DoublePulsar', cve: 'CVE-2017-0144', detail, analyse: false });
    } else if (opcode === DP_OPCODE.EXEC) {
      this.doublePulsarExec(params, data);
    } else if (opcode === DP_OPCODE.KILL) {
      this.st.hooks.exploitStep({ name: 'DoublePulsar', cve: 'CVE-2017-0144', detail: 'DoublePulsar uninstall command', analyse: false });
    } else {
      return this.err(b.command, STATUS.NOT_SUPPORTED);
    }
    return reply;
  }

  /**
   * TRANS2_FIND_FIRST2 parameters: SearchAttributes (2), SearchCount (2), Flags (2), InformationLevel (2),
   * SearchStorageType (4), FileName (a directory and a pattern, "\\*" for the root). Every match comes in
   * one reply, which ends the search: "." and ".." and what the source made there (MAX_ENTRIES_PER_SOURCE
   * names of at most MAX_NAME_CHARS fit in a 64 KiB reply).
   */
  private findFirst(h: Smb1Header, command: number, params: Uint8Array): { status: number; blocks: Smb1ReplyBlock[] } {
    const tree = this.tree(h.tid);
    if (!tree) return this.err(command, STATUS.SMB_BAD_TID);
    if (params.length < 12 || isIpc(tree.share)) return this.err(command, STATUS.INVALID_PARAMETER);
    const level = params[6]! | (params[7]! << 8);
    const cls = SMB1_FIND_LEVELS[level];
    if (cls === undefined) return this.err(command, STATUS.NOT_SUPPORTED);
    const spec = this.paramString(params.subarray(12)).replace(/\//g, '\\').replace(/^\\+/, '');
    const cut = spec.lastIndexOf('\\');
    const dir = cut < 0 ? '' : spec.slice(0, cut);
    // The root, or a directory the source made.
    const entry = dir ? this.st.files.find(tree.share.name, dir) : undefined;
    if (dir && !entry?.dir) return this.err(command, STATUS.OBJECT_PATH_NOT_FOUND);
    const items = this.st.listing(tree, entry, spec.slice(cut + 1));
    if (items.length === 0) return this.err(command, STATUS.NO_SUCH_FILE);
    const data = encodeDirEntries(cls, items, 8, this.unicode);
    // SID, SearchCount, EndOfSearch, EaErrorOffset, LastNameOffset (unused once the search has ended).
    const out = words((w) => w.u16le(1).u16le(items.length).u16le(1).u16le(0).u16le(0));
    return { status: 0, blocks: [this.transReply(command, out, data)] };
  }

  /**
   * TRANS2_QUERY_PATH_INFORMATION (InformationLevel (2), Reserved (4), FileName) and
   * TRANS2_QUERY_FILE_INFORMATION (FID (2), InformationLevel (2)) ([MS-CIFS] 2.2.6.6, 2.2.6.8): the
   * root, or what the source made; the reply's parameters are EaErrorOffset.
   */
  private queryFileInfo(h: Smb1Header, command: number, sub: number, params: Uint8Array): { status: number; blocks: Smb1ReplyBlock[] } {
    const tree = this.tree(h.tid);
    if (!tree) return this.err(command, STATUS.SMB_BAD_TID);
    if (params.length < 4) return this.err(command, STATUS.INVALID_PARAMETER);
    let handle: OpenHandle | undefined;
    let level: number;
    if (sub === 0x07) {
      handle = this.st.handles.get(params[0]! | (params[1]! << 8));
      level = params[2]! | (params[3]! << 8);
      if (!handle) return this.err(command, STATUS.INVALID_HANDLE);
    } else {
      level = params[0]! | (params[1]! << 8);
      const path = this.paramString(params.subarray(6)).replace(/^[\\/]+/, '');
      const entry = path ? this.st.files.find(tree.share.name, path) : undefined;
      if (path && !entry) return this.err(command, STATUS.OBJECT_NAME_NOT_FOUND);
      handle = entry && !entry.dir ? { kind: 'stored', id: 0, name: path, tree, entry } : { kind: 'dir', id: 0, name: path, tree, ...(entry ? { entry } : {}) };
    }
    const cls = smb1InfoClass(level);
    const info = cls === undefined ? undefined : encodeFileInfo(cls, this.st.attributes(handle), this.unicode);
    if (!info) return this.err(command, STATUS.NOT_SUPPORTED);
    return { status: 0, blocks: [this.transReply(command, Uint8Array.of(0, 0), info)] };
  }

  /** EXEC: 12 parameter bytes (total, chunk, offset) and the chunk, both XORed with the key from the ping seed. */
  private doublePulsarExec(params: Uint8Array, data: Uint8Array): void {
    const key = doublePulsarKey(this.dpSeed);
    const p = xor4(params.subarray(0, 12), key);
    if (p.length < 12) return;
    const dv = new DataView(p.buffer);
    const total = dv.getUint32(0, true);
    const chunk = dv.getUint32(4, true);
    const offset = dv.getUint32(8, true);
    if (!this.dpUpload || offset === 0) {
      this.dropDoublePulsar();
      this.dpUpload = { total: Math.min(total, MAX_DOUBLEPULSAR_BYTES), parts: new Map(), got: 0 };
    }
    const up = this.dpUpload;
    // Only what falls inside the declared size is decrypted and kept, in a buffer of its own: a long
    // chunk just before the end must not keep the whole message alive for the few bytes that count.
    const part = offset < up.total ? xor4(data.subarray(0, Math.min(chunk, data.length, up.total - offset)), key) : new Uint8Array(0);
    // An empty part carries nothing: kept, it would cost an entry and hold its offset against the real chunk.
    // Parts are charged to the source's upload memory; one it refuses is not kept (the payload is recorded as far as it came).
    if (part.length > 0 && !up.parts.has(offset) && up.parts.size < MAX_DOUBLEPULSAR_PARTS && up.got + part.length <= MAX_DOUBLEPULSAR_BYTES && this.st.cfg.uploadMemory.take(part.length)) {
      up.parts.set(offset, part);
      up.got += part.length;
    }
    // Finished only when the bytes received cover the declared size: a tiny chunk claiming a huge
    // total at a far offset must not make the sensor allocate or scan that much.
    if (up.got >= up.total) this.finishDoublePulsar();
  }

  /** Saves what a DoublePulsar upload sent (its parts in offset order; gaps are not filled). */
  private finishDoublePulsar(): void {
    const up = this.dpUpload;
    this.dropDoublePulsar();
    if (!up || up.got === 0) return;
    const payload = Buffer.concat([...up.parts.entries()].sort((x, y) => x[0] - y[0]).map(([, c]) => c));
    this.st.hooks.exploitStep({ name: 'DoublePulsar', cve: 'CVE-2017-0144', detail: `DoublePulsar payload upload (${payload.length} of ${up.total} bytes)`, payload, analyse: true });
  }

  /** Forgets the DoublePulsar upload in progress, giving its memory back. */
  private dropDoublePulsar(): void {
    if (this.dpUpload) this.st.cfg.uploadMemory.give(this.dpUpload.got);
    this.dpUpload = undefined;
  }

  /** The connection ended: an unfinished DoublePulsar upload is kept as far as it came. */
  dispose(): void {
    this.finishDoublePulsar();
  }

  /**
   * NT_TRANSACT: MaxSetupCount (1), Reserved (2), TotalParameterCount (4) at 3, TotalDataCount (4) at 7,
   * ..., DataCount (4) at 27, DataOffset (4) at 31, SetupCount (1) at 35, Function (2) at 36.
   */
  private ntTransact(msg: Smb1Message, h: Smb1Header, b: Smb1Block): { status: number; blocks: Smb1ReplyBlock[] } {
    if (b.words.length < 38) return this.err(b.command, STATUS.INVALID_PARAMETER);
    const r = new ByteReader(b.words, 7);
    const totalData = r.u32le()!;
    r.seek(27);
    const dataCount = r.u32le()!;
    const dataOffset = r.u32le()!;
    r.advance(1);
    const fn = r.u16le()!;
    const data = sliceAt(msg.raw, dataOffset, Math.min(dataCount, MAX_TRANS_BYTES)) ?? new Uint8Array(0);
    if (totalData > dataCount) {
      this.startPending(h, b.command, fn, data, totalData);
      return { status: 0, blocks: [{ command: b.command, words: new Uint8Array(0), bytes: new Uint8Array(0) }] };
    }
    return this.err(b.command, STATUS.NOT_SUPPORTED);
  }

  /** Secondary requests: TRANSACTION2_SECONDARY carries DataCount at 10, DataOffset at 12, DataDisplacement at 14. */
  private secondary(msg: Smb1Message, h: Smb1Header, b: Smb1Block): void {
    const p = this.pendingTrans.get(h.mid);
    if (!p) return;
    const r = new ByteReader(b.words);
    let dataCount: number | undefined;
    let dataOffset: number | undefined;
    if (b.command === SMB1.NT_TRANSACT_SECONDARY) {
      r.seek(27);
      dataCount = r.u32le();
      dataOffset = r.u32le();
    } else {
      r.seek(10); // the same place in TRANSACTION and TRANSACTION2 secondaries
      dataCount = r.u16le();
      dataOffset = r.u16le();
    }
    const data = dataCount !== undefined && dataOffset !== undefined ? sliceAt(msg.raw, dataOffset, dataCount) : undefined;
    const mismatched = (p.command === SMB1.NT_TRANSACT) !== (b.command === SMB1.NT_TRANSACT_SECONDARY);
    if (mismatched && !this.eternalBlueSeen) {
      this.eternalBlueSeen = true;
      this.st.hooks.exploitStep({
        name: 'EternalBlue',
        cve: 'CVE-2017-0144',
        detail: `${p.command === SMB1.NT_TRANSACT ? 'NT_TRANSACT' : 'transaction'} continued by a mismatched secondary (0x${b.command.toString(16)}), total data ${p.total}`,
        analyse: false,
      });
    }
    // Empty secondaries add nothing and tiny ones add mostly overhead, so parts are capped as well as bytes.
    if (data && data.length > 0 && p.data.length < MAX_TRANS_PARTS && p.size + data.length <= MAX_TRANS_BYTES) {
      p.data.push(copyBytes(data));
      p.size += data.length;
    }
    if (p.size >= p.total) {
      this.pendingTrans.delete(h.mid);
      if (mismatched) {
        this.st.hooks.exploitStep({ name: 'EternalBlue', cve: 'CVE-2017-0144', detail: `overflow transaction data (${p.size} bytes)`, payload: Buffer.concat(p.data), analyse: true });
      }
    }
  }
}
