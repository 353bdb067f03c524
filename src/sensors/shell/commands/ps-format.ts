// ps -o: procps-ng 4.0.2's user-defined format columns (header, width, alignment, value) and --sort
// keys, over the fake process table.
import type { FakeProcess } from './processes.js';
import { commOf, startColumn } from './processes.js';
import { dayName, monthName, pad2 } from './util.js';

/** Format specifiers taken from one command line at most (-o pid,pid,pid... is cut there). */
export const MAX_PS_COLUMNS = 64;
/** The widest column a `name:WIDTH` may ask for. */
export const MAX_PS_WIDTH = 512;

/** What a column's value is computed from: a process and the time now. */
export interface PsRow {
  p: FakeProcess;
  uid: number;
  now: number;
}

interface ColumnDef {
  header: string;
  width: number;
  right: boolean;
  /** The text shown. */
  text(r: PsRow): string;
  /** What --sort orders by (the text when unset). */
  key?(r: PsRow): number | string;
}

/** A column of one listing: its definition with the header and width the user asked for. */
export interface Column {
  def: ColumnDef;
  header: string;
  width: number;
}

/** [DD-]HH:MM:SS, as ps's TIME. */
function cputime(s: number): string {
  const d = Math.floor(s / 86_400);
  return `${d ? `${d}-` : ''}${pad2(Math.floor(s / 3600) % 24)}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}`;
}

/** [[DD-]hh:]mm:ss, as ps's ELAPSED. */
function elapsed(s: number): string {
  const d = Math.floor(s / 86_400);
  const h = Math.floor(s / 3600) % 24;
  return `${d ? `${d}-` : ''}${d || h ? `${pad2(h)}:` : ''}${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}`;
}

const ageS = (r: PsRow): number => Math.max(0, Math.floor((r.now - r.p.startMs) / 1000));
const hms = (ms: number): string => {
  const d = new Date(ms);
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
};
const kernelThread = (p: FakeProcess): boolean => p.cmd.startsWith('[');

const PID_WIDTH = 7;
const num = (header: string, width: number, v: (r: PsRow) => number, text?: (r: PsRow) => string): ColumnDef => ({ header, width, right: true, text: text ?? ((r) => String(v(r))), key: v });
const str = (header: string, width: number, v: (r: PsRow) => string): ColumnDef => ({ header, width, right: false, text: v });

const pid = num('PID', PID_WIDTH, (r) => r.p.pid);
const ppid = num('PPID', PID_WIDTH, (r) => r.p.ppid);
const user = str('USER', 8, (r) => (r.p.user.length > 8 ? `${r.p.user.slice(0, 7)}+` : r.p.user));
const uid = num('UID', 5, (r) => r.uid);
const comm = str('COMMAND', 15, (r) => commOf(r.p.cmd));
const args = (header: string): ColumnDef => str(header, 27, (r) => r.p.cmd);
const pcpu = num('%CPU', 4, (r) => r.p.cpu, (r) => r.p.cpu.toFixed(1));
const pmem = num('%MEM', 4, (r) => r.p.mem, (r) => r.p.mem.toFixed(1));
const rss = num('RSS', 5, (r) => r.p.rss);
const vsz = num('VSZ', 6, (r) => r.p.vsz);
const tty = str('TT', 8, (r) => r.p.tty);
const time = num('TIME', 8, (r) => r.p.timeS, (r) => cputime(r.p.timeS));
const started = (r: PsRow): number => r.p.startMs;

