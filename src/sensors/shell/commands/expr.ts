// expr (GNU coreutils 9.1): arithmetic on arbitrary-size integers, comparisons, `:`/match with an
// anchored basic regular expression, substr, index, length; exit 0, 1 for a null or 0 result, 2 for
// a syntax error (or a bad regex, a division by zero, a non-integer argument).
import type { CommandDef } from '../types.js';
import { breToJs } from './grep.js';
import { safeRegExp } from './util.js';

/** Parentheses nested deeper than this are refused (each level is a recursion of the evaluator). */
export const MAX_EXPR_DEPTH = 200;
/** Integers with more digits than this are refused as out of range (no huge products). */
export const MAX_EXPR_DIGITS = 4096;

type Value = bigint | string;

class ExprError extends Error {
  constructor(readonly text: string) {
    super(text);
  }
}

const q = (s: string): string => `‘${s}’`;
const INTEGER = /^-?\d+$/;

function isNull(v: Value): boolean {
  if (typeof v === 'bigint') return v === 0n;
  return v === '' || /^-?0+$/.test(v);
}

function toInt(v: Value): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (!INTEGER.test(v)) return undefined;
  if (v.length > MAX_EXPR_DIGITS) throw new ExprError('expr: Numerical result out of range');
  return BigInt(v);
}

function str(v: Value): string {
  return typeof v === 'bigint' ? v.toString() : v;
}

/** How a basic regular expression's \( \) and \{ pair up: glibc's error when they do not, and whether it has a group. */
function bracketing(src: string): { error?: string; grouped: boolean } {
  let open = 0;
  let braces = 0;
  let grouped = false;
  for (let i = 0; i < src.length; i++) {
    if (src[i] !== '\\') continue;
    const n = src[++i];
    if (n === '(') {
      open++;
      grouped = true;
    } else if (n === ')' && --open < 0) return { error: 'Unmatched ) or \\)', grouped };
    else if (n === '{') braces++;
    else if (n === '}' && braces > 0) braces--;
  }
  if (open > 0) return { error: 'Unmatched ( or \\(', grouped };
  if (braces > 0) return { error: 'Unmatched \\{', grouped };
  return { grouped };
}

/** STRING : REGEX: the first group matched (or ''), else the number of characters matched. */
function match(s: string, pattern: string): Value {
  const b = bracketing(pattern);
  if (b.error !== undefined) throw new ExprError(`expr: ${b.error}`);
  const re = safeRegExp(`^(?:${breToJs(pattern.replace(/^\*/, '\\*'))})`);
  if (re === 'too-big') throw new ExprError('expr: Regular expression too big');
  if (re === 'invalid') throw new ExprError('expr: Invalid regular expression');
  let groups: string[] | undefined;
  re.replaceEach(s, false, (g) => {
    groups = g;
    return undefined;
  });
  if (b.grouped) return groups?.[1] ?? '';
  return BigInt(groups ? [...groups[0]!].length : 0);
}

class Parser {
  private i = 0;
  private depth = 0;

  constructor(private readonly args: readonly string[]) {}

  get done(): boolean {
    return this.i >= this.args.length;
  }

  get next(): string | undefined {
    return this.args[this.i];
  }

  private take(tok: string): boolean {
    if (this.args[this.i] === tok) {
      this.i++;
      return true;
    }
    return false;
  }

  /** The argument an operator needs, or "missing argument after" the one before it. */
  private needArg(): void {
    if (this.done) throw new ExprError(`expr: syntax error: missing argument after ${q(this.args[this.i - 1] ?? '')}`);
  }

  or(ev: boolean): Value {
    let l = this.and(ev);
    while (this.take('|')) {
      const r = this.and(ev && isNull(l));
      if (ev && isNull(l)) l = isNull(r) ? 0n : r;
    }
    return l;
  }

