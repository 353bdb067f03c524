// echo: bash's builtin, with -n, -e (backslash escapes, \c, octal and hex) and -E.
import type { CommandDef } from '../types.js';

/** Interprets echo -e / printf %b escapes; returns the text and whether \c stopped output. */
export function echoEscapes(s: string): { text: string; stop: boolean } {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\' || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const n = s[++i]!;
    const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v', '\\': '\\' };
    if (map[n] !== undefined) out += map[n];
    else if (n === 'c') return { text: out, stop: true };
    else if (n === '0') {
      const m = /^[0-7]{0,3}/.exec(s.slice(i + 1, i + 4))!;
      out += String.fromCharCode(parseInt(m[0] || '0', 8) & 0xff);
      i += m[0].length;
    } else if (n === 'x') {
      const m = /^[0-9a-fA-F]{1,2}/.exec(s.slice(i + 1, i + 3));
      if (m) {
        out += String.fromCharCode(parseInt(m[0], 16));
        i += m[0].length;
      } else out += '\\x';
    } else out += `\\${n}`;
  }
  return { text: out, stop: false };
}

/** Text made by escapes: \xNN and octal escapes stand for bytes (droppers write binaries this way). */
export function textBytes(s: string): string | Buffer {
  if (/[\u0100-\uffff]/.test(s) || !/[\x80-\xff]/.test(s)) return s;
  return Buffer.from(s, 'latin1');
}

export const echo: CommandDef = {
  names: ['echo'],
  run(ctx) {
    let newline = true;
    let escapes = false;
    let i = 0;
    for (; i < ctx.args.length; i++) {
      const a = ctx.args[i]!;
      if (!/^-[neE]+$/.test(a)) break;
      for (const c of a.slice(1)) {
        if (c === 'n') newline = false;
        else if (c === 'e') escapes = true;
        else escapes = false;
      }
    }
    let text = ctx.args.slice(i).join(' ');
    if (escapes) {
      const r = echoEscapes(text);
      text = r.text;
      if (r.stop) newline = false;
    }
    const full = newline ? `${text}\n` : text;
    ctx.out(escapes ? textBytes(full) : full);
    return 0;
  },
};