const COLUMNS: Record<string, ColumnDef> = {
  pid,
  tgid: pid,
  ppid,
  user,
  euser: { ...user, header: 'EUSER' },
  ruser: { ...user, header: 'RUSER' },
  uname: user,
  uid,
  euid: { ...uid, header: 'EUID' },
  ruid: { ...uid, header: 'RUID' },
  comm,
  ucmd: { ...comm, header: 'CMD' },
  ucomm: comm,
  fname: str('COMMAND', 8, (r) => commOf(r.p.cmd).slice(0, 8)),
  args: args('COMMAND'),
  command: args('COMMAND'),
  cmd: args('CMD'),
  '%cpu': pcpu,
  pcpu,
  '%mem': pmem,
  pmem,
  rss,
  rssize: rss,
  rsz: { ...rss, header: 'RSZ' },
  vsz,
  vsize: vsz,
  etime: num('ELAPSED', 11, ageS, (r) => elapsed(ageS(r))),
  etimes: num('ELAPSED', 7, ageS),
  stat: str('STAT', 4, (r) => r.p.stat),
  s: str('S', 1, (r) => r.p.stat[0] ?? 'S'),
  state: str('S', 1, (r) => r.p.stat[0] ?? 'S'),
  tty,
  tt: tty,
  tname: tty,
  time,
  cputime: time,
  times: num('TIME', 8, (r) => r.p.timeS),
  start: num('STARTED', 8, started, (r) => (r.now - r.p.startMs < 86_400_000 ? hms(r.p.startMs) : `${monthName(new Date(r.p.startMs).getUTCMonth())} ${pad2(new Date(r.p.startMs).getUTCDate())}`)),
  lstart: {
    ...num('STARTED', 24, started),
    right: false,
    text: (r) => {
      const d = new Date(r.p.startMs);
      return `${dayName(d.getUTCDay())} ${monthName(d.getUTCMonth())} ${String(d.getUTCDate()).padStart(2)} ${hms(r.p.startMs)} ${d.getUTCFullYear()}`;
    },
  },
  stime: num('STIME', 5, started, (r) => startColumn(r.p.startMs, r.now)),
  start_time: num('START', 5, started, (r) => startColumn(r.p.startMs, r.now)),
  c: num('C', 2, () => 0),
  ni: num('NI', 3, () => 0),
  nice: num('NI', 3, () => 0),
  pri: num('PRI', 3, () => 19),
  psr: num('PSR', 3, () => 0),
  nlwp: num('NLWP', 4, () => 1),
  thcount: num('THCNT', 5, () => 1),
  f: num('F', 1, (r) => (kernelThread(r.p) ? 1 : 4)),
};

/**
 * The columns of -o ARG (comma or space separated NAME[:WIDTH][=HEADER]), appended to OUT; the
 * unknown name, if any.
 */
export function parseFormat(arg: string, out: Column[]): string | undefined {
  let rest = arg;
  while (rest.length && out.length < MAX_PS_COLUMNS) {
    const m = /^[\s,]*([^\s,=:]+)(?::(\d+))?(?:=([^\s,]*))?/.exec(rest);
    if (!m) break;
    const def = COLUMNS[m[1]!.toLowerCase()];
    if (!def) return m[1];
    rest = rest.slice(m[0].length);
    const header = m[3] ?? def.header;
    const width = Math.min(m[2] !== undefined ? Number(m[2]) : Math.max(def.width, header.length), MAX_PS_WIDTH);
    out.push({ def, header, width });
    if (/^[\s,]*$/.test(rest)) break;
  }
  return undefined;
}

/** A --sort key ([+|-]NAME): how two rows compare, or undefined for an unknown name. */
export function sortKey(spec: string): ((a: PsRow, b: PsRow) => number) | undefined {
  const desc = spec.startsWith('-');
  const def = COLUMNS[spec.replace(/^[+-]/, '').toLowerCase()];
  if (!def) return undefined;
  const key = def.key ?? def.text;
  return (a, b) => {
    const x = key(a);
    const y = key(b);
    const c = x < y ? -1 : x > y ? 1 : 0;
    return desc ? -c : c;
  };
}

/** The listing: a header line unless every header is empty, then one line per row. */
export function renderColumns(cols: readonly Column[], rows: readonly PsRow[], headers: boolean): string {
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => {
        const col = cols[i]!;
        const last = i === cols.length - 1;
        if (col.def.right) return c.padStart(col.width);
        const cut = last ? c : c.slice(0, col.width);
        return last ? cut : cut.padEnd(col.width);
      })
      .join(' ')
      .replace(/ +$/, '') + '\n';
  let out = headers && cols.some((c) => c.header !== '') ? line(cols.map((c) => c.header)) : '';
  for (const r of rows) out += line(cols.map((c) => c.def.text(r)));
  return out;
}
