// Finds shellcode in an exploit payload and recovers what it would do, without running it: GetPC
// patterns, plain / single-byte XOR / 4-byte XOR bodies (keys found by known plaintext), then URLs,
// command lines, connect-back and bind addresses. Shared by the SMB, MSSQL and HTTP sensors.
import { trimTrailing } from '../../wire/text.js';

/** Bytes of one payload searched (exploit stubs are a few KiB; DoublePulsar uploads a DLL). */
export const MAX_SHELLCODE_SCAN = 2 * 1024 * 1024;
/** URLs and commands kept per payload. */
export const MAX_FINDINGS = 16;
/** Longest URL or command kept. */
export const MAX_FINDING_CHARS = 1024;

export interface ShellcodeReport {
  /** Offsets of GetPC sequences (call/pop, fnstenv, jmp-call-pop). */
  getpc: number[];
  encoding: 'plain' | 'xor8' | 'xor32' | 'none';
  key?: number;
  urls: string[];
  commands: string[];
  connectBack?: { host: string; port: number };
  bindPort?: number;
}

/** Known plaintext that download-and-execute and command shellcode carries. */
const KNOWN = ['http://', 'https://', 'ftp://', 'tftp ', 'urlmon', 'URLDownloadToFile', 'cmd /c', 'cmd.exe', 'LoadLibraryA', 'WinExec'].map((s) =>
  Uint8Array.from(Buffer.from(s, 'latin1')),
);

/** GetPC idioms: E8 00000000 + pop r32; E8 FFFFFFFF + C0-C7/FF; D9 74 24 F4 (fnstenv [esp-0xc]); EB xx ... E8 <back>. */
export function findGetPc(b: Uint8Array, max = 8): number[] {
  const out: number[] = [];
  const n = Math.min(b.length, MAX_SHELLCODE_SCAN);
  for (let i = 0; i + 5 < n && out.length < max; i++) {
    const c = b[i]!;
    if (c === 0xe8) {
      const d = b[i + 1]! | (b[i + 2]! << 8) | (b[i + 3]! << 16) | (b[i + 4]! << 24);
      if (d === 0 && b[i + 5]! >= 0x58 && b[i + 5]! <= 0x5f) out.push(i);
      else if (d === -1 && (b[i + 5]! === 0xff || (b[i + 5]! >= 0xc0 && b[i + 5]! <= 0xc7))) out.push(i);
    } else if (c === 0xd9 && b[i + 1] === 0x74 && b[i + 2] === 0x24 && b[i + 3] === 0xf4) out.push(i);
    else if (c === 0xeb && b[i + 1]! < 0x80) {
      // jmp short forward to a call whose target is just after the jmp, then pop.
      const t = i + 2 + b[i + 1]!;
      if (t + 5 <= n && b[t] === 0xe8) {
        const d = b[t + 1]! | (b[t + 2]! << 8) | (b[t + 3]! << 16) | (b[t + 4]! << 24);
        const target = t + 5 + d;
        if (d < 0 && target === i + 2 && b[target]! >= 0x58 && b[target]! <= 0x5f) out.push(i);
      }
    }
  }
  return out;
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.length).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.length), from);
}

/** A single-byte XOR key under which some known plaintext appears, or undefined. */
export function findXor8Key(b: Uint8Array): number | undefined {
  const n = Math.min(b.length, MAX_SHELLCODE_SCAN);
  for (const p of KNOWN) {
    if (p.length < 5) continue;
    for (let i = 0; i + p.length <= n; i++) {
      const k = b[i]! ^ p[0]!;
      if (k === 0) continue;
      let j = 1;
      while (j < p.length && (b[i + j]! ^ k) === p[j]) j++;
      if (j === p.length) return k;
    }
  }
  return undefined;
}

/** A 4-byte XOR key (little-endian, phase from the buffer start) under which known plaintext appears. */
export function findXor32Key(b: Uint8Array): number | undefined {
  const n = Math.min(b.length, MAX_SHELLCODE_SCAN);
  for (const p of KNOWN) {
    if (p.length < 7) continue;
    for (let i = 0; i + p.length <= n; i++) {
      const kb = [0, 0, 0, 0];
      for (let j = 0; j < 4; j++) kb[(i + j) & 3] = b[i + j]! ^ p[j]!;
      let j = 4;
      while (j < p.length && (b[i + j]! ^ kb[(i + j) & 3]!) === p[j]) j++;
      if (j === p.length) {
        const key = (kb[0]! | (kb[1]! << 8) | (kb[2]! << 16) | (kb[3]! << 24)) >>> 0;
        if (key !== 0 && (kb[0] !== kb[1] || kb[1] !== kb[2] || kb[2] !== kb[3])) return key;
      }
    }
  }
  return undefined;
}

export function xorDecode(b: Uint8Array, key: number, width: 1 | 4): Uint8Array {
  const n = Math.min(b.length, MAX_SHELLCODE_SCAN);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = b[i]! ^ (width === 1 ? key : (key >>> (8 * (i & 3))) & 0xff);
  return out;
}

function printableRuns(b: Uint8Array): string {
  // Non-printable bytes become newlines so regexes stop at them.
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '\n';
  }
  return s;
}

