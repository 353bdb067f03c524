// awk: the subset attackers use in recon one-liners: -F, BEGIN/END, patterns (/re/, NR==n, $1=="x",
// $2~/re/), print with fields, NR, NF, $NF, string literals and commas; printf is mapped to print.
import type { CommandDef } from '../types.js';
import { formatPrintf } from './printf.js';
import { lines, parseOpts, readInputs, RegexBudget, safeRegExp } from './util.js';

interface Rule {
  when: 'BEGIN' | 'END' | 'each';
  pattern?: (fields: string[], nr: number) => boolean;
  actions: string;
  /** The actions compiled, once per program. */
  stmts?: Stmt[];
}

/** Longest awk program accepted. */
export const MAX_AWK_PROGRAM = 2048;

function splitTopLevel(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = false;
  let depth = 0;
  for (const c of s) {
    if (c === '"') quote = !quote;
    if (!quote && c === '(') depth++;
    if (!quote && c === ')') depth--;
    if (!quote && depth === 0 && sep.includes(c)) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function parseProgram(src: string, budget: RegexBudget): Rule[] | string {
  const rules: Rule[] = [];
  let s = src.trim();
  while (s.length) {
    const brace = s.indexOf('{');
    const head = (brace < 0 ? s : s.slice(0, brace)).trim();
    let body = '';
    if (brace >= 0) {
      let depth = 0;
      let end = -1;
      let quote = false;
      for (let i = brace; i < s.length; i++) {
        if (s[i] === '"' && s[i - 1] !== '\\') quote = !quote;
        if (quote) continue;
        if (s[i] === '{') depth++;
        if (s[i] === '}' && --depth === 0) {
          end = i;
          break;
        }
      }
      if (end < 0) return `awk: line 1: missing } near end of file`;
      body = s.slice(brace + 1, end);
      s = s.slice(end + 1).trim().replace(/^;/, '').trim();
    } else {
      body = 'print';
      s = '';
    }
    if (head === 'BEGIN') rules.push({ when: 'BEGIN', actions: body });
    else if (head === 'END') rules.push({ when: 'END', actions: body });
    else if (head === '') rules.push({ when: 'each', actions: body });
    else {
      const p = compilePattern(head, budget);
      if (typeof p === 'string') return p;
      rules.push({ when: 'each', pattern: p, actions: body });
    }
  }
  return rules;
}

/** S split at each top-level OP (`&&`, `||`): outside strings, regexes and parentheses. */
function splitLogical(s: string, op: string): string[] {
  const out: string[] = [];
  let start = 0;
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || (c === '/' && /(^|[&|!(~]\s*)$/.test(s.slice(0, i)))) quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && s.startsWith(op, i)) {
      out.push(s.slice(start, i).trim());
      start = i + op.length;
      i++;
    }
  }
  out.push(s.slice(start).trim());
  return out;
}

type Pattern = (f: string[], nr: number) => boolean;

/** A pattern: `a || b`, `a && b`, `!a` and `(a)` around the single tests compileTest knows. */
function compilePattern(head: string, budget: RegexBudget): Pattern | string {
  for (const op of ['||', '&&']) {
    const parts = splitLogical(head, op);
    if (parts.length < 2) continue;
    const each: Pattern[] = [];
    for (const part of parts) {
      const p = compilePattern(part, budget);
      if (typeof p === 'string') return p;
      each.push(p);
    }
    return op === '||' ? (f, nr) => each.some((p) => p(f, nr)) : (f, nr) => each.every((p) => p(f, nr));
  }
  if (head.startsWith('!') && !head.startsWith('!=')) {
    const p = compilePattern(head.slice(1).trim(), budget);
    return typeof p === 'string' ? p : (f, nr) => !p(f, nr);
  }
  if (head.startsWith('(') && head.endsWith(')') && splitLogical(head.slice(1, -1), ')').length === 1) return compilePattern(head.slice(1, -1).trim(), budget);
  return compileTest(head, budget);
}

