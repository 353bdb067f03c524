// The endpoint mapper ([C706] appendix, [MS-RPCE] 2.2.1.2) as a locked-down host answers it: lookups
// and maps find nothing registered. DCOM activation with an oversized stub is the MS03-026 overflow.
import { NdrReader, NdrWriter } from '../codec/ndr.js';
import type { RpcOutcome, SrvsvcFinding } from './srvsvc.js';

/** EPT_S_NOT_REGISTERED: no (more) entries. */
export const EPT_S_NOT_REGISTERED = 0x16c9a0d6;
/** Activation stubs larger than this carry more than a server name and class ids: Blaster's overflow. */
export const MS03_026_MIN_STUB = 1024;

/** ept_lookup (2): inquiry_type, object, interface_id, vers_option, entry_handle, max_ents. */
function eptLookup(r: NdrReader): RpcOutcome {
  r.r.advance(r.stub.length - 4);
  const maxEnts = r.u32() ?? 0;
  const w = new NdrWriter();
  w.bytes(new Uint8Array(20)).u32(0).u32(Math.min(maxEnts, 500)).u32(0).u32(0).u32(EPT_S_NOT_REGISTERED);
  return { kind: 'reply', stub: w.finish() };
}

/** ept_map (3): object, map_tower, entry_handle, max_towers; nothing is registered. */
function eptMap(r: NdrReader): RpcOutcome {
  r.r.advance(r.stub.length - 4);
  const maxTowers = r.u32() ?? 0;
  const w = new NdrWriter();
  w.bytes(new Uint8Array(20)).u32(0).u32(Math.min(maxTowers, 500)).u32(0).u32(0).u32(EPT_S_NOT_REGISTERED);
  return { kind: 'reply', stub: w.finish() };
}

export function handleEpmapper(opnum: number, stub: Uint8Array): RpcOutcome {
  const r = new NdrReader(stub);
  if (opnum === 2) return eptLookup(r);
  if (opnum === 3) return eptMap(r);
  return { kind: 'fault', status: opnum > 6 ? 0x1c010002 : 5 };
}

/** RemoteActivation / RemoteCreateInstance: an oversized stub is the MS03-026 overflow; the rest are refused. */
export function handleActivation(stub: Uint8Array, finding: SrvsvcFinding): RpcOutcome {
  if (stub.length >= MS03_026_MIN_STUB) {
    finding.exploit = { name: 'MS03-026', cve: 'CVE-2003-0352', detail: `DCOM activation request of ${stub.length} bytes`, payload: stub, check: false };
    return { kind: 'silent' };
  }
  return { kind: 'fault', status: 5 };
}
