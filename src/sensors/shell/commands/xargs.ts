// xargs (GNU findutils 4.9.0): builds command lines from stdin and runs them through the shell's own
// command lookup, never the host. Default echo; -n, -L, -I/-i, -0, -d, -r, -t, -a, -E; bounded runs.
import type { CommandDef } from '../types.js';
import { FS_ERROR_TEXT } from '../vfs.js';
import { findProgram } from './util.js';

/** Commands one xargs runs at most (GNU has no limit; past this the rest of the input is dropped). */
export const MAX_XARGS_RUNS = 1000;
/** Items read from the input at most. */
export const MAX_XARGS_ITEMS = 100_000;
/** Characters of one command line before xargs starts another (GNU's default buffer on Linux). */
export const XARGS_LINE_CHARS = 131_072;

/** One input item, and whether the line it came from ended with it (for -L). */
interface Item {
  text: string;
  eol: boolean;
}

/** Splits INPUT as GNU xargs does without -0/-d: blanks and newlines, with '...', "..." and \x quoting. */
function splitQuoted(input: string): Item[] | 'single' | 'double' {
  const out: Item[] = [];
  let cur = '';
  let have = false;
  let i = 0;
  while (i < input.length && out.length < MAX_XARGS_ITEMS) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (have) out.push({ text: cur, eol: c === '\n' });
      else if (c === '\n' && out.length > 0) out[out.length - 1]!.eol = true;
      cur = '';
      have = false;
      i++;
    } else if (c === "'" || c === '"') {
      const end = input.indexOf(c, i + 1);
      const nl = input.indexOf('\n', i + 1);
      if (end < 0 || (nl >= 0 && nl < end)) return c === "'" ? 'single' : 'double';
      cur += input.slice(i + 1, end);
      have = true;
      i = end + 1;
    } else if (c === '\\' && i + 1 < input.length) {
      cur += input[i + 1];
      have = true;
      i += 2;
    } else {
      cur += c;
      have = true;
      i++;
    }
  }
  if (have) out.push({ text: cur, eol: true });
  return out;
}

/** Items separated by DELIM exactly (-0, -d): no quoting, empty items kept except a final one. */
function splitOn(input: string, delim: string): Item[] {
  const parts = input.split(delim);
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.slice(0, MAX_XARGS_ITEMS).map((text) => ({ text, eol: true }));
}

