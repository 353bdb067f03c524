// Small helpers shared by the emulated commands: option parsing, sizes, dates, modes.
import { FS_ERROR_TEXT, type Vfs, type VNode } from '../vfs.js';
import type { FakeUser, SystemProfile } from '../profile.js';
import type { ShellApi } from '../types.js';

/** Whose names owners resolve to: the session's accounts (ShellApi.users) and the host's daemons' (a ShellApi is one). */
export interface Accounts {
  users: readonly FakeUser[];
  profile: Pick<SystemProfile, 'daemonAccounts'>;
}

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

/** Subdirectories counted for a directory's link count at most (a huge overlay directory costs no more). */
export const MAX_LINK_COUNT_ENTRIES = 4096;

/** The link count ls -l and stat show: a directory has 2 and one more per subdirectory (its ".."). */
export function linkCount(vfs: Vfs, path: string, n: VNode): number {
  if (n.kind !== 'dir') return 1;
  const names = vfs.list(path);
  if (typeof names === 'string') return 2;
  const prefix = path === '/' ? '/' : `${path}/`;
  let subdirs = 0;
  for (const name of names.slice(0, MAX_LINK_COUNT_ENTRIES)) {
    const st = vfs.stat(prefix + name, false);
    if (typeof st !== 'string' && st.node.kind === 'dir') subdirs++;
  }
  return 2 + subdirs;
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

/** "2026-11-26 10:43:45": a UTC time as stat, timedatectl and wget print it. */
export function dateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
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

/** The owner's name ls and stat show: a login user, a daemon's account, a base system one, or the number. */
export function userName(uid: number, p: Accounts): string {
  const fixed: Record<number, string> = { 0: 'root', 33: 'www-data', 102: 'mysql', 65534: 'nobody' };
  return p.users.find((u) => u.uid === uid)?.name ?? p.profile.daemonAccounts.find((a) => a.uid === uid)?.name ?? fixed[uid] ?? String(uid);
}

export function groupName(gid: number, p: Accounts): string {
  const fixed: Record<number, string> = { 0: 'root', 6: 'disk', 33: 'www-data', 110: 'mysql', 65534: 'nogroup' };
  return p.users.find((u) => u.gid === gid)?.name ?? p.profile.daemonAccounts.find((a) => a.gid === gid)?.name ?? fixed[gid] ?? String(gid);
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
      const text: Record<string, string> = FS_ERROR_TEXT;
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
 * Inclusive [low, high] RANGES sorted and merged into disjoint ascending ones (reversed ones, which
 * hold nothing, dropped), so a member test is a binary search or an in-order walk. Sorts RANGES.
 */
export function mergeRanges(ranges: [number, number][]): [number, number][] {
  ranges.sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of ranges) {
    if (lo > hi) continue;
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** Longest regular expression compiled at all. */
export const MAX_REGEX_CHARS = 1024;
/**
 * Unbounded quantifiers (`*`, `+`, `{n,}`) one pattern may hold. V8 backtracks, and adjacent ones
 * that can match the same characters cost O(n^(k+1)) on a line of n characters without a match:
 * `grep ' * * * * *x'` took seconds on 70 spaces. More than this is refused as "too big".
 */
export const MAX_REGEX_UNBOUNDED = 4;
/**
 * Product of the choices the bounded parts of a pattern offer (`a?` 2, `{1,3}` 3, `a|b|c` 3):
 * each multiplies the backtracking as well (`a?a?a?...aaa` is exponential). More is refused.
 */
export const MAX_REGEX_BRANCHING = 256;
/**
 * A counted repeat `{n,m}` spanning more counts than this, or counting past it at all (`.{20000}x`
 * walks 20,000 characters from every start: 3.2 s on a 40,000-character line), is costed as an
 * unbounded one, so the line is cut as for `*`.
 */
export const MAX_COUNTED_SPAN = 16;
/**
 * Worst-case backtracking steps of one match (about 20 ms): a line is cut to the longest prefix
 * whose cost, branching * length^(unbounded + 1), fits, so the pattern sees 4096 characters of a
 * line with one unbounded quantifier, 256 with two, 64 with three, 27 with four, and whole lines
 * without any.
 */
export const MAX_REGEX_STEPS = 2 ** 24;
/**
 * Worst-case steps of all the matching one command does (eight worst-case lines, about 0.15 s), so
 * many long lines cannot add up to a stall either; past it the command fails as GNU grep does when
 * a pattern exhausts its memory. Costs are worst cases: `grep 'a.*b'` on 80-character lines is
 * charged 6400 steps a line, so it reads about 20,000 of them.
 */
export const MAX_REGEX_COMMAND_STEPS = 2 ** 27;

/** What a pattern can cost a backtracking engine: see MAX_REGEX_UNBOUNDED and MAX_REGEX_BRANCHING. */
export interface RegexShape {
  unbounded: number;
  branching: number;
}

/** Why a pattern was not compiled: a syntax the engine rejects, or a shape that could stall it. */
export type RegexRefusal = 'invalid' | 'too-big';

/** The matching a command has done so far; every pattern of one command shares one. */
export class RegexBudget {
  spent = 0;
  /** Set when a match was refused because the budget was spent. */
  exhausted = false;
}

/** The counted repeat `{n}`, `{n,}` or `{n,m}` at I of FLAT, if there is one. */
function countedRepeat(flat: string, i: number): { len: number; min: number; max: number } | undefined {
  // Sticky and without a window: `{` followed by any number of digits is a repeat to V8.
  const re = /\{(\d+)(,(\d*))?\}/y;
  re.lastIndex = i;
  const m = re.exec(flat);
  if (!m) return undefined;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
  return { len: m[0].length, min, max };
}

/** Whether a counted repeat costs as an unbounded one (see MAX_COUNTED_SPAN). */
function countsPastSpan(r: { min: number; max: number }): boolean {
  return r.max > MAX_COUNTED_SPAN || r.max - r.min > MAX_COUNTED_SPAN;
}

/**
 * The cost shape of a JavaScript regular expression, or undefined for the shapes that backtrack
 * exponentially whatever the line (a quantified group that itself holds a quantifier or an
 * alternation, and back-references).
 */
export function regexShape(src: string): RegexShape | undefined {
  if (/\\[1-9]|\\k</.test(src)) return undefined;
  // Escapes and classes match one character: flatten each to a plain one. A class ends at its
  // first `]`, as JavaScript reads it (`[]` matches nothing, `[^]` anything).
  const flat = src.replace(/\\./gs, 'a').replace(/\[[^\]]*\]/g, 'a');
  const groups: { inner: boolean; alternatives: number }[] = [{ inner: false, alternatives: 1 }];
  let unbounded = 0;
  let branching = 1;
  let afterGroup: { inner: boolean } | undefined;
  for (let i = 0; i < flat.length; i++) {
    const c = flat[i]!;
    const counted = c === '{' ? countedRepeat(flat, i) : undefined;
    const quantifier = c === '*' || c === '+' || c === '?' || counted !== undefined;
    if (quantifier) {
      if (afterGroup?.inner) return undefined;
      if (c === '?') branching *= 2;
      else if (counted && !countsPastSpan(counted)) branching *= counted.max - counted.min + 1;
      else unbounded++;
      groups[groups.length - 1]!.inner = true;
      if (counted) i += counted.len - 1;
      if (flat[i + 1] === '?') i++; // lazy, not another quantifier
      afterGroup = undefined;
      continue;
    }
    afterGroup = undefined;
    if (c === '(') {
      groups.push({ inner: false, alternatives: 1 });
      const kind = /^\?(?::|=|!|<=|<!|<[A-Za-z_]\w*>)/.exec(flat.slice(i + 1, i + 40));
      if (kind) i += kind[0].length;
    } else if (c === '|') {
      groups[groups.length - 1]!.alternatives++;
      groups[groups.length - 1]!.inner = true;
    } else if (c === ')' && groups.length > 1) {
      const g = groups.pop()!;
      branching *= g.alternatives;
      if (g.inner) groups[groups.length - 1]!.inner = true;
      afterGroup = g;
    }
  }
  branching *= groups[0]!.alternatives;
  return { unbounded, branching };
}

/** Worst-case steps of one match of a pattern of SHAPE on a line of LENGTH characters. */
function matchCost(shape: RegexShape, length: number): number {
  return shape.branching * Math.max(1, length) ** (shape.unbounded + 1);
}

/** The longest line a pattern of SHAPE may be run on within MAX_REGEX_STEPS (at least 1). */
function longestSubject(shape: RegexShape): number {
  let n = Math.max(1, Math.floor((MAX_REGEX_STEPS / shape.branching) ** (1 / (shape.unbounded + 1))));
  // The root is a float: settle it on the exact integer bound.
  while (n > 1 && matchCost(shape, n) > MAX_REGEX_STEPS) n--;
  while (matchCost(shape, n + 1) <= MAX_REGEX_STEPS) n++;
  return n;
}

/**
 * An attacker's pattern compiled for matching lines with bounded work: each match runs on at most
 * maxSubject characters of the line (MAX_REGEX_STEPS) and is charged to the command's budget
 * (MAX_REGEX_COMMAND_STEPS); once that is spent every match fails and budget.exhausted is set.
 */
export class BoundedRegExp {
  /** Longest prefix of a line the pattern is run on. */
  readonly maxSubject: number;
  private global: RegExp | undefined;

  constructor(
    readonly re: RegExp,
    private readonly shape: RegexShape,
    readonly budget: RegexBudget,
  ) {
    this.maxSubject = longestSubject(shape);
  }

  /** The part of LINE to run on, charged; undefined once the budget is spent. */
  private subject(line: string): string | undefined {
    const s = line.length > this.maxSubject ? line.slice(0, this.maxSubject) : line;
    const cost = matchCost(this.shape, s.length);
    if (this.budget.exhausted || this.budget.spent + cost > MAX_REGEX_COMMAND_STEPS) {
      this.budget.exhausted = true;
      return undefined;
    }
    this.budget.spent += cost;
    return s;
  }

  test(line: string): boolean {
    const s = this.subject(line);
    if (s === undefined) return false;
    this.re.lastIndex = 0;
    return this.re.test(s);
  }

  /** Every non-empty match in LINE, as `grep -o` prints them. */
  matches(line: string): string[] {
    const s = this.subject(line);
    if (s === undefined) return [];
    this.global ??= new RegExp(this.re.source, this.re.flags.includes('g') ? this.re.flags : `${this.re.flags}g`);
    return [...s.matchAll(this.global)].map((m) => m[0]).filter(Boolean);
  }

  /**
   * LINE with each match (every one when ALL, else the first) replaced by what REPLACE returns for
   * its text and groups (unset ones empty) and its 1-based number; undefined keeps that match.
   * Past maxSubject the line is kept as it was.
   */
  replaceEach(line: string, all: boolean, replace: (groups: string[], nth: number) => string | undefined): string {
    const s = this.subject(line);
    if (s === undefined) return line;
    const re = all ? (this.global ??= new RegExp(this.re.source, this.re.flags.includes('g') ? this.re.flags : `${this.re.flags}g`)) : new RegExp(this.re.source, this.re.flags.replace('g', ''));
    let nth = 0;
    const out = s.replace(re, (...a: unknown[]) => {
      // The arguments: the match, each group, then the offset and the whole string.
      const end = a.findIndex((x) => typeof x === 'number');
      const groups = a.slice(0, end).map((g) => (typeof g === 'string' ? g : ''));
      return replace(groups, ++nth) ?? groups[0]!;
    });
    return out + line.slice(s.length);
  }

  /** LINE with the pattern replaced (String.replace semantics); past maxSubject the line is kept. */
  replace(line: string, replacement: string): string {
    const s = this.subject(line);
    if (s === undefined) return line;
    return s.replace(this.re, replacement) + line.slice(s.length);
  }
}

/**
 * Compiles an attacker's regular expression, refusing (as 'too-big') the shapes that would stall
 * every other session on the event loop: see regexShape, MAX_REGEX_UNBOUNDED and
 * MAX_REGEX_BRANCHING. Matches made with the result share BUDGET.
 */
export function safeRegExp(src: string, flags = '', budget = new RegexBudget()): BoundedRegExp | RegexRefusal {
  if (src.length > MAX_REGEX_CHARS) return 'too-big';
  const shape = regexShape(src);
  if (!shape || shape.unbounded > MAX_REGEX_UNBOUNDED || shape.branching > MAX_REGEX_BRANCHING) return 'too-big';
  try {
    return new BoundedRegExp(new RegExp(src, flags), shape, budget);
  } catch {
    return 'invalid';
  }
}

/**
 * Where NAME is found as execvp finds it: a path as given when it exists, else the first executable
 * file of that name in the session's PATH. Builtins and functions are not programs: undefined.
 */
export function findProgram(sh: Pick<ShellApi, 'env' | 'vfs' | 'resolve'>, name: string): string | undefined {
  if (name === '') return undefined;
  if (name.includes('/')) return sh.vfs.exists(sh.resolve(name)) ? name : undefined;
  for (const d of (sh.env.get('PATH') ?? '/usr/bin:/bin').split(':')) {
    const st = sh.vfs.stat(`${d || '.'}/${name}`);
    if (typeof st !== 'string' && st.node.kind === 'file' && st.node.mode & 0o111) return `${d}/${name}`;
  }
  return undefined;
}

