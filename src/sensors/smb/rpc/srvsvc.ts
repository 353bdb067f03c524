// SRVSVC ([MS-SRVS] 3.1.4) answered the way the presented Windows answers: share and server info, time
// of day, and the path functions that MS08-067 (CVE-2008-4250) abuses (unpatched or patched, per profile).
import { NdrReader, NdrWriter } from '../codec/ndr.js';
import type { ServerIdentity } from '../identity.js';
import { trimTrailing } from '../../../wire/text.js';

export const WERR = {
  OK: 0,
  ACCESS_DENIED: 5,
  INVALID_PARAMETER: 0x57,
  INVALID_NAME: 0x7b,
  INVALID_LEVEL: 0x7c,
  BUF_TOO_SMALL: 0x84b,
  NET_NAME_NOT_FOUND: 0x906,
} as const;

/** Paths longer than this (characters) are not something Windows' own callers send: treat as the overflow. */
export const MS08_067_MAX_SANE_PATH = 128;

export interface Share {
  name: string;
  /** 0 disk, 3 IPC; with 0x80000000 for administrative shares. */
  type: number;
  comment: string;
  path: string;
  writable: boolean;
}

export interface SrvsvcContext {
  identity: ServerIdentity;
  shares: readonly Share[];
  now(): number;
}

export type RpcOutcome =
  | { kind: 'reply'; stub: Uint8Array }
  | { kind: 'fault'; status: number }
  /** Nothing is sent back (a vulnerable Windows' worker thread is gone). */
  | { kind: 'silent' };

export interface SrvsvcFinding {
  exploit?: { name: string; detail: string; cve: string; payload: Uint8Array; check: boolean };
}

/** Whether a share is the IPC$ pipe share (type 3, with or without the special-share bit). */
export function isIpc(s: Share | undefined): boolean {
  return s !== undefined && (s.type & 0xff) === 3;
}

const reply = (stub: Uint8Array): RpcOutcome => ({ kind: 'reply', stub });

function shareInfo(nw: NdrWriter, level: number, s: Share): void {
  // Fixed part; strings deferred in the order the pointers appear.
  nw.ref();
  if (level === 0) return;
  nw.u32(s.type);
  nw.ref();
  if (level === 2 || level === 502) {
    nw.u32(s.name === 'IPC$' ? 0 : 0).u32(0xffffffff).u32(s.name === 'IPC$' ? 1 : 0);
    nw.ref();
    nw.u32(0); // no password
    if (level === 502) nw.u32(0).u32(0); // reserved, NULL security descriptor
  }
}

function shareStrings(nw: NdrWriter, level: number, s: Share): void {
  nw.wstring(s.name);
  if (level === 0) return;
  nw.wstring(s.comment);
  if (level === 2 || level === 502) nw.wstring(s.path);
}

const SHARE_LEVELS = new Set([0, 1, 2, 502]);

/** NetrShareEnum (15): ServerName, InfoStruct {Level, switch, container ptr}, PreferedMaximumLength, ResumeHandle. */
function netrShareEnum(r: NdrReader, ctx: SrvsvcContext): RpcOutcome {
  if (r.uniqueWstring() === undefined) return { kind: 'fault', status: 0x6f7 };
  const level = r.u32();
  if (level === undefined) return { kind: 'fault', status: 0x6f7 };
  const nw = new NdrWriter();
  if (!SHARE_LEVELS.has(level)) {
    nw.u32(level).u32(level).u32(0).u32(0).u32(0).u32(0).u32(WERR.INVALID_LEVEL);
    return reply(nw.finish());
  }
  const shares = ctx.shares;
  nw.u32(level).u32(level).ref();
  nw.u32(shares.length).ref().u32(shares.length);
  for (const s of shares) shareInfo(nw, level, s);
  for (const s of shares) shareStrings(nw, level, s);
  nw.u32(shares.length); // TotalEntries
  nw.ref().u32(0); // ResumeHandle
  nw.u32(WERR.OK);
  return reply(nw.finish());
}

/** NetrShareGetInfo (16): ServerName, NetName, Level. */
function netrShareGetInfo(r: NdrReader, ctx: SrvsvcContext): RpcOutcome {
  if (r.uniqueWstring() === undefined) return { kind: 'fault', status: 0x6f7 };
  const name = r.wstring();
  const level = r.u32();
  if (!name || level === undefined) return { kind: 'fault', status: 0x6f7 };
  const share = ctx.shares.find((s) => s.name.toLowerCase() === name.text.toLowerCase());
  const nw = new NdrWriter();
  if (!share || !SHARE_LEVELS.has(level)) {
    nw.u32(level).u32(0).u32(share ? WERR.INVALID_LEVEL : WERR.NET_NAME_NOT_FOUND);
    return reply(nw.finish());
  }
  nw.u32(level).ref();
  shareInfo(nw, level, share);
  shareStrings(nw, level, share);
  nw.u32(WERR.OK);
  return reply(nw.finish());
}

