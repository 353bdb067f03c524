// What `python3 -c CODE` (or a script) prints when CODE is made of the simple statements the fake
// shell can follow without running anything: print() of literals, arithmetic and concatenation,
// assignments, imports of the standard library, os.system() (run by the fake shell). Past the first
// statement it cannot follow (a socket, a loop) it goes quiet, as a program that connects out
// would; syntax errors, unknown names and bad operands fail as CPython 3.11 reports them.

/** Code longer than this is not looked at (it runs quietly). */
export const MAX_SNIPPET_CHARS = 64 * 1024;
/** Longest string a snippet may build (repetition, concatenation); past it the snippet goes quiet. */
export const MAX_SNIPPET_STRING = 1 << 20;

type Value = { t: 'int'; v: bigint } | { t: 'float'; v: number } | { t: 'str'; v: string } | { t: 'bool'; v: boolean } | { t: 'none' };
type Tok = { k: 'str'; v: string; f: boolean } | { k: 'num'; v: Value } | { k: 'name'; v: string } | { k: 'op'; v: string };

/** The statement cannot be followed: stop quietly. */
class Opaque extends Error {}
/** A Python exception: the traceback's last line. */
class PyError extends Error {}
/** A syntax error at column COL of its statement, WIDTH carets wide. */
class PySyntax extends Error {
  constructor(readonly msg: string, readonly col: number, readonly width = 1) {
    super(msg);
  }
}

const STDLIB = new Set(['os', 'sys', 'socket', 'subprocess', 'pty', 'base64', 'time', 'random', 'urllib', 'urllib.request', 'http', 'http.client', 'json', 're', 'hashlib', 'platform', 'struct', 'threading', 'select', 'signal', 'binascii', 'zlib', 'ssl', 'getpass', 'pwd', 'shutil', 'tempfile', 'string', 'math', 'codecs', 'ctypes', 'fcntl', 'multiprocessing', 'uuid', 'itertools', 'io', 'marshal', 'zipfile', 'tarfile', 'ftplib', 'telnetlib', 'smtplib', 'getopt', 'argparse', 'datetime', 'glob', 'stat', 'errno', 'traceback', 'pickle', 'copy', 'operator', 'functools', 'collections', 'urllib.parse', 'http.server', 'socketserver', 'asyncio', 'sqlite3']);

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0', '\n': '' };

