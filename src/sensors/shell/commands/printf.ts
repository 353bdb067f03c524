// printf: formats %s %d %i %x %X %o %c %b %% with widths, reusing the format for extra arguments.
import type { CommandDef } from '../types.js';
import { echoEscapes, textBytes } from './echo.js';

/** Most times the format is reused for leftover arguments. */
const MAX_ROUNDS = 1000;
/**
 * Widest field and longest precision: `printf '%500000000s' x` built (and sent) 500 MB for a
 * 20-byte command. A larger width or precision is taken as this one.
 */
export const MAX_PRINTF_WIDTH = 1024 * 1024;
/** Characters one printf formats; the rest is dropped (more than a pipe or the terminal keeps). */
export const MAX_PRINTF_CHARS = 4 * 1024 * 1024;
/**
 * Format characters one printf walks over all its rounds (about 0.1 s): each round re-walks the
 * whole format, and 50 rounds of a 1 MiB format took 1.85 s. Past it the rounds stop.
 */
export const MAX_PRINTF_WORK = 16 * 1024 * 1024;
/** Most digits toFixed gives after the point (it throws past this). */
const MAX_FRACTION_DIGITS = 100;

/** An escape at the start of a format (`\\` then octal, hex or any one character, or alone at the end). */
const ESCAPE = /\\(?:[0-7]{1,3}|x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[^])?/y;

/**
 * One escape of a format as bash's printf reads it: \NNN octal (no leading 0 needed), \uHHHH and
 * \UHHHHHHHH as UTF-8 (kept as bytes, one character each, for textBytes), the rest as echo -e.
 */
function formatEscape(seq: string): { text: string; stop: boolean } {
  if (/^\\[0-7]{1,3}$/.test(seq)) return { text: String.fromCharCode(parseInt(seq.slice(1), 8) & 0xff), stop: false };
  if (/^\\[uU][0-9a-fA-F]+$/.test(seq)) {
    const cp = parseInt(seq.slice(2), 16);
    return { text: cp <= 0x10ffff ? Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1') : '', stop: false };
  }
  return echoEscapes(seq);
}

/** %b's argument: echo -e's escapes, and \NNN octal too (bash takes both \0NNN and \NNN there). */
function argEscapes(arg: string): { text: string; stop: boolean } {
  return echoEscapes(arg.replace(/\\(\\|[1-7][0-7]{0,2})/g, (m, d: string) => (d === '\\' ? m : `\\0${d}`)));
}
/**
 * A conversion spec. The width cannot start with 0, which is a flag: with `(\d+)` after `[0#]*`
 * a run of 40,000 zeros backtracked quadratically (6.2 s).
 */
const CONVERSION = /%([-+ #0]*)([1-9]\d*|\*)?(?:\.(\d+))?([sdiouxXcbfeg%])/y;

/** The match of the sticky RE at I of S. */
function execAt(re: RegExp, s: string, i: number): RegExpExecArray | null {
  re.lastIndex = i;
  return re.exec(s);
}

export function formatPrintf(fmt: string, args: string[]): { text: string; error?: string } {
  let out = '';
  let ai = 0;
  let error: string | undefined;
  let stopped = false; // \c: no further output, as bash
  const rounds = Math.min(MAX_ROUNDS, Math.max(1, Math.floor(MAX_PRINTF_WORK / Math.max(1, fmt.length))));
  for (let round = 0; round < rounds && !stopped && out.length < MAX_PRINTF_CHARS; round++) {
    let consumed = false;
    for (let i = 0; i < fmt.length && out.length < MAX_PRINTF_CHARS; i++) {
      const c = fmt[i]!;
      if (c === '\\') {
        const seq = execAt(ESCAPE, fmt, i)![0];
        const e = formatEscape(seq);
        out += e.text;
        if (e.stop) {
          stopped = true;
          break;
        }
        i += seq.length - 1;
        continue;
      }
      if (c !== '%') {
        out += c;
        continue;
      }
      const m = execAt(CONVERSION, fmt, i);
      if (!m) {
        out += c;
        continue;
      }
      i += m[0].length - 1;
      const conv = m[4]!;
      if (conv === '%') {
        out += '%';
        continue;
      }
      consumed = true;
      const arg = args[ai++] ?? '';
      const precision = m[3] === undefined ? undefined : Math.min(Number(m[3]), MAX_PRINTF_WIDTH);
      let s: string;
      switch (conv) {
        case 'd':
        case 'i':
        case 'u': {
          const n = arg === '' ? 0 : Number.parseInt(arg, arg.startsWith('0x') ? 16 : 10);
          if (Number.isNaN(n)) {
            error = `printf: ${arg}: invalid number\n`;
            s = '0';
          } else s = String(n);
          break;
        }
        case 'x':
          s = (Number.parseInt(arg || '0', 10) || 0).toString(16);
          break;
        case 'X':
          s = (Number.parseInt(arg || '0', 10) || 0).toString(16).toUpperCase();
          break;
        case 'o':
          s = (Number.parseInt(arg || '0', 10) || 0).toString(8);
          break;
        case 'c':
          s = arg.slice(0, 1);
          break;
        case 'b': {
          const e = argEscapes(arg);
          s = e.text;
          stopped = e.stop;
          break;
        }
        case 'f':
        case 'e':
        case 'g':
          s = fixed(Number.parseFloat(arg) || 0, precision ?? 6);
          break;
        default:
          s = precision !== undefined ? arg.slice(0, precision) : arg;
      }
      const width = m[2] === '*' ? 0 : Math.min(Number(m[2] ?? 0), MAX_PRINTF_WIDTH);
      if (width > s.length) s = m[1]!.includes('-') ? s.padEnd(width) : s.padStart(width, m[1]!.includes('0') && conv !== 's' ? '0' : ' ');
      out += s;
      if (stopped) break;
    }
    if (!consumed || ai >= args.length) break;
  }
  if (out.length > MAX_PRINTF_CHARS) out = out.slice(0, MAX_PRINTF_CHARS);
  return error ? { text: out, error } : { text: out };
}

/** N with DIGITS after the point; past what toFixed gives, the rest are zeros (as the digits of a double are). */
function fixed(n: number, digits: number): string {
  const s = n.toFixed(Math.min(digits, MAX_FRACTION_DIGITS));
  return digits > MAX_FRACTION_DIGITS && Number.isFinite(n) ? s + '0'.repeat(digits - MAX_FRACTION_DIGITS) : s;
}

export const printf: CommandDef = {
  names: ['printf'],
  run(ctx) {
    const args = ctx.args[0] === '--' ? ctx.args.slice(1) : ctx.args;
    if (args.length === 0) {
      ctx.err('printf: usage: printf [-v var] format [arguments]\n');
      return 2;
    }
    const r = formatPrintf(args[0]!, args.slice(1));
    ctx.out(textBytes(r.text));
    if (r.error) {
      ctx.err(r.error);
      return 1;
    }
    return 0;
  },
};
