// One DCE/RPC association over a named pipe or TCP: bytes written by the client become PDUs, binds and
// requests are answered, and replies queue as messages (pipes are message-mode) for the next read.
import {
  BIND_TIME_FEATURE_PREFIX,
  decodeRpcHeader,
  decodeRpcPdu,
  encodeBindAck,
  encodeBindNak,
  encodeFault,
  encodeResponse,
  FAULT,
  NDR32,
  NDR64,
  PTYPE,
  RequestAssembler,
  type ContextResult,
  type RpcPdu,
} from '../codec/dcerpc.js';
import { incomplete, malformed, ok, type Decoded } from '../../../wire/reader.js';
import { BufferBudget, FramedInput, type ByteAccount } from '../../runtime/framed-input.js';
import { findInterface, type RpcInterface } from './interfaces.js';
import { handleActivation, handleEpmapper } from './epmapper.js';
import { handleWkssvc } from './wkssvc.js';
import { handleSrvsvc, type SrvsvcContext, type SrvsvcFinding } from './srvsvc.js';

/** Bytes of unparsed PDU data held per pipe. */
export const MAX_PIPE_INBOUND = 128 * 1024;
/** Reply bytes queued per pipe before the client reads them. */
export const MAX_PIPE_OUTBOUND = 256 * 1024;

/** Cuts the first whole PDU (as long as its header's frag_length says) off BUF. */
function nextPdu(buf: Uint8Array): Decoded<Uint8Array> {
  const h = decodeRpcHeader(buf);
  if (h.status === 'malformed') return malformed(h.reason);
  if (h.status === 'incomplete' || buf.length < h.value.fragLength) return incomplete();
  return ok(buf.subarray(0, h.value.fragLength), h.value.fragLength);
}

export interface RpcHooks {
  bind(p: { iface: RpcInterface | undefined; uuid: string; version: number; transfer: string; accepted: boolean; pipe: string }): void;
  request(p: { iface: RpcInterface | undefined; uuid: string; opnum: number; stubSize: number; pipe: string }): void;
  exploit(f: NonNullable<SrvsvcFinding['exploit']>): void;
  malformed(reason: string, sample: Uint8Array): void;
}

export class RpcPipe {
  // A growing buffer, so a PDU written in many small pieces is copied a few times, not once per piece.
  // Its own budget: a pipe holds at most MAX_PIPE_INBOUND, and a connection at most MAX_OPEN_PIPES pipes.
  private readonly inbound = new FramedInput<Uint8Array>(() => MAX_PIPE_INBOUND, nextPdu, new BufferBudget(MAX_PIPE_INBOUND));
  private readonly out: Uint8Array[] = [];
  private outBytes = 0;
  private readonly contexts = new Map<number, { iface: RpcInterface | undefined; uuid: string }>();
  private readonly assembler: RequestAssembler;
  private maxRecv = 4280;
  /** Set when the client sent bytes that are not DCE/RPC: the pipe then only swallows writes. */
  broken = false;

  constructor(
    readonly name: string,
    private readonly secondaryAddress: string,
    private readonly ctx: SrvsvcContext,
    private readonly hooks: RpcHooks,
    private readonly assocGroup: number,
    /** Where request stubs being assembled from fragments are charged (the source's upload memory on SMB). */
    memory?: ByteAccount,
  ) {
    this.assembler = new RequestAssembler(memory);
  }

  /** The pipe was closed: a request half assembled gives its memory back. */
  dispose(): void {
    this.assembler.dispose();
  }

  /** Bytes waiting to be read (the first queued message). */
  get pendingBytes(): number {
    return this.outBytes;
  }

  write(data: Uint8Array): void {
    if (this.broken) return;
    if (this.inbound.pending.length + data.length > MAX_PIPE_INBOUND) {
      this.fail('pipe write backlog over limit', data);
      return;
    }
    const chunk = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const bad = this.inbound.push(chunk, (pdu) => this.receive(pdu), () => !this.broken);
    if (bad === undefined) return;
    // Windows answers bytes that are not DCE/RPC 5.0 with BIND_NAK "protocol version not supported".
    const b = this.inbound.pending;
    const callId = b.length >= 16 ? (b[12]! | (b[13]! << 8) | (b[14]! << 16)) + b[15]! * 0x1000000 : 0;
    this.queue(encodeBindNak(callId, 4));
    this.fail(bad, b);
  }

  private receive(pdu: Uint8Array): void {
    const d = decodeRpcPdu(pdu);
    if (d.status !== 'ok') {
      this.fail(d.status === 'malformed' ? d.reason : 'truncated PDU', pdu);
      return;
    }
    this.handle(d.value);
  }

