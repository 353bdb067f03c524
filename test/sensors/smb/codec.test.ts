// Property tests for the SMB codecs: random, truncated and split input never throws, limits hold,
// offsets that point outside a message are refused, and encoders round-trip through the decoders.
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteWriter } from '../../../src/wire/reader.js';
import { decodeNbssFrame, decodeSessionRequest, encodeNbssFrame, encodeNetbiosName, MAX_NBSS_PAYLOAD } from '../../../src/sensors/smb/codec/netbios.js';
import { decodeSmb1Message, MAX_ANDX_DEPTH } from '../../../src/sensors/smb/codec/smb1.js';
import { decodeSmb2Message, MAX_COMPOUND } from '../../../src/sensors/smb/codec/smb2.js';
import { readTlv, decodeOid, encodeOid } from '../../../src/sensors/smb/codec/asn1.js';
import { decodeSpnego, encodeNegTokenInit, encodeNegTokenResp, OID_NTLMSSP } from '../../../src/sensors/smb/codec/spnego.js';
import { decodeNtlm, encodeNtlmAuthenticate, encodeNtlmChallenge, encodeNtlmNegotiate, ntlmHashLine, NTLMSSP_SIGNATURE } from '../../../src/sensors/smb/codec/ntlmssp.js';
import { decodeRpcPdu, encodeBind, encodeRequest, FAULT, MAX_RPC_FRAGMENTS, MAX_RPC_STUB, NDR32, NDR64, RequestAssembler, uuidToBytes, uuidToString } from '../../../src/sensors/smb/codec/dcerpc.js';
import { handleSrvsvc } from '../../../src/sensors/smb/rpc/srvsvc.js';
import { MAX_PIPE_OUTBOUND, RpcPipe, type RpcHooks } from '../../../src/sensors/smb/rpc/pipe.js';
import { INTERFACES, SRVSVC_UUID } from '../../../src/sensors/smb/rpc/interfaces.js';
import { loadIdentity } from '../../../src/sensors/smb/identity.js';
import { tempDir } from '../../helpers/apiary-process.js';
import { join } from 'node:path';

const bytes = (max = 300) => fc.uint8Array({ maxLength: max });
const identity = loadIdentity(join(tempDir(), 'id.json'), { workgroup: 'WORKGROUP', netbios_name: 'TESTHOST' });
const ctx = { identity, shares: [{ name: 'IPC$', type: 0x80000003, comment: 'Remote IPC', path: '', writable: false }], now: () => 1_700_000_000_000 };
const quietHooks = (): RpcHooks & { malformed: (r: string) => void; count: number } => {
  const h = { count: 0, bind() {}, request() {}, exploit() {}, malformed() { h.count++; } };
  return h;
};

test('NetBIOS frames: random input never throws; split input decodes the same frames as whole input', () => {
  fc.assert(fc.property(bytes(), fc.boolean(), (b, direct) => void decodeNbssFrame(b, direct)));
  fc.assert(
    fc.property(fc.array(bytes(200), { maxLength: 8 }), fc.array(fc.nat(2000), { maxLength: 6 }), (msgs, cuts) => {
      const stream = Buffer.concat(msgs.map((m) => encodeNbssFrame(0, m)));
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
      const got: Uint8Array[] = [];
      let buf = Buffer.alloc(0);
      let prev = 0;
      for (const p of [...points, stream.length]) {
        buf = Buffer.concat([buf, stream.subarray(prev, p)]);
        prev = p;
        for (;;) {
          const f = decodeNbssFrame(buf, true);
          if (f.status !== 'ok') break;
          got.push(f.value.payload);
          buf = buf.subarray(f.consumed);
        }
      }
      assert.deepEqual(got.map((g) => Buffer.from(g).toString('hex')), msgs.map((m) => Buffer.from(m).toString('hex')));
    }),
  );
  const big = Uint8Array.of(0, (MAX_NBSS_PAYLOAD + 1) >> 16, ((MAX_NBSS_PAYLOAD + 1) >> 8) & 0xff, (MAX_NBSS_PAYLOAD + 1) & 0xff);
  assert.equal(decodeNbssFrame(big, true).status, 'malformed', 'a declared length over the cap is refused before buffering');
  const req = Buffer.concat([encodeNetbiosName('*SMBSERVER'), encodeNetbiosName('ATTACKER')]);
  const d = decodeSessionRequest(req);
  assert.ok(d.status === 'ok' && d.value.called === '*SMBSERVER' && d.value.calling === 'ATTACKER');
  fc.assert(fc.property(bytes(80), (b) => void decodeSessionRequest(b)));
});