  private and(ev: boolean): Value {
    let l = this.compare(ev);
    while (this.take('&')) {
      const r = this.compare(ev && !isNull(l));
      if (ev && (isNull(l) || isNull(r))) l = 0n;
    }
    return l;
  }

  private compare(ev: boolean): Value {
    let l = this.additive(ev);
    for (;;) {
      const op = ['<', '<=', '=', '==', '!=', '>=', '>'].find((o) => this.next === o);
      if (op === undefined) return l;
      this.i++;
      const r = this.additive(ev);
      if (!ev) continue;
      const a = toInt(l);
      const b = toInt(r);
      const c = a !== undefined && b !== undefined ? (a < b ? -1 : a > b ? 1 : 0) : str(l) < str(r) ? -1 : str(l) > str(r) ? 1 : 0;
      const t = op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '=' || op === '==' ? c === 0 : op === '!=' ? c !== 0 : op === '>=' ? c >= 0 : c > 0;
      l = t ? 1n : 0n;
    }
  }

  private arith(l: Value, r: Value, op: string): bigint {
    const a = toInt(l);
    const b = toInt(r);
    if (a === undefined || b === undefined) throw new ExprError('expr: non-integer argument');
    if ((op === '/' || op === '%') && b === 0n) throw new ExprError('expr: division by zero');
    const v = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : op === '/' ? a / b : a % b;
    if (v.toString().length > MAX_EXPR_DIGITS) throw new ExprError('expr: Numerical result out of range');
    return v;
  }

  private additive(ev: boolean): Value {
    return this.arithLevel(['+', '-'], ev, (e) => this.multiplicative(e));
  }

  private multiplicative(ev: boolean): Value {
    return this.arithLevel(['*', '/', '%'], ev, (e) => this.colon(e));
  }

  /** One left-associative level of arithmetic: OPS between operands parsed by TIGHTER. */
  private arithLevel(ops: string[], ev: boolean, tighter: (ev: boolean) => Value): Value {
    let l = tighter(ev);
    while (this.next !== undefined && ops.includes(this.next)) {
      const op = this.args[this.i++]!;
      const r = tighter(ev);
      if (ev) l = this.arith(l, r, op);
    }
    return l;
  }

  private colon(ev: boolean): Value {
    let l = this.unary(ev);
    while (this.take(':')) {
      const r = this.unary(ev);
      if (ev) l = match(str(l), str(r));
    }
    return l;
  }

  private unary(ev: boolean): Value {
    this.needArg();
    if (this.take('+')) {
      this.needArg();
      return this.args[this.i++]!;
    }
    if (this.take('length')) {
      const s = this.unary(ev);
      return BigInt([...str(s)].length);
    }
    if (this.take('match')) {
      const s = this.unary(ev);
      const r = this.unary(ev);
      return ev ? match(str(s), str(r)) : 0n;
    }
    if (this.take('index')) {
      const s = [...str(this.unary(ev))];
      const chars = str(this.unary(ev));
      const at = s.findIndex((c) => chars.includes(c));
      return BigInt(at + 1);
    }
    if (this.take('substr')) {
      const s = [...str(this.unary(ev))];
      const pos = toIntOrNone(this.unary(ev));
      const len = toIntOrNone(this.unary(ev));
      if (pos === undefined || len === undefined || pos < 1n || len < 1n || pos > BigInt(s.length)) return '';
      const from = Number(pos) - 1;
      return s.slice(from, from + Number(len > BigInt(s.length) ? BigInt(s.length) : len)).join('');
    }
    return this.primary(ev);
  }

  private primary(ev: boolean): Value {
    this.needArg();
    if (this.take('(')) {
      if (++this.depth > MAX_EXPR_DEPTH) throw new ExprError('expr: memory exhausted');
      this.needArg();
      const v = this.or(ev);
      this.depth--;
      if (this.done) throw new ExprError(`expr: syntax error: expecting ')' after ${q(this.args[this.i - 1]!)}`);
      if (!this.take(')')) throw new ExprError(`expr: syntax error: expecting ')' instead of ${q(this.next!)}`);
      return v;
    }
    if (this.next === ')') throw new ExprError("expr: syntax error: unexpected ')'");
    return this.args[this.i++]!;
  }
}