const URL_RE = /\b(?:https?|ftp|tftp):\/\/[A-Za-z0-9._~:/?#[\]@!$&'()*+,;=%-]{3,1024}/g;
const CMD_RE = /\bcmd(?:\.exe)?\s+\/[ck]\s+[^\n]{1,1024}/gi;
const TFTP_RE = /\btftp(?:\.exe)?\s+-i\s+([A-Za-z0-9.:-]{1,255})\s+get\s+([^\s&|>"]{1,255})/gi;
const ECHO_OPEN_RE = /echo\s+open\s+([A-Za-z0-9.-]{1,255})(?:\s+(\d{1,5}))?/i;
const ECHO_USER_RE = /echo\s+(?:user\s+)?([^\s&>]{1,64})\s*>>?\s*\S+\s*&\s*echo\s+([^\s&>]{1,64})\s*>>/i;
const ECHO_GET_RE = /echo\s+(?:m?get)\s+([^\s&>]{1,255})/i;

function clip(s: string): string {
  return s.length > MAX_FINDING_CHARS ? s.slice(0, MAX_FINDING_CHARS) : s;
}

/** URLs and commands in decoded bytes, including tftp and echo-built ftp scripts turned into URLs. */
export function extractActions(b: Uint8Array): { urls: string[]; commands: string[] } {
  const text = printableRuns(b);
  const urls = new Set<string>();
  const commands = new Set<string>();
  for (const m of text.matchAll(URL_RE)) {
    if (urls.size >= MAX_FINDINGS) break;
    urls.add(clip(trimTrailing(m[0], `)'",;.`)));
  }
  for (const m of text.matchAll(CMD_RE)) if (commands.size < MAX_FINDINGS) commands.add(clip(m[0].trim()));
  for (const m of text.matchAll(TFTP_RE)) {
    if (urls.size < MAX_FINDINGS) urls.add(clip(`tftp://${m[1]}/${m[2]!.replace(/^\/+/, '')}`));
    if (commands.size < MAX_FINDINGS) commands.add(clip(m[0]));
  }
  for (const c of commands) {
    const open = ECHO_OPEN_RE.exec(c);
    const get = ECHO_GET_RE.exec(c);
    if (open && get) {
      const cred = ECHO_USER_RE.exec(c);
      const auth = cred ? `${encodeURIComponent(cred[1]!)}:${encodeURIComponent(cred[2]!)}@` : '';
      if (urls.size < MAX_FINDINGS) urls.add(clip(`ftp://${auth}${open[1]}${open[2] ? ':' + open[2] : ''}/${get[1]!.replace(/^\/+/, '')}`));
    }
  }
  return { urls: [...urls], commands: [...commands] };
}

/**
 * sockaddr_in pushed on the stack: `68 a b c d` (push ip) then `68 02 00 p p` (push AF_INET and port)
 * means connect-back; the port push without an address push (or after a zero) means bind.
 */
export function findSockaddr(b: Uint8Array): { connectBack?: { host: string; port: number }; bindPort?: number } {
  const n = Math.min(b.length, MAX_SHELLCODE_SCAN);
  for (let i = 0; i + 5 <= n; i++) {
    if (b[i] !== 0x68 || b[i + 1] !== 0x02 || b[i + 2] !== 0x00) continue;
    const port = (b[i + 3]! << 8) | b[i + 4]!;
    if (port === 0) continue;
    if (i >= 5 && b[i - 5] === 0x68) {
      const ip = [b[i - 4]!, b[i - 3]!, b[i - 2]!, b[i - 1]!];
      if (ip.some((x) => x !== 0)) return { connectBack: { host: ip.join('.'), port } };
    }
    return { bindPort: port };
  }
  return {};
}

/** The whole analysis; `undefined` when nothing shellcode-like was found. */
export function analyseShellcode(payload: Uint8Array): ShellcodeReport | undefined {
  const b = payload.length > MAX_SHELLCODE_SCAN ? payload.subarray(0, MAX_SHELLCODE_SCAN) : payload;
  const getpc = findGetPc(b);
  let decoded = b;
  let encoding: ShellcodeReport['encoding'] = 'none';
  let key: number | undefined;
  const plain = extractActions(b);
  if (plain.urls.length || plain.commands.length) encoding = 'plain';
  else {
    const k8 = findXor8Key(b);
    if (k8 !== undefined) {
      decoded = xorDecode(b, k8, 1);
      encoding = 'xor8';
      key = k8;
    } else {
      const k32 = findXor32Key(b);
      if (k32 !== undefined) {
        decoded = xorDecode(b, k32, 4);
        encoding = 'xor32';
        key = k32;
      }
    }
  }
  const actions = encoding === 'plain' ? plain : encoding === 'none' ? { urls: [], commands: [] } : extractActions(decoded);
  const sock = findSockaddr(decoded);
  if (getpc.length === 0 && actions.urls.length === 0 && actions.commands.length === 0 && !sock.connectBack && sock.bindPort === undefined) return undefined;
  // A bare port push without any GetPC or action is too weak to call shellcode.
  if (getpc.length === 0 && actions.urls.length === 0 && actions.commands.length === 0 && !sock.connectBack) return undefined;
  return {
    getpc,
    encoding: encoding === 'none' && getpc.length ? 'none' : encoding,
    ...(key !== undefined ? { key } : {}),
    urls: actions.urls,
    commands: actions.commands,
    ...sock,
  };
}