function smb1Header(command: number): ByteWriter {
  return new ByteWriter(4096).bytes(Uint8Array.of(0xff, 0x53, 0x4d, 0x42)).u8(command).u32le(0).u8(0x18).u16le(0xc801).u16le(0).zeros(8).u16le(0).u16le(1).u16le(1).u16le(1).u16le(1);
}

test('SMB1: random and truncated messages never throw; AndX chains are capped and must move forward', () => {
  fc.assert(fc.property(bytes(), (b) => void decodeSmb1Message(Buffer.concat([Uint8Array.of(0xff, 0x53, 0x4d, 0x42), b]))));
  // A chain of N LOGOFF_ANDX blocks, each pointing just past itself.
  const chain = (n: number, backwards = false): Uint8Array => {
    const w = smb1Header(0x74);
    for (let i = 0; i < n; i++) {
      const next = w.length + 1 + 4 + 2;
      w.u8(2).u8(i === n - 1 ? 0xff : 0x74).u8(0).u16le(backwards && i === 1 ? 32 : next).u16le(0);
    }
    return w.finish();
  };
  const ok = decodeSmb1Message(chain(MAX_ANDX_DEPTH));
  assert.ok(ok.status === 'ok' && ok.value.blocks.length === MAX_ANDX_DEPTH);
  const deep = decodeSmb1Message(chain(200));
  assert.ok(deep.status === 'malformed' && /deeper/.test(deep.reason));
  assert.equal(decodeSmb1Message(chain(4, true)).status, 'malformed', 'an AndX offset pointing back is refused');
  const whole = chain(5);
  for (let i = 0; i < whole.length; i++) void decodeSmb1Message(whole.subarray(0, i));
  fc.assert(
    fc.property(fc.nat(0xffff), fc.nat(255), (off, wc) => {
      const w = smb1Header(0x73).u8(wc).u8(0x75).u8(0).u16le(off);
      const d = decodeSmb1Message(w.finish());
      if (d.status === 'ok') for (const b of d.value.blocks) assert.ok(b.offset < w.length);
    }),
  );
});

test('SMB2: random input never throws; compound chains are capped and NextCommand must stay inside', () => {
  fc.assert(fc.property(bytes(), (b) => void decodeSmb2Message(Buffer.concat([Uint8Array.of(0xfe, 0x53, 0x4d, 0x42, 64, 0), b]))));
  const hdr = (next: number): Uint8Array => new ByteWriter(72).bytes(Uint8Array.of(0xfe, 0x53, 0x4d, 0x42)).u16le(64).zeros(14).u32le(next).zeros(40).u32le(0x00040004).u32le(0).finish();
  const many = Buffer.concat(Array.from({ length: MAX_COMPOUND + 4 }, (_, i) => hdr(i === MAX_COMPOUND + 3 ? 0 : 72)));
  const d = decodeSmb2Message(many);
  assert.ok(d.status === 'malformed' && /compound/.test(d.reason));
  assert.equal(decodeSmb2Message(hdr(4096)).status, 'malformed');
  assert.equal(decodeSmb2Message(hdr(12)).status, 'malformed');
  const two = decodeSmb2Message(Buffer.concat([hdr(72), hdr(0)]));
  assert.ok(two.status === 'ok' && two.value.length === 2);
});

test('DER and SPNEGO: random input never throws; tokens round-trip', () => {
  fc.assert(fc.property(bytes(), (b) => void readTlv(b)));
  fc.assert(fc.property(bytes(), (b) => void decodeSpnego(b)));
  fc.assert(fc.property(bytes(40), (b) => void decodeOid(b)));
  assert.equal(decodeOid(encodeOid(OID_NTLMSSP)), OID_NTLMSSP);
  fc.assert(
    fc.property(bytes(3000), (tok) => {
      const init = decodeSpnego(encodeNegTokenInit(tok));
      assert.deepEqual(init?.mechTypes, [OID_NTLMSSP]);
      assert.deepEqual(Buffer.from(init!.mechToken!), Buffer.from(tok));
      const resp = decodeSpnego(encodeNegTokenResp(1, tok, true));
      assert.equal(resp?.negState, 1);
      assert.deepEqual(Buffer.from(resp!.mechToken!), Buffer.from(tok));
    }),
  );
  // Truncations of a real token are refused, never thrown on.
  const t = encodeNegTokenInit(encodeNtlmNegotiate());
  for (let i = 0; i < t.length; i++) assert.equal(decodeSpnego(t.subarray(0, i))?.mechToken, undefined);
  // Indefinite and over-long lengths are refused.
  assert.equal(readTlv(Uint8Array.of(0x30, 0x80, 0, 0)), undefined);
  assert.equal(readTlv(Uint8Array.of(0x30, 0x84, 0x7f, 0xff, 0xff, 0xff)), undefined);
});

