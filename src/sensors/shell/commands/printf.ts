// printf: formats %s %d %i %x %X %o %c %b %% with widths, reusing the format for extra arguments.
import type { CommandDef } from '../types.js';
import { echoEscapes, textBytes } from './echo.js';

/** Most times the format is reused for leftover arguments. */
const MAX_ROUNDS = 1000;

export function formatPrintf(fmt: string, args: string[]): { text: string; error?: string } {
  let out = '';
  let ai = 0;
  let error: string | undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let consumed = false;
    for (let i = 0; i < fmt.length; i++) {
      const c = fmt[i]!;
      if (c === '\\') {
        const seq = /^\\(?:[0-7]{1,3}|x[0-9a-fA-F]{1,2}|.)/.exec(fmt.slice(i))![0];
        out += echoEscapes(seq).text;
        i += seq.length - 1;
        continue;
      }
      if (c !== '%') {
        out += c;
        continue;
      }
      const m = /^%([-+ #0]*)(\d+|\*)?(?:\.(\d+))?([sdiouxXcbfeg%])/.exec(fmt.slice(i));
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
        case 'b':
          s = echoEscapes(arg).text;
          break;
        case 'f':
        case 'e':
        case 'g':
          s = (Number.parseFloat(arg) || 0).toFixed(m[3] !== undefined ? Number(m[3]) : 6);
          break;
        default:
          s = m[3] !== undefined ? arg.slice(0, Number(m[3])) : arg;
      }
      const width = m[2] === '*' ? 0 : Number(m[2] ?? 0);
      if (width > s.length) s = m[1]!.includes('-') ? s.padEnd(width) : s.padStart(width, m[1]!.includes('0') && conv !== 's' ? '0' : ' ');
      out += s;
    }
    if (!consumed || ai >= args.length) break;
  }
  return error ? { text: out, error } : { text: out };
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