function compileTest(head: string, budget: RegexBudget): Pattern | string {
  let m = /^\/(.*)\/$/.exec(head);
  if (m) {
    const re = safeRegExp(m[1]!, '', budget);
    if (typeof re === 'string') return `awk: line 1: syntax error at or near ${head}`;
    return (f) => re.test(f[0] ?? '');
  }
  m = /^\$(\d+|NF)\s*(!?~)\s*\/(.*)\/$/.exec(head);
  if (m) {
    const re = safeRegExp(m[3]!, '', budget);
    if (typeof re === 'string') return `awk: line 1: syntax error at or near ${head}`;
    const idx = m[1];
    const neg = m[2] === '!~';
    return (f) => re.test((idx === 'NF' ? f[f.length - 1] : f[Number(idx)]) ?? '') !== neg;
  }
  m = /^(F?NR|NF|\$\d+|\$NF)\s*(==|!=|>=|<=|>|<)\s*(.+)$/.exec(head);
  if (m) {
    const lhs = m[1]!;
    const op = m[2]!;
    const rhsRaw = m[3]!.trim();
    const rhs = rhsRaw.startsWith('"') ? rhsRaw.slice(1, -1) : rhsRaw;
    return (f, nr) => {
      const l = lhs === 'NR' || lhs === 'FNR' ? String(nr) : lhs === 'NF' ? String(f.length - 1) : lhs === '$NF' ? (f[f.length - 1] ?? '') : (f[Number(lhs.slice(1))] ?? '');
      const numeric = /^-?\d+(\.\d+)?$/.test(l) && /^-?\d+(\.\d+)?$/.test(rhs);
      const a: string | number = numeric ? Number(l) : l;
      const b: string | number = numeric ? Number(rhs) : rhs;
      switch (op) {
        case '==': return a === b;
        case '!=': return a !== b;
        case '>': return a > b;
        case '<': return a < b;
        case '>=': return a >= b;
        default: return a <= b;
      }
    };
  }
  return `awk: line 1: syntax error at or near ${head.slice(0, 20)}`;
}

/** An expression or statement compiled once for all records: fields, NR and the variables in. */
type Expr = (f: string[], nr: number, vars: Map<string, string>) => string;
type Stmt = (f: string[], nr: number, vars: Map<string, string>, ofs: string, out: (s: string) => void) => void;

/**
 * Compiled expressions of one program by source text. The program used to be re-parsed for every
 * record, with regexes quadratic in it: print with 2030 `+`s cost 3.8 ms a line.
 */
type ExprCache = Map<string, Expr>;

function compileExpr(e: string, cache: ExprCache): Expr {
  let x = cache.get(e);
  if (x === undefined) {
    x = parseExpr(e, cache);
    cache.set(e, x);
  }
  return x;
}

function parseExpr(e: string, cache: ExprCache): Expr {
  const t = e.trim();
  if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) {
    const v = t.slice(1, -1).replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\"/g, '"');
    return () => v;
  }
  if (t === 'NR' || t === 'FNR') return (_f, nr) => String(nr);
  if (t === 'NF') return (f) => String(f.length - 1);
  if (t === '$NF') return (f) => f[f.length - 1] ?? '';
  if (t === '$(NF-1)') return (f) => f[f.length - 2] ?? '';
  const field = /^\$(\d+)$/.exec(t);
  if (field) {
    const i = Number(field[1]);
    return (f) => f[i] ?? '';
  }
  if (/^-?\d+(\.\d+)?$/.test(t)) return () => t;
  const bin = splitBinary(t);
  if (bin) {
    const left = compileExpr(bin.left, cache);
    const right = compileExpr(bin.right, cache);
    const op = bin.op;
    return (f, nr, vars) => {
      const a = Number(left(f, nr, vars)) || 0;
      const b = Number(right(f, nr, vars)) || 0;
      const r = op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : b ? a / b : 0;
      return String(Math.round(r * 1e6) / 1e6);
    };
  }
  // Concatenation of adjacent terms: "x" $1 "y"
  const parts = t.match(/"(?:[^"\\]|\\.)*"|\$\(NF-1\)|\$\w+|[A-Za-z_]\w*|\d+/g);
  if (parts && parts.length > 1) {
    const terms = parts.map((p) => compileExpr(p, cache));
    return (f, nr, vars) => terms.map((x) => x(f, nr, vars)).join('');
  }
  return (_f, _nr, vars) => vars.get(t) ?? '';
}

const ARITH_OPS = '+-*/';

/**
 * T (trimmed) as `left op right` the way /^(\S+)\s*([-+*\/])\s*(\S+)$/ reads it (the rightmost
 * operator that leaves two whitespace-free operands), by one scan: the regex backtracked
 * quadratically on a run of operators.
 */
export function splitBinary(t: string): { left: string; op: string; right: string } | undefined {
  const n = t.length;
  const ws = (i: number): boolean => /\s/.test(t[i]!);
  let firstWs = 0;
  while (firstWs < n && !ws(firstWs)) firstWs++;
  let afterFirstRun = firstWs;
  while (afterFirstRun < n && ws(afterFirstRun)) afterFirstRun++;
  let lastWs = n - 1;
  while (lastWs >= 0 && !ws(lastWs)) lastWs--;
  let beforeLastRun = lastWs;
  while (beforeLastRun >= 0 && ws(beforeLastRun)) beforeLastRun--;
  for (let k = n - 2; k >= 1; k--) {
    if (!ARITH_OPS.includes(t[k]!)) continue;
    // Left of k: no whitespace, or only the first run of it, ending at k; right: the mirror.
    const leftOk = firstWs >= k || afterFirstRun === k;
    const rightOk = lastWs <= k || beforeLastRun === k;
    if (leftOk && rightOk && !ws(0) && !ws(n - 1)) return { left: t.slice(0, firstWs >= k ? k : firstWs), op: t[k]!, right: t.slice(lastWs <= k ? k + 1 : lastWs + 1) };
  }
  return undefined;
}