test('NTLMSSP: random messages and out-of-range offsets never throw; hashcat lines have the right shape', () => {
  fc.assert(fc.property(bytes(), (b) => void decodeNtlm(Buffer.concat([NTLMSSP_SIGNATURE, b]))));
  fc.assert(
    fc.property(fc.nat(), fc.nat(0xffff), (off, len) => {
      const w = new ByteWriter(128).bytes(NTLMSSP_SIGNATURE).u32le(3);
      for (let i = 0; i < 6; i++) w.u16le(len).u16le(len).u32le(off);
      w.u32le(1);
      const d = decodeNtlm(w.finish());
      if (len > 0 && off + len > 64) assert.equal(d, undefined, 'fields pointing outside the message are refused');
    }),
  );
  const auth = decodeNtlm(encodeNtlmAuthenticate({ user: 'Administrator', domain: 'CORP', workstation: 'KALI', lm: new Uint8Array(24), nt: new Uint8Array(24).fill(0xab) }));
  assert.ok(auth?.type === 3);
  assert.equal(auth.user, 'Administrator');
  assert.equal(auth.workstation, 'KALI');
  const ch = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  assert.equal(ntlmHashLine(auth, ch)?.hash, `Administrator::CORP:${'00'.repeat(24)}:${'ab'.repeat(24)}:0102030405060708`);
  const v2 = decodeNtlm(encodeNtlmAuthenticate({ user: 'bob', domain: 'D', workstation: '', lm: new Uint8Array(24), nt: new Uint8Array(60).fill(0xcd) }));
  assert.ok(v2?.type === 3);
  assert.equal(ntlmHashLine(v2, ch)?.hash, `bob::D:0102030405060708:${'cd'.repeat(16)}:${'cd'.repeat(44)}`);
  const challenge = encodeNtlmChallenge({ challenge: ch, clientFlags: 0xe2088297, netbiosDomain: 'W', targetType: 'domain', netbiosComputer: 'H', dnsDomain: 'w', dnsComputer: 'h', timestamp: 1n, version: [6, 1, 7601] });
  assert.deepEqual([...challenge.subarray(24, 32)], [...ch], 'challenge at offsets 24-31 where nmap reads it');
});

test('DCE/RPC: random PDUs never throw; binds round-trip; stubs are capped when reassembled', () => {
  fc.assert(fc.property(bytes(), (b) => void decodeRpcPdu(Buffer.concat([Uint8Array.of(5, 0), b]))));
  fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (u) => assert.deepEqual([...uuidToBytes(uuidToString(u))], [...u])));
  const bind = decodeRpcPdu(encodeBind(7, [{ abstract: { uuid: SRVSVC_UUID, version: 3, minor: 0 }, transfers: [{ uuid: NDR32, version: 2, minor: 0 }, { uuid: NDR64, version: 1, minor: 0 }] }]));
  assert.ok(bind.status === 'ok' && bind.value.kind === 'bind');
  assert.equal(bind.value.contexts[0]!.abstract.uuid, SRVSVC_UUID);
  assert.equal(bind.value.contexts[0]!.transfers[1]!.uuid, NDR64);
  const asm = new RequestAssembler();
  const frag = (flags: number): Parameters<RequestAssembler['push']>[0] => ({
    kind: 'request',
    header: { ptype: 0, flags, littleEndian: true, fragLength: 0, authLength: 0, callId: 1 },
    allocHint: 0,
    contextId: 0,
    opnum: 0,
    stub: new Uint8Array(64 * 1024),
  });
  let r = asm.push(frag(1));
  for (let i = 0; i < 20 && r.status === 'incomplete'; i++) r = asm.push(frag(0));
  assert.equal(r.status, 'malformed', `more than ${MAX_RPC_STUB} bytes of stub are refused`);
});