/** SV_TYPE_WORKSTATION | SERVER | NT | POTENTIAL_BROWSER | MASTER_BROWSER. */
const SERVER_TYPE = 0x00051003;
/** SV_TYPE_SERVER_NT: a Server edition that is not a domain controller. */
const SV_TYPE_SERVER_NT = 0x00008000;
/** sv102_users: a client edition's connection limit; a Server edition reports no practical limit. */
const MAX_USERS = { workstation: 20, server: 0x01000000 } as const;

/** NetrServerGetInfo (21): ServerName, Level (100, 101, 102). */
function netrServerGetInfo(r: NdrReader, ctx: SrvsvcContext): RpcOutcome {
  if (r.uniqueWstring() === undefined) return { kind: 'fault', status: 0x6f7 };
  const level = r.u32();
  const nw = new NdrWriter();
  const id = ctx.identity;
  if (level !== 100 && level !== 101 && level !== 102) {
    nw.u32(level ?? 0).u32(0).u32(WERR.INVALID_LEVEL);
    return reply(nw.finish());
  }
  nw.u32(level).ref();
  nw.u32(500).ref();
  if (level >= 101) nw.u32(id.version[0]).u32(id.version[1]).u32(id.edition === 'server' ? SERVER_TYPE | SV_TYPE_SERVER_NT : SERVER_TYPE).ref();
  if (level === 102) nw.u32(MAX_USERS[id.edition]).u32(15).u32(0).u32(240).u32(3000).u32(0).ref();
  nw.wstring(id.netbiosName);
  if (level >= 101) nw.wstring('');
  if (level === 102) nw.wstring('c:\\');
  nw.u32(WERR.OK);
  return reply(nw.finish());
}

/** NetrRemoteTOD (28): a pointer to TIME_OF_DAY_INFO (12 DWORDs). */
function netrRemoteTod(ctx: SrvsvcContext): RpcOutcome {
  const now = ctx.now();
  const d = new Date(now);
  const nw = new NdrWriter();
  nw.ref();
  nw.u32(Math.floor(now / 1000));
  nw.u32((now - ctx.identity.bootTime) >>> 0);
  nw.u32(d.getUTCHours()).u32(d.getUTCMinutes()).u32(d.getUTCSeconds()).u32(Math.floor(d.getUTCMilliseconds() / 10));
  nw.u32(ctx.identity.timeZoneMinutes >>> 0).u32(310);
  nw.u32(d.getUTCDate()).u32(d.getUTCMonth() + 1).u32(d.getUTCFullYear()).u32(d.getUTCDay());
  nw.u32(WERR.OK);
  return reply(nw.finish());
}

/**
 * What the unpatched NetpwPathCanonicalize makes of a path: "/" becomes "\", repeated "\" collapse,
 * "." drops, ".." removes the previous component and, at the root, stays at the root (the patched
 * code returns WERR_INVALID_NAME there instead).
 */