function compileStatement(s: string, cache: ExprCache): Stmt | undefined {
  if (s === 'print' || s === 'print $0') return (f, _nr, _vars, _ofs, out) => out(`${f[0] ?? ''}\n`);
  if (s.startsWith('printf')) {
    const args = splitTopLevel(s.replace(/^printf\s*\(?/, '').replace(/\)$/, ''), ',').map((a) => compileExpr(a, cache));
    return (f, nr, vars, _ofs, out) => {
      const v = args.map((x) => x(f, nr, vars));
      out(formatPrintf(v[0] ?? '', v.slice(1)).text);
    };
  }
  const print = /^print\s*\(?(.*?)\)?$/.exec(s);
  if (print) {
    const args = splitTopLevel(print[1]!, ',').map((a) => compileExpr(a, cache));
    return (f, nr, vars, ofs, out) => out(`${args.map((x) => x(f, nr, vars)).join(ofs)}\n`);
  }
  const set = /^([A-Za-z_]\w*)\s*(\+\+|\+=|=)\s*(.*)$/.exec(s);
  if (!set) return undefined;
  const [, name, op] = set as unknown as [string, string, string];
  const value = compileExpr(set[3]!, cache);
  return (f, nr, vars) => {
    const cur = Number(vars.get(name) ?? 0) || 0;
    if (op === '++') vars.set(name, String(cur + 1));
    else if (op === '+=') vars.set(name, String(cur + (Number(value(f, nr, vars)) || 0)));
    else vars.set(name, value(f, nr, vars));
  };
}

/** A rule's actions compiled once: its statements in order (the ones not understood do nothing). */
function compileActions(actions: string, cache: ExprCache): Stmt[] {
  const out: Stmt[] = [];
  for (const stmt of splitTopLevel(actions, ';\n')) {
    const s = stmt.trim();
    const c = s ? compileStatement(s, cache) : undefined;
    if (c) out.push(c);
  }
  return out;
}

function runActions(stmts: Stmt[], f: string[], nr: number, vars: Map<string, string>, ofs: string, out: (s: string) => void): void {
  for (const st of stmts) st(f, nr, vars, ofs, out);
}

/**
 * Work one awk may do: records times program characters (about 0.5 s); past it awk stops as out of
 * memory, like the matching budget. 2 KB programs run on 8192 records, `{print $1}` on 1.6 million.
 */
export const MAX_AWK_WORK = 2 ** 24;

export const awk: CommandDef = {
  names: ['awk', 'mawk', 'gawk'],
  run(ctx) {
    const o = parseOpts(ctx.args, ['F', 'v']);
    const [prog, ...files] = o.rest;
    if (prog === undefined) {
      ctx.err('usage: awk [-F value] [-v var=value] [--] \'program text\' [file ...]\n');
      return 2;
    }
    if (prog.length > MAX_AWK_PROGRAM) {
      ctx.err('awk: program too long\n');
      return 2;
    }
    const budget = new RegexBudget();
    const rules = parseProgram(prog, budget);
    if (typeof rules === 'string') {
      ctx.err(`${rules}\n`);
      return 2;
    }
    const cache: ExprCache = new Map();
    for (const r of rules) r.stmts = compileActions(r.actions, cache);
    const fs = o.values.get('F');
    const vars = new Map<string, string>();
    const v = o.values.get('v');
    if (v && v.includes('=')) vars.set(v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1));
    const { inputs, status } = readInputs(ctx, 'awk', files);
    let out = '';
    const emit = (s: string): void => {
      if (out.length < 4 * 1024 * 1024) out += s;
    };
    for (const r of rules) if (r.when === 'BEGIN') runActions(r.stmts!, [''], 0, vars, ' ', emit);
    let nr = 0;
    let work = 0;
    let last: string[] = [''];
    for (const inp of inputs)
      for (const l of lines(inp.data.toString('utf8'))) {
        if (budget.exhausted) break;
        work += prog.length;
        if (work > MAX_AWK_WORK) {
          budget.exhausted = true;
          break;
        }
        nr++;
        const fields = [l, ...(fs === undefined || fs === ' ' ? l.trim().split(/\s+/).filter(Boolean) : l.split(fs === '\\t' ? '\t' : fs))];
        last = fields;
        for (const r of rules) if (r.when === 'each' && (!r.pattern || r.pattern(fields, nr))) runActions(r.stmts!, fields, nr, vars, ' ', emit);
      }
    if (budget.exhausted) {
      ctx.out(out);
      ctx.err('awk: out of memory\n');
      return 2;
    }
    for (const r of rules) if (r.when === 'END') runActions(r.stmts!, last, nr, vars, ' ', emit);
    ctx.out(out);
    return status;
  },
};