function toIntOrNone(v: Value): bigint | undefined {
  try {
    return toInt(v);
  } catch {
    return undefined;
  }
}

const HELP = `Usage: expr EXPRESSION
  or:  expr OPTION

      --help        display this help and exit
      --version     output version information and exit

Print the value of EXPRESSION to standard output.  A blank line below
separates increasing precedence groups.  EXPRESSION may be:

  ARG1 | ARG2       ARG1 if it is neither null nor 0, otherwise ARG2

  ARG1 & ARG2       ARG1 if neither argument is null or 0, otherwise 0

  ARG1 < ARG2       ARG1 is less than ARG2
  ARG1 <= ARG2      ARG1 is less than or equal to ARG2
  ARG1 = ARG2       ARG1 is equal to ARG2
  ARG1 != ARG2      ARG1 is unequal to ARG2
  ARG1 >= ARG2      ARG1 is greater than or equal to ARG2
  ARG1 > ARG2       ARG1 is greater than ARG2

  ARG1 + ARG2       arithmetic sum of ARG1 and ARG2
  ARG1 - ARG2       arithmetic difference of ARG1 and ARG2

  ARG1 * ARG2       arithmetic product of ARG1 and ARG2
  ARG1 / ARG2       arithmetic quotient of ARG1 divided by ARG2
  ARG1 % ARG2       arithmetic remainder of ARG1 divided by ARG2

  STRING : REGEXP   anchored pattern match of REGEXP in STRING

  match STRING REGEXP        same as STRING : REGEXP
  substr STRING POS LENGTH   substring of STRING, POS counted from 1
  index STRING CHARS         index in STRING where any CHARS is found, or 0
  length STRING              length of STRING
  + TOKEN                    interpret TOKEN as a string, even if it is a
                               keyword like 'match' or an operator like '/'

  ( EXPRESSION )             value of EXPRESSION

Beware that many operators need to be escaped or quoted for shells.
Comparisons are arithmetic if both ARGs are numbers, else lexicographical.
Pattern matches return the string matched between \\( and \\) or null; if
\\( and \\) are not used, they return the number of characters matched or 0.

Exit status is 0 if EXPRESSION is neither null nor 0, 1 if EXPRESSION is null
or 0, 2 if EXPRESSION is syntactically invalid, and 3 if an error occurred.

GNU coreutils online help: <https://www.gnu.org/software/coreutils/>
Full documentation <https://www.gnu.org/software/coreutils/expr>
or available locally via: info '(coreutils) expr invocation'
`;

const VERSION = `expr (GNU coreutils) 9.1
Copyright (C) 2022 Free Software Foundation, Inc.
License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.
This is free software: you are free to change and redistribute it.
There is NO WARRANTY, to the extent permitted by law.

Written by Mike Parker, James Youngman, and Paul Eggert.
`;

export const expr: CommandDef = {
  names: ['expr'],
  run(ctx) {
    let args = ctx.args;
    if (args.length === 1 && args[0] === '--help') return ctx.out(HELP), 0;
    if (args.length === 1 && args[0] === '--version') return ctx.out(VERSION), 0;
    if (args[0] === '--') args = args.slice(1);
    if (args.length === 0) {
      ctx.err("expr: missing operand\nTry 'expr --help' for more information.\n");
      return 2;
    }
    try {
      const p = new Parser(args);
      const v = p.or(true);
      if (!p.done) throw new ExprError(`expr: syntax error: unexpected argument ${q(p.next!)}`);
      ctx.out(`${str(v)}\n`);
      return isNull(v) ? 1 : 0;
    } catch (e) {
      if (!(e instanceof ExprError)) throw e;
      ctx.err(`${e.text}\n`);
      return 2;
    }
  },
};