export function canonicalizePath(prefix: string, path: string): string {
  const full = (prefix && !path.startsWith('\\') && !path.startsWith('/') ? trimTrailing(prefix, '\\/') + '\\' : '') + path;
  const parts = full.replace(/\//g, '\\').split('\\');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  const absolute = full.startsWith('\\') || full.startsWith('/');
  return (absolute ? '\\' : '') + out.join('\\');
}

function looksLikeOverflow(raw: Uint8Array, text: string): boolean {
  if (text.length > MS08_067_MAX_SANE_PATH || raw.length / 2 > MS08_067_MAX_SANE_PATH) return true;
  for (let i = 0; i < raw.length; i += 2) {
    const c = raw[i]! | (raw[i + 1]! << 8);
    if (c !== 0 && (c < 0x20 || c > 0x7e)) return true;
  }
  return false;
}

/** A "\..\" step: what the MS08-067 checks send, and what KB958644 made these calls refuse. */
const PARENT_STEP = /\\\.\.\\/;

type PathVerdict = 'silent' | 'refuse' | 'answer';

/**
 * MS08-067 in a path call: records the attempt and says how the presented build answers it. Without
 * KB958644 an overlong or binary path kills the worker (no answer) and a "\..\" check is canonicalised
 * as asked (nmap's NetprPathCompare check then finds the paths equal); with it, both are refused with
 * WERR_INVALID_NAME, which nmap reports as NOT VULNERABLE.
 */
function ms08067Verdict(ctx: SrvsvcContext, finding: SrvsvcFinding, stub: Uint8Array, op: string, paths: { raw: Uint8Array; text: string }[], overlong: string): PathVerdict {
  const patched = ctx.identity.ms08067 === 'patched';
  if (paths.some((p) => looksLikeOverflow(p.raw, p.text))) {
    finding.exploit = { name: 'MS08-067', cve: 'CVE-2008-4250', detail: `${op} ${overlong}`, payload: stub, check: false };
    return patched ? 'refuse' : 'silent';
  }
  if (!PARENT_STEP.test(paths[0]!.text)) return patched && paths.some((p) => PARENT_STEP.test(p.text)) ? 'refuse' : 'answer';
  finding.exploit = { name: 'MS08-067', cve: 'CVE-2008-4250', detail: `${op} with "\\..\\" (vulnerability check)`, payload: stub, check: true };
  return patched ? 'refuse' : 'answer';
}

/** NetprPathCanonicalize (31): ServerName, PathName, OutbufLen, Prefix, PathType, Flags. */
function netprPathCanonicalize(r: NdrReader, stub: Uint8Array, ctx: SrvsvcContext, finding: SrvsvcFinding): RpcOutcome {
  const server = r.uniqueWstring();
  const path = r.wstring();
  if (server === undefined || !path) return { kind: 'fault', status: 0x6f7 };
  const verdict = ms08067Verdict(ctx, finding, stub, 'NetprPathCanonicalize', [path], `path of ${path.raw.length / 2} characters`);
  if (verdict === 'silent') return { kind: 'silent' };
  const outbufLen = r.u32();
  const prefix = r.wstring();
  const pathType = r.u32();
  if (outbufLen === undefined || !prefix || pathType === undefined) return { kind: 'fault', status: 0x6f7 };
  const canon = canonicalizePath(prefix.text, path.text);
  const nw = new NdrWriter();
  const max = Math.min(outbufLen, 64 * 1024);
  const bytes = new Uint8Array(max);
  const need = (canon.length + 1) * 2;
  let status: number = WERR.OK;
  if (verdict === 'refuse') status = WERR.INVALID_NAME;
  else if (need > max) status = WERR.BUF_TOO_SMALL;
  else for (let i = 0; i < canon.length; i++) bytes[2 * i] = canon.charCodeAt(i) & 0xff, (bytes[2 * i + 1] = canon.charCodeAt(i) >> 8);
  nw.u32(max).bytes(bytes);
  nw.u32(pathType || 1).u32(status);
  return reply(nw.finish());
}

/** NetprPathCompare (32): ServerName, PathName1, PathName2, PathType, Flags; returns a long (0 = equal). */
function netprPathCompare(r: NdrReader, stub: Uint8Array, ctx: SrvsvcContext, finding: SrvsvcFinding): RpcOutcome {
  const server = r.uniqueWstring();
  const p1 = r.wstring();
  const p2 = r.wstring();
  if (server === undefined || !p1 || !p2) return { kind: 'fault', status: 0x6f7 };
  const verdict = ms08067Verdict(ctx, finding, stub, 'NetprPathCompare', [p1, p2], 'with an overlong path');
  if (verdict === 'silent') return { kind: 'silent' };
  if (verdict === 'refuse') return reply(new NdrWriter().u32(WERR.INVALID_NAME).finish());
  const a = canonicalizePath('', p1.text).toLowerCase();
  const b = canonicalizePath('', p2.text).toLowerCase();
  return reply(new NdrWriter().u32(a === b ? 0 : a < b ? -1 : 1).finish());
}

/** NetprNameCanonicalize (34): ServerName, Name, OutbufLen, NameType, Flags; Outbuf is OutbufLen/2 WCHARs. */
function netprNameCanonicalize(r: NdrReader): RpcOutcome {
  const server = r.uniqueWstring();
  const name = r.wstring();
  const outbufLen = r.u32();
  if (server === undefined || !name || outbufLen === undefined) return { kind: 'fault', status: 0x6f7 };
  if (outbufLen > 8192) return { kind: 'fault', status: 0x6f7 };
  const units = outbufLen >>> 1;
  const text = name.text.toUpperCase();
  const nw = new NdrWriter();
  nw.u32(units);
  const buf = new Uint8Array(units * 2);
  const fits = text.length + 1 <= units;
  if (fits) for (let i = 0; i < text.length; i++) (buf[2 * i] = text.charCodeAt(i) & 0xff), (buf[2 * i + 1] = text.charCodeAt(i) >> 8);
  nw.bytes(buf).u32(fits ? WERR.OK : WERR.BUF_TOO_SMALL);
  return reply(nw.finish());
}

export function handleSrvsvc(opnum: number, stub: Uint8Array, ctx: SrvsvcContext, finding: SrvsvcFinding): RpcOutcome {
  const r = new NdrReader(stub);
  switch (opnum) {
    case 15:
      return netrShareEnum(r, ctx);
    case 16:
      return netrShareGetInfo(r, ctx);
    case 21:
      return netrServerGetInfo(r, ctx);
    case 28:
      return netrRemoteTod(ctx);
    case 31:
      return netprPathCanonicalize(r, stub, ctx, finding);
    case 32:
      return netprPathCompare(r, stub, ctx, finding);
    case 34:
      return netprNameCanonicalize(r);
    default:
      return opnum > 53 ? { kind: 'fault', status: 0x1c010002 } : { kind: 'fault', status: 5 };
  }
}