export const xargs: CommandDef = {
  names: ['xargs'],
  async run(ctx) {
    const args = [...ctx.args];
    let maxArgs = 0;
    let maxLines = 0;
    let replace: string | undefined;
    let delim: string | undefined;
    let noEmpty = false;
    let trace = false;
    let eof: string | undefined;
    let file: string | undefined;
    const usage = (msg: string): number => (ctx.err(`xargs: ${msg}\nTry 'xargs --help' for more information.\n`), 1);
    const num = (v: string | undefined, opt: string): number | string => {
      if (v === undefined) return `option requires an argument -- '${opt}'`;
      if (!/^\d+$/.test(v)) return `invalid number "${v}" for -${opt} option`;
      if (Number(v) < 1) return `value ${v} for -${opt} option should be >= 1`;
      return Number(v);
    };
    while (args[0]?.startsWith('-') && args[0] !== '-') {
      const a = args.shift()!;
      if (a === '--') break;
      const long = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
      const opt = long ? ({ 'max-args': 'n', 'max-lines': 'L', replace: 'I', null: '0', delimiter: 'd', 'no-run-if-empty': 'r', verbose: 't', 'arg-file': 'a', 'max-procs': 'P', 'max-chars': 's', eof: 'E', interactive: 'p', exit: 'x' }[long[1]!] ?? '?') : a[1]!;
      const inline = long ? long[2] : a.length > 2 ? a.slice(2) : undefined;
      const value = (): string | undefined => inline ?? args.shift();
      switch (opt) {
        case 'n': {
          const n = num(value(), 'n');
          if (typeof n === 'string') return usage(n);
          maxArgs = n;
          break;
        }
        case 'L':
        case 'l': {
          const n = opt === 'l' && inline === undefined ? 1 : num(value(), 'L');
          if (typeof n === 'string') return usage(n);
          maxLines = n;
          break;
        }
        case 'I':
          replace = value();
          if (replace === undefined) return usage("option requires an argument -- 'I'");
          break;
        case 'i':
          replace = inline ?? '{}';
          break;
        case '0':
          delim = '\0';
          if (inline) args.unshift(`-${inline}`);
          break;
        case 'd': {
          const d = value();
          if (d === undefined) return usage("option requires an argument -- 'd'");
          delim = d === '\\n' ? '\n' : d === '\\t' ? '\t' : d === '\\0' ? '\0' : d[0] ?? '\n';
          break;
        }
        case 'r':
        case 't':
        case 'x':
        case 'p':
          if (opt === 'r') noEmpty = true;
          if (opt === 't' || opt === 'p') trace = true;
          if (inline) args.unshift(`-${inline}`);
          break;
        case 'a':
          file = value();
          break;
        case 'E':
        case 'e':
          eof = opt === 'e' ? inline : value();
          break;
        case 'P':
        case 's':
          value();
          break;
        default:
          return usage(long ? `unrecognized option '${a}'` : `invalid option -- '${opt}'`);
      }
    }
    let input = ctx.stdin;
    if (file !== undefined) {
      const d = ctx.sh.vfs.readFile(ctx.sh.resolve(file));
      if (typeof d === 'string') {
        ctx.err(`xargs: ${file}: ${FS_ERROR_TEXT[d]}\n`);
        return 1;
      }
      input = d;
    }
    const text = input.toString('utf8');
    let items: Item[];
    if (delim !== undefined) items = splitOn(text, delim);
    else if (replace !== undefined) {
      // -I takes whole lines, leading blanks dropped.
      items = text
        .split('\n')
        .map((l) => l.replace(/^[ \t]+/, ''))
        .filter((l) => l !== '')
        .slice(0, MAX_XARGS_ITEMS)
        .map((l) => ({ text: l, eol: true }));
    } else {
      const split = splitQuoted(text);
      if (typeof split === 'string') {
        ctx.err(`xargs: unmatched ${split} quote; by default quotes are special to xargs unless you use the -0 option\n`);
        return 1;
      }
      items = split;
    }
    if (eof !== undefined && eof !== '') {
      const end = items.findIndex((x) => x.text === eof);
      if (end >= 0) items = items.slice(0, end);
    }
    const command = args.length ? args : ['echo'];
    const runs: string[][] = [];
    if (replace !== undefined) {
      for (const it of items) runs.push(command.map((w) => w.split(replace!).join(it.text)));
    } else {
      let batch: string[] = [];
      let chars = command.reduce((n, w) => n + w.length + 1, 0);
      let lines = 0;
      for (const it of items) {
        if (batch.length > 0 && chars + it.text.length + 1 > XARGS_LINE_CHARS) {
          runs.push([...command, ...batch]);
          batch = [];
          chars = command.reduce((n, w) => n + w.length + 1, 0);
          lines = 0;
        }
        batch.push(it.text);
        chars += it.text.length + 1;
        if (it.eol) lines++;
        if ((maxArgs && batch.length >= maxArgs) || (maxLines && lines >= maxLines)) {
          runs.push([...command, ...batch]);
          batch = [];
          chars = command.reduce((n, w) => n + w.length + 1, 0);
          lines = 0;
        }
      }
      if (batch.length > 0) runs.push([...command, ...batch]);
    }
    // With no input GNU xargs still runs the command once, unless -r.
    if (runs.length === 0 && !noEmpty && replace === undefined) runs.push([...command]);
    const prog = command[0]!;
    if (runs.length > 0 && findProgram(ctx.sh, prog) === undefined) {
      ctx.err(`xargs: ${prog}: No such file or directory\n`);
      return 127;
    }
    let status = 0;
    for (const argv of runs.slice(0, MAX_XARGS_RUNS)) {
      if (trace) ctx.err(`${argv.join(' ')}\n`);
      // The command's stdin is /dev/null, as GNU xargs gives it.
      const s = (await ctx.sh.runProgram(argv, { stdin: Buffer.alloc(0), out: ctx.out, err: ctx.err })) ?? 127;
      if (ctx.sh.interrupted) return 130;
      if (s === 255) {
        ctx.err(`xargs: ${prog}: exited with status 255; aborting\n`);
        return 124;
      }
      if (s === 126 || s === 127) return s;
      if (s > 128) {
        ctx.err(`xargs: ${prog}: terminated by signal ${s - 128}\n`);
        return 125;
      }
      if (s !== 0) status = 123;
    }
    return status;
  },
};
