// Small helpers shared by the emulated commands: option parsing, sizes, dates, modes.
import type { VNode } from '../vfs.js';

export interface ParsedOpts {
  flags: Set<string>;
  values: Map<string, string>;
  rest: string[];
  /** An unknown option, as the tool would complain about it. */
  bad?: string;
}

/**
 * getopt-style parsing: short flags may be grouped (-la), WITH_VALUE lists options taking a value
 * (as "-n5", "-n 5", "--lines=5" or "--lines 5"). Long options are kept with their dashes stripped.
 */
export function parseOpts(args: string[], withValue: string[] = [], known?: string): ParsedOpts {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const rest: string[] = [];
  let bad: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      rest.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (eq >= 0) values.set(name, a.slice(eq + 1));
      else if (withValue.includes(name) && i + 1 < args.length) values.set(name, args[++i]!);
      else flags.add(name);
      continue;
    }
    if (a.startsWith('-') && a.length > 1 && !/^-\d+$/.test(a)) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (withValue.includes(c)) {
          const v = a.slice(j + 1) || args[++i];
          if (v !== undefined) values.set(c, v);
          break;
        }
        if (known !== undefined && !known.includes(c)) bad ??= c;
        flags.add(c);
      }
      continue;
    }
    rest.push(a);
  }
  return bad !== undefined ? { flags, values, rest, bad } : { flags, values, rest };
}

export function modeString(n: VNode): string {
  const type = n.kind === 'dir' ? 'd' : n.kind === 'link' ? 'l' : (n.special ?? '-');
  const m = n.mode;
  const r = (bit: number, ch: string): string => (m & bit ? ch : '-');
  let s = type + r(0o400, 'r') + r(0o200, 'w') + (m & 0o4000 ? (m & 0o100 ? 's' : 'S') : r(0o100, 'x'));
  s += r(0o40, 'r') + r(0o20, 'w') + (m & 0o2000 ? (m & 0o10 ? 's' : 'S') : r(0o10, 'x'));
  s += r(0o4, 'r') + r(0o2, 'w') + (m & 0o1000 ? (m & 0o1 ? 't' : 'T') : r(0o1, 'x'));
  return s;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** `ls -l` time: "Mar  4 12:01" within six months, "Mar  4  2024" otherwise. */
export function lsTime(ms: number, now: number): string {
  const d = new Date(ms);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const recent = now - ms < 182 * 86_400_000 && ms <= now + 3600_000;
  const tail = recent ? `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}` : ` ${d.getUTCFullYear()}`;
  return `${MONTHS[d.getUTCMonth()]} ${day} ${tail}`;
}

export function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `date` default format: "Thu Nov 26 10:43:45 UTC 2026". */
export function dateString(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

export function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
}

export function monthName(i: number): string {
  return MONTHS[i] ?? 'Jan';
}
export function dayName(i: number): string {
  return DAYS[i] ?? 'Sun';
}

/** Sizes as `ls -h`/`df -h`/`free -h` print them (1K, 4.0K, 12M, 1.5G). */
export function humanSize(bytes: number, unitSuffix = ''): string {
  const units = ['', 'K', 'M', 'G', 'T', 'P'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${bytes}${unitSuffix && bytes ? 'B' : ''}`;
  const s = v < 10 ? (Math.ceil(v * 10) / 10).toFixed(1) : String(Math.ceil(v));
  return `${s}${units[i]}${unitSuffix}`;
}

/** "up 12 days,  3:04" as uptime/w/top print it. */
export function uptimeText(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const dayPart = days ? `${days} day${days === 1 ? '' : 's'}, ` : '';
  return h ? `up ${dayPart}${String(h).padStart(2, ' ')}:${pad2(m)}` : `up ${dayPart}${m} min`;
}

export function userName(uid: number, users: { name: string; uid: number }[]): string {
  const fixed: Record<number, string> = { 0: 'root', 33: 'www-data', 102: 'mysql', 65534: 'nobody' };
  return users.find((u) => u.uid === uid)?.name ?? fixed[uid] ?? String(uid);
}

export function groupName(gid: number, users: { name: string; gid: number }[]): string {
  const fixed: Record<number, string> = { 0: 'root', 6: 'disk', 33: 'www-data', 110: 'mysql', 65534: 'nogroup' };
  return users.find((u) => u.gid === gid)?.name ?? fixed[gid] ?? String(gid);
}

/** The contents of FILES (or stdin when none or "-"), with "cmd: f: error" for the missing ones. */
export function readInputs(
  ctx: { args: string[]; stdin: Buffer; err: (s: string) => void; sh: { resolve(p: string): string; vfs: { readFile(p: string): Buffer | string } } },
  cmd: string,
  files: string[],
): { inputs: { name: string; data: Buffer }[]; status: number } {
  const inputs: { name: string; data: Buffer }[] = [];
  let status = 0;
  for (const f of files.length ? files : ['-']) {
    if (f === '-') {
      inputs.push({ name: '-', data: ctx.stdin });
      continue;
    }
    const d = ctx.sh.vfs.readFile(ctx.sh.resolve(f));
    if (typeof d === 'string') {
      const text: Record<string, string> = { ENOENT: 'No such file or directory', EISDIR: 'Is a directory', EACCES: 'Permission denied', ENOTDIR: 'Not a directory' };
      ctx.err(`${cmd}: ${f}: ${text[d] ?? d}\n`);
      status = 1;
      continue;
    }
    inputs.push({ name: f, data: d });
  }
  return { inputs, status };
}

/** Splits text into lines without the final empty one. */
export function lines(text: string): string[] {
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

/**
 * Compiles an attacker's regular expression, refusing the shapes that backtrack exponentially in
 * JavaScript's engine (a quantified group that itself contains a quantifier or alternation, and
 * back-references), so one `grep` cannot stall every other session on the event loop.
 */
export function safeRegExp(src: string, flags = ''): RegExp | undefined {
  if (src.length > 1024) return undefined;
  if (/\\[1-9]/.test(src)) return undefined;
  // Strip escapes and classes, then look for (...X...)Q where X is a quantifier or |.
  const flat = src.replace(/\\./g, 'a').replace(/\[[^\]]*\]/g, 'a');
  const stack: { quant: boolean }[] = [];
  for (let i = 0; i < flat.length; i++) {
    const c = flat[i]!;
    if (c === '(') stack.push({ quant: false });
    else if (c === ')') {
      const g = stack.pop();
      const next = flat[i + 1];
      if (g?.quant && next !== undefined && '*+?{'.includes(next)) return undefined;
      if (g?.quant && stack.length) stack[stack.length - 1]!.quant = true;
    } else if ('*+?{|'.includes(c) && stack.length) stack[stack.length - 1]!.quant = true;
  }
  try {
    return new RegExp(src, flags);
  } catch {
    return undefined;
  }
}