test('SRVSVC handlers: random stubs for every opnum never throw and answer with bounded stubs, unpatched or patched for MS08-067', () => {
  const patched = { ...ctx, identity: loadIdentity(join(tempDir(), 'id.json'), { workgroup: 'WORKGROUP', os: 'windows-2008r2' }) };
  fc.assert(
    fc.property(fc.nat(40), bytes(400), fc.boolean(), (opnum, stub, later) => {
      const out = handleSrvsvc(opnum, stub, later ? patched : ctx, {});
      if (out.kind === 'reply') assert.ok(out.stub.length < 128 * 1024);
    }),
  );
});

test('RPC pipe: random writes never throw or queue past the cap; split writes answer like whole ones', () => {
  fc.assert(
    fc.property(fc.array(bytes(200), { maxLength: 10 }), (writes) => {
      const p = new RpcPipe('srvsvc', '\\PIPE\\srvsvc', ctx, quietHooks(), 1);
      for (const w of writes) p.write(Buffer.concat([Uint8Array.of(5, 0), w]));
      assert.ok(p.pendingBytes <= MAX_PIPE_OUTBOUND);
    }),
  );
  const bind = encodeBind(1, [{ abstract: { uuid: SRVSVC_UUID, version: 3, minor: 0 }, transfers: [{ uuid: NDR32, version: 2, minor: 0 }] }]);
  const req = encodeRequest(2, 0, 28, new Uint8Array(4));
  const stream = Buffer.concat([bind, req]);
  const whole = new RpcPipe('srvsvc', '\\PIPE\\srvsvc', ctx, quietHooks(), 1);
  whole.write(stream);
  const expect: string[] = [];
  for (let m = whole.read(1 << 20); m.data.length; m = whole.read(1 << 20)) expect.push(Buffer.from(m.data).toString('hex'));
  assert.equal(expect.length, 2);
  fc.assert(
    fc.property(fc.array(fc.nat(stream.length), { maxLength: 5 }), (cuts) => {
      const p = new RpcPipe('srvsvc', '\\PIPE\\srvsvc', ctx, quietHooks(), 1);
      let prev = 0;
      for (const c of [...new Set(cuts)].sort((a, b) => a - b).concat(stream.length)) {
        p.write(stream.subarray(prev, c));
        prev = c;
      }
      const got: string[] = [];
      for (let m = p.read(1 << 20); m.data.length; m = p.read(1 << 20)) got.push(Buffer.from(m.data).toString('hex'));
      // The time-of-day reply differs only if the clock moved; ctx.now is fixed, so the bytes match.
      assert.deepEqual(got, expect);
    }),
  );
  // NDR64-only contexts are rejected with "transfer syntaxes not supported", NDR32 ones accepted.
  const p = new RpcPipe('srvsvc', '\\PIPE\\srvsvc', ctx, quietHooks(), 1);
  p.write(encodeBind(3, [
    { abstract: { uuid: SRVSVC_UUID, version: 3, minor: 0 }, transfers: [{ uuid: NDR64, version: 1, minor: 0 }] },
    { abstract: { uuid: SRVSVC_UUID, version: 3, minor: 0 }, transfers: [{ uuid: NDR32, version: 2, minor: 0 }] },
    { abstract: { uuid: SRVSVC_UUID, version: 3, minor: 0 }, transfers: [{ uuid: '6cb71c2c-9812-4540-0300-000000000000', version: 1, minor: 0 }] },
  ]));
  const ack = Buffer.from(p.read(4096).data);
  assert.equal(ack[2], 12);
  const secLen = ack.readUInt16LE(24);
  const resAt = (26 + secLen + 3) & ~3;
  assert.equal(ack[resAt], 3, 'three results');
  const results = [0, 1, 2].map((i) => [ack.readUInt16LE(resAt + 4 + 24 * i), ack.readUInt16LE(resAt + 6 + 24 * i)]);
  assert.deepEqual(results, [[2, 2], [0, 0], [3, 0]]);
});

/** One request fragment of call 5 with FLAGS (1 = first, 2 = last) and STUB. */
function requestFragment(flags: number, stub: Uint8Array): Buffer {
  const b = Buffer.from(encodeRequest(5, 0, 0, stub));
  b[3] = flags;
  return b;
}

