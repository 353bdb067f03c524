// $(( ... )) arithmetic: integers, variables, + - * / % ** << >> & | ^ comparisons, && || ! ~ and
// parentheses. Pure, bounded, never throws: a bad expression yields an error message as bash prints it.

export const MAX_ARITH_CHARS = 1024;
export const MAX_ARITH_DEPTH = 64;

type Tok = { k: 'num'; v: bigint } | { k: 'op'; v: string } | { k: 'name'; v: string };

const OPS = ['**', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '+', '-', '*', '/', '%', '<', '>', '&', '|', '^', '!', '~', '(', ')'];

function tokenize(s: string): Tok[] | string {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const based = /^([0-9]+)#([0-9A-Za-z@_]*)/.exec(s.slice(i, i + 80));
    if (based) {
      const v = baseNumber(Number(based[1]), based[2]!);
      if (typeof v === 'string') return `${v} (error token is "${based[0]}")`;
      out.push({ k: 'num', v });
      i += based[0].length;
      continue;
    }
    const num = /^(0[xX][0-9a-fA-F]+|[0-9]+)/.exec(s.slice(i, i + 40));
    if (num) {
      try {
        out.push({ k: 'num', v: BigInt(num[0].startsWith('0') && num[0].length > 1 && !/^0[xX]/.test(num[0]) ? `0o${num[0].slice(1)}` : num[0]) });
      } catch {
        return `${num[0]}: value too great for base`;
      }
      i += num[0].length;
      continue;
    }
    const name = /^\$?[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i, i + 256));
    if (name) {
      out.push({ k: 'name', v: name[0].replace(/^\$/, '') });
      i += name[0].length;
      continue;
    }
    const op = OPS.find((o) => s.startsWith(o, i));
    if (!op) return `syntax error: invalid arithmetic operator (error token is "${s.slice(i)}")`;
    out.push({ k: 'op', v: op });
    i += op.length;
  }
  return out;
}

/** DIGITS in bash's BASE#NUM form (base 2 to 64: 0-9, a-z, A-Z, @, _; letters either case up to base 36). */
function baseNumber(base: number, digits: string): bigint | string {
  if (base < 2 || base > 64) return 'invalid arithmetic base';
  if (digits === '') return 'invalid integer constant';
  let v = 0n;
  for (const ch of digits) {
    let d: number;
    if (/[0-9]/.test(ch)) d = Number(ch);
    else if (/[a-z]/.test(ch)) d = ch.charCodeAt(0) - 87;
    else if (/[A-Z]/.test(ch)) d = base <= 36 ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 29;
    else d = ch === '@' ? 62 : 63;
    if (d >= base) return 'value too great for base';
    v = wrap(v * BigInt(base) + BigInt(d));
  }
  return v;
}

const BINARY: Record<string, number> = { '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '>': 7, '<=': 7, '>=': 7, '<<': 8, '>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10, '**': 11 };
const MASK = (1n << 64n) - 1n;
const wrap = (v: bigint): bigint => BigInt.asIntN(64, v & MASK);

/** Evaluates EXPR with variables from LOOKUP; returns the value or an error string. */
export function evalArith(expr: string, lookup: (name: string) => string | undefined): bigint | string {
  if (expr.length > MAX_ARITH_CHARS) return 'expression too long';
  const toks = tokenize(expr);
  if (typeof toks === 'string') return toks;
  if (toks.length === 0) return 0n;
  let pos = 0;
  const fail = (m: string): never => {
    throw new Error(m);
  };
  const primary = (depth: number): bigint => {
    if (depth > MAX_ARITH_DEPTH) fail('expression nested too deeply');
    const t = toks[pos++];
    if (!t) return fail('syntax error: operand expected');
    if (t.k === 'num') return t.v;
    if (t.k === 'name') {
      const raw = (lookup(t.v) ?? '').trim();
      if (raw === '') return 0n;
      return /^-?[0-9]+$/.test(raw) ? wrap(BigInt(raw)) : 0n;
    }
    if (t.v === '(') {
      const v = binary(0, depth + 1);
      const close = toks[pos++];
      if (!close || close.v !== ')') fail('syntax error: missing `)\'');
      return v;
    }
    if (t.v === '-') return wrap(-primary(depth + 1));
    if (t.v === '+') return primary(depth + 1);
    if (t.v === '!') return primary(depth + 1) === 0n ? 1n : 0n;
    if (t.v === '~') return wrap(~primary(depth + 1));
    return fail(`syntax error: operand expected (error token is "${t.v}")`);
  };
  const binary = (minPrec: number, depth: number): bigint => {
    let left = primary(depth);
    for (;;) {
      const t = toks[pos];
      if (!t || t.k !== 'op') break;
      const prec = BINARY[t.v];
      if (prec === undefined || prec < minPrec) break;
      pos++;
      const right = binary(t.v === '**' ? prec : prec + 1, depth + 1);
      left = apply(t.v, left, right);
    }
    return left;
  };
  const apply = (op: string, a: bigint, b: bigint): bigint => {
    switch (op) {
      case '+': return wrap(a + b);
      case '-': return wrap(a - b);
      case '*': return wrap(a * b);
      case '/': return b === 0n ? fail('division by 0 (error token is "0")') : wrap(a / b);
      case '%': return b === 0n ? fail('division by 0 (error token is "0")') : wrap(a % b);
      case '**': return b < 0n ? fail('exponent less than 0') : b > 64n ? (a === 0n || a === 1n ? a : 0n) : wrap(a ** b);
      case '<<': return wrap(a << (b & 63n));
      case '>>': return wrap(a >> (b & 63n));
      case '&': return a & b;
      case '|': return a | b;
      case '^': return a ^ b;
      case '<': return a < b ? 1n : 0n;
      case '>': return a > b ? 1n : 0n;
      case '<=': return a <= b ? 1n : 0n;
      case '>=': return a >= b ? 1n : 0n;
      case '==': return a === b ? 1n : 0n;
      case '!=': return a !== b ? 1n : 0n;
      case '&&': return a !== 0n && b !== 0n ? 1n : 0n;
      case '||': return a !== 0n || b !== 0n ? 1n : 0n;
    }
    return fail('syntax error');
  };
  try {
    const v = binary(0, 0);
    if (pos < toks.length) {
      const t = toks[pos]!;
      return `syntax error in expression (error token is "${t.k === 'num' ? t.v.toString() : t.v}")`;
    }
    return v;
  } catch (err) {
    return (err as Error).message;
  }
}