function tokenize(line: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') break;
    const pre = /^([rRuUfFbB]{0,2})(['"])/.exec(line.slice(i));
    if (pre && (pre[1] === '' || /^[a-zA-Z]/.test(c))) {
      const flags = pre[1]!.toLowerCase();
      if (flags.includes('b')) throw new Opaque();
      const q = pre[2]!;
      const start = i;
      i += pre[0].length;
      let s = '';
      for (;;) {
        if (i >= line.length) throw new PySyntax('unterminated string literal (detected at line 1)', start);
        const ch = line[i++]!;
        if (ch === q) break;
        if (ch === '\\' && !flags.includes('r')) {
          const n = line[i++] ?? '';
          if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i, i + 2))) {
            s += String.fromCharCode(parseInt(line.slice(i, i + 2), 16));
            i += 2;
          } else s += ESCAPES[n] ?? `\\${n}`;
        } else s += ch;
      }
      toks.push({ k: 'str', v: s, f: flags.includes('f') });
      continue;
    }
    const num = /^(\d[\d_]*(\.\d*)?([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)/.exec(line.slice(i));
    if (num) {
      const raw = num[0].replace(/_/g, '');
      toks.push({ k: 'num', v: /[.eE]/.test(raw) ? { t: 'float', v: Number(raw) } : { t: 'int', v: BigInt(raw) } });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(line.slice(i));
    if (name) {
      toks.push({ k: 'name', v: name[0] });
      i += name[0].length;
      continue;
    }
    const op = /^(\*\*|\/\/|==|!=|<=|>=|[-+*/%(),.=<>\[\]{}:;])/.exec(line.slice(i));
    if (!op) throw new Opaque();
    toks.push({ k: 'op', v: op[0] });
    i += op[0].length;
  }
  return toks;
}

export function pyStr(v: Value): string {
  switch (v.t) {
    case 'int':
      return v.v.toString();
    case 'float': {
      if (!Number.isFinite(v.v)) return Number.isNaN(v.v) ? 'nan' : v.v > 0 ? 'inf' : '-inf';
      const a = Math.abs(v.v);
      if (a !== 0 && (a >= 1e16 || a < 1e-4)) return v.v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
      return Number.isInteger(v.v) ? `${v.v}.0` : String(v.v);
    }
    case 'str':
      return v.v;
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
  }
}

const typeName = (v: Value): string => ({ int: 'int', float: 'float', str: 'str', bool: 'bool', none: 'NoneType' })[v.t];
const num = (v: Value): number => (v.t === 'int' ? Number(v.v) : v.t === 'float' ? v.v : v.t === 'bool' ? Number(v.v) : NaN);
const isNum = (v: Value): boolean => v.t === 'int' || v.t === 'float' || v.t === 'bool';
const asInt = (v: Value): bigint | undefined => (v.t === 'int' ? v.v : v.t === 'bool' ? BigInt(v.v) : undefined);

function binary(op: string, a: Value, b: Value): Value {
  const ai = asInt(a);
  const bi = asInt(b);
  if (op === '+' && a.t === 'str' && b.t === 'str') return str(a.v + b.v);
  if (op === '*' && (a.t === 'str' || b.t === 'str')) {
    const s = a.t === 'str' ? a.v : b.t === 'str' ? b.v : '';
    const n = a.t === 'str' ? bi : ai;
    if (n === undefined) throw new PyError(`TypeError: can't multiply sequence by non-int of type '${typeName(a.t === 'str' ? b : a)}'`);
    if (BigInt(s.length) * (n > 0n ? n : 0n) > BigInt(MAX_SNIPPET_STRING)) throw new Opaque();
    return str(n > 0n ? s.repeat(Number(n)) : '');
  }
  if (!isNum(a) || !isNum(b)) {
    if (op === '+' && a.t === 'str') throw new PyError(`TypeError: can only concatenate str (not "${typeName(b)}") to str`);
    if (op === '%' && a.t === 'str') throw new Opaque();
    throw new PyError(`TypeError: unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
  }
  if (ai !== undefined && bi !== undefined && op !== '/') {
    if ((op === '//' || op === '%') && bi === 0n) throw new PyError('ZeroDivisionError: integer division or modulo by zero');
    if (op === '**') {
      if (bi < 0n) return { t: 'float', v: Number(ai) ** Number(bi) };
      if (bi * BigInt(ai.toString(2).length) > 4_000_000n) throw new Opaque();
      return { t: 'int', v: ai ** bi };
    }
    const floorDiv = (x: bigint, y: bigint): bigint => (x % y !== 0n && x < 0n !== y < 0n ? x / y - 1n : x / y);
    const v = op === '+' ? ai + bi : op === '-' ? ai - bi : op === '*' ? ai * bi : op === '//' ? floorDiv(ai, bi) : ai - floorDiv(ai, bi) * bi;
    if (v.toString(2).length > 100_000) throw new Opaque();
    return { t: 'int', v };
  }
  const x = num(a);
  const y = num(b);
  if ((op === '/' || op === '//' || op === '%') && y === 0) throw new PyError(op === '/' ? 'ZeroDivisionError: division by zero' : 'ZeroDivisionError: float floor division by zero');
  const v = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? x / y : op === '//' ? Math.floor(x / y) : op === '%' ? x - Math.floor(x / y) * y : x ** y;
  return { t: 'float', v };
}

const str = (v: string): Value => {
  if (v.length > MAX_SNIPPET_STRING) throw new Opaque();
  return { t: 'str', v };
};

/** The effects a snippet asks for, in order. */
export interface SnippetHost {
  out(s: string): void;
  /** os.system(CMD): run by the fake shell; its exit status. */
  system(cmd: string): Promise<number>;
}

class Interp {
  private toks: Tok[] = [];
  private i = 0;
  readonly vars = new Map<string, Value>();
  readonly modules = new Set<string>();
  constructor(private readonly host: SnippetHost) {}

  private peek(v?: string): boolean {
    const t = this.toks[this.i];
    return t !== undefined && (t.k === 'op' || t.k === 'name') && (v === undefined || t.v === v);
  }
  private take(v: string): boolean {
    if (this.peek(v)) {
      this.i++;
      return true;
    }
    return false;
  }

  async statement(toks: Tok[]): Promise<void> {
    this.toks = toks;
    this.i = 0;
    const first = toks[0];
    if (!first) return;
    if (first.k === 'name' && (first.v === 'import' || first.v === 'from')) return this.imports(toks);
    if (first.k === 'name' && first.v === 'pass') return;
    if (first.k === 'name' && toks[1]?.k === 'op' && toks[1].v === '=') {
      this.i = 2;
      const v = await this.expr();
      this.end();
      this.vars.set(first.v, v);
      return;
    }
    if (first.k === 'name' && ['if', 'for', 'while', 'def', 'class', 'try', 'with', 'return', 'lambda', 'exec', 'eval'].includes(first.v)) throw new Opaque();
    await this.expr();
    this.end();
  }

  private end(): void {
    if (this.i < this.toks.length) throw new Opaque();
  }

  private imports(toks: Tok[]): void {
    const names = toks.filter((t) => t.k === 'name').map((t) => t.v);
    const modules: string[] = [];
    if (names[0] === 'from') modules.push(names[1] ?? '');
    else {
      // import a.b as c, d
      let cur = '';
      for (let i = 1; i < toks.length; i++) {
        const t = toks[i]!;
        if (t.k === 'op' && t.v === ',') {
          modules.push(cur);
          cur = '';
        } else if (t.k === 'name' && t.v === 'as') i++;
        else if (t.k === 'name' || (t.k === 'op' && t.v === '.')) cur += t.v;
      }
      modules.push(cur);
    }
    for (const m of modules) {
      if (!STDLIB.has(m) && !STDLIB.has(m.split('.')[0]!)) throw new PyError(`ModuleNotFoundError: No module named '${m.split('.')[0]}'`);
      this.modules.add(m.split('.')[0]!);
    }
  }

  private async expr(): Promise<Value> {
    let v = await this.term();
    while (this.peek('+') || this.peek('-')) {
      const op = (this.toks[this.i++] as { v: string }).v;
      v = binary(op, v, await this.term());
    }
    return v;
  }

  private async term(): Promise<Value> {
    let v = await this.unary();
    while (this.peek('*') || this.peek('/') || this.peek('//') || this.peek('%')) {
      const op = (this.toks[this.i++] as { v: string }).v;
      v = binary(op, v, await this.unary());
    }
    return v;
  }

  private async unary(): Promise<Value> {
    if (this.take('-')) return binary('-', { t: 'int', v: 0n }, await this.unary());
    if (this.take('+')) return this.unary();
    const base = await this.atom();
    if (this.take('**')) return binary('**', base, await this.unary());
    return base;
  }

  private async args(): Promise<{ pos: Value[]; kw: Map<string, Value> }> {
    const pos: Value[] = [];
    const kw = new Map<string, Value>();
    while (!this.take(')')) {
      const t = this.toks[this.i];
      if (!t) throw new Opaque();
      if (t.k === 'name' && this.toks[this.i + 1]?.k === 'op' && (this.toks[this.i + 1] as { v: string }).v === '=') {
        this.i += 2;
        kw.set(t.v, await this.expr());
      } else pos.push(await this.expr());
      if (!this.take(',') && !this.peek(')')) throw new Opaque();
    }
    return { pos, kw };
  }

  private async atom(): Promise<Value> {
    const t = this.toks[this.i++];
    if (!t) throw new Opaque();
    let v: Value;
    if (t.k === 'num') v = t.v;
    else if (t.k === 'str') {
      let s = t.f ? this.fString(t.v) : t.v;
      while (this.toks[this.i]?.k === 'str') {
        const n = this.toks[this.i++] as { v: string; f: boolean };
        s += n.f ? this.fString(n.v) : n.v;
      }
      v = str(s);
    } else if (t.k === 'op' && t.v === '(') {
      v = await this.expr();
      if (!this.take(')')) throw new Opaque();
    } else if (t.k === 'name') v = await this.name(t.v);
    else throw new Opaque();
    // Methods of strings: .upper() .lower() .strip()
    while (this.peek('.') && v.t === 'str') {
      this.i++;
      const m = this.toks[this.i++];
      if (!m || m.k !== 'name' || !this.take('(') || !['upper', 'lower', 'strip'].includes(m.v)) throw new Opaque();
      const { pos } = await this.args();
      if (pos.length) throw new Opaque();
      v = str(m.v === 'upper' ? v.v.toUpperCase() : m.v === 'lower' ? v.v.toLowerCase() : v.v.trim());
    }
    return v;
  }

  private fString(s: string): string {
    return s.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, n: string) => {
      const v = this.vars.get(n);
      if (!v) throw new PyError(`NameError: name '${n}' is not defined`);
      return pyStr(v);
    });
  }

  private async name(n: string): Promise<Value> {
    if (n === 'True' || n === 'False') return { t: 'bool', v: n === 'True' };
    if (n === 'None') return { t: 'none' };
    const known = this.vars.get(n);
    if (known) return known;
    if (this.modules.has(n)) {
      // os.system("...") runs in the fake shell; anything else a module does (sockets, dup2, pty) is not followed.
      if (n === 'os' && this.take('.') && this.take('system') && this.take('(')) {
        const { pos } = await this.args();
        const cmd = pos[0];
        if (!cmd || cmd.t !== 'str' || pos.length !== 1) throw new Opaque();
        return { t: 'int', v: BigInt((await this.host.system(cmd.v)) * 256) };
      }
      throw new Opaque();
    }
    const builtins = ['print', 'str', 'len', 'int', 'float', 'chr', 'ord', 'repr', 'exit', 'quit'];
    if (!builtins.includes(n)) {
      if (['open', 'exec', 'eval', 'input', '__import__', 'range', 'list', 'dict', 'bytes', 'bytearray', 'getattr', 'compile', 'globals', 'map', 'zip', 'sum', 'abs', 'hex', 'bin', 'oct', 'round', 'min', 'max', 'sorted', 'type', 'isinstance', 'hasattr', 'setattr', 'format', 'iter', 'next', 'enumerate', 'tuple', 'set', 'bool', 'object', 'super'].includes(n)) throw new Opaque();
      throw new PyError(`NameError: name '${n}' is not defined`);
    }
    if (!this.take('(')) throw new Opaque();
    const { pos, kw } = await this.args();
    const a = pos[0];
    switch (n) {
      case 'print': {
        const sep = kw.get('sep');
        const end = kw.get('end');
        if ([...kw.keys()].some((k) => k !== 'sep' && k !== 'end' && k !== 'flush')) throw new Opaque();
        this.host.out(pos.map(pyStr).join(sep ? pyStr(sep) : ' ') + (end ? pyStr(end) : '\n'));
        return { t: 'none' };
      }
      case 'str':
        return str(a ? pyStr(a) : '');
      case 'repr':
        if (!a) throw new Opaque();
        return str(a.t === 'str' ? `'${a.v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'` : pyStr(a));
      case 'len':
        if (a?.t !== 'str') throw new Opaque();
        return { t: 'int', v: BigInt([...a.v].length) };
      case 'int':
        if (a && isNum(a)) return { t: 'int', v: a.t === 'int' ? a.v : BigInt(Math.trunc(num(a))) };
        if (a?.t === 'str' && /^\s*[-+]?\d+\s*$/.test(a.v)) return { t: 'int', v: BigInt(a.v.trim()) };
        if (a?.t === 'str') throw new PyError(`ValueError: invalid literal for int() with base 10: '${a.v}'`);
        return { t: 'int', v: 0n };
      case 'float':
        return { t: 'float', v: a ? Number(pyStr(a)) : 0 };
      case 'chr':
        if (!a || asInt(a) === undefined) throw new Opaque();
        return str(String.fromCodePoint(Number(asInt(a)) & 0x10ffff));
      case 'ord':
        if (a?.t !== 'str' || [...a.v].length !== 1) throw new Opaque();
        return { t: 'int', v: BigInt(a.v.codePointAt(0)!) };
      default:
        throw new Exit(a ? Number(asInt(a) ?? 1n) : 0);
    }
  }
}

class Exit extends Error {
  constructor(readonly status: number) {
    super('exit');
  }
}

/** Top-level statements: lines split at ';' outside strings and brackets; an indented line is not followed. */
function statements(code: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  code.split('\n').forEach((l, n) => {
    let cur = '';
    let q = '';
    for (let i = 0; i < l.length; i++) {
      const c = l[i]!;
      if (q) {
        if (c === '\\') cur += c + (l[++i] ?? '');
        else {
          if (c === q) q = '';
          cur += c;
        }
      } else if (c === ';') {
        out.push({ text: cur, line: n + 1 });
        // Only a line's first statement can be indented.
        while (l[i + 1] === ' ' || l[i + 1] === '\t') i++;
        cur = '';
      } else {
        if (c === "'" || c === '"') q = c;
        cur += c;
      }
    }
    out.push({ text: cur, line: n + 1 });
  });
  return out.filter((s) => s.text.trim() !== '');
}

/** Where TEXT's brackets fail to pair, as the compiler reports it (strings skipped). */
function bracketError(text: string): PySyntax | undefined {
  const open: { c: string; at: number }[] = [];
  let q = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (q) {
      if (c === '\\') i++;
      else if (c === q) q = '';
    } else if (c === "'" || c === '"') q = c;
    else if (c === '#') break;
    else if ('([{'.includes(c)) open.push({ c, at: i });
    else if (')]}'.includes(c) && open.pop() === undefined) return new PySyntax(`unmatched '${c}'`, i);
  }
  const last = open.pop();
  return last ? new PySyntax(`'${last.c}' was never closed`, last.at) : undefined;
}

/** Runs CODE as `python3 -c` would (FILE is how tracebacks name it: "<string>", "<stdin>", a path); the exit status. */
export async function runPython(code: string, file: string, host: SnippetHost, err: (s: string) => void): Promise<number> {
  if (code.length > MAX_SNIPPET_CHARS) return 0;
  const it = new Interp(host);
  // CPython compiles the whole program first: a syntax error anywhere means nothing runs.
  const program: { toks: Tok[]; text: string; line: number }[] = [];
  for (const st of statements(code)) {
    try {
      const toks = tokenize(st.text);
      const bad = bracketError(st.text);
      if (bad) throw bad;
      if (toks[0]?.k === 'name' && toks[0].v === 'print' && toks[1] && toks[1].k !== 'op') throw new PySyntax("Missing parentheses in call to 'print'. Did you mean print(...)?", st.text.indexOf('print'), st.text.trim().length);
      program.push({ toks, ...st });
    } catch (e) {
      if (e instanceof PySyntax) {
        const indent = st.text.length - st.text.trimStart().length;
        err(`  File "${file}", line ${st.line}\n    ${st.text.trim()}\n    ${' '.repeat(Math.max(0, e.col - indent))}${'^'.repeat(e.width)}\nSyntaxError: ${e.msg}\n`);
        return 1;
      }
      if (e instanceof Opaque) break;
      throw e;
    }
  }
  for (const st of program) {
    // An indented line belongs to a block the emulation does not follow.
    if (/^\s/.test(st.text)) return 0;
    try {
      await it.statement(st.toks);
    } catch (e) {
      if (e instanceof Opaque) return 0;
      if (e instanceof Exit) return e.status;
      if (e instanceof PyError) {
        err(`Traceback (most recent call last):\n  File "${file}", line ${st.line}, in <module>\n${e.message}\n`);
        return 1;
      }
      throw e;
    }
  }
  return 0;
}