  /** Takes up to `max` bytes of the first queued message; `more` when the message goes on. */
  read(max: number): { data: Uint8Array; more: boolean } {
    const head = this.out[0];
    if (!head) return { data: new Uint8Array(0), more: false };
    if (head.length <= max) {
      this.out.shift();
      this.outBytes -= head.length;
      return { data: head, more: false };
    }
    this.out[0] = head.subarray(max);
    this.outBytes -= max;
    return { data: head.subarray(0, max), more: true };
  }

  private fail(reason: string, sample: Uint8Array): void {
    this.broken = true;
    this.hooks.malformed(reason, sample);
    this.inbound.clear();
  }

  private queue(msg: Uint8Array): void {
    if (this.outBytes + msg.length > MAX_PIPE_OUTBOUND) return;
    this.out.push(msg);
    this.outBytes += msg.length;
  }

  private handle(pdu: RpcPdu): void {
    if (pdu.kind === 'bind') {
      const alter = pdu.header.ptype === PTYPE.ALTER_CONTEXT;
      if (pdu.maxRecv >= 1024) this.maxRecv = Math.min(pdu.maxRecv, 5840);
      const results: ContextResult[] = pdu.contexts.map((c) => {
        const iface = findInterface(c.abstract.uuid, c.abstract.version);
        const ndr = c.transfers.find((t) => t.uuid === NDR32 && t.version === 2);
        const feature = c.transfers.find((t) => t.uuid.startsWith(BIND_TIME_FEATURE_PREFIX));
        let res: ContextResult;
        if (feature) res = { result: 3, reason: 0 }; // bind-time feature negotiation acknowledged, no features
        else if (!iface) res = { result: 2, reason: 1 }; // abstract syntax not supported
        else if (!ndr) res = { result: 2, reason: 2 }; // proposed transfer syntaxes (NDR64 alone) not supported
        else {
          res = { result: 0, reason: 0, transfer: ndr };
          this.contexts.set(c.contextId, { iface, uuid: c.abstract.uuid });
        }
        const offered = c.transfers.map((t) => (t.uuid === NDR32 ? 'ndr32' : t.uuid === NDR64 ? 'ndr64' : t.uuid)).join(',');
        this.hooks.bind({ iface, uuid: c.abstract.uuid, version: c.abstract.version, transfer: offered, accepted: res.result === 0, pipe: this.name });
        return res;
      });
      this.queue(
        encodeBindAck({
          callId: pdu.header.callId,
          alter,
          maxXmit: this.maxRecv,
          maxRecv: this.maxRecv,
          assocGroup: pdu.assocGroup || this.assocGroup,
          secondaryAddress: alter ? '' : this.secondaryAddress,
          results,
        }),
      );
      return;
    }
    if (pdu.kind === 'request') {
      const whole = this.assembler.push(pdu);
      if (whole.status === 'incomplete') return;
      if (whole.status === 'malformed') {
        this.queue(encodeFault(pdu.header.callId, pdu.contextId, FAULT.PROTO_ERROR));
        return;
      }
      const req = whole.value;
      const bound = this.contexts.get(req.contextId);
      this.hooks.request({ iface: bound?.iface, uuid: bound?.uuid ?? '', opnum: req.opnum, stubSize: req.stub.length, pipe: this.name });
      if (!bound) {
        this.queue(encodeFault(req.header.callId, req.contextId, FAULT.UNK_IF));
        return;
      }
      const finding: SrvsvcFinding = {};
      const name = bound.iface?.name;
      const outcome =
        name === 'srvsvc'
          ? handleSrvsvc(req.opnum, req.stub, this.ctx, finding)
          : name === 'wkssvc'
            ? handleWkssvc(req.opnum, req.stub, this.ctx)
          : name === 'epmapper'
            ? handleEpmapper(req.opnum, req.stub)
            : (name === 'IRemoteActivation' && req.opnum === 0) || (name === 'ISystemActivator' && (req.opnum === 3 || req.opnum === 4))
              ? handleActivation(req.stub, finding)
              : { kind: 'fault' as const, status: bound.iface && req.opnum < bound.iface.opCount ? FAULT.ACCESS_DENIED : FAULT.OP_RNG_ERROR };
      if (finding.exploit) this.hooks.exploit(finding.exploit);
      if (outcome.kind === 'reply') for (const f of encodeResponse(req.header.callId, req.contextId, outcome.stub, this.maxRecv)) this.queue(f);
      else if (outcome.kind === 'fault') this.queue(encodeFault(req.header.callId, req.contextId, outcome.status));
      return;
    }
    // AUTH3, orphaned and cancel PDUs need no answer; anything else a server never receives.
    if (pdu.header.ptype !== PTYPE.AUTH3 && pdu.header.ptype !== PTYPE.ORPHANED && pdu.header.ptype !== PTYPE.CO_CANCEL) {
      this.queue(encodeFault(pdu.header.callId, 0, FAULT.PROTO_ERROR));
    }
  }
}
