// ps (procps-ng 4.0.2): the fake process table in the common formats (ps, ps aux, ps -ef, ps -e),
// user-defined ones (-o/-eo/o, see ps-format.ts), selections (-e, -p, -u, -C, ax) and --sort.
import type { CommandContext, CommandDef } from '../types.js';
import { commOf, cpuTime, memKb, processTable, startColumn, type FakeProcess } from './processes.js';
import { parseFormat, renderColumns, sortKey, type Column, type PsRow } from './ps-format.js';

/** TIME in ps's [DD-]HH:MM:SS form. */
function clockTime(s: number): string {
  return `00:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

interface PsRequest {
  all: boolean;
  pids: number[];
  users: string[];
  comms: string[];
  /** plain (ps, -e), full (-f), bsd (u: aux), bsdx (BSD letters without u: ax). */
  style: 'plain' | 'full' | 'bsd' | 'bsdx';
  format: Column[];
  sort: ((a: PsRow, b: PsRow) => number)[];
  headers: boolean;
}

const USAGE = "\nUsage:\n ps [options]\n\n Try 'ps --help <simple|list|output|threads|misc|all>'\n  or 'ps --help <s|l|o|t|m|a>'\n for additional help text.\n\nFor more details see ps(1).\n";

/** The command line as procps reads it (UNIX -opts, BSD letters, GNU --long); an error text when it cannot. */
function parseArgs(args: readonly string[]): PsRequest | string {
  const r: PsRequest = { all: false, pids: [], users: [], comms: [], style: 'plain', format: [], sort: [], headers: true };
  const list = (v: string | undefined): string[] => (v ?? '').split(/[\s,]+/).filter(Boolean);
  const format = (v: string | undefined): string | undefined => {
    const bad = parseFormat(v ?? '', r.format);
    return bad === undefined ? undefined : `error: unknown user-defined format specifier "${bad}"\n${USAGE}`;
  };
  const sort = (v: string | undefined): string | undefined => {
    for (const k of list(v)) {
      const f = sortKey(k);
      if (!f) return `error: unknown sort specifier\n${USAGE}`;
      r.sort.push(f);
    }
    return undefined;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let e: string | undefined;
    if (a.startsWith('--')) {
      const [name, inline] = a.includes('=') ? [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a.slice(2), undefined];
      const value = (): string | undefined => inline ?? args[++i];
      if (name === 'sort') e = sort(value());
      else if (name === 'format') e = format(value());
      else if (name === 'pid') r.pids.push(...list(value()).map(Number));
      else if (name === 'user' || name === 'User') r.users.push(...list(value()));
      else if (name === 'no-headers' || name === 'no-heading' || name === 'noheader' || name === 'noheaders') r.headers = false;
      else if (!['forest', 'cols', 'columns', 'width', 'lines', 'rows', 'headers', 'cumulative'].includes(name)) e = `error: unknown gnu long option\n${USAGE}`;
    } else if (a.startsWith('-')) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if ('opuUCkOgGt'.includes(c)) {
          const v = a.slice(j + 1) || args[++i];
          if (c === 'o' || c === 'O') e = format(v);
          else if (c === 'p') r.pids.push(...list(v).map(Number));
          else if (c === 'u' || c === 'U') r.users.push(...list(v));
          else if (c === 'C') r.comms.push(...list(v));
          else if (c === 'k') e = sort(v);
          break;
        }
        if (c === 'e' || c === 'A') r.all = true;
        else if (c === 'f' || c === 'F') r.style = 'full';
        else if (!'aljwxHyLTNdcMZ'.includes(c)) e = `error: unsupported SysV option\n${USAGE}`;
      }
    } else if (/^\d+$/.test(a)) r.pids.push(Number(a));
    else {
      if (r.style === 'plain') r.style = 'bsdx';
      for (let j = 0; j < a.length; j++) {
        const c = a[j]!;
        if (c === 'o') {
          e = format(a.slice(j + 1) || args[++i]);
          break;
        }
        if (c === 'k') {
          e = sort(a.slice(j + 1) || args[++i]);
          break;
        }
        if (c === 'a' || c === 'x' || c === 'e') r.all = true;
        else if (c === 'u') r.style = 'bsd';
        else if (c === 'h') r.headers = false;
        else if (!'wfcSTrjlsvmLXZHn'.includes(c)) e = `error: unsupported option (BSD syntax)\n${USAGE}`;
      }
    }
    if (e !== undefined) return e;
  }
  return r;
}

/** The processes REQ selects: -e/ax every one, -p/-u/-C those named, none the user's own on ps's terminal. */
function select(ctx: CommandContext, req: PsRequest, rows: FakeProcess[], shell: FakeProcess, self: FakeProcess): FakeProcess[] {
  if (req.all) return rows;
  if (req.pids.length || req.users.length || req.comms.length) {
    return rows.filter((p) => req.pids.includes(p.pid) || req.users.includes(p.user) || req.comms.includes(commOf(p.cmd)));
  }
  // Bare ps lists the user's processes on ps's terminal; with none (an exec request), every one of
  // the user's processes that has no terminal either, as procps does.
  return ctx.sh.terminal.interactive ? [shell, self] : rows.filter((p) => p.tty === '?' && p.user === ctx.sh.user.name);
}

function uidOf(ctx: CommandContext, name: string): number {
  return ctx.sh.users.find((u) => u.name === name)?.uid ?? ctx.sh.profile.daemonAccounts.find((a) => a.name === name)?.uid ?? (name === 'root' ? 0 : 65534);
}

export const ps: CommandDef = {
  names: ['ps'],
  run(ctx) {
    const sh = ctx.sh;
    const now = sh.now();
    if (ctx.args[0] === '--version' || ctx.args[0] === '-V' || ctx.args[0] === 'V') {
      ctx.out('ps from procps-ng 4.0.2\n');
      return 0;
    }
    const req = parseArgs(ctx.args);
    if (typeof req === 'string') {
      ctx.err(req);
      return 1;
    }
    const all = processTable(sh);
    const shell = all.find((p) => p.role === 'shell')!;
    // ps runs on the shell's terminal ('?' without one).
    const tty = shell.tty;
    // Without a terminal ps's own state has no + (it is in no foreground process group).
    const selfStat = sh.terminal.interactive ? 'R+' : 'R';
    // ps itself: the pid the shell gave this command, under the shell.
    const pid = sh.running?.pid ?? sh.nextPid();
    const self: FakeProcess = { pid, ppid: shell.pid, user: sh.user.name, cpu: 0, mem: 0, ...memKb(sh.profile, pid, 4_400, 11_000), tty, stat: selfStat, startMs: now, timeS: 0, cmd: ['ps', ...ctx.args].join(' ') };
    const uids = new Map<string, number>();
    let rows: PsRow[] = select(ctx, req, [...all, self], shell, self).map((p) => {
      if (!uids.has(p.user)) uids.set(p.user, uidOf(ctx, p.user));
      return { p, uid: uids.get(p.user)!, now };
    });
    if (req.sort.length) rows = [...rows].sort((a, b) => req.sort.reduce((c, f) => c || f(a, b), 0));
    if (req.format.length) {
      ctx.out(renderColumns(req.format, rows, req.headers));
      return rows.length ? 0 : 1;
    }
    const head = (h: string): void => void (req.headers && ctx.out(h));
    if (req.style === 'bsd') {
      head('USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n');
      for (const { p } of rows) ctx.out(`${p.user.padEnd(10)} ${String(p.pid).padStart(6)} ${p.cpu.toFixed(1).padStart(4)} ${p.mem.toFixed(1).padStart(4)} ${String(p.vsz).padStart(6)} ${String(p.rss).padStart(5)} ${p.tty.padEnd(8)} ${p.stat.padEnd(4)} ${startColumn(p.startMs, now).padStart(5)} ${cpuTime(p.timeS).padStart(6)} ${p.cmd}\n`);
    } else if (req.style === 'bsdx') {
      head('    PID TTY      STAT   TIME COMMAND\n');
      for (const { p } of rows) ctx.out(`${String(p.pid).padStart(7)} ${p.tty.padEnd(8)} ${p.stat.padEnd(4)} ${cpuTime(p.timeS).padStart(6)} ${p.cmd}\n`);
    } else if (req.style === 'full') {
      head('UID          PID    PPID  C STIME TTY          TIME CMD\n');
      for (const { p } of rows) ctx.out(`${p.user.padEnd(8)} ${String(p.pid).padStart(7)} ${String(p.ppid).padStart(7)}  0 ${startColumn(p.startMs, now).padEnd(5)} ${p.tty.padEnd(8)} ${clockTime(p.timeS)} ${p.cmd}\n`);
    } else {
      head('    PID TTY          TIME CMD\n');
      for (const { p } of rows) ctx.out(`${String(p.pid).padStart(7)} ${p.tty.padEnd(8)} ${clockTime(p.timeS)} ${commOf(p.cmd)}\n`);
    }
    return rows.length ? 0 : 1;
  },
};
