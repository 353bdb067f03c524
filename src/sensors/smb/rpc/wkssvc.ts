// WKSSVC ([MS-WKST] 3.2.4): NetrWkstaGetInfo, which enumeration tools call for the computer name,
// domain and Windows version; the rest is refused as it is for an anonymous caller.
import { NdrReader, NdrWriter } from '../codec/ndr.js';
import type { RpcOutcome, SrvsvcContext } from './srvsvc.js';

/** NetrWkstaGetInfo (0): ServerName, Level (100, 101, 102). */
export function handleWkssvc(opnum: number, stub: Uint8Array, ctx: SrvsvcContext): RpcOutcome {
  if (opnum !== 0) return { kind: 'fault', status: opnum > 30 ? 0x1c010002 : 5 };
  const r = new NdrReader(stub);
  if (r.uniqueWstring() === undefined) return { kind: 'fault', status: 0x6f7 };
  const level = r.u32();
  const id = ctx.identity;
  const w = new NdrWriter();
  if (level !== 100 && level !== 101 && level !== 102) {
    w.u32(level ?? 0).u32(0).u32(0x7c);
    return { kind: 'reply', stub: w.finish() };
  }
  w.u32(level).ref();
  w.u32(500).ref().ref().u32(id.version[0]).u32(id.version[1]);
  if (level >= 101) w.ref();
  if (level === 102) w.u32(1);
  w.wstring(id.netbiosName).wstring(id.workgroup);
  if (level >= 101) w.wstring('C:\\Windows');
  w.u32(0);
  return { kind: 'reply', stub: w.finish() };
}