test('DCE/RPC: request fragments are copied out of the write that carried them, and a call is capped in fragments', () => {
  // One large write packed with fragments of one call, none of them the last; every other stub is empty.
  const write = Buffer.concat([
    requestFragment(1, Uint8Array.of(1)),
    ...Array.from({ length: MAX_RPC_FRAGMENTS + 10 }, (_, i) => requestFragment(0, i % 2 ? new Uint8Array(0) : Uint8Array.of(2))),
  ]);
  const asm = new RequestAssembler();
  const statuses: string[] = [];
  let atCap: RequestAssembler['held'] | undefined;
  for (let at = 0; at < write.length; ) {
    const d = decodeRpcPdu(write.subarray(at));
    assert.ok(d.status === 'ok' && d.value.kind === 'request');
    at += d.consumed;
    statuses.push(asm.push(d.value).status);
    if (statuses.length === MAX_RPC_FRAGMENTS) atCap = asm.held;
  }
  assert.deepEqual([...new Set(statuses.slice(0, MAX_RPC_FRAGMENTS))], ['incomplete']);
  assert.equal(statuses[MAX_RPC_FRAGMENTS], 'malformed', 'one fragment more ends the call');
  assert.equal(atCap?.fragments, MAX_RPC_FRAGMENTS);
  assert.ok(atCap.parts.every((p) => p.length > 0), 'empty stubs are counted, not kept');
  const retained = atCap.parts.reduce((n, p) => n + p.buffer.byteLength, 0);
  assert.ok(retained <= 2 * atCap.parts.length, `${retained} bytes kept for ${atCap.parts.length} one-byte stubs, not the write`);

  // Through a pipe, the refused call is answered with a protocol-error fault.
  const p = new RpcPipe('srvsvc', '\\PIPE\\srvsvc', ctx, quietHooks(), 1);
  p.write(write);
  const fault = Buffer.from(p.read(4096).data);
  assert.equal(fault[2], 3, 'a FAULT PDU');
  assert.equal(fault.readUInt32LE(24), FAULT.PROTO_ERROR);
});

test('RPC pipe: a PDU written in small pieces is buffered without copying it once per piece', () => {
  const p = new RpcPipe('srvsvc', '\\PIPE\\srvsvc', ctx, quietHooks(), 1);
  p.write(encodeBind(1, [{ abstract: { uuid: SRVSVC_UUID, version: 3, minor: 0 }, transfers: [{ uuid: NDR32, version: 2, minor: 0 }] }]));
  assert.equal(p.read(4096).data[2], 12, 'bind_ack');
  const req = Buffer.from(encodeRequest(2, 0, 28, new Uint8Array(60_000)));
  // Bytes allocated to buffer the PDU while it arrives in 100-byte writes.
  const alloc = mock.method(Buffer, 'allocUnsafe');
  const concat = mock.method(Buffer, 'concat');
  try {
    for (let i = 0; i < req.length; i += 100) p.write(req.subarray(i, i + 100));
  } finally {
    alloc.mock.restore();
    concat.mock.restore();
  }
  const allocated = alloc.mock.calls.reduce((n, c) => n + Number(c.arguments[0]), 0) + concat.mock.calls.reduce((n, c) => n + (c.result?.length ?? 0), 0);
  assert.ok(allocated < 8 * req.length, `${allocated} bytes allocated to receive a ${req.length}-byte PDU`);
  assert.equal(p.broken, false);
  assert.ok(p.read(1 << 20).data.length > 0, 'the request was answered');
});

test('RPC pipe: an opnum the interface defines but the sensor does not emulate is refused as access denied, not "no such operation"', () => {
  for (const iface of INTERFACES) for (const op of Object.keys(iface.ops)) assert.ok(Number(op) < iface.opCount, `${iface.name} ${op} within its ${iface.opCount} operations`);
  const samr = INTERFACES.find((i) => i.name === 'samr')!;
  const faultFor = (opnum: number): number => {
    const p = new RpcPipe('samr', '\\PIPE\\samr', ctx, quietHooks(), 1);
    p.write(encodeBind(1, [{ abstract: { uuid: samr.uuid, version: samr.version, minor: 0 }, transfers: [{ uuid: NDR32, version: 2, minor: 0 }] }]));
    assert.equal(p.read(4096).data[2], 12, 'bind_ack');
    p.write(encodeRequest(2, 0, opnum, new Uint8Array(8)));
    const fault = Buffer.from(p.read(4096).data);
    assert.equal(fault[2], 3, 'a FAULT PDU');
    return fault.readUInt32LE(24);
  };
  // impacket's samrdump starts with SamrConnect (0); lookupsid-style tools with SamrConnect2/4/5.
  for (const op of [0, 57, 62, 64]) assert.equal(faultFor(op), FAULT.ACCESS_DENIED, `samr opnum ${op}`);
  assert.equal(faultFor(samr.opCount), FAULT.OP_RNG_ERROR, 'past the last operation');
});
