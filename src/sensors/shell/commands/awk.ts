// awk: the subset attackers use in recon one-liners: -F, BEGIN/END, patterns (/re/, NR==n, $1=="x",
// $2~/re/), print with fields, NR, NF, $NF, string literals and commas; printf is mapped to print.
import type { CommandDef } from '../types.js';
import { formatPrintf } from './printf.js';
import { lines, parseOpts, readInputs, RegexBudget, safeRegExp } from './util.js';

interface Rule {
  when: 'BEGIN' | 'END' | 'each';
  pattern?: (fields: string[], nr: number) => boolean;
  actions: string;
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

function compilePattern(head: string, budget: RegexBudget): ((f: string[], nr: number) => boolean) | string {
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

function evalExpr(e: string, f: string[], nr: number, vars: Map<string, string>): string {
  const t = e.trim();
  if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) return t.slice(1, -1).replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\"/g, '"');
  if (t === 'NR' || t === 'FNR') return String(nr);
  if (t === 'NF') return String(f.length - 1);
  if (t === '$NF') return f[f.length - 1] ?? '';
  if (t === '$(NF-1)') return f[f.length - 2] ?? '';
  let m = /^\$(\d+)$/.exec(t);
  if (m) return f[Number(m[1])] ?? '';
  if (/^-?\d+(\.\d+)?$/.test(t)) return t;
  m = /^(\S+)\s*([-+*/])\s*(\S+)$/.exec(t);
  if (m) {
    const a = Number(evalExpr(m[1]!, f, nr, vars)) || 0;
    const b = Number(evalExpr(m[3]!, f, nr, vars)) || 0;
    const r = m[2] === '+' ? a + b : m[2] === '-' ? a - b : m[2] === '*' ? a * b : b ? a / b : 0;
    return String(Math.round(r * 1e6) / 1e6);
  }
  // Concatenation of adjacent terms: "x" $1 "y"
  const parts = t.match(/"(?:[^"\\]|\\.)*"|\$\(NF-1\)|\$\w+|[A-Za-z_]\w*|\d+/g);
  if (parts && parts.length > 1) return parts.map((p) => evalExpr(p, f, nr, vars)).join('');
  return vars.get(t) ?? '';
}

function runActions(actions: string, f: string[], nr: number, vars: Map<string, string>, ofs: string, out: (s: string) => void): void {
  for (const stmt of splitTopLevel(actions, ';\n')) {
    const s = stmt.trim();
    if (!s) continue;
    let m = /^print\s*\(?(.*?)\)?$/.exec(s);
    if (s === 'print' || s === 'print $0') {
      out(`${f[0] ?? ''}\n`);
      continue;
    }
    if (s.startsWith('printf')) {
      const args = splitTopLevel(s.replace(/^printf\s*\(?/, '').replace(/\)$/, ''), ',').map((a) => evalExpr(a, f, nr, vars));
      out(formatPrintf(args[0] ?? '', args.slice(1)).text);
      continue;
    }
    if (m) {
      out(`${splitTopLevel(m[1]!, ',').map((a) => evalExpr(a, f, nr, vars)).join(ofs)}\n`);
      continue;
    }
    m = /^([A-Za-z_]\w*)\s*(\+\+|\+=|=)\s*(.*)$/.exec(s);
    if (m) {
      const cur = Number(vars.get(m[1]!) ?? 0) || 0;
      if (m[2] === '++') vars.set(m[1]!, String(cur + 1));
      else if (m[2] === '+=') vars.set(m[1]!, String(cur + (Number(evalExpr(m[3]!, f, nr, vars)) || 0)));
      else vars.set(m[1]!, evalExpr(m[3]!, f, nr, vars));
    }
  }
}

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
    const fs = o.values.get('F');
    const vars = new Map<string, string>();
    const v = o.values.get('v');
    if (v && v.includes('=')) vars.set(v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1));
    const { inputs, status } = readInputs(ctx, 'awk', files);
    let out = '';
    const emit = (s: string): void => {
      if (out.length < 4 * 1024 * 1024) out += s;
    };
    for (const r of rules) if (r.when === 'BEGIN') runActions(r.actions, [''], 0, vars, ' ', emit);
    let nr = 0;
    let last: string[] = [''];
    for (const inp of inputs)
      for (const l of lines(inp.data.toString('utf8'))) {
        if (budget.exhausted) break;
        nr++;
        const fields = [l, ...(fs === undefined || fs === ' ' ? l.trim().split(/\s+/).filter(Boolean) : l.split(fs === '\\t' ? '\t' : fs))];
        last = fields;
        for (const r of rules) if (r.when === 'each' && (!r.pattern || r.pattern(fields, nr))) runActions(r.actions, fields, nr, vars, ' ', emit);
      }
    if (budget.exhausted) {
      ctx.out(out);
      ctx.err('awk: out of memory\n');
      return 2;
    }
    for (const r of rules) if (r.when === 'END') runActions(r.actions, last, nr, vars, ' ', emit);
    ctx.out(out);
    return status;
  },
};
